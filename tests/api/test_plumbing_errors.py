"""Whatever goes wrong under /api/, the answer is JSON in the one error shape: crafted cursors,
unknown paths written to without a CSRF token, unhandled server errors (DEBUG on and off),
and the statuses Django or DRF answer before a view runs."""

import base64
import logging
from urllib.parse import quote

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from evactrack.kernel.api import views
from reports.api.views import IncidentViewSet
from tests.api.test_errors import assert_error

pytestmark = pytest.mark.django_db


def cursor_of(text: str) -> str:
    return quote(base64.b64encode(text.encode()).decode())


ID_ORDERED_LISTS = ["api:incident-list", "api:population-count-list", "api:deletion-list", "api:source-list",
                    "api:order-list"]  # fmt: skip


@pytest.mark.parametrize("list_name", ID_ORDERED_LISTS)
@pytest.mark.parametrize(
    "cursor",
    [
        "cD1SVQ%3D%3D",  # p=RU: a position, but not an id
        "cD0=",  # p= : an empty position
        cursor_of("p=99999999999999999999999"),  # beyond the integer column
        cursor_of("p=UA63"),  # an areas cursor: a code where these lists keep an id
    ],
)
def test_a_position_that_is_not_an_id_is_400(coordinator, list_name, cursor):
    response = coordinator.get(reverse(list_name) + "?cursor=" + cursor)
    assert_error(response, 400, "cursor")
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize("list_name", [*ID_ORDERED_LISTS, "api:area-list"])
@pytest.mark.parametrize(
    "cursor",
    [cursor_of("p=UA%00"), cursor_of("p=" + "9" * 30), cursor_of("o=-1"), cursor_of("r=x"), "garbage", "%FF%FE"],
)
def test_a_crafted_cursor_is_400(coordinator, list_name, cursor):
    response = coordinator.get(reverse(list_name) + "?cursor=" + cursor)
    assert_error(response, 400, "cursor")
    assert response.json()["code"] == "invalid_cursor"


def test_a_real_cursor_still_pages(coordinator, area):
    from tests.factories import IncidentFactory

    for _ in range(3):
        IncidentFactory(area=area)
    first = coordinator.get(reverse("api:incident-list") + "?limit=2").json()
    second = coordinator.get(first["next"])
    assert second.status_code == 200 and len(second.json()["results"]) == 1


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/incidents/not-a-uuid/verify/", "/api/v1/nothing/", "/api/nothing/"])
def test_writing_to_an_unknown_path_is_json_404_not_csrf_403(partner, method, path):
    """A token client sends no CSRF token; an unknown path must still say 404, as documented."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {partner.raw_key}")
    assert_error(getattr(client, method)(path, {"a": 1}, format="json"), 404)


def test_session_writes_still_need_a_csrf_token(coordinator, incident_body):
    """The catch-all is exempt from CSRF; real endpoints under a session are not."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(coordinator.user)
    response = client.post(reverse("api:incident-list"), incident_body(), format="json")
    assert_error(response, 403)
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize("debug", [False, True])
def test_an_unhandled_error_in_a_viewset_is_json_500_and_logged(partner, monkeypatch, settings, caplog, debug):
    settings.DEBUG = debug

    def explode(self, request, *args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(IncidentViewSet, "list", explode)
    with caplog.at_level(logging.ERROR):
        response = partner.get(reverse("api:incident-list"))
    assert_error(response, 500)
    assert response.json()["code"] == "server_error"
    assert "kaboom" not in response.json()["detail"] or debug
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1 and "kaboom" in str(logged[0].exc_info[1]), caplog.records
    assert "/api/v1/incidents/" in logged[0].getMessage()


@pytest.mark.parametrize("debug", [False, True])
def test_an_unhandled_error_outside_drf_is_json_500_and_logged(partner, monkeypatch, settings, caplog, debug):
    """The catch-all 404 is a plain Django view: its failures take the same shape."""
    settings.DEBUG = debug

    def explode(**kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(views, "error_response", explode)
    client = APIClient(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/nothing/")
    assert_error(response, 500)
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1 and "kaboom" in str(logged[0].exc_info[1]), caplog.records


def test_an_unhandled_error_in_a_post_frees_its_idempotency_key(partner, monkeypatch, incident_body):
    def explode(self, serializer):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(IncidentViewSet, "perform_create", explode)
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    assert_error(partner.post(reverse("api:incident-list"), incident_body(), format="json", **headers), 500)
    monkeypatch.undo()
    assert partner.post(reverse("api:incident-list"), incident_body(), format="json", **headers).status_code == 201


@pytest.mark.parametrize("debug", [False, True])
def test_statuses_before_a_view_are_json(partner, coordinator, settings, debug):
    settings.DEBUG = debug
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert_error(partner.get("/api/nothing-at-all/"), 404)
    assert_error(coordinator.delete(reverse("api:incident-list")), 405)
    assert_error(partner.post("/api/schema/"), 405)
    assert_error(partner.post(reverse("api:incident-list"), "a=b", content_type="text/plain"), 415)
    assert_error(partner.post(reverse("api:incident-list"), {"summary": "x" * 2000}, format="json"), 413)
