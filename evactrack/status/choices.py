"""Choices of the status engine: the ordered status vocabulary and the kinds of recompute runs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StatusLevel(models.TextChoices):
    """Ordered from harmless to worst; parents take the worst of their children (docs/DESIGN.md)."""

    NORMAL = "normal", _("normal")
    ADVISORY = "advisory", _("advisory")
    EVACUATION_RECOMMENDED = "evacuation_recommended", _("evacuation recommended")
    EVACUATION_MANDATORY = "evacuation_mandatory", _("evacuation mandatory")
    NO_ACCESS = "no_access", _("no access")


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
