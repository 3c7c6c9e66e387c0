"""What the status engine reads, declared once for the loader (compute) and the fingerprint.

Each input names the columns whose values can change a judgement: those the loader turns into
facts and those it filters or orders by. The loader reads exactly these (after the keys it
groups by), and the fingerprint hashes exactly these, so a column added here is read and
checked alike; a column the loader reads but the fingerprint missed would leave a change
written past the services unseen until the nightly run.

Columns are Django lookups from the input's model ("order__kind" follows the target's order).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from locations.models import Area
from reports.choices import IncidentKind
from reports.models import ControlDesignation, Incident, OrderTarget, PopulationCount


@dataclass(frozen=True)
class Input:
    """One model the engine reads, and the columns of it (or of a row it joins) that matter."""

    model: type[models.Model]
    columns: tuple[str, ...]

    def field(self, column: str) -> models.Field:
        """The model field a lookup ends at ("order__kind": EvacuationOrder.kind)."""
        model, *relations, name = [self.model, *column.split("__")]
        for relation in relations:
            model = model._meta.get_field(relation).related_model
        return model._meta.get_field(name)

    def sql_columns(self, aliases: Mapping[str, str]) -> list[str]:
        """The columns as SQL, each qualified by the alias of its table: "" names the model's own."""
        qualified = []
        for column in self.columns:
            relation = column.rpartition("__")[0]
            qualified.append(f"{aliases[relation]}.{self.field(column).column}")
        return qualified


INCIDENTS = Input(
    Incident,
    (
        "uid",
        "occurred_on",
        "incident_type",
        "verification_state",
        "fatalities",
        "injured",
        "civilians_killed",
        "civilians_injured",
        "reporting_organization_id",
        "kind",
        "occurred_until",
    ),
)


def incidents_in_reach(first_day: datetime.date, as_of: datetime.date) -> Q:
    """The incidents that can matter at as_of: those that occurred from first_day to as_of, and
    the patterns that began earlier and last into those days (reports_incident_pattern_until)."""
    return Q(occurred_on__gte=first_day, occurred_on__lte=as_of) | Q(
        kind=IncidentKind.PATTERN, occurred_on__lt=first_day, occurred_until__gte=first_day
    )


def incidents_in_reach_sql(alias: str, first_day: datetime.date, as_of: datetime.date) -> tuple[str, list]:
    """incidents_in_reach as SQL over the incident table under `alias`, with its parameters."""
    sql = (
        f"(({alias}.occurred_on >= %s AND {alias}.occurred_on <= %s) OR ({alias}.kind = %s "
        f"AND {alias}.occurred_on < %s AND {alias}.occurred_until >= %s))"
    )
    return sql, [first_day, as_of, IncidentKind.PATTERN.value, first_day, first_day]


POPULATION_COUNTS = Input(
    PopulationCount, ("kind", "reference_date", "total", "children", "total_qualifier", "children_qualifier")
)
# An order as each of its targets applies it. How many targets the order has is read too (a
# figure given for several targets is counted where they meet), and the earliest start of the
# orders that replace it (ORDER_SUPERSEDED_FROM): derived values, not columns.
ORDER_TARGETS = Input(
    OrderTarget,
    (
        "order__uid",
        "order__kind",
        "order__population_group",
        "order__issuing_authority",
        "order__state",
        "order__effective_from",
        "order__effective_from_precision",
        "order__effective_until",
        "order__lifted_on",
        "order__people_subject",
        "order__children_subject",
        "order__people_subject_qualifier",
        "order__children_subject_qualifier",
        "scope",
        "note",
        # Its life cycle: when it is "to confirm" (reports.lifecycle).
        "order__issued_on",
        "order__confirmed_on",
        "order__review_on",
    ),
)
DESIGNATIONS = Input(ControlDesignation, ("uid", "kind", "valid_from", "valid_until", "valid_from_precision"))
# The tree, checked as a whole through its history (fingerprint.tree_digest), not by these
# columns: an area changed past the services is seen by the nightly run that judges every area.
AREAS = Input(Area, ("code", "parent_id", "path", "name_en"))

FACTS = (INCIDENTS, POPULATION_COUNTS, ORDER_TARGETS, DESIGNATIONS)
