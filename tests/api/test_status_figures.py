"""Figures over the API with their qualifiers, the authority's figure for several targets, and
targets for part of an area."""

import csv
import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from evactrack.status import services
from evactrack.status.compute import load_and_evaluate
from evactrack.status.selectors import status_history
from evactrack.status.services import status_recompute_dirty, status_recompute_full
from locations.models import Area
from reports.models import EvacuationOrder, OrderTarget
from reports.services import TargetInput, order_targets_set
from tests.factories import AreaFactory, IncidentFactory, OrderFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db

KUPIANSK_RAION = "UA63080000000032022"
KUPIANSK = "UA63080090010026457"


def status(client, code, as_of=None):
    url = reverse("api:area-status", kwargs={"code": code})
    return client.get(url + (f"?as_of={as_of}" if as_of else "")).json()


def test_kupiansk_raion_reads_the_authoritys_figures_with_their_qualifiers(partner):
    """The seeded 2023 order covers Kupiansk and Kindrashivka and states "nearly 12,000 people,
    over 600 children": the raion where they meet carries those, not the 25,836 of the baselines."""
    call_command("seed", verbosity=0)
    order = EvacuationOrder.objects.get(title__startswith="Mandatory evacuation of Kupiansk")
    assert order.targets.count() == 2

    raion = status(partner, KUPIANSK_RAION, "2023-08-15")
    figures = raion["figures"]
    assert (figures["people_subject"], figures["people_subject_qualifier"]) == (12000, "at_most")
    assert (figures["children_subject"], figures["children_subject_qualifier"]) == (600, "at_least")
    assert figures["people_subject_missing"] == 0
    assert "At most 12,000 people subject to orders, at least 600 of them children" in raion["sentence"]
    # The city itself: subject to the order, by a number nobody gave.
    city = status(partner, KUPIANSK, "2023-08-15")["figures"]
    assert (city["people_subject"], city["people_subject_qualifier"]) == (None, None)
    # Its people present is the seeds' pre-war baseline, and says so.
    assert (city["people_present"], city["people_present_qualifier"]) == (25000, "approximate")
    assert city["people_present_basis"] == "baseline"
    assert "about 25,000 people present (pre-war baseline)" in status(partner, KUPIANSK, "2023-08-15")["sentence"]


def test_stored_and_computed_statuses_agree_on_qualifiers(partner):
    area = AreaFactory()
    PopulationCountFactory(area=area, kind="present", total=480, total_qualifier="at_least")
    OrderFactory(area=area, scope="single", effective_from=datetime.date(2023, 8, 10))
    status_recompute_full()
    stored = status(partner, area.code)["figures"]
    computed = status(partner, area.code, "2023-08-15")["figures"]
    for figures in (stored, computed):
        assert (figures["people_subject"], figures["people_subject_qualifier"]) == (480, "at_least")
        assert (figures["people_present_qualifier"], figures["people_present_basis"]) == ("at_least", "present")
        assert (figures["children_present"], figures["children_present_qualifier"]) == (None, None)


def test_a_withheld_children_figure_has_no_qualifier_either(partner, coordinator):
    area = AreaFactory()
    PopulationCountFactory(area=area, kind="present", total=480, children=7, children_qualifier="approximate")
    status_recompute_full()
    assert status(partner, area.code)["figures"]["children_present_qualifier"] is None
    assert status(coordinator, area.code)["figures"]["children_present_qualifier"] == "approximate"


def order_body(area, source, **target):
    return {
        "citations": [{"source": source.slug, "locator": "¶1"}],
        "title": "Mandatory evacuation of the left bank",
        "issuing_authority": "Kupiansk District Military Administration",
        "kind": "mandatory",
        "effective_from": "2023-08-10",
        "summary": "Left-bank Kupiansk must leave.",
        "targets": [{"area": area.code, **target}],
    }


