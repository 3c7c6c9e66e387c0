"""Every column the engine reads is checked by the hourly full run.

For each column of each declared input (evactrack.status.inputs), one fact is changed by a
plain UPDATE, which leaves no dirty mark and sends no message; the next full run must judge
its area again. The cases are generated from the declaration, so a column added there is
tested here without an edit.
"""

import datetime
import uuid
from unittest import mock

import pytest
from django.db import IntegrityError, models, transaction

from evactrack.access.models import Organization
from evactrack.status import services
from evactrack.status.compute import load_and_evaluate
from evactrack.status.inputs import DESIGNATIONS, FACTS, INCIDENTS, ORDER_TARGETS, POPULATION_COUNTS, Input
from evactrack.status.services import status_recompute_full
from reports.choices import VerificationState
from reports.services import incident_review
from tests.factories import (
    AreaFactory,
    DesignationFactory,
    IncidentFactory,
    OrderFactory,
    OrganizationFactory,
    PopulationCountFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2023, 8, 20)
DAY = datetime.timedelta(days=1)


def incident(area, column):
    created = IncidentFactory(
        area=area,
        occurred_on=AS_OF - 3 * DAY,
        fatalities=1,
        fatalities_qualifier="exact",
        injured=2,
        injured_qualifier="exact",
        civilians_killed=1,
        civilians_killed_qualifier="exact",
        civilians_injured=1,
        civilians_injured_qualifier="exact",
        reporting_organization=OrganizationFactory(),
    )
    # Only the review service verifies.
    return incident_review(incident=created, state=VerificationState.VERIFIED, actor=None)


def population_count(area, column):
    return PopulationCountFactory(area=area, kind="present", total=500, children=40, children_qualifier="exact")


def order_target(area, column):
    # A lift date goes only with the lifted state (a constraint): that column is tested on a lifted order.
    lifted = {"state": "lifted", "lifted_on": AS_OF - DAY} if column == "order__lifted_on" else {}
    # An issue date is on or before the start (a constraint): a day either side of this one is too.
    issued = {"issued_on": AS_OF - 7 * DAY} if column == "order__issued_on" else {}
    order = OrderFactory(
        **lifted,
        **issued,
        area=area,
        scope="single",
        effective_from=AS_OF - 5 * DAY,
        effective_until=AS_OF + 30 * DAY,
        people_subject=100,
        people_subject_qualifier="exact",
        children_subject=10,
        children_subject_qualifier="exact",
    )
    target = order.targets.get()
    if column == "note":
        # Only a part target has a note (a constraint).
        target.scope, target.note = "part", "left bank"
        target.save()
    return target


def designation(area, column):
    return DesignationFactory(
        area=area, kind="active_hostilities", valid_from=AS_OF - 10 * DAY, valid_until=AS_OF + 10 * DAY,
        valid_until_precision="day",
    )  # fmt: skip


FACT_OF = {
    INCIDENTS: incident,
    POPULATION_COUNTS: population_count,
    ORDER_TARGETS: order_target,
    DESIGNATIONS: designation,
}
# Rows a foreign key can be pointed at instead.
ANOTHER_ROW = {Organization: lambda: OrganizationFactory().pk}


def candidates(field: models.Field, value) -> list:
    """Values other than `value` that the engine would read differently, likeliest to be valid first."""
    if field.is_relation:
        return [ANOTHER_ROW[field.related_model]()]
    if field.choices:
        return [choice for choice, _label in field.choices if choice != value]
    if isinstance(field, models.UUIDField):
        return [uuid.uuid4()]
    if isinstance(field, models.DateField):
        return [(value or AS_OF) + DAY, (value or AS_OF) - DAY]
    if isinstance(field, models.BooleanField):
        return [not value]
    if isinstance(field, models.IntegerField):
        return [(value or 0) + 1, (value or 0) - 1]
    if isinstance(field, models.CharField | models.TextField):
        return [f"{value}x", value[:-1]]
    raise AssertionError(f"no changed value for {field!r}: add one for its type")


def update_past_the_services(source: Input, column: str, fact) -> None:
    """Change one column of the fact (or of the row it joins) with a plain UPDATE, to a value the database accepts."""
    *relations, _column = column.split("__")
    row = fact
    for relation in relations:
        row = getattr(row, relation)
    field = source.field(column)
    for value in candidates(field, getattr(row, field.attname)):
        try:
            with transaction.atomic():
                type(row).objects.filter(pk=row.pk).update(**{field.attname: value})
            return
        except IntegrityError:
            continue
    raise AssertionError(f"no changed value of {column} satisfies the constraints")


@pytest.mark.parametrize(
    ("source", "column"),
    [(source, column) for source in FACTS for column in source.columns],
    ids=lambda value: value.model.__name__ if isinstance(value, Input) else value,
)
def test_a_column_changed_past_the_services_is_judged_by_the_hourly_run(source, column):
    village = AreaFactory()
    fact = FACT_OF[source](village, column)
    status_recompute_full(as_of=AS_OF, every_area=True)
    assert status_recompute_full(as_of=AS_OF).areas_computed == 0  # nothing moved: nothing judged

    update_past_the_services(source, column, fact)
    with mock.patch.object(services, "load_and_evaluate", wraps=load_and_evaluate) as loads:
        report = status_recompute_full(as_of=AS_OF)
    (call,) = loads.call_args_list
    scope = call.kwargs["scope"]
    assert not scope.is_all, "an input column changed, yet the run judged every area as if the tree or policy had"
    assert village.id in scope.area_ids, f"{source.model.__name__}.{column} changed, yet the area was not judged"
    assert report.areas_computed > 0
