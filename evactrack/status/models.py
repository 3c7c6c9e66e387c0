"""Status per area (current), its append-only history, the policy behind it, and run bookkeeping."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evactrack.kernel.db import FieldCheckConstraint, Qualifier, choices_constraint
from evactrack.status.choices import (
    DESIGNATION_LEVEL_DEFAULTS,
    DESIGNATION_LEVEL_FIELDS,
    ChangeOrigin,
    ChildrenWithheld,
    PresentBasis,
    RunKind,
    StatusLevel,
    who_must_leave_label,
)
from evactrack.status.engine import reasons_took_effect_on
from locations.models import Area
from reports.choices import EVIDENCE_TYPES, ControlKind, IncidentType, VerificationState
from reports.models import EvacuationOrder


def default_type_weights():
    # Heavier where the weapon or the target says more about the danger to civilians who stay.
    return {
        IncidentType.SHELLING: 1.0,
        IncidentType.AIR_DRONE_STRIKE: 1.5,
        IncidentType.MISSILE_STRIKE: 2.0,
        IncidentType.ARMED_CLASH: 3.0,
        IncidentType.ATTACK_ON_CIVILIANS: 2.0,
        IncidentType.ATTACK_ON_HEALTH_FACILITY: 3.0,
        IncidentType.MASS_GRAVE: 0.0,
        IncidentType.DETENTION_SITE: 0.0,
        IncidentType.OTHER: 0.5,
    }


def default_hazard_types():
    # Every type but the evidence of past violence: a mass grave found today says what happened
    # during an occupation that is over, not that staying is dangerous now.
    return [value for value in IncidentType.values if value not in EVIDENCE_TYPES]


def default_counted_states():
    # A partner's report counts before a coordinator verifies it: warning early matters more
    # than warning only on certainty. Disputed and rejected reports never count.
    return [VerificationState.REPORTED, VerificationState.VERIFIED]


# Incidents alone never go above evacuation_recommended: a cap there is no cap.
UNVERIFIED_CAPS = [
    (level, label)
    for level, label in StatusLevel.choices
    if level in (StatusLevel.ADVISORY, StatusLevel.EVACUATION_RECOMMENDED)
]


def designation_level_field(kind: str, help_text) -> models.CharField:
    """The policy's level for one kind of the official list: a choice of levels, not a JSON
    mapping, so staff pick it from a list in the admin and cannot type a level that is not one."""
    return models.CharField(
        ControlKind(kind).label,
        max_length=24,
        choices=StatusLevel.choices,
        default=DESIGNATION_LEVEL_DEFAULTS[kind],
        help_text=help_text,
    )


class Policy(models.Model):
    """The thresholds, windows and weights the engine applies. Exactly one row is active.

    Staff edit it in the admin; the next full recompute applies it everywhere.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    incident_window_days = models.PositiveSmallIntegerField(
        _("incident window (days)"),
        default=14,
        validators=[MinValueValidator(1)],
        help_text=_("Incidents on the as-of day and the days before it, this many days in all, count."),
    )
    incident_type_weights = models.JSONField(
        _("weight per incident type"),
        default=default_type_weights,
        help_text=_("Points per incident of each type; a type not listed scores 0."),
    )
    hazard_types = models.JSONField(
        _("incident types that score"),
        default=default_hazard_types,
        help_text=_(
            "Only incidents of these types add points (their weight and their casualties); the others are "
            "named in the reasons as context. By default every type but mass graves and detention sites."
        ),
    )
    casualty_weight = models.FloatField(
        _("weight per casualty"),
        default=0.5,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Points added per civilian killed or injured (known figures only); where a source does not "
            "split civilians from others, everyone killed or injured counts."
        ),
    )
    advisory_threshold = models.FloatField(
        _("advisory threshold"), default=1.0, validators=[MinValueValidator(0)], help_text=_("Score for 'advisory'.")
    )
    recommended_threshold = models.FloatField(
        _("evacuation recommended threshold"),
        default=10.0,
        validators=[MinValueValidator(0)],
        help_text=_("Score at which incidents alone make evacuation recommended."),
    )
    counted_states = models.JSONField(
        _("verification states that count"),
        default=default_counted_states,
        help_text=_("Incidents in these states score: any of reported, verified, disputed, rejected."),
    )
    hysteresis_days = models.PositiveSmallIntegerField(
        _("hysteresis (days)"),
        default=7,
        help_text=_("An incident-driven level goes down only after it has been unsupported this many days."),
    )
    lifted_shown_days = models.PositiveSmallIntegerField(
        _("days an ended order stays shown"),
        default=14,
        help_text=_("A lifted or expired order is named in the reasons this many days after it ended."),
    )
    unverified_level_cap = models.CharField(
        _("highest level from unverified reports"),
        max_length=24,
        choices=UNVERIFIED_CAPS,
        default=StatusLevel.ADVISORY,
        help_text=_(
            "Reports not yet verified raise an area at most to this level, unless enough organizations "
            "corroborate them. 'Evacuation recommended' turns the rule off."
        ),
    )
    corroborating_organizations = models.PositiveSmallIntegerField(
        _("organizations that corroborate"),
        default=2,
        validators=[MinValueValidator(2)],
        help_text=_(
            "Unverified reports count in full when at least this many different organizations "
            "reported in the same area within the window."
        ),
    )
    order_review_days = models.PositiveSmallIntegerField(
        _("days before an order is to confirm"),
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_(
            "An order in force without an end date goes to the 'to confirm' queue when this many days have passed "
            "since it was issued, took effect or was last confirmed. Its level is kept; its reason says so."
        ),
    )
    # The official list of territories of hostilities or occupation: the level each of its kinds
    # gives an area (and everything under it) while in force.
    level_possible_hostilities = designation_level_field(
        ControlKind.POSSIBLE_HOSTILITIES,
        _("Level while a hromada is on the official list as a territory of possible hostilities."),
    )
    level_active_hostilities = designation_level_field(
        ControlKind.ACTIVE_HOSTILITIES,
        _(
            "Level while a hromada is on the official list as a territory of active hostilities. The list is "
            "legal context, not an evacuation call: orders and incidents raise the level further."
        ),
    )
    level_active_hostilities_e_resources = designation_level_field(
        ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES,
        _(
            "Level while a hromada is on the official list as a territory of active hostilities where "
            "state electronic information resources work."
        ),
    )
    level_occupied = designation_level_field(
        ControlKind.OCCUPIED, _("Level while a hromada is temporarily occupied: no humanitarian access by default.")
    )
    level_encircled = designation_level_field(
        ControlKind.ENCIRCLED,
        _("Level while a hromada is encircled (blockaded): no humanitarian access by default."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("status policy")
        verbose_name_plural = _("status policies")
        ordering = ["-is_active", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="%(app_label)s_%(class)s_one_active"
            ),
            FieldCheckConstraint(
                condition=Q(recommended_threshold__gte=models.F("advisory_threshold")),
                name="%(app_label)s_%(class)s_thresholds_ordered",
                field="recommended_threshold",
                violation_error_message=_("The 'evacuation recommended' threshold cannot be below 'advisory'."),
            ),
            choices_constraint("unverified_level_cap", UNVERIFIED_CAPS),
            FieldCheckConstraint(
                condition=Q(corroborating_organizations__gte=2),
                name="%(app_label)s_%(class)s_corroboration_needs_two",
                field="corroborating_organizations",
                violation_error_message=_("Corroboration takes at least two organizations."),
            ),
            *(choices_constraint(name, StatusLevel.choices) for name in DESIGNATION_LEVEL_FIELDS.values()),
            FieldCheckConstraint(
                condition=Q(order_review_days__gte=1),
                name="%(app_label)s_%(class)s_order_review_positive",
                field="order_review_days",
                violation_error_message=_("An order is confirmed at least every day."),
            ),
            FieldCheckConstraint(
                condition=Q(incident_window_days__gte=1),
                name="%(app_label)s_%(class)s_window_positive",
                field="incident_window_days",
                violation_error_message=_("The window is at least one day."),
            ),
        ]

    def __str__(self):
        return f"{self.name}{' (active)' if self.is_active else ''}"

    def clean(self):
        hazards = self.hazard_types
        if not isinstance(hazards, list) or any(value not in IncidentType.values for value in hazards):
            raise ValidationError(
                {
                    "hazard_types": _("A list of incident types: %(values)s.")
                    % {"values": ", ".join(IncidentType.values)}
                }
            )


class OrderToConfirm(EvacuationOrder):
    """The orders in force that nobody has confirmed for the policy's review days: the admin's
    queue (evactrack.status.admin). A view of orders, with no table of its own; here, not in
    reports, because the review days are the status policy's."""

    class Meta:
        proxy = True
        verbose_name = _("order to confirm")
        verbose_name_plural = _("orders to confirm")


# Blank: the figure is unknown.
FIGURE_QUALIFIERS = [("", ""), *Qualifier.choices]
FIGURE_BASES = [("", ""), *PresentBasis.choices]


def figure_qualifier_constraints():
    return [
        *(
            choices_constraint(f"{name}_qualifier", FIGURE_QUALIFIERS)
            for name in ("people_present", "children_present", "people_subject", "children_subject")
        ),
        choices_constraint("people_present_basis", FIGURE_BASES),
    ]


class StatusFigures(models.Model):
    """People and children present and subject to active orders, with how many parts are unknown.

    A figure is null when no part of it is known; `*_missing` counts the settlements (or
    areas without children) under the area whose part is unknown, so 0 means complete.
    """

    people_present = models.PositiveIntegerField(_("people present"), null=True, blank=True)
    people_present_missing = models.PositiveIntegerField(_("areas without a people count"), default=0)
    children_present = models.PositiveIntegerField(_("children present"), null=True, blank=True)
    children_present_missing = models.PositiveIntegerField(_("areas without a children count"), default=0)
    people_subject = models.PositiveIntegerField(_("people subject to active orders"), null=True, blank=True)
    people_subject_missing = models.PositiveIntegerField(_("areas without a people-subject figure"), default=0)
    children_subject = models.PositiveIntegerField(_("children subject to active orders"), null=True, blank=True)
    children_subject_missing = models.PositiveIntegerField(_("areas without a children-subject figure"), default=0)
    # What each known figure is (Qualifier: exact, approximate, at_least, at_most), summed by
    # engine.add_figures; empty when the figure is unknown.
    people_present_qualifier = models.CharField(
        _("people present (qualifier)"), max_length=12, choices=Qualifier.choices, blank=True
    )
    children_present_qualifier = models.CharField(
        _("children present (qualifier)"), max_length=12, choices=Qualifier.choices, blank=True
    )
    people_subject_qualifier = models.CharField(
        _("people subject (qualifier)"), max_length=12, choices=Qualifier.choices, blank=True
    )
    children_subject_qualifier = models.CharField(
        _("children subject (qualifier)"), max_length=12, choices=Qualifier.choices, blank=True
    )
    people_present_basis = models.CharField(
        _("people present from"),
        max_length=8,
        choices=PresentBasis.choices,
        blank=True,
        help_text=_("The kind of count behind people present: present, pre-war baseline, or both (a sum)."),
    )
    # Shown only to coordinators and admins: a small count, or a sum over one (anywhere below the
    # area). Computed in the recompute's roll-up, so an API answer never walks the subtree.
    children_withheld = models.CharField(
        _("children figures withheld below coordinator"),
        max_length=8,
        choices=ChildrenWithheld.choices,
        default=ChildrenWithheld.NONE,
    )

    class Meta:
        abstract = True


class WhoMustLeave(models.Model):
    """Who a status applies to: `level` (on each status model) is the worst for anyone; these
    say what applies to the whole population and which groups an order puts worse off."""

    level_for_everyone = models.CharField(
        _("level for everyone"),
        max_length=24,
        choices=StatusLevel.choices,
        default=StatusLevel.NORMAL,
        help_text=_("What applies to the whole population: orders for everyone, designations, incidents."),
    )
    group_levels = models.JSONField(
        _("levels of population groups"),
        default=dict,
        blank=True,
        help_text=_("Each population group whose level is worse than the level for everyone, and its level."),
    )

    class Meta:
        abstract = True

    @property
    def who_must_leave(self) -> str:
        return who_must_leave_label(self.level, self.level_for_everyone, self.group_levels)

    @property
    def sentence(self) -> str:
        from evactrack.status.engine import reasons_sentence

        return reasons_sentence(
            self.level, self.reasons, level_for_everyone=self.level_for_everyone, group_levels=self.group_levels
        )


class AreaStatus(WhoMustLeave, StatusFigures):
    """The current status of one area. Rewritten only when something in it changed."""

    area = models.OneToOneField(
        Area, verbose_name=_("area"), primary_key=True, on_delete=models.CASCADE, related_name="status"
    )
    level = models.CharField(_("level"), max_length=24, choices=StatusLevel.choices, default=StatusLevel.NORMAL)
    score = models.FloatField(_("incident score"), default=0)
    reasons = models.JSONField(
        _("reasons"), default=list, help_text=_("The orders, designations, incidents behind it.")
    )
    as_of = models.DateField(_("as of"), help_text=_("The date this status was computed for when it last changed."))
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    # Hashes of what the row holds: a recompute compares these instead of reading every
    # row's reasons back, and `change_digest` (level + reasons) decides whether history grows.
    digest = models.CharField(max_length=40, editable=False)
    change_digest = models.CharField(max_length=40, editable=False)
    recheck_on = models.DateField(
        _("recheck on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The first day the same inputs could give another status (a window, hold or order ends)."),
    )

    class Meta:
        verbose_name = _("area status")
        verbose_name_plural = _("area statuses")
        ordering = ["area__path"]
        indexes = [
            models.Index(fields=["level"], name="status_areastatus_level"),
            models.Index(fields=["recheck_on"], name="status_areastatus_recheck_on"),
        ]
        constraints = [
            choices_constraint("level", StatusLevel.choices),
            choices_constraint("level_for_everyone", StatusLevel.choices),
            choices_constraint("children_withheld", ChildrenWithheld.choices),
            *figure_qualifier_constraints(),
        ]

    def __str__(self):
        return f"{self.area_id}: {self.level}"


class StatusChange(WhoMustLeave, StatusFigures):
    """One step of an area's timeline: appended when its level or reasons change, never edited."""

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="status_changes")
    as_of = models.DateField(_("as of"), help_text=_("The date from which this status holds."))
    level = models.CharField(_("level"), max_length=24, choices=StatusLevel.choices)
    previous_level = models.CharField(_("previous level"), max_length=24, choices=StatusLevel.choices, blank=True)
    score = models.FloatField(_("incident score"), default=0)
    reasons = models.JSONField(_("reasons"), default=list)
    origin = models.CharField(_("origin"), max_length=8, choices=ChangeOrigin.choices, default=ChangeOrigin.LIVE)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["area", "as_of", "id"]
        indexes = [
            models.Index(fields=["area", "as_of"], name="status_change_area_as_of"),
            models.Index(fields=["as_of"], name="status_change_as_of"),
        ]
        constraints = [
            choices_constraint("level", StatusLevel.choices),
            choices_constraint("level_for_everyone", StatusLevel.choices),
            choices_constraint("origin", ChangeOrigin.choices),
            choices_constraint("children_withheld", ChildrenWithheld.choices),
            *figure_qualifier_constraints(),
            FieldCheckConstraint(
                condition=Q(previous_level="") | Q(previous_level__in=StatusLevel.values),
                name="%(app_label)s_%(class)s_previous_level_valid",
                field="previous_level",
                violation_error_message=_("Not one of the allowed values."),
            ),
        ]

    def __str__(self):
        return f"{self.area_id} {self.as_of}: {self.previous_level or '∅'} → {self.level}"

    @property
    def took_effect_on(self) -> datetime.date:
        """When the change took effect, which a live row (judged the day a fact was entered,
        perhaps years later) dates by its reasons; a rebuilt row's as_of is that date already."""
        if self.origin == ChangeOrigin.REBUILD:
            return self.as_of
        return reasons_took_effect_on(self.reasons, self.as_of)


