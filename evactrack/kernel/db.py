"""Database building blocks shared by the apps: field-named check constraints and figures.

A figure ("around 25,000", "at least 2") is a nullable count plus a qualifier. Null means no
source gave the number; it never silently becomes 0.
"""

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Qualifier(models.TextChoices):
    EXACT = "exact", _("exact")
    APPROXIMATE = "approximate", _("approximately")
    AT_LEAST = "at_least", _("at least")
    AT_MOST = "at_most", _("at most")


class DatePrecision(models.TextChoices):
    """How precise a date is, as ACLED's time_precision: the stored date is the best estimate."""

    DAY = "day", _("day")
    WEEK = "week", _("week")
    MONTH = "month", _("month")
    YEAR = "year", _("year")


class FieldCheckConstraint(models.CheckConstraint):
    """A CheckConstraint whose validation error names the field a user has to fix.

    Django reports a failed CheckConstraint under NON_FIELD_ERRORS; forms, the API and the
    importers need to tell the user which field is wrong.
    """

    def __init__(self, *args, field, **kwargs):
        self.field = field
        super().__init__(*args, **kwargs)

    def validate(self, model, instance, exclude=None, using=None):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            raise ValidationError({self.field: error.error_list}) from error

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        return super().__eq__(other) and getattr(other, "field", None) == self.field


def figure(verbose_name, help_text=""):
    """A nullable, non-negative count and its qualifier: `total, total_qualifier = figure(...)`."""
    return (
        models.PositiveIntegerField(verbose_name, null=True, blank=True, help_text=help_text),
        models.CharField(
            format_lazy("{} ({})", verbose_name, _("qualifier")),
            max_length=12,
            choices=Qualifier.choices,
            blank=True,
            help_text=_("Exact, approximately, at least or at most. Empty when the figure is unknown."),
        ),
    )


def figure_constraints(*names):
    """Constraints for figures: never negative, and a qualifier exactly when the figure is known."""
    qualifiers = [value for value, _label in Qualifier.choices]
    constraints = []
    for name in names:
        qualifier = f"{name}_qualifier"
        constraints += [
            FieldCheckConstraint(
                condition=Q(**{f"{name}__gte": 0}) | Q(**{f"{name}__isnull": True}),
                name=f"%(app_label)s_%(class)s_{name}_not_negative",
                field=name,
                violation_error_message=_("A count cannot be negative."),
            ),
            FieldCheckConstraint(
                condition=(Q(**{f"{name}__isnull": True}) & Q(**{qualifier: ""}))
                | (Q(**{f"{name}__isnull": False}) & Q(**{f"{qualifier}__in": qualifiers})),
                name=f"%(app_label)s_%(class)s_{qualifier}_matches",
                field=qualifier,
                violation_error_message=_(
                    "Give a qualifier (exact, approximately, at least, at most) with a known figure, "
                    "and none when the figure is unknown."
                ),
            ),
        ]
    return constraints


def part_not_above_whole(part, whole, *, message):
    """Where both are known, a part (children) never exceeds its whole (everyone)."""
    return FieldCheckConstraint(
        condition=Q(**{f"{part}__isnull": True})
        | Q(**{f"{whole}__isnull": True})
        | Q(**{f"{part}__lte": models.F(whole)}),
        name=f"%(app_label)s_%(class)s_{part}_not_above_{whole}",
        field=part,
        violation_error_message=message,
    )


def choices_constraint(field, choices):
    """The database refuses any value outside the field's TextChoices."""
    return FieldCheckConstraint(
        condition=Q(**{f"{field}__in": [value for value, _label in choices]}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
        field=field,
        violation_error_message=_("Not one of the allowed values."),
    )


def point_constraint():
    """Latitude and longitude come together and in range, or not at all."""
    return FieldCheckConstraint(
        # Spelled out with IS NOT NULL: a CHECK that evaluates to NULL would let a half point pass.
        condition=Q(latitude__isnull=True, longitude__isnull=True)
        | Q(
            latitude__isnull=False,
            longitude__isnull=False,
            latitude__gte=-90,
            latitude__lte=90,
            longitude__gte=-180,
            longitude__lte=180,
        ),
        name="%(app_label)s_%(class)s_point_in_range",
        field="latitude",
        violation_error_message=_("Give both latitude (-90 to 90) and longitude (-180 to 180), or neither."),
    )


def reject_nul_characters(instance) -> None:
    """Refuse text with NUL characters, naming the field: PostgreSQL cannot store them, and no
    real name or note contains one."""
    fields = [field for field in instance._meta.concrete_fields if not field.generated]  # computed by the database
    reject_nul_values({field.name: getattr(instance, field.attname) for field in fields})


def reject_nul_values(values: dict) -> None:
    """The same check on raw input, before it is used in a lookup (PostgreSQL refuses NUL in a
    query parameter too)."""
    errors = {
        name: [_("Text cannot contain NUL characters.")]
        for name, value in values.items()
        if isinstance(value, str) and "\x00" in value
    }
    if errors:
        raise ValidationError(errors)


def refresh_planner_statistics(using: str = "default") -> bool:
    """Have SQLite measure its tables and indexes again (ANALYZE), so its planner chooses by
    today's sizes. Run nightly by beat (evactrack.tasks). True if it ran.

    SQLite keeps no statistics unless told to, and never refreshes them. Without any, it can
    choose a plan many times slower for an admin list at 1,000,000 incidents; with statistics
    from when a table was tiny, it can scan that table once per row of a page
    (docs/BENCHMARKS.md). A full ANALYZE of that database takes about a second. PostgreSQL's
    autovacuum already analyzes tables as they change: nothing to do there.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True


class RowsInvalid(ValidationError):
    """Some rows of a batch are invalid: `rows` maps each row's index to its field errors."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]):
        self.rows = rows
        super().__init__(gettext("%(count)d rows are invalid; nothing was saved.") % {"count": len(rows)})
