"""What is reported on the ground, each fact tied to the sources that state it.

Incidents, evacuation orders, population counts and control designations are "facts": each has
a stable public uid, our own one-line summary (never a source's sentences) and citations.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evactrack.access.models import Organization
from evactrack.kernel.db import (
    DatePrecision,
    FieldCheckConstraint,
    choices_constraint,
    figure,
    figure_constraints,
    part_not_above_whole,
    point_constraint,
)
from locations.choices import AreaLevel
from locations.models import Area
from reports.choices import (
    Audience,
    ChangeType,
    ControlKind,
    CountKind,
    CountMethod,
    FacilityType,
    GeoPrecision,
    IncidentKind,
    IncidentType,
    OrderKind,
    OrderState,
    PopulationGroup,
    Reliability,
    TargetScope,
    VerificationState,
)

# The facts a citation can support: one nullable foreign key each on Citation.
CITED_FACT_FIELDS = ("incident", "order", "population_count", "designation")
CHILDREN_ABOVE_TOTAL = _("Children cannot outnumber everyone counted.")
CIVILIANS_ABOVE_TOTAL = _("Civilians cannot outnumber everyone counted.")
CHILDREN_ABOVE_CIVILIANS = _("Children are civilians: they cannot outnumber the civilians counted.")

# Limits on what one fact or source may hold, so no client can store megabytes in a row. Our
# summaries are a sentence or two (the article seeds' longest is 252 characters); a review
# note a paragraph. A fact rarely has more than five sources stating it.
FACT_SUMMARY_MAX_LENGTH = 4000
SOURCE_SUMMARY_MAX_LENGTH = 4000
REVIEW_NOTE_MAX_LENGTH = 2000
CITATIONS_PER_FACT_MAX = 20


def date_not_in_future(value, field):
    if value is not None and value > timezone.localdate():
        raise ValidationError({field: _("This date is in the future.")})


def not_before_earliest_fact_date(value):
    """Every date of a fact or a source: none before EVACTRACK_EARLIEST_FACT_DATE (the war
    began in 2014), so a typo such as 0001-01-01 is not stored as history.

    A validator and not a database constraint: the date is a setting, and a CHECK would freeze
    the value it had when the migration was written.
    """
    earliest = settings.EVACTRACK_EARLIEST_FACT_DATE
    if value is not None and value < earliest:
        raise ValidationError(
            _("Dates before %(earliest)s are not accepted."), code="before_earliest", params={"earliest": earliest}
        )


class BoundedTextField(models.TextField):
    """Multi-line text with a maximum length, checked by full_clean (Django leaves a TextField's
    max_length to forms) and, with bounded_text_constraint, by the database."""

    def __init__(self, *args, max_length, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(MaxLengthValidator(max_length))


# The constraint's condition reads `<field>__length`.
BoundedTextField.register_lookup(Length)


def bounded_text_constraint(field, max_length):
    return FieldCheckConstraint(
        condition=Q(**{f"{field}__length__lte": max_length}),
        name=f"%(app_label)s_%(class)s_{field}_max_length",
        field=field,
        violation_error_message=format_lazy(_("At most {max} characters."), max=max_length),
    )


class Source(models.Model):
    """Where facts come from: an article, a statement, a dataset."""

    slug = models.SlugField(_("slug"), max_length=100, unique=True, help_text=_("Stable short name."))
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=300)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    published_on = models.DateField(
        _("published on"), null=True, blank=True, validators=[not_before_earliest_fact_date]
    )
    published_on_precision = models.CharField(
        _("publication date precision"), max_length=8, choices=DatePrecision.choices, blank=True
    )
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("ISO 639-1, e.g. en, uk."))
    reliability = models.CharField(_("reliability"), max_length=1, choices=Reliability.choices, default=Reliability.F)
    summary = BoundedTextField(
        _("our summary"),
        max_length=SOURCE_SUMMARY_MAX_LENGTH,
        blank=True,
        help_text=_("Our own words, never the source's."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["-published_on", "slug"]
        constraints = [
            choices_constraint("reliability", Reliability.choices),
            bounded_text_constraint("summary", SOURCE_SUMMARY_MAX_LENGTH),
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="%(app_label)s_%(class)s_unique_url"),
            FieldCheckConstraint(
                condition=Q(published_on__isnull=True, published_on_precision="")
                | Q(published_on__isnull=False, published_on_precision__in=DatePrecision.values),
                name="%(app_label)s_%(class)s_published_on_precision_matches",
                field="published_on_precision",
                violation_error_message=_("Give the precision of a known publication date, and none without one."),
            ),
        ]

    def __str__(self):
        return f"{self.publisher or _('unknown publisher')}: {self.title}"

    def clean(self):
        date_not_in_future(self.published_on, "published_on")
        # A date given without a precision is a day (what staff mean when they pick one from the
        # calendar). A precision without a date is still refused: it may be a date lost on the way.
        if self.published_on is not None and not self.published_on_precision:
            self.published_on_precision = DatePrecision.DAY
        # The partial unique constraint reports under __all__; say which field instead.
        if self.url and Source.objects.filter(url=self.url).exclude(pk=self.pk).exists():
            raise ValidationError({"url": _("Another source already has this URL.")})


class Fact(models.Model):
    """What incidents, orders, counts and designations share: identity, summary, provenance."""

    uid = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    summary = BoundedTextField(
        _("our summary"),
        max_length=FACT_SUMMARY_MAX_LENGTH,
        help_text=_("One line in our own words, never a source's."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Partners sync with ?updated_since=: every write moves this forward.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


# The levels above its area an incident keeps (Incident.oblast, Incident.raion), by level.
LOCATED_LEVELS = {AreaLevel.OBLAST: "oblast_id", AreaLevel.RAION: "raion_id"}


class Incident(Fact):
    """Something that happened at a place and time: a strike, an attack, a discovery."""

    incident_type = models.CharField(_("type"), max_length=32, choices=IncidentType.choices)
    kind = models.CharField(
        _("event or pattern"), max_length=8, choices=IncidentKind.choices, default=IncidentKind.EVENT,
        help_text=_(
            "A pattern (\"an increase in shelling\") spans occurred on … occurred until and scores once "
            "per window, not once per day."
        ),
    )  # fmt: skip
    occurred_on = models.DateField(_("occurred on"), validators=[not_before_earliest_fact_date])
    occurred_on_precision = models.CharField(
        _("date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    # The last day of an incident that spans several; null when it was one day, or not known.
    occurred_until = models.DateField(
        _("occurred until"), null=True, blank=True, validators=[not_before_earliest_fact_date],
        help_text=_("The last day, for an incident of several days; empty when it was one day or is not known."),
    )  # fmt: skip
    # A mass grave or a detention site is found after the violence it is evidence of: occurred_on
    # (and occurred_until) date the violence, this the finding.
    discovered_on = models.DateField(
        _("discovered on"), null=True, blank=True, validators=[not_before_earliest_fact_date],
        help_text=_("When it was found, for evidence of past violence (mass graves, detention sites)."),
    )  # fmt: skip
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="incidents")
    # The area's oblast and raion (the area itself at that level, or its ancestor; null where
    # there is none), as ACLED's admin1 and admin2. Kept by the services from the area tree
    # (reports.services.incidents_locate). A list within an oblast or raion reads them by
    # index in its order, instead of checking the path of every incident's area until a page
    # is full (measurably faster: docs/BENCHMARKS.md).
    oblast = models.ForeignKey(
        Area, verbose_name=_("oblast"), null=True, blank=True, editable=False, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )  # fmt: skip
    raion = models.ForeignKey(
        Area, verbose_name=_("raion"), null=True, blank=True, editable=False, on_delete=models.PROTECT,
        related_name="+", db_index=False,
    )  # fmt: skip
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    geo_precision = models.CharField(
        _("location precision"), max_length=16, choices=GeoPrecision.choices, default=GeoPrecision.ADMIN_AREA
    )
    fatalities, fatalities_qualifier = figure(_("people killed"))
    injured, injured_qualifier = figure(_("people injured"))
    # Civilians among the killed and injured, and children among the civilians. Only civilian
    # casualties score (evactrack.status.engine.incident_points); unknown (null) is not zero.
    civilians_killed, civilians_killed_qualifier = figure(_("civilians killed"))
    civilians_injured, civilians_injured_qualifier = figure(_("civilians injured"))
    children_killed, children_killed_qualifier = figure(_("children killed"))
    children_injured, children_injured_qualifier = figure(_("children injured"))
    facility_type = models.CharField(_("facility hit"), max_length=16, choices=FacilityType.choices, blank=True)
    facility_name = models.CharField(_("facility name"), max_length=200, blank=True)
    reporting_organization = models.ForeignKey(
        Organization,
        verbose_name=_("reporting organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    verification_state = models.CharField(
        _("verification"), max_length=16, choices=VerificationState.choices, default=VerificationState.REPORTED
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    verification_note = BoundedTextField(_("review note"), max_length=REVIEW_NOTE_MAX_LENGTH, blank=True)
    # Kept by the database from verification_state, so the admin's queue order ("awaiting
    # review first, newest first") reads one index instead of sorting every incident.
    awaiting_review = models.GeneratedField(
        expression=Q(verification_state=VerificationState.REPORTED),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("awaiting review"),
    )

    # oblast and raion follow from the area, which the history keeps.
    history = HistoricalRecords(excluded_fields=["created_at", "updated_at", "awaiting_review", "oblast", "raion"])

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["area", "occurred_on"], name="reports_incident_area_date"),
            models.Index(fields=["occurred_on"], name="reports_incident_date"),
            # The review queue in order; also counts and filters by state "reported".
            models.Index(fields=["awaiting_review", "occurred_on", "id"], name="reports_incident_queue"),
            models.Index(fields=["verification_state", "id"], name="reports_incident_state"),
            # Lists within an oblast or a raion, in list order (-id).
            models.Index(fields=["oblast", "id"], name="reports_incident_oblast"),
            models.Index(fields=["raion", "id"], name="reports_incident_raion"),
            # The status loader reads patterns that began before its window but reach into it.
            models.Index(
                fields=["occurred_until"], condition=Q(kind=IncidentKind.PATTERN), name="reports_incident_pattern_until"
            ),
        ]
        constraints = [
            choices_constraint("incident_type", IncidentType.choices),
            choices_constraint("kind", IncidentKind.choices),
            choices_constraint("occurred_on_precision", DatePrecision.choices),
            choices_constraint("geo_precision", GeoPrecision.choices),
            choices_constraint("verification_state", VerificationState.choices),
            bounded_text_constraint("summary", FACT_SUMMARY_MAX_LENGTH),
            bounded_text_constraint("verification_note", REVIEW_NOTE_MAX_LENGTH),
            FieldCheckConstraint(
                condition=Q(facility_type="") | Q(facility_type__in=FacilityType.values),
                name="%(app_label)s_%(class)s_facility_type_valid",
                field="facility_type",
                violation_error_message=_("Not one of the allowed values."),
            ),
            *figure_constraints(
                "fatalities", "injured", "civilians_killed", "civilians_injured", "children_killed", "children_injured"
            ),
            # children ≤ civilians ≤ everyone, each where both are known.
            part_not_above_whole("children_killed", "fatalities", message=CHILDREN_ABOVE_TOTAL),
            part_not_above_whole("children_injured", "injured", message=CHILDREN_ABOVE_TOTAL),
            part_not_above_whole("civilians_killed", "fatalities", message=CIVILIANS_ABOVE_TOTAL),
            part_not_above_whole("civilians_injured", "injured", message=CIVILIANS_ABOVE_TOTAL),
            part_not_above_whole("children_killed", "civilians_killed", message=CHILDREN_ABOVE_CIVILIANS),
            part_not_above_whole("children_injured", "civilians_injured", message=CHILDREN_ABOVE_CIVILIANS),
            point_constraint(),
            FieldCheckConstraint(
                condition=Q(occurred_until__isnull=True) | Q(occurred_until__gte=F("occurred_on")),
                name="%(app_label)s_%(class)s_ends_after_start",
                field="occurred_until",
                violation_error_message=_("An incident cannot end before the day it occurred on."),
            ),
            FieldCheckConstraint(
                condition=Q(discovered_on__isnull=True) | Q(discovered_on__gte=F("occurred_on")),
                name="%(app_label)s_%(class)s_discovered_after_start",
                field="discovered_on",
                violation_error_message=_("Evidence cannot be discovered before the violence it shows began."),
            ),
            FieldCheckConstraint(
                condition=Q(verification_state=VerificationState.REPORTED) | Q(verified_at__isnull=False),
                name="%(app_label)s_%(class)s_review_has_date",
                field="verified_at",
                violation_error_message=_("A reviewed incident records when it was reviewed."),
            ),
        ]

    def __str__(self):
        return f"{self.get_incident_type_display()} — {self.area.name_en}, {self.occurred_on}"

    def clean(self):
        date_not_in_future(self.occurred_on, "occurred_on")
        date_not_in_future(self.occurred_until, "occurred_until")
        date_not_in_future(self.discovered_on, "discovered_on")


class EvacuationOrder(Fact):
    """An authority's order (or recommendation) to leave, covering one or many areas."""

    reference = models.CharField(_("reference"), max_length=100, blank=True, help_text=_("Official number."))
    title = models.CharField(_("title"), max_length=300)
    issuing_authority = models.CharField(_("issuing authority"), max_length=300)
    # The authority as an organization, when it is one we keep (the free text stays: it is what
    # the source says, and the reasons name it).
    issuing_organization = models.ForeignKey(
        Organization,
        verbose_name=_("issuing organization"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders_issued",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=OrderKind.choices)
    population_group = models.CharField(
        _("who must leave"), max_length=32, choices=PopulationGroup.choices, default=PopulationGroup.EVERYONE
    )
    issued_on = models.DateField(_("issued on"), null=True, blank=True, validators=[not_before_earliest_fact_date])
    effective_from = models.DateField(_("effective from"), validators=[not_before_earliest_fact_date])
    effective_from_precision = models.CharField(
        _("start date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    effective_until = models.DateField(
        _("effective until"), null=True, blank=True, validators=[not_before_earliest_fact_date]
    )
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True, validators=[not_before_earliest_fact_date])
    review_on = models.DateField(
        _("review on"), null=True, blank=True, validators=[not_before_earliest_fact_date],
        help_text=_("The day the authority said it would review the order, if it did."),
    )  # fmt: skip
    confirmed_on = models.DateField(
        _("last confirmed on"), null=True, blank=True, validators=[not_before_earliest_fact_date],
        help_text=_("The last day a source said the order still holds. An order without an end date goes to the "
                    "'to confirm' queue when it has not been confirmed for the policy's review days."),
    )  # fmt: skip
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("replaces"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text=_("The order this one replaces (wider or narrower): it stops counting from this one's start."),
    )
    state = models.CharField(_("state"), max_length=16, choices=OrderState.choices, default=OrderState.ACTIVE)
    people_subject, people_subject_qualifier = figure(_("people subject"))
    children_subject, children_subject_qualifier = figure(_("children subject"))
    target_areas = models.ManyToManyField(
        Area, through="OrderTarget", verbose_name=_("target areas"), related_name="evacuation_orders"
    )
    destination_areas = models.ManyToManyField(
        Area, verbose_name=_("destinations"), blank=True, related_name="evacuation_destinations"
    )

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"], m2m_fields=[destination_areas])

    class Meta:
        verbose_name = _("evacuation order")
        verbose_name_plural = _("evacuation orders")
        ordering = ["-effective_from", "-id"]
        constraints = [
            choices_constraint("kind", OrderKind.choices),
            choices_constraint("population_group", PopulationGroup.choices),
            choices_constraint("state", OrderState.choices),
            choices_constraint("effective_from_precision", DatePrecision.choices),
            bounded_text_constraint("summary", FACT_SUMMARY_MAX_LENGTH),
            *figure_constraints("people_subject", "children_subject"),
            part_not_above_whole("children_subject", "people_subject", message=CHILDREN_ABOVE_TOTAL),
            FieldCheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=F("effective_from")),
                name="%(app_label)s_%(class)s_ends_after_start",
                field="effective_until",
                violation_error_message=_("An order cannot end before it starts."),
            ),
            FieldCheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=F("effective_from")),
                name="%(app_label)s_%(class)s_lifted_after_start",
                field="lifted_on",
                violation_error_message=_("An order cannot be lifted before it starts."),
            ),
            FieldCheckConstraint(
                condition=Q(issued_on__isnull=True) | Q(issued_on__lte=F("effective_from")),
                name="%(app_label)s_%(class)s_issued_before_start",
                field="issued_on",
                violation_error_message=_("An order is issued on or before the day it takes effect."),
            ),
            FieldCheckConstraint(
                condition=Q(review_on__isnull=True) | Q(issued_on__isnull=True) | Q(review_on__gte=F("issued_on")),
                name="%(app_label)s_%(class)s_review_after_issue",
                field="review_on",
                violation_error_message=_("An order is reviewed on or after the day it was issued."),
            ),
            FieldCheckConstraint(
                condition=Q(confirmed_on__isnull=True)
                | Q(issued_on__isnull=True)
                | Q(confirmed_on__gte=F("issued_on")),
                name="%(app_label)s_%(class)s_confirmed_after_issue",
                field="confirmed_on",
                violation_error_message=_("An order is confirmed on or after the day it was issued."),
            ),
            FieldCheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(supersedes=F("id")),
                name="%(app_label)s_%(class)s_supersedes_another",
                field="supersedes",
                violation_error_message=_("An order cannot replace itself."),
            ),
            FieldCheckConstraint(
                condition=Q(state=OrderState.LIFTED, lifted_on__isnull=False)
                | ~Q(state=OrderState.LIFTED) & Q(lifted_on__isnull=True),
                name="%(app_label)s_%(class)s_lifted_state_has_date",
                field="lifted_on",
                violation_error_message=_("A lifted order has the date it was lifted, and only a lifted one."),
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        date_not_in_future(self.issued_on, "issued_on")
        date_not_in_future(self.lifted_on, "lifted_on")
        date_not_in_future(self.confirmed_on, "confirmed_on")
        self._clean_supersedes()

    # Chains of replacements are short (an order replaced two or three times); a longer walk is a
    # cycle written past this check, and stopping keeps a bad row from hanging a save.
    SUPERSEDES_CHAIN_MAX = 100

    def _clean_supersedes(self):
        """An order replaces another, never itself, and no chain of replacements comes back to it."""
        if self.supersedes_id is None:
            return
        if self.pk is not None and self.supersedes_id == self.pk:
            raise ValidationError({"supersedes": _("An order cannot replace itself.")})
        if self.pk is None:
            return  # a new order is nobody's replacement yet: no cycle can pass through it
        step, seen = self.supersedes_id, set()
        for _step in range(self.SUPERSEDES_CHAIN_MAX):
            step = EvacuationOrder.objects.filter(pk=step).values_list("supersedes_id", flat=True).first()
            if step is None:
                return
            if step == self.pk or step in seen:
                raise ValidationError(
                    {"supersedes": _("This would make a cycle: that order replaces this one, directly or not.")}
                )
            seen.add(step)
        raise ValidationError({"supersedes": _("The chain of replaced orders is too long.")})


class OrderTarget(models.Model):
    """An area an order covers: the whole subtree under it, or just that area."""

    order = models.ForeignKey(
        EvacuationOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="targets"
    )
    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="order_targets")
    scope = models.CharField(_("scope"), max_length=8, choices=TargetScope.choices, default=TargetScope.SUBTREE)
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("Which part of the area a 'part' target covers (\"left bank\"); empty for the other scopes."),
    )

    class Meta:
        verbose_name = _("order target")
        verbose_name_plural = _("order targets")
        ordering = ["order", "area__path"]
        constraints = [
            choices_constraint("scope", TargetScope.choices),
            FieldCheckConstraint(
                condition=Q(scope=TargetScope.PART) & ~Q(note="") | ~Q(scope=TargetScope.PART) & Q(note=""),
                name="%(app_label)s_%(class)s_note_says_which_part",
                field="note",
                violation_error_message=_("A 'part' target says which part in its note; other scopes have none."),
            ),
            models.UniqueConstraint(fields=["order", "area"], name="%(app_label)s_%(class)s_unique_area_per_order"),
        ]

    def __str__(self):
        return f"{self.area} ({self.get_scope_display()})"


