"""Areas as partners see them: addressed by code, the parent given by its code too; and the
resolver's answers (a place name → ranked candidate areas)."""

import datetime

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from evactrack.kernel.api.columns import datetime_text
from locations.choices import AreaLevel
from locations.filtersets import CODE_MAX_LENGTH, area_by_code_or_error
from locations.models import PATH_SEPARATOR, Area
from locations.resolver import AMBIGUOUS, NOT_FOUND, RESOLVED, Resolution, resolve
from locations.selectors import ancestors_by_path


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
        return area_data({name: getattr(area, name, None) for name in AREA_LIST_FIELDS})


# What an area list reads (`.values()`): the status_* columns are annotated by the view.
AREA_LIST_FIELDS = ["code", "pcode", "level", "category", "path", "name_uk", "name_en", "latitude", "longitude",
                    "status_level", "status_for_everyone", "status_group_levels", "updated_at"]  # fmt: skip


def area_data(row: dict) -> dict:
    """An area as the API shows it, from a row of AREA_LIST_FIELDS. Built by
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
        "updated_at": iso(row["updated_at"]),
    }


def _json_object(value) -> dict:
    """A JSON column as read: decoded by the ORM (a dict), or text; {} for an area without a status."""
    if not value:
        return {}
    return value if isinstance(value, dict) else orjson.loads(value)


QUALIFIER_HELP = (
    "exact, approximate, at_least or at_most; null when the figure is unknown (or withheld). A sum is exact "
    "when all its parts are, at_least / at_most when all are, else approximate (an exact 0 changes nothing)."
)


class StatusFiguresSerializer(serializers.Serializer):
    people_present = serializers.IntegerField(allow_null=True)
    people_present_missing = serializers.IntegerField()
    children_present = serializers.IntegerField(allow_null=True)
    children_present_missing = serializers.IntegerField()
    people_subject = serializers.IntegerField(allow_null=True)
    people_subject_missing = serializers.IntegerField()
    children_subject = serializers.IntegerField(allow_null=True)
    children_subject_missing = serializers.IntegerField()
    people_present_qualifier = serializers.CharField(allow_null=True, help_text=QUALIFIER_HELP)
    children_present_qualifier = serializers.CharField(allow_null=True, help_text=QUALIFIER_HELP)
    people_subject_qualifier = serializers.CharField(allow_null=True, help_text=QUALIFIER_HELP)
    children_subject_qualifier = serializers.CharField(allow_null=True, help_text=QUALIFIER_HELP)
    people_present_basis = serializers.CharField(
        allow_null=True,
        help_text="What people_present counts: present (a count of who is there), baseline (a pre-war "
        "baseline standing in for one), mixed (a sum of both); null when unknown.",
    )


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
    distribution = serializers.DictField(
        allow_null=True,
        child=serializers.DictField(),
        help_text="Above the settlement: {level: {settlements, people, people_missing}} over the settlements "
        "below (people: the sum of the known people-present counts, null when none at that level has one; "
        "people_missing: settlements without a count). Null for a settlement. The sentence leads with it.",
    )
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


# The resolver over the API: `GET /api/v1/areas/resolve/` and its batch form.

RESOLVE_LIMIT_DEFAULT = 10
RESOLVE_LIMIT_MAX = 50
RESOLVE_BATCH_MAX = 1000


class LevelsField(serializers.ListField):
    """Area levels, repeated (`level=settlement&level=hromada`) or comma-separated."""

    child = serializers.ChoiceField(choices=AreaLevel.choices)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            data = [part.strip() for item in data for part in item.split(",") if part.strip()]
        return super().to_internal_value(data)


class ResolveQuerySerializer(serializers.Serializer):
    """One place name to resolve, with the context that narrows it."""

    q = serializers.CharField(max_length=200, help_text="A place name as written: any spelling, script or former name.")
    within = serializers.CharField(
        required=False, max_length=CODE_MAX_LENGTH, help_text="Code or P-code of an area: only candidates under it."
    )
    near = serializers.CharField(
        required=False, max_length=60, help_text="lat,lon: candidates near this point rank higher."
    )
    level = LevelsField(required=False, help_text="Only areas at these levels.")
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=RESOLVE_LIMIT_MAX, default=RESOLVE_LIMIT_DEFAULT
    )

    def validate_within(self, value):
        try:
            return area_by_code_or_error(value, "within")
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["within"]) from None

    def validate_near(self, value):
        try:
            lat, lon = (float(part) for part in value.split(","))
        except ValueError:
            raise serializers.ValidationError("Give latitude,longitude, e.g. 49.71,37.61.") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise serializers.ValidationError("Latitude -90..90, longitude -180..180.")
        return lat, lon

    def resolution(self) -> Resolution:
        query = self.validated_data
        return resolve(
            query["q"],
            within=query.get("within"),
            near=query.get("near"),
            levels=query.get("level") or None,
            limit=query["limit"],
        )


class AncestorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_en = serializers.CharField()
    name_uk = serializers.CharField()


class CandidateSerializer(serializers.Serializer):
    code = serializers.CharField()
    pcode = serializers.CharField()
    level = serializers.ChoiceField(choices=AreaLevel.choices)
    category = serializers.CharField()
    name_uk = serializers.CharField()
    name_en = serializers.CharField()
    path = AncestorSerializer(many=True, help_text="The area's oblast down to its parent.")
    score = serializers.FloatField(help_text="Higher ranks first; comparable within one answer only.")
    match = serializers.CharField(help_text="How the text matched: official, official_spelling, alias, sounds_like…")
    matched = serializers.CharField(help_text="The stored spelling the text matched.")
    reason = serializers.CharField(help_text="Why the candidate scored as it did, in words.")


class ResolutionSerializer(serializers.Serializer):
    q = serializers.CharField()
    outcome = serializers.ChoiceField(
        choices=[RESOLVED, AMBIGUOUS, NOT_FOUND],
        help_text="resolved: the first candidate is clearly ahead; ambiguous: give context (within, near, "
        '"…, X raion"); not_found: no area has such a name.',
    )
    candidates = CandidateSerializer(many=True, help_text="Best first.")


class ResolutionsSerializer(serializers.Serializer):
    results = ResolutionSerializer(many=True, help_text="One answer per item, in the order sent.")


def resolutions_data(texts: list[str], resolutions: list[Resolution]) -> list[dict]:
    """Each resolution as the API shows it; the candidates' ancestors in one query for all."""
    ancestors = ancestors_by_path(c.area.path for r in resolutions for c in r.candidates)
    return [
        {
            "q": text,
            "outcome": resolution.outcome,
            "candidates": [
                {
                    "code": c.area.code,
                    "pcode": c.area.pcode,
                    "level": c.area.level,
                    "category": c.area.category,
                    "name_uk": c.area.name_uk,
                    "name_en": c.area.name_en,
                    "path": ancestors[c.area.path],
                    "score": round(c.score, 3),
                    "match": c.match,
                    "matched": c.matched,
                    "reason": "; ".join(c.reasons),
                }
                for c in resolution.candidates
            ],
        }
        for text, resolution in zip(texts, resolutions, strict=True)
    ]
