"""Reports as partners read and write them. Validation of meaning (children ≤ total, dates not
in the future, one source at least) stays in the services; these only shape input and output
and hide what a caller may not see."""

import orjson
from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from evactrack.access.models import Organization
from evactrack.kernel.api.columns import JSONObjectsText
from evactrack.kernel.api.declarations import ExportOnly, Field, Resource
from evactrack.kernel.api.exports import Column
from evactrack.kernel.api.schema import ErrorSerializer
from locations.api.exports import admin_columns
from locations.api.serializers import iso
from locations.models import Area
from reports.choices import ChangeType, TargetScope
from reports.models import (
    CITATIONS_PER_FACT_MAX,
    CITED_FACT_FIELDS,
    REVIEW_NOTE_MAX_LENGTH,
    Citation,
    ControlDesignation,
    EvacuationOrder,
    Incident,
    PopulationCount,
    Source,
    Tombstone,
    not_before_earliest_fact_date,
)
from reports.selectors import incident_point_withheld as point_withheld
from reports.services import CitationInput, TargetInput

CODE_MAX_LENGTH = 24
INT_MAX = 2**31 - 1


@extend_schema_field({"type": "string", "maxLength": 24, "example": "UA63080090010026457"})
class AreaCodeField(serializers.Field):
    """An area given by its code. Codes are resolved in one query per request by the view
    (context["areas"]) when it can, so bulk input does not run one query per row."""

    default_error_messages = {
        "invalid": _("Give an area code as text."),
        "unknown": _("Unknown area code %(code)s."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str) or not data.strip() or len(data) > CODE_MAX_LENGTH or "\x00" in data:
            self.fail("invalid")
        code = data.strip().upper()
        known = self.context.get("areas")
        area = known.get(code) if known is not None else Area.objects.filter(code=code).first()
        if area is None:
            raise serializers.ValidationError(self.error_messages["unknown"] % {"code": code})
        return area

    def to_representation(self, value):
        return value.code


class CitationListSerializer(serializers.ListSerializer):
    """A fact's citations. A bound on the whole list (min_length, max_length) is reported as
    `citations`, as the services report it, not as `citations.non_field_errors`."""

    def run_validation(self, data=serializers.empty):
        try:
            return super().run_validation(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict) and set(error.detail) == {api_settings.NON_FIELD_ERRORS_KEY}:
                raise serializers.ValidationError(error.detail[api_settings.NON_FIELD_ERRORS_KEY]) from error
            raise


class CitationListSchema(OpenApiSerializerFieldExtension):
    """States the list's bounds as minItems and maxItems (drf-spectacular leaves them out)."""

    target_class = CitationListSerializer

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        bounds = {"minItems": self.target.min_length, "maxItems": self.target.max_length}
        return {**schema, **{keyword: value for keyword, value in bounds.items() if value is not None}}


class CitationSerializer(serializers.Serializer):
    class Meta:
        list_serializer_class = CitationListSerializer

    source = serializers.SlugField(max_length=100, help_text="Slug of a source (see /api/v1/sources/).")
    locator = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_source(self, slug):
        known = self.context.get("sources")
        source = known.get(slug) if known is not None else Source.objects.filter(slug=slug).first()
        if source is None:
            raise serializers.ValidationError(_("Unknown source %(slug)s.") % {"slug": slug})
        return source


def citations_out(fact) -> list[dict]:
    preloaded = getattr(fact, "_citations", None)
    if preloaded is not None:
        return preloaded
    # A single object: its citations and their sources in one query.
    return [
        {"source": slug, "locator": locator, "note": note}
        for slug, locator, note in fact.citations.order_by("source__slug", "locator").values_list(
            "source__slug", "locator", "note"
        )
    ]


class FactListSerializer(serializers.ListSerializer):
    """Loads the citations of a whole page in one query. Django's prefetch_related does the
    same in one query too, but builds a related manager per row, which cost more than the
    page's SQL."""

    def to_representation(self, data):
        facts = list(data.all() if hasattr(data, "all") else data)
        if facts:
            field = _citation_field_of(self.child.Meta.model)
            by_fact = {fact.pk: [] for fact in facts}
            rows = Citation.objects.filter(**{f"{field}_id__in": list(by_fact)}).order_by("source__slug", "locator")
            for fact_id, slug, locator, note in rows.values_list(f"{field}_id", "source__slug", "locator", "note"):
                by_fact[fact_id].append({"source": slug, "locator": locator, "note": note})
            for fact in facts:
                fact._citations = by_fact[fact.pk]
        return super().to_representation(facts)


def _citation_field_of(model) -> str:
    for field in CITED_FACT_FIELDS:
        if Citation._meta.get_field(field).related_model is model:
            return field
    raise TypeError(model)


def citations_in(validated: list[dict]) -> list[CitationInput]:
    # A PATCH applies no defaults: a citation may come without locator or note.
    return [CitationInput(source=c["source"], locator=c.get("locator", ""), note=c.get("note", "")) for c in validated]


def earliest_date_stated(fields: dict) -> dict:
    """Say in each writable date field's description that no date before
    EVACTRACK_EARLIEST_FACT_DATE is accepted (the model's validator, which DRF copied, refuses it)."""
    earliest = settings.EVACTRACK_EARLIEST_FACT_DATE.isoformat()
    for field in fields.values():
        if not field.read_only and not_before_earliest_fact_date in field.validators:
            rule = _("Not before %(earliest)s.") % {"earliest": earliest}
            field.help_text = f"{field.help_text} {rule}" if field.help_text else rule
    return fields


def caller_of_context(context):
    return context.get("caller")


class FactSerializer(serializers.ModelSerializer):
    citations = CitationSerializer(
        many=True,
        min_length=1,
        max_length=CITATIONS_PER_FACT_MAX,
        error_messages={
            "min_length": _("Every fact cites at least one source."),
            "max_length": _("At most {max_length} citations per fact."),
        },
        help_text=f"At least one source stating the fact, at most {CITATIONS_PER_FACT_MAX}; each place in a source "
        "(source and locator) once.",
    )
    withheld = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Fields set to null because your role may not see them (null here does not mean unknown).",
    )

    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            if isinstance(field, serializers.IntegerField) and (field.max_value is None or field.max_value > INT_MAX):
                # SQLite has no integer bound, PostgreSQL's is 2^31-1: refuse above it on both.
                field.max_value = INT_MAX
                message = field.error_messages["max_value"].format(max_value=INT_MAX)
                field.validators.append(MaxValueValidator(INT_MAX, message=message))
        return earliest_date_stated(fields)

    def validate_citations(self, value):
        return citations_in(value)


