"""Spreadsheet import (every error by row and column, nothing written until the file is clean)
and export (the filtered list, in the import's columns)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from reports.models import DirtyArea, Incident, PopulationCount
from tests.admin.data import kupiansk_with_facts

pytestmark = pytest.mark.django_db
IMPORT = "admin:reports_incident_import"
HEADER = [
    "incident_type",
    "occurred_on",
    "area_code",
    "summary",
    "source",
    "locator",
    "fatalities",
    "fatalities_qualifier",
    "children_killed",
    "children_killed_qualifier",
]


@pytest.fixture
def kupiansk(db):
    return kupiansk_with_facts()


def incident_rows(kupiansk, count):
    return [
        ["shelling", f"2023-08-{n % 28 + 1:02d}", kupiansk.city.code, f"Shelling, report {n}.", kupiansk.source.slug,
         f"row {n}", "2", "exact", "", ""]
        for n in range(count)
    ]  # fmt: skip


def as_csv(rows, header=HEADER):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def upload(client, content, name="incidents.csv", url=IMPORT):
    return client.post(reverse(url), {"file": SimpleUploadedFile(name, content)})


def test_a_file_with_three_bad_rows_lists_them_and_imports_nothing_then_the_fixed_file_imports(
    admin_client_logged_in, kupiansk, staff_user
):
    rows = incident_rows(kupiansk, 5000)
    rows[10][2] = "UA00000000000000000"  # no such area: spreadsheet row 12
    rows[2000][1] = "23/08/2023"  # not ISO: row 2002
    rows[4998][8:10] = ["5", "exact"]  # more children killed than people killed: row 5000
    before = Incident.objects.count()

    preview = upload(admin_client_logged_in, as_csv(rows))
    errors = [(e.row, e.column) for e in preview.context["check"].errors]
    assert errors == [(12, "area_code"), (2002, "occurred_on"), (5000, "children_killed")]
    assert "import-confirm" not in preview.content.decode()
    assert Incident.objects.count() == before

    rows[10][2], rows[2000][1], rows[4998][8:10] = kupiansk.city.code, "2023-08-23", ["", ""]
    DirtyArea.objects.all().delete()
    checked = upload(admin_client_logged_in, as_csv(rows))
    assert checked.context["check"].ok
    # Its speed is measured by `manage.py bench_admin_import`, not asserted here (docs/BENCHMARKS.md).
    imported = admin_client_logged_in.post(reverse(IMPORT), {"token": checked.context["token"]})
    assert imported.status_code == 302
    assert Incident.objects.count() == before + 5000
    incident = Incident.objects.get(summary="Shelling, report 2000.")
    assert incident.created_by == staff_user
    assert [(c.source, c.locator) for c in incident.citations.all()] == [(kupiansk.source, "row 2000")]
    assert incident.history.get().history_user == staff_user
    assert "incidents.csv" in incident.history.get().history_change_reason
    assert DirtyArea.objects.filter(area=kupiansk.city).exists()


def test_an_xlsx_file_imports_too(admin_client_logged_in, kupiansk):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in incident_rows(kupiansk, 3):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    checked = upload(admin_client_logged_in, buffer.getvalue(), name="incidents.xlsx")
    assert checked.context["check"].ok, checked.context["check"].errors
    admin_client_logged_in.post(reverse(IMPORT), {"token": checked.context["token"]})
    assert Incident.objects.filter(summary__startswith="Shelling, report").count() == 3


def test_a_file_without_the_required_columns_is_refused(admin_client_logged_in, kupiansk):
    response = upload(admin_client_logged_in, b"area_code,summary\nUA63,x\n")
    assert "Missing columns" in response.context["file_error"]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"\xff\xfe not utf-8", "incidents.csv", "not UTF-8"),
        (b"PK\x03\x04 not a workbook", "incidents.xlsx", "cannot be read"),
        (b"a,b\n1,\x002\n", "incidents.csv", "NUL"),
        # Python's csv module refuses a field over 128 KiB.
        (b'incident_type,occurred_on,area_code,summary,source\nshelling,2023-08-01,UA,"' + b"x" * 200_000 + b'",s\n',
         "incidents.csv", "line"),
        (b"incident_type\nshelling\n", "incidents.pdf", ".csv or .xlsx"),
    ],
)  # fmt: skip
def test_an_unreadable_file_gets_a_message_not_an_error_page(admin_client_logged_in, kupiansk, content, name, message):
    before = Incident.objects.count()
    response = upload(admin_client_logged_in, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Incident.objects.count() == before


def test_population_counts_import_through_their_service(admin_client_logged_in, kupiansk):
    header = ["area_code", "kind", "reference_date", "method", "summary", "source", "total", "total_qualifier"]
    code, slug = kupiansk.city.code, kupiansk.source.slug
    rows = [
        [code, "baseline", "2022-01-01", "census", "Pre-war population.", slug, "26000", "approximate"],
        [code, "present", "2023-08-10", "estimate", "Remaining.", slug, "", "exact"],
    ]
    url = "admin:reports_populationcount_import"
    bad = upload(admin_client_logged_in, as_csv(rows, header), url=url)
    # A qualifier without a figure, and a count with no figure at all: both on row 3.
    assert {(e.row, e.column) for e in bad.context["check"].errors} == {(3, "total_qualifier"), (3, "total")}
    rows[1][6] = "11000"
    good = upload(admin_client_logged_in, as_csv(rows, header), url=url)
    assert good.context["check"].ok
    admin_client_logged_in.post(reverse(url), {"token": good.context["token"]})
    assert PopulationCount.objects.filter(area=kupiansk.city, kind="baseline", total=26000).exists()


def test_order_targets_import_replaces_the_orders_areas(admin_client_logged_in, kupiansk):
    header = ["order_uid", "area_code", "scope"]
    rows = [[str(kupiansk.order.uid), kupiansk.city.code, "single"], [str(kupiansk.order.uid), "UA-NOPE", "subtree"]]
    url = "admin:reports_evacuationorder_import"
    bad = upload(admin_client_logged_in, as_csv(rows, header), url=url)
    assert [(e.row, e.column) for e in bad.context["check"].errors] == [(3, "area_code")]
    good = upload(admin_client_logged_in, as_csv(rows[:1], header), url=url)
    admin_client_logged_in.post(reverse(url), {"token": good.context["token"]})
    assert [(t.area, t.scope) for t in kupiansk.order.targets.all()] == [(kupiansk.city, "single")]


def test_another_users_upload_token_is_refused(client, django_user_model, admin_client_logged_in, kupiansk):
    checked = upload(admin_client_logged_in, as_csv(incident_rows(kupiansk, 1)))
    other = django_user_model.objects.create_user("other", password="x" * 20, is_staff=True, is_superuser=True)
    client.force_login(other)
    response = client.post(reverse(IMPORT), {"token": checked.context["token"]})
    assert response.status_code == 200 and "expired" in response.context["file_error"]


def test_export_follows_the_filters(admin_client_logged_in, kupiansk):
    url = reverse("admin:reports_incident_export")
    response = admin_client_logged_in.get(url, {"within": kupiansk.raion.code, "_format": "csv"})
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0][:3] == ["uid", "incident_type", "occurred_on"]
    assert [line[0] for line in lines[1:]] == [str(kupiansk.incident.uid)]
    assert "kupiansk-article ¶1" in lines[1][-1]
    empty = admin_client_logged_in.get(url, {"within": kupiansk.city.code, "incident_type__exact": "mass_grave"})
    assert len(b"".join(empty.streaming_content).decode("utf-8-sig").strip().splitlines()) == 1


def test_export_xlsx(admin_client_logged_in, kupiansk):
    response = admin_client_logged_in.get(reverse("admin:reports_populationcount_export"), {"_format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][1] == "area_code" and rows[1][1] == kupiansk.city.code


def test_export_needs_view_permission(client, django_user_model, kupiansk):
    user = django_user_model.objects.create_user("viewer", password="x" * 20, is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:reports_incident_export")).status_code == 403