class PopulationCount(Fact):
    """How many people (and children) an area had, has, lost or hosts at a reference date."""

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="population_counts")
    kind = models.CharField(_("kind"), max_length=16, choices=CountKind.choices)
    reference_date = models.DateField(_("reference date"), validators=[not_before_earliest_fact_date])
    reference_date_precision = models.CharField(
        _("reference date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    total, total_qualifier = figure(_("people"))
    children, children_qualifier = figure(_("children (0–17)"))
    method = models.CharField(_("method"), max_length=16, choices=CountMethod.choices)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("population count")
        verbose_name_plural = _("population counts")
        ordering = ["area", "-reference_date", "-id"]
        indexes = [models.Index(fields=["area", "kind", "reference_date"], name="reports_count_area_kind_date")]
        constraints = [
            choices_constraint("kind", CountKind.choices),
            choices_constraint("method", CountMethod.choices),
            choices_constraint("reference_date_precision", DatePrecision.choices),
            bounded_text_constraint("summary", FACT_SUMMARY_MAX_LENGTH),
            *figure_constraints("total", "children"),
            part_not_above_whole("children", "total", message=CHILDREN_ABOVE_TOTAL),
            FieldCheckConstraint(
                condition=Q(total__isnull=False) | Q(children__isnull=False),
                name="%(app_label)s_%(class)s_has_a_figure",
                field="total",
                violation_error_message=_("A count needs at least one figure: people or children."),
            ),
        ]

    def __str__(self):
        return f"{self.area.name_en}: {self.get_kind_display()} {self.reference_date}"

    def clean(self):
        date_not_in_future(self.reference_date, "reference_date")


class ControlDesignation(Fact):
    """An official designation of an area over time: a kind of the government's list of
    territories of possible or active hostilities, temporary occupation or encirclement, with
    dates (reports.choices.ControlKind)."""

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="designations")
    kind = models.CharField(_("kind"), max_length=32, choices=ControlKind.choices)
    valid_from = models.DateField(_("from"), validators=[not_before_earliest_fact_date])
    valid_from_precision = models.CharField(
        _("start date precision"), max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    valid_until = models.DateField(
        _("until"),
        null=True,
        blank=True,
        help_text=_("Empty while it lasts."),
        validators=[not_before_earliest_fact_date],
    )
    valid_until_precision = models.CharField(
        _("end date precision"), max_length=8, choices=DatePrecision.choices, blank=True
    )

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])

    class Meta:
        verbose_name = _("control designation")
        verbose_name_plural = _("control designations")
        ordering = ["area", "-valid_from"]
        constraints = [
            choices_constraint("kind", ControlKind.choices),
            choices_constraint("valid_from_precision", DatePrecision.choices),
            bounded_text_constraint("summary", FACT_SUMMARY_MAX_LENGTH),
            FieldCheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="%(app_label)s_%(class)s_ends_after_start",
                field="valid_until",
                violation_error_message=_("A designation cannot end before it starts."),
            ),
            FieldCheckConstraint(
                condition=Q(valid_until__isnull=True, valid_until_precision="")
                | Q(valid_until__isnull=False, valid_until_precision__in=DatePrecision.values),
                name="%(app_label)s_%(class)s_valid_until_precision_matches",
                field="valid_until_precision",
                violation_error_message=_("Give the precision of a known end date, and none without one."),
            ),
        ]

    def __str__(self):
        return f"{self.area.name_en}: {self.get_kind_display()} from {self.valid_from}"

    def clean(self):
        date_not_in_future(self.valid_from, "valid_from")
        date_not_in_future(self.valid_until, "valid_until")