def incident_point_withheld(caller, row) -> bool:
    """`row`: a dict with facility_type, latitude and reporting_organization_id."""
    return caller is not None and point_withheld(
        incident=row, sees_sensitive=caller.sees_sensitive, organization_id=caller.organization_id
    )


def incident_citation_rows():
    return JSONObjectsText(
        Citation.objects.filter(incident_id=OuterRef("id")),
        source=Subquery(Source.objects.filter(pk=OuterRef("source_id")).order_by().values("slug")),
        locator=F("locator"), note=F("note"),
    )  # fmt: skip


# Incidents, once: the single object, the list (its JSON written by the database), the CSV and
# GeoJSON export. Order: the export's columns, then the fields only the API shows.
INCIDENTS = Resource(
    Incident,
    [
        Field("uid", "uuid", hashtag="#event+id"),
        *map(ExportOnly, admin_columns(pcode="area__pcode", oblast="oblast", raion="raion")),
        Field("area", source="area__code", column="area_code", hashtag="#loc+code"),
        Field("area_name", source="area__name_en", hashtag="#loc+name"),
        Field("occurred_on", "date", hashtag="#date+occurred"),
        Field("occurred_on_precision", hashtag="#date+occurred+precision"),
        Field("occurred_until", "date", hashtag="#date+occurred+end"),
        Field("discovered_on", "date", hashtag="#date+discovered"),
        Field("incident_type", hashtag="#event+type"),
        Field("kind", hashtag="#event+kind"),
        Field("fatalities", "int", hashtag="#affected+killed"),
        Field("fatalities_qualifier", hashtag="#affected+killed+qualifier"),
        Field("injured", "int", hashtag="#affected+injured"),
        Field("injured_qualifier", hashtag="#affected+injured+qualifier"),
        Field("civilians_killed", "int", hashtag="#affected+killed+civilians"),
        Field("civilians_killed_qualifier", hashtag="#affected+killed+civilians+qualifier"),
        Field("civilians_injured", "int", hashtag="#affected+injured+civilians"),
        Field("civilians_injured_qualifier", hashtag="#affected+injured+civilians+qualifier"),
        Field("children_killed", "int", hashtag="#affected+killed+children"),
        Field("children_killed_qualifier", hashtag="#affected+killed+children+qualifier"),
        Field("children_injured", "int", hashtag="#affected+injured+children"),
        Field("children_injured_qualifier", hashtag="#affected+injured+children+qualifier"),
        Field("latitude", "float", hashtag="#geo+lat", withheld=True),
        Field("longitude", "float", hashtag="#geo+lon", withheld=True),
        Field("geo_precision", hashtag="#geo+precision"),
        Field("verification_state", hashtag="#status+verification"),
        Field("reporting_organization", source="reporting_organization__slug", hashtag="#org+reporting"),
        Field("facility_type"),
        Field("facility_name"),
        Field("verified_at", "datetime"),
        Field("verification_note"),
        Field("summary"),
        Field("citations", "nested", read=citations_out, rows=incident_citation_rows),
        Field("withheld", "withheld"),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    ],
    withholds=incident_point_withheld,
    rule_reads=("facility_type", "latitude", "reporting_organization_id"),
)
INCIDENT_FIELDS = INCIDENTS.api_names