class RecomputeRun(models.Model):
    """What one recompute did: how many areas it looked at and wrote, or that it was skipped."""

    kind = models.CharField(_("kind"), max_length=8, choices=RunKind.choices)
    as_of = models.DateField(_("as of"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    areas_computed = models.PositiveIntegerField(_("areas computed"), default=0)
    rows_written = models.PositiveIntegerField(_("status rows written"), default=0)
    changes_appended = models.PositiveIntegerField(_("history rows appended"), default=0)
    skipped = models.BooleanField(_("skipped"), default=False, help_text=_("Another recompute held the lock."))
    # What a full run judged against: a later full run with the same policy and tree needs to
    # judge only the areas whose inputs differ from the stored InputDigest rows.
    policy_digest = models.CharField(max_length=40, blank=True, editable=False)
    tree_digest = models.CharField(max_length=40, blank=True, editable=False)
    every_area = models.BooleanField(
        _("judged every area"), default=False, help_text=_("False: only areas whose inputs or dates changed.")
    )

    class Meta:
        verbose_name = _("recompute run")
        verbose_name_plural = _("recompute runs")
        ordering = ["-started_at", "-id"]
        constraints = [choices_constraint("kind", RunKind.choices)]

    def __str__(self):
        return f"{self.kind} {self.as_of} at {self.started_at:%Y-%m-%d %H:%M:%S}"


class InputDigest(models.Model):
    """A checksum of the inputs of one area at the last full recompute, kept for areas that have any.

    `own`: the incidents, counts, order targets and designations on the area itself; `subtree`:
    the facts on it that its descendants inherit (subtree order targets, designations). Each is
    a sum of per-row hashes, so a full run compares every area's inputs in one statement and
    judges only those whose sum moved (see evactrack.status.fingerprint).
    """

    area = models.OneToOneField(Area, primary_key=True, on_delete=models.CASCADE, related_name="+")
    own = models.BigIntegerField(default=0)
    subtree = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("input digest")
        verbose_name_plural = _("input digests")

    def __str__(self):
        return f"{self.area_id}: {self.own}/{self.subtree}"


class RecomputeLock(models.Model):
    """The single-flight lock where PostgreSQL's advisory locks are not available (SQLite).

    A row means "held by that process": on its own host a holder whose process is gone (or whose
    process id now names a newer process) stops blocking at once; elsewhere at `expires_at`.
    """

    name = models.CharField(_("name"), max_length=64, primary_key=True)
    holder = models.CharField(_("holder"), max_length=100)
    host = models.CharField(_("host"), max_length=255, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    pid_started = models.CharField(
        _("process start"), max_length=32, blank=True, help_text=_("When that process started, as the system counts.")
    )
    acquired_at = models.DateTimeField(_("acquired at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("recompute lock")
        verbose_name_plural = _("recompute locks")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} held by {self.holder} until {self.expires_at}"


class FullRunRequest(models.Model):
    """A full recompute asked for and not yet done. Written in its own transaction before the run
    takes the lock, deleted in the transaction of the run that serves it: a run that met the lock
    or died halfway leaves it for the next run of any kind. Requests for one date are served by
    one run, which judges every area when any of them asked for that."""

    as_of = models.DateField(_("as of"), null=True, blank=True, help_text=_("Empty: the day the run happens."))
    every_area = models.BooleanField(_("every area"), default=False)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("full recompute request")
        verbose_name_plural = _("full recompute requests")
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"full recompute {self.as_of or 'today'}{' of every area' if self.every_area else ''}"