class Citation(models.Model):
    """One source stating one fact, with where in the source it says so."""

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations")
    locator = models.CharField(
        _("where in the source"), max_length=100, blank=True, help_text=_("Paragraph, page or table: ¶9.")
    )
    note = models.CharField(_("what it states (our words)"), max_length=300, blank=True)
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="citations")
    order = models.ForeignKey(
        EvacuationOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    population_count = models.ForeignKey(
        PopulationCount, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    designation = models.ForeignKey(
        ControlDesignation, null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        ordering = ["source", "locator"]
        constraints = [
            models.CheckConstraint(
                # Exactly one fact per citation.
                condition=Q(incident__isnull=False, order=None, population_count=None, designation=None)
                | Q(incident=None, order__isnull=False, population_count=None, designation=None)
                | Q(incident=None, order=None, population_count__isnull=False, designation=None)
                | Q(incident=None, order=None, population_count=None, designation__isnull=False),
                name="%(app_label)s_%(class)s_cites_one_fact",
                violation_error_message=_("A citation supports exactly one fact."),
            ),
            *[
                models.UniqueConstraint(
                    fields=[fact, "source", "locator"],
                    condition=Q(**{f"{fact}__isnull": False}),
                    name=f"%(app_label)s_%(class)s_unique_{fact}_locator",
                )
                for fact in CITED_FACT_FIELDS
            ],
        ]

    def __str__(self):
        return f"{self.source.slug} {self.locator}".strip()


class DirtyArea(models.Model):
    """An area whose status must be recomputed: written in the same transaction as the change.

    The status engine drains this table; a change made while the broker is down stays here
    until the periodic sweep picks it up. Marking an area already marked bumps `version`, and a
    recompute deletes a mark only at the version it read, so a change never loses its mark
    (reports.services.areas_mark_dirty describes the protocol).
    """

    area = models.OneToOneField(Area, primary_key=True, on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(_("marked at"), default=timezone.now)
    version = models.PositiveIntegerField(
        _("version"), default=0, help_text=_("How many times the area was marked again since this mark was made.")
    )

    class Meta:
        verbose_name = _("area waiting for recompute")
        verbose_name_plural = _("areas waiting for recompute")
        ordering = ["marked_at"]

    def __str__(self):
        return f"{self.area_id} since {self.marked_at}"


class DirtyRecomputeRequest(models.Model):
    """Whether a recompute of the dirty areas was asked of the broker and has not started yet.

    One row at most. Writers send a message only when they set `requested_at`, and a recompute
    clears it before it reads the marks, so at most one message waits in the queue whatever
    the write rate. One left set for longer than reports.services.DIRTY_REQUEST_STALE is
    presumed lost and sent again (reports.services.areas_mark_dirty describes the protocol).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    requested_at = models.DateTimeField(_("requested at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dirty recompute request")
        verbose_name_plural = _("dirty recompute requests")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(id=1), name="%(app_label)s_%(class)s_single_row")]

    def __str__(self):
        return f"requested at {self.requested_at}" if self.requested_at else "not requested"


class Tombstone(models.Model):
    """A fact that was deleted, so partners who sync with `updated_since` learn it is gone.

    Written by the delete services in the same transaction as the delete.
    """

    resource = models.CharField(_("resource"), max_length=32, help_text=_("incident, order, population_count…"))
    uid = models.UUIDField(_("public id"))
    organization = models.ForeignKey(
        Organization, verbose_name=_("reporting organization"), null=True, blank=True, on_delete=models.SET_NULL
    )
    deleted_at = models.DateTimeField(_("deleted at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("deleted fact")
        verbose_name_plural = _("deleted facts")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.resource} {self.uid} deleted {self.deleted_at}"


class Change(models.Model):
    """One write of one object, for the change feed (/api/v1/changes/).

    Written by the services in the same transaction as the change, without a `seq`: the feed
    stamps committed entries with increasing seqs (reports.services.changes_stamp) and hands
    out only stamped ones, so the order of seqs is the order in which entries became visible.
    Each entry keeps who could read the object before and after the change (its audience and
    organization), so the feed tells a caller that lost sight of an object to remove it, and
    never names one to a caller who could read it at neither moment.
    """

    seq = models.BigIntegerField(_("sequence"), null=True, blank=True, editable=False)
    type = models.CharField(_("type"), max_length=16, choices=ChangeType.choices)
    # A fact's uid; a source's slug (what its detail URL is addressed by).
    uid = models.CharField(_("public id"), max_length=100)
    at = models.DateTimeField(_("changed at"), default=timezone.now)
    before = models.CharField(_("audience before"), max_length=16, choices=Audience.choices)
    before_organization = models.ForeignKey(
        Organization, verbose_name=_("organization before"), null=True, blank=True, related_name="+",
        on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
    )  # fmt: skip
    after = models.CharField(_("audience after"), max_length=16, choices=Audience.choices)
    after_organization = models.ForeignKey(
        Organization, verbose_name=_("organization after"), null=True, blank=True, related_name="+",
        on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
    )  # fmt: skip

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        ordering = ["id"]
        indexes = [
            # What the stamper looks for: few rows at any time, so a small partial index.
            models.Index(fields=["id"], condition=Q(seq__isnull=True), name="reports_change_unstamped"),
        ]
        constraints = [
            # Also the feed's index: every read is a range of seqs.
            models.UniqueConstraint(fields=["seq"], name="%(app_label)s_%(class)s_unique_seq"),
            choices_constraint("type", ChangeType.choices),
            choices_constraint("before", Audience.choices),
            choices_constraint("after", Audience.choices),
        ]

    def __str__(self):
        return f"{self.type} {self.uid} #{self.seq or '-'}"
