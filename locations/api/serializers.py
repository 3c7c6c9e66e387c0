"""Areas as partners see them: addressed by code, the parent given by its code too."""

import datetime

import orjson
from rest_framework import serializers

from evactrack.kernel.api.columns import IsoDateTime, datetime_text
from locations.models import PATH_SEPARATOR, Area


def parent_code(path: str) -> str | None:
    codes = path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    return codes[-2] if len(codes) > 1 else None


def iso(value):
    """A date as `2023-08-10`, a time as the API writes every time (`datetime_text`)."""
    if value is None:
        return None
    return datetime_text(value) if isinstance(value, datetime.datetime) else value.isoformat()


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(read_only=True, allow_null=True, help_text="Code of the parent area.")
    status = serializers.CharField(
        read_only=True, help_text="Current status level, the worst for anyone (normal when never computed)."
    )
    status_for_everyone = serializers.CharField(
        read_only=True, help_text="Current status level for the whole population (normal when never computed)."
    )
    status_group_levels = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Population groups whose current level is worse than status_for_everyone, with their level.",
    )

    class Meta:
        model = Area
        fields = ["code", "pcode", "level", "category", "parent", "name_uk", "name_en", "latitude", "longitude",
                  "status", "status_for_everyone", "status_group_levels", "updated_at"]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, area):
        row = {name: getattr(area, name, None) for name in AREA_LIST_PLAIN}
        row["list_updated_at"] = iso(area.updated_at)
        return area_data(row)


# What an area list reads: these columns, and updated_at as text (AREA_LIST_TEXT).
AREA_LIST_PLAIN = ["code", "pcode", "level", "category", "path", "name_uk", "name_en", "latitude", "longitude",
                   "status_level", "status_for_everyone", "status_group_levels"]  # fmt: skip
AREA_LIST_TEXT = {"list_updated_at": IsoDateTime("updated_at")}


def area_data(row: dict) -> dict:
    """An area as the API shows it, from a row of AREA_LIST_PLAIN and AREA_LIST_TEXT. Built by
    hand: the settlement list is the API's hottest path, and DRF's generic field machinery
    costs more than the query. AreaSerializer's declared fields keep the schema."""
    return {
        "code": row["code"],
        "pcode": row["pcode"],
        "level": row["level"],
        "category": row["category"],
        "parent": parent_code(row["path"]),
        "name_uk": row["name_uk"],
        "name_en": row["name_en"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "status": row["status_level"] or "normal",
        "status_for_everyone": row["status_for_everyone"] or "normal",
        "status_group_levels": _json_object(row["status_group_levels"]),
        "updated_at": row["list_updated_at"],
    }


def _json_object(value) -> dict:
    """A JSON column as read: decoded by the ORM, or text from a statement's raw row; {} for none."""
    if not value:
        return {}
    return value if isinstance(value, dict) else orjson.loads(value)


class StatusFiguresSerializer(serializers.Serializer):
    people_present = serializers.IntegerField(allow_null=True)
    people_present_missing = serializers.IntegerField()
    children_present = serializers.IntegerField(allow_null=True)
    children_present_missing = serializers.IntegerField()
    people_subject = serializers.IntegerField(allow_null=True)
    people_subject_missing = serializers.IntegerField()
    children_subject = serializers.IntegerField(allow_null=True)
    children_subject_missing = serializers.IntegerField()


LEVELS_HELP = "normal, advisory, evacuation_recommended, evacuation_mandatory, no_access"


class WhoMustLeaveSerializer(serializers.Serializer):
    """The levels of a status: the worst for anyone, for everyone, and per population group."""

    level = serializers.CharField(help_text=f"The worst level that applies to anyone: {LEVELS_HELP}.")
    level_for_everyone = serializers.CharField(
        help_text="The level that applies to the whole population (orders for everyone, control designations, "
        "incidents); below `level` when an order names only a group."
    )
    group_levels = serializers.DictField(
        child=serializers.CharField(),
        help_text="Each population group an order names (an order's population_group) whose level is worse than "
        'level_for_everyone, with that level, e.g. {"children_with_guardians": "evacuation_mandatory"}; '
        "{} when none.",
    )


class AreaStatusSerializer(WhoMustLeaveSerializer):
    """An area's status at a date: stored (today) or computed on the fly (a past `as_of`)."""

    area = serializers.CharField()
    as_of = serializers.DateField()
    score = serializers.FloatField()
    sentence = serializers.CharField(help_text="The reasons in words a coordinator can read.")
    reasons = serializers.ListField(child=serializers.DictField(), help_text="The orders, designations, incidents.")
    figures = StatusFiguresSerializer()
    computed = serializers.BooleanField(help_text="True when judged on the fly for a past date.")
    computed_at = serializers.DateTimeField(allow_null=True)
    withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="Figures null for your role: a count of children under the small-count threshold, or a sum "
        "over one anywhere below the area (complementary suppression).",
    )


class StatusChangeSerializer(WhoMustLeaveSerializer):
    as_of = serializers.DateField()
    previous_level = serializers.CharField()
    score = serializers.FloatField()
    sentence = serializers.CharField()
    reasons = serializers.ListField(child=serializers.DictField())
    recorded_at = serializers.DateTimeField()


class StatusSummarySerializer(serializers.Serializer):
    area = serializers.CharField()
    areas = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField()),
        help_text="{area level: {status level: number of areas}} under the area.",
    )
    people = serializers.DictField(
        child=serializers.DictField(child=serializers.IntegerField(allow_null=True)),
        help_text="{status level: {people_present, children_present}} summed over settlements under the area; "
        "null when no settlement at that level has a figure, and children_present null below coordinator "
        "when the sum holds a withheld figure.",
    )