class IncidentSerializer(FactSerializer):
    area = AreaCodeField(help_text="Code of the area (KATOTTG).")
    area_name = serializers.CharField(source="area.name_en", read_only=True)
    reporting_organization = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug. Partners report as their own organization: leave it out or send their own slug; "
        "another organization's is refused (400). Coordinators may set any.",
        style={"base_template": "input.html"},
    )

    class Meta:
        model = Incident
        list_serializer_class = FactListSerializer
        fields = INCIDENT_FIELDS
        read_only_fields = ["uid", "verification_state", "verified_at", "verification_note", "created_at",
                            "updated_at"]  # fmt: skip

    def to_representation(self, incident):
        return INCIDENTS.represent(incident, caller_of_context(self.context))


# The fields the rule on withholding the point hides.
POINT_FIELDS = INCIDENTS.withheld_names


def incident_list_rows():
    """What an incident list reads for each row of a page (INCIDENTS.list_rows); the view runs
    it by id (RowsById), compiled once. Tests compare it with the single object on both databases."""
    return INCIDENTS.list_rows()


def incident_list_item(row: dict, caller) -> orjson.Fragment:
    return INCIDENTS.list_item(row, caller)


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=REVIEW_NOTE_MAX_LENGTH)


class TargetSerializer(serializers.Serializer):
    area = AreaCodeField()
    scope = serializers.ChoiceField(
        choices=TargetScope.values,
        default=TargetScope.SUBTREE,
        help_text="subtree: the area and everything under it; single: this area only; part: part of this area "
        "(its level applies to the area, the people subject are unknown unless the order states them).",
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text='Which part a `part` target covers ("left bank"); required for part, empty otherwise.',
    )

    def validate(self, attrs):
        scope, note = attrs.get("scope", TargetScope.SUBTREE), attrs.get("note", "").strip()
        if scope == TargetScope.PART and not note:
            raise serializers.ValidationError({"note": _("Say which part of the area the order covers.")})
        if scope != TargetScope.PART and note:
            raise serializers.ValidationError({"note": _("Only a target for part of an area has a note.")})
        return {**attrs, "note": note}


ORDER_FIELDS = [
    "uid", "reference", "title", "issuing_authority", "issuing_organization", "kind", "population_group", "issued_on",
    "effective_from", "effective_from_precision", "effective_until", "lifted_on", "review_on", "confirmed_on",
    "supersedes", "state", "people_subject", "people_subject_qualifier", "children_subject",
    "children_subject_qualifier", "targets", "destinations", "summary", "citations", "withheld", "created_at",
    "updated_at",
]  # fmt: skip


