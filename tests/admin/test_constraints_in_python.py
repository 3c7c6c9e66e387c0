"""The import's Python evaluation of check constraints agrees with Django's own (database) check."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from evactrack.kernel.constraints import check_constraint_errors
from reports.models import EvacuationOrder, Incident, PopulationCount

pytestmark = pytest.mark.django_db

CASES = [
    (Incident, {}),
    (Incident, {"fatalities": -1, "fatalities_qualifier": "exact"}),
    (Incident, {"fatalities": 2, "fatalities_qualifier": ""}),
    (Incident, {"injured_qualifier": "exact"}),
    (Incident, {"fatalities": 2, "fatalities_qualifier": "exact",
                "children_killed": 3, "children_killed_qualifier": "exact"}),
    (Incident, {"children_killed": 3, "children_killed_qualifier": "at_least"}),
    (Incident, {"latitude": 91.0, "longitude": 10.0}),
    (Incident, {"latitude": 50.0}),
    (Incident, {"incident_type": "earthquake"}),
    (Incident, {"verification_state": "verified"}),
    (PopulationCount, {"total": None, "total_qualifier": ""}),
    (PopulationCount, {"total": 10, "total_qualifier": "exact", "children": 11, "children_qualifier": "exact"}),
    (EvacuationOrder, {"effective_until": datetime.date(2023, 1, 1)}),
    (EvacuationOrder, {"state": "lifted"}),
    (EvacuationOrder, {"lifted_on": datetime.date(2023, 9, 1)}),
]  # fmt: skip

BASE = {
    Incident: {"incident_type": "shelling", "occurred_on": datetime.date(2023, 8, 1), "summary": "x"},
    PopulationCount: {"kind": "present", "reference_date": datetime.date(2023, 8, 1), "method": "estimate",
                      "total": 5, "total_qualifier": "exact", "summary": "x"},
    EvacuationOrder: {"title": "x", "issuing_authority": "x", "kind": "mandatory", "summary": "x",
                      "effective_from": datetime.date(2023, 8, 1)},
}  # fmt: skip


def django_errors(instance):
    try:
        instance.validate_constraints()
    except ValidationError as error:
        return set(error.message_dict)
    return set()


@pytest.mark.parametrize(("model", "values"), CASES)
def test_python_and_django_agree(model, values):
    instance = model(**{**BASE[model], **values})
    assert set(check_constraint_errors(instance)) == django_errors(instance)
