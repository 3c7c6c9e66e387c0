"""The administrative tree: every country, oblast, raion, hromada, settlement and city district."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Col, Expression
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from evactrack.kernel.db import FieldCheckConstraint, choices_constraint, point_constraint
from locations.choices import CATEGORY_TO_KATOTTG_LETTER, LEVEL_CATEGORIES, AliasKind, AreaCategory, AreaLevel

PATH_SEPARATOR = "/"
# KATOTTG codes (UA63080090010026457) and ISO 3166 codes (RU-BRY); also keeps paths LIKE-safe.
AREA_CODE_PATTERN = r"^[A-Z]{2}[A-Z0-9-]{0,22}$"


class AreaQuerySet(models.QuerySet):
    def within(self, area, *, include_self=True):
        """Every area in the subtree of `area`, at any depth: one indexed prefix scan."""
        queryset = self.filter(path__startswith=area.path)
        return queryset if include_self else queryset.exclude(pk=area.pk)

    def ancestors_of(self, area, *, include_self=False):
        codes = area.path.strip(PATH_SEPARATOR).split(PATH_SEPARATOR)
        if not include_self:
            codes = codes[:-1]
        return self.filter(code__in=codes)


class Area(models.Model):
    """One node of the administrative tree, identified by its KATOTTG code (or ISO code abroad).

    Names repeat (eleven Шевченкове in Kharkiv oblast alone): an area is only ever identified
    by its code, never by its name.
    """

    code = models.CharField(
        _("code"),
        max_length=24,
        unique=True,
        validators=[RegexValidator(AREA_CODE_PATTERN, _("Codes are capital letters, digits and hyphens."))],
        help_text=_("Full KATOTTG code (UA63080090010026457) in Ukraine; ISO 3166 code (RU-BRY) elsewhere."),
    )
    pcode = models.CharField(
        _("OCHA P-code"),
        max_length=12,
        blank=True,
        db_index=True,
        help_text=_("The KATOTTG prefix OCHA uses: UA63, UA6308, UA6308009, UA6308009001."),
    )
    level = models.CharField(_("level"), max_length=16, choices=AreaLevel.choices)
    category = models.CharField(_("category"), max_length=24, choices=AreaCategory.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Codes from the root down, each followed by "/": "UA/UA63000000000041885/…/". A subtree
    # is then a prefix, which a plain B-tree index answers at any depth.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    name_uk = models.CharField(_("name (Ukrainian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, help_text=_("2010 national transliteration."))
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    # From the gazetteer, only to rank same-named places ("the larger one first"). The figure
    # that reports and the status engine use is a PopulationCount citing its source.
    population = models.PositiveIntegerField(
        _("population (gazetteer)"), null=True, blank=True, help_text=_("GeoNames figure; used to rank names.")
    )
    is_hromada_centre = models.BooleanField(
        _("hromada centre"), default=False, help_text=_("The settlement that gives its hromada its name and seat.")
    )
    geonames_id = models.PositiveIntegerField(_("GeoNames id"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["created_at", "updated_at"])
    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["path"]
        indexes = [
            # One level in code order, the API's area list: with an index on level alone,
            # SQLite would sort all 30,000 settlements even for a small page.
            models.Index(fields=["level", "code"], name="locations_area_level_code"),
        ]
        constraints = [
            choices_constraint("level", AreaLevel.choices),
            choices_constraint("category", AreaCategory.choices),
            FieldCheckConstraint(
                condition=Q(
                    *[Q(level=level, category__in=list(categories)) for level, categories in LEVEL_CATEGORIES.items()],
                    _connector=Q.OR,
                ),
                name="%(app_label)s_%(class)s_category_fits_level",
                field="category",
                violation_error_message=_("This category does not exist at this level."),
            ),
            point_constraint(),
            FieldCheckConstraint(
                condition=Q(parent__isnull=True, level=AreaLevel.COUNTRY)
                | Q(parent__isnull=False) & ~Q(level=AreaLevel.COUNTRY),
                name="%(app_label)s_%(class)s_only_countries_are_roots",
                field="parent",
                violation_error_message=_("Only a country has no parent."),
            ),
        ]

    def __str__(self):
        return f"{self.name_en} ({self.code})"

    @property
    def katottg_letter(self):
        return CATEGORY_TO_KATOTTG_LETTER.get(self.category, "")

    @property
    def depth(self):
        return self.path.count(PATH_SEPARATOR) - 1

    def has_point(self):
        return self.latitude is not None and self.longitude is not None


class PathStartsWith(StartsWith):
    """`path__startswith` (a subtree) as a range of paths on SQLite.

    SQLite's LIKE folds case, so it cannot use the path's B-tree index, and every `within`
    would scan all 31,700 areas; a range is measurably faster (docs/BENCHMARKS.md). Paths are
    ASCII; every path under the prefix sorts from the prefix itself up to the prefix followed
    by the highest code point, and nothing else does. PostgreSQL keeps LIKE, which its pattern index serves.
    """

    def as_sqlite(self, compiler, connection):
        if not isinstance(self.rhs, str):  # an expression (OuterRef, F): keep LIKE
            return super().as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs_sql} >= %s AND {lhs_sql} < %s)", (*lhs_params, self.rhs, *lhs_params, self.rhs + MAX_CHARACTER)


MAX_CHARACTER = chr(0x10FFFF)
Area._meta.get_field("path").register_lookup(PathStartsWith)


class InSubtree(Expression):
    """Whether the area a row points at (`area_column`, a foreign key to Area) lies at or under
    the area with this path: `EXISTS` on that one area's row.

    The same SQL as `Exists(Area.objects.filter(path__startswith=path, pk=OuterRef(area_column)))`,
    which Django takes longer to build and compile than SQLite takes to answer a page.
    A correlated EXISTS, not a join, so the database walks the outer rows in the page's order
    and stops after a page.
    """

    conditional = True
    output_field = models.BooleanField()
    alias = "in_subtree"

    def __init__(self, area_column: str, path: str):
        super().__init__()
        self.area, self.path = F(area_column), path

    def get_source_expressions(self):
        return [self.area]

    def set_source_expressions(self, exprs):
        (self.area,) = exprs

    def as_sql(self, compiler, connection):
        area_sql, area_params = compiler.compile(self.area)
        quote = connection.ops.quote_name
        path = Col(self.alias, Area._meta.get_field("path"))
        under_sql, under_params = compiler.compile(PathStartsWith(path, self.path))
        sql = (
            f"EXISTS (SELECT 1 FROM {quote(Area._meta.db_table)} {quote(self.alias)}"
            f" WHERE {quote(self.alias)}.{quote(Area._meta.pk.column)} = {area_sql} AND {under_sql})"
        )
        return sql, (*area_params, *under_params)


class AreaAlias(models.Model):
    """Another spelling of an area's name: transliteration variants, Russian forms, old names."""

    area = models.ForeignKey(Area, verbose_name=_("area"), on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name"), max_length=200)
    # normalize_name(name): what lookups compare, so "Kup'yansk" meets "Kupyansk".
    normalized = models.CharField(_("normalized name"), max_length=200, db_index=True, editable=False)
    # name_key(name): a coarse sound-alike form ("kupansk") that finds Kupjansk, Купянск and
    # Kupiansk alike; the resolver then ranks by how close the spelling really is.
    key = models.CharField(_("sound-alike key"), max_length=200, db_index=True, editable=False, default="")
    kind = models.CharField(_("kind"), max_length=16, choices=AliasKind.choices)
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("ISO 639-1, e.g. uk, en, ru."))

    class Meta:
        verbose_name = _("area alias")
        verbose_name_plural = _("area aliases")
        ordering = ["area", "name"]
        constraints = [
            choices_constraint("kind", AliasKind.choices),
            models.UniqueConstraint(fields=["area", "name"], name="%(app_label)s_%(class)s_unique_name_per_area"),
        ]

    def __str__(self):
        return f"{self.name} → {self.area.code}"