class EvacuationOrderSerializer(FactSerializer):
    targets = TargetSerializer(many=True, help_text="Areas covered: each whole subtree, or one area only.")
    destinations = serializers.ListField(child=AreaCodeField(), required=False, help_text="Codes of destinations.")
    issuing_organization = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of the issuing authority as an organization, when it is one; `issuing_authority` stays the "
        "name the source gives.",
        style={"base_template": "input.html"},
    )
    supersedes = serializers.SlugRelatedField(
        slug_field="uid",
        queryset=EvacuationOrder.objects.all(),
        required=False,
        allow_null=True,
        help_text="Uid of the order this one replaces (wider or narrower): that order stops counting from this "
        "one's effective_from. Not the order itself, and no chain of replacements may come back to it.",
        style={"base_template": "input.html"},
    )

    class Meta:
        model = EvacuationOrder
        list_serializer_class = FactListSerializer
        fields = ORDER_FIELDS
        read_only_fields = ["uid", "lifted_on", "state", "created_at", "updated_at"]

    def validate_targets(self, value):
        if not value:
            raise serializers.ValidationError(_("An order covers at least one area."))
        # A PATCH validates partially down into the targets, skipping required fields and
        # defaults; yet the list replaces all the order's targets, so each needs its area.
        if any("area" not in target for target in value):
            raise serializers.ValidationError(_("Each target names its area."))
        return [TargetInput(area=t["area"], scope=t.get("scope", "subtree"), note=t.get("note", "")) for t in value]

    def to_representation(self, order):
        caller = caller_of_context(self.context)
        data = {
            "uid": str(order.uid),
            "reference": order.reference,
            "title": order.title,
            "issuing_authority": order.issuing_authority,
            "issuing_organization": order.issuing_organization.slug if order.issuing_organization else None,
            "kind": order.kind,
            "population_group": order.population_group,
            "issued_on": iso(order.issued_on),
            "effective_from": iso(order.effective_from),
            "effective_from_precision": order.effective_from_precision,
            "effective_until": iso(order.effective_until),
            "lifted_on": iso(order.lifted_on),
            "review_on": iso(order.review_on),
            "confirmed_on": iso(order.confirmed_on),
            "supersedes": _replaced_uid(order, caller),
            "state": order.state,
            "people_subject": order.people_subject,
            "people_subject_qualifier": order.people_subject_qualifier,
            "children_subject": order.children_subject,
            "children_subject_qualifier": order.children_subject_qualifier,
            "targets": [{"area": t.area.code, "scope": t.scope, "note": t.note} for t in order.targets.all()],
            "destinations": [area.code for area in order.destination_areas.all()],
            "summary": order.summary,
            "citations": citations_out(order),
            "withheld": [],
            "created_at": iso(order.created_at),
            "updated_at": iso(order.updated_at),
        }
        if caller is not None and caller.withholds_child_count(order.children_subject):
            data["children_subject"], data["children_subject_qualifier"] = None, ""
            data["withheld"] = ["children_subject"]
        return data


def _replaced_uid(order, caller) -> str | None:
    """The uid of the order this one replaces; a draft's only to those who see drafts."""
    replaced = order.supersedes
    if replaced is None or (replaced.state == "draft" and caller is not None and not caller.sees_everything):
        return None
    return str(replaced.uid)


class ConfirmSerializer(serializers.Serializer):
    confirmed_on = serializers.DateField(
        required=False, allow_null=True, help_text="The day a source said the order still holds. Default: today."
    )


class LiftSerializer(serializers.Serializer):
    lifted_on = serializers.DateField(required=False, allow_null=True, help_text="Default: today.")


def count_children_withheld(caller, values) -> bool:
    return caller is not None and caller.withholds_child_count(values["children"])


# Population counts, once: the object (and so the list) and the export. The point is the area's.
COUNTS = Resource(
    PopulationCount,
    [
        Field("uid", "uuid", hashtag="#meta+id"),
        *map(ExportOnly, admin_columns(pcode="area__pcode", path="area__path")),
        Field("area", source="area__code", column="area_code", hashtag="#loc+code"),
        Field("area_name", source="area__name_en", hashtag="#loc+name"),
        Field("kind", hashtag="#population+kind"),
        Field("reference_date", "date", hashtag="#date+reported"),
        Field("reference_date_precision", hashtag="#date+reported+precision"),
        Field("total", "int", hashtag="#population+total"),
        Field("total_qualifier", hashtag="#population+total+qualifier"),
        Field("children", "int", hashtag="#population+children", withheld=True),
        Field("children_qualifier", hashtag="#population+children+qualifier"),
        Field("method", hashtag="#meta+method"),
        ExportOnly(Column("latitude", "#geo+lat", "area__latitude")),
        ExportOnly(Column("longitude", "#geo+lon", "area__longitude")),
        Field("summary"),
        Field("citations", "nested", read=citations_out),
        Field("withheld", "withheld"),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    ],
    withholds=count_children_withheld,
    rule_reads=("children",),
)
COUNT_FIELDS = COUNTS.api_names


class PopulationCountSerializer(FactSerializer):
    area = AreaCodeField(help_text="Code of the area (KATOTTG).")
    area_name = serializers.CharField(source="area.name_en", read_only=True)

    class Meta:
        model = PopulationCount
        list_serializer_class = FactListSerializer
        fields = COUNT_FIELDS
        read_only_fields = ["uid", "created_at", "updated_at"]

    def to_representation(self, count):
        return COUNTS.represent(count, caller_of_context(self.context))