def test_a_target_for_part_of_an_area_over_the_api(coordinator, source):
    area = AreaFactory()
    PopulationCountFactory(area=area, kind="baseline", total=25000)
    url = reverse("api:order-list")
    refused = coordinator.post(url, order_body(area, source, scope="part"), format="json")
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["targets.0.note"]
    refused = coordinator.post(url, order_body(area, source, scope="single", note="left bank"), format="json")
    assert refused.status_code == 400
    assert list(refused.json()["fields"]) == ["targets.0.note"]

    created = coordinator.post(url, order_body(area, source, scope="part", note="left bank"), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["targets"] == [{"area": area.code, "scope": "part", "note": "left bank"}]
    assert OrderTarget.objects.get(area=area).note == "left bank"

    body = status(coordinator, area.code, "2023-08-15")
    assert body["level"] == "evacuation_mandatory"
    # The order's level applies to the area, but not the whole population is subject.
    assert (body["figures"]["people_subject"], body["figures"]["people_subject_missing"]) == (None, 1)
    assert f"in part of {area.name_en}: left bank" in body["sentence"]


def test_an_incremental_recompute_elsewhere_in_the_raion_keeps_the_shared_figure(partner):
    """The raion is recomputed for an incident in a village no target is in: the order's targets
    are outside that run's areas, yet its figure still counts where they meet."""
    call_command("seed", verbosity=0)
    assert status(partner, KUPIANSK_RAION)["figures"]["people_subject"] == 12000
    shevchenkove = Area.objects.get(code="UA63080150010082504")
    IncidentFactory(area=shevchenkove, occurred_on=timezone.localdate())
    with mock.patch.object(services, "load_and_evaluate", wraps=load_and_evaluate) as loads:
        status_recompute_dirty()
    (call,) = loads.call_args_list
    assert Area.objects.get(code=KUPIANSK).pk not in call.kwargs["scope"].area_ids
    figures = status(partner, KUPIANSK_RAION)["figures"]
    assert (figures["people_subject"], figures["people_subject_qualifier"]) == (12000, "at_most")


def test_the_service_refuses_a_part_target_without_its_note():
    area = AreaFactory()
    order = OrderFactory(area=area)
    with pytest.raises(ValidationError) as refused:
        order_targets_set(order=order, targets=[TargetInput(area=area, scope="part")])
    assert "targets" in refused.value.message_dict
    order_targets_set(order=order, targets=[TargetInput(area=area, scope="part", note=" left bank ")])
    assert order.targets.get().note == "left bank"


def test_the_area_export_carries_the_status_figures_with_their_qualifiers(partner, coordinator):
    call_command("seed", verbosity=0)
    village = AreaFactory()
    PopulationCountFactory(area=village, kind="present", total=300, children=7, children_qualifier="exact")
    status_recompute_full()
    rows = {row["code"]: row for row in csv_rows(partner.get(reverse("api:area-export")))}
    raion = rows[KUPIANSK_RAION]
    assert (raion["people_subject"], raion["people_subject_qualifier"]) == ("12000", "at_most")
    assert (raion["children_subject"], raion["children_subject_qualifier"]) == ("600", "at_least")
    city = rows[KUPIANSK]
    assert (city["people_present"], city["people_present_qualifier"], city["people_present_basis"]) == (
        "25000",
        "approximate",
        "baseline",
    )
    assert (city["status"], city["people_subject"], city["people_subject_qualifier"]) == (
        "evacuation_mandatory",
        "",
        "",
    )
    # A small count of children leaves the export as the API shows it: empty, and named.
    assert (rows[village.code]["children_present"], rows[village.code]["withheld"]) == ("", "children_present")
    assert rows[village.code]["people_present_basis"] == "present"
    seen = {row["code"]: row for row in csv_rows(coordinator.get(reverse("api:area-export")))}
    assert (seen[village.code]["children_present"], seen[village.code]["children_present_qualifier"]) == ("7", "exact")


def csv_rows(response) -> list[dict]:
    lines = b"".join(response.streaming_content).decode().splitlines()
    return list(csv.DictReader([lines[0], *lines[2:]]))  # the second line is the HXL hashtags


def test_kupiansk_occupied_since_february_2022_day_unknown(partner):
    call_command("seed", verbosity=0)
    early = status(partner, KUPIANSK, "2022-02-26")
    (reason,) = [r for r in early["reasons"] if r["kind"] == "designation"]
    assert (reason["since_precision"], reason["uncertain"]) == ("month", True)
    assert "occupied since February 2022, day unknown; perhaps not yet in force on this date" in early["sentence"]
    spring = status(partner, KUPIANSK, "2022-05-01")
    (reason,) = [r for r in spring["reasons"] if r["kind"] == "designation"]
    assert "uncertain" not in reason
    assert "occupied since February 2022, day unknown" in spring["sentence"]
    # The rebuilt history agrees with a computation for the date (less the incidents' uids,
    # which a partner is not shown).
    history = status_history(area=Area.objects.get(code=KUPIANSK), until=datetime.date(2022, 2, 26)).last()
    assert [{k: v for k, v in r.items() if k != "uids"} for r in history.reasons] == early["reasons"]
