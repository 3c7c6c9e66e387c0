"""Choices of the status engine: the ordered status vocabulary and the kinds of recompute runs."""

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reports.choices import ControlKind, PopulationGroup


class StatusLevel(models.TextChoices):
    """Ordered from harmless to worst; parents take the worst of their children (docs/DESIGN.md)."""

    NORMAL = "normal", _("normal")
    ADVISORY = "advisory", _("advisory")
    EVACUATION_RECOMMENDED = "evacuation_recommended", _("evacuation recommended")
    EVACUATION_MANDATORY = "evacuation_mandatory", _("evacuation mandatory")
    NO_ACCESS = "no_access", _("no access")


# The level each kind of the official list gives by default: the policy's defaults
# (Policy.level_<kind>), and the engine's when it is given no policy. Occupation and encirclement
# close humanitarian access; the hostilities kinds are legal context, not an evacuation call:
# advisory, unless an order or incidents say more.
DESIGNATION_LEVEL_DEFAULTS = {
    ControlKind.POSSIBLE_HOSTILITIES: StatusLevel.ADVISORY,
    ControlKind.ACTIVE_HOSTILITIES: StatusLevel.ADVISORY,
    ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES: StatusLevel.ADVISORY,
    ControlKind.OCCUPIED: StatusLevel.NO_ACCESS,
    ControlKind.ENCIRCLED: StatusLevel.NO_ACCESS,
}
# The Policy field that holds each kind's level (a test checks every kind has one).
DESIGNATION_LEVEL_FIELDS = {kind: f"level_{kind}" for kind in ControlKind.values}

# Position in the vocabulary: comparisons of levels go through this, never through strings.
LEVEL_RANK = {level: rank for rank, level in enumerate(StatusLevel.values)}

# How the level reads at the start of a coordinator's sentence.
LEVEL_HEADLINE = {
    StatusLevel.NORMAL: "Normal",
    StatusLevel.ADVISORY: "Advisory",
    StatusLevel.EVACUATION_RECOMMENDED: "Evacuation recommended",
    StatusLevel.EVACUATION_MANDATORY: "Mandatory evacuation",
    StatusLevel.NO_ACCESS: "No access",
}


def who_must_leave_label(level: str, level_for_everyone: str, group_levels: Mapping[str, str]) -> str:
    """Who must leave, in the active language, for the admin and the dashboard: the level alone when
    it applies to everyone, else each group's level and then everyone's ("children with their
    parents or guardians: evacuation mandatory; everyone: normal")."""
    if not group_levels:
        return str(StatusLevel(level).label)
    parts = [
        (str(PopulationGroup(group).label) if group in PopulationGroup.values else group, group_level)
        for group, group_level in group_levels.items()
    ]
    parts.append((str(PopulationGroup.EVERYONE.label), level_for_everyone))
    return "; ".join(
        gettext("%(who)s: %(level)s") % {"who": who, "level": StatusLevel(group_level).label}
        for who, group_level in parts
    )


class RunKind(models.TextChoices):
    DIRTY = "dirty", _("dirty areas")
    FULL = "full", _("full recompute")
    REBUILD = "rebuild", _("history rebuild")


class ChangeOrigin(models.TextChoices):
    LIVE = "live", _("live recompute")
    REBUILD = "rebuild", _("history rebuild")


class ChildrenWithheld(models.TextChoices):
    """Which children figures of a status roles below coordinator may not see (one column: the
    status row's writes stay within SQLite's parameters per statement)."""

    NONE = "none", _("none")
    PRESENT = "present", _("children present")
    SUBJECT = "subject", _("children subject to orders")
    BOTH = "both", _("children present and subject to orders")


# (children_present withheld, children_subject withheld) ↔ the stored choice.
CHILDREN_WITHHELD = {
    (False, False): ChildrenWithheld.NONE,
    (True, False): ChildrenWithheld.PRESENT,
    (False, True): ChildrenWithheld.SUBJECT,
    (True, True): ChildrenWithheld.BOTH,
}
WITHHELD_CHILDREN = {choice: flags for flags, choice in CHILDREN_WITHHELD.items()}


class PresentBasis(models.TextChoices):
    """Where a people-present figure comes from: a count of who is there now, or a pre-war baseline
    standing in for one (reports' CountKind), or, for a sum, both."""

    PRESENT = "present", _("present count")
    BASELINE = "baseline", _("pre-war baseline")
    MIXED = "mixed", _("present counts and pre-war baselines")