# Control designations, once: the object (and so the list) and the export. Nothing in them is
# withheld: the official lists are public acts.
DESIGNATIONS = Resource(
    ControlDesignation,
    [
        Field("uid", "uuid", hashtag="#meta+id"),
        *map(ExportOnly, admin_columns(pcode="area__pcode", path="area__path")),
        Field("area", source="area__code", column="area_code", hashtag="#loc+code"),
        Field("area_name", source="area__name_en", hashtag="#loc+name"),
        Field("kind", hashtag="#status+control"),
        Field("valid_from", "date", hashtag="#date+start"),
        Field("valid_from_precision", hashtag="#date+start+precision"),
        Field("valid_until", "date", hashtag="#date+end"),
        Field("valid_until_precision", hashtag="#date+end+precision"),
        ExportOnly(Column("latitude", "#geo+lat", "area__latitude")),
        ExportOnly(Column("longitude", "#geo+lon", "area__longitude")),
        Field("summary"),
        Field("citations", "nested", read=citations_out),
        Field("withheld", "withheld"),
        Field("created_at", "datetime"),
        Field("updated_at", "datetime"),
    ],
)
DESIGNATION_FIELDS = DESIGNATIONS.api_names


class DesignationSerializer(FactSerializer):
    area = AreaCodeField(help_text="Code of the area (KATOTTG); the designation holds for everything under it.")
    area_name = serializers.CharField(source="area.name_en", read_only=True)

    class Meta:
        model = ControlDesignation
        list_serializer_class = FactListSerializer
        fields = DESIGNATION_FIELDS
        read_only_fields = ["uid", "created_at", "updated_at"]
        extra_kwargs = {
            "valid_until": {"help_text": "Empty (null) while it lasts."},
            "valid_until_precision": {"help_text": "The precision of a known end date; empty without one."},
        }

    def to_representation(self, designation):
        return DESIGNATIONS.represent(designation, caller_of_context(self.context))


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["slug", "publisher", "title", "url", "published_on", "published_on_precision", "language",
                  "reliability", "summary", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["created_at", "updated_at"]
        # Uniqueness is checked by the service (source_upsert); DRF's validator would add a query.
        extra_kwargs = {
            "slug": {"validators": []},
            "url": {"validators": []},
            "reliability": {
                "help_text": "Admiralty scale. Partners may send c–f or leave it out (f: cannot be judged); "
                "a and b are a coordinator's grade."
            },
        }

    def get_fields(self):
        return earliest_date_stated(super().get_fields())


class TombstoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tombstone
        fields = ["resource", "uid", "deleted_at"]


CHANGES_LIMIT_MAX = 1000


class ChangeQuerySerializer(serializers.Serializer):
    """The change feed's query: where to start, how many, which types."""

    after = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, default=0, help_text="The `next_after` of your previous call; 0 at first."
    )
    limit = serializers.IntegerField(min_value=1, max_value=CHANGES_LIMIT_MAX, default=100)
    types = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Comma-separated: any of " + ", ".join(ChangeType.values) + ". Default: all.",
    )

    def validate_types(self, value):
        names = [name.strip() for name in value.split(",")]
        unknown = [name for name in names if name not in ChangeType.values]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown type %(names)s; use %(known)s.")
                % {"names": ", ".join(repr(name) for name in unknown), "known": ", ".join(ChangeType.values)}
            )
        return sorted(set(names))


class ChangeSerializer(serializers.Serializer):
    """One entry of the feed (documentation: the view writes the rows itself)."""

    seq = serializers.IntegerField()
    type = serializers.ChoiceField(choices=ChangeType.choices)
    uid = serializers.CharField(help_text="The object's uid; a source's slug; an area_status's area code.")
    action = serializers.ChoiceField(choices=["upsert", "remove"])
    at = serializers.DateTimeField(help_text="When the change was written.")
    data = serializers.JSONField(
        allow_null=True, help_text="The object as its detail endpoint returns it to you; null for remove."
    )


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_after = serializers.IntegerField(help_text="Send it as `after` next time.")


class ChangesPrunedSerializer(ErrorSerializer):
    """The feed's 410: the error shape, and where to follow from after a full read."""

    next_after = serializers.IntegerField(help_text="Read every list in full, then follow the feed from here.")
