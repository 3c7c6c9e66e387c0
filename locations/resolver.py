"""Find the area a text means: "Kupyansk", "Kharkov oblast", "Shevchenkove, Kupiansk raion".

`resolve()` returns ranked candidates, each with a score and the reasons behind it, and an
outcome: resolved (one candidate clearly ahead), ambiguous (several too close to call: the
caller must ask, or give context) or not found. It never guesses between equals.

How a candidate scores (a higher score ranks first):

* the spelling: the official name 1.0; a close spelling of it with the same name_key
  (Kupyansk, Kup'jans'k) 0.95; another stored name, in either script (historical, Russian,
  GeoNames: Artemovsk, Артемовск) 0.8; sounds like a stored name up to 0.75; a near spelling
  (a typo) up to 0.7;
* when none of those matches: the text read by another alphabet's rules (Catalan "Xostka" is
  Shostka, Crimean Tatar "Canköy" Dzhankoi; names.foreign_readings) scores like a sound-alike,
  with the typos; when still nothing matches and there is a context (`within`, or "…, X
  oblast"), a "fuzzy" likeness to a name of that context, 0.55–0.8 (see FUZZY_SIMILARITY);
* the kind of place: a city before a smaller settlement of the same name, settlements before
  the oblasts, raions and hromadas named after them (unless the text says "oblast", "raion"...);
* a hromada centre before other settlements; the larger population first (0.1 per tenfold);
* `near` (a point, an area or a place name): up to +0.6 for a place a few km away.

`within` (an area or its code) keeps only candidates in that subtree, one indexed prefix scan.
The best candidate wins only when it leads the next by at least MARGIN; the weights are set so
that one of these is decisive on its own: city against village, tenfold population, much
nearer to `near`, exact spelling against a guess. Two villages of one name and no context stay
ambiguous. For a name that only sounds alike, kind and size count half (a city called
Petrovske must not beat villages whose official name is exactly Петрівське), for a fuzzy
likeness a quarter, and a lone guess scoring under MIN_RESOLVED_SCORE is listed, not asserted.
"""

import math
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from locations.choices import AreaCategory, AreaLevel
from locations.geo import distance_km
from locations.models import PATH_SEPARATOR, Area, AreaAlias
from locations.names import (
    foreign_readings,
    is_cyrillic,
    looks_russian,
    name_key,
    normalize_name,
    romanize_russian,
    sound_skeleton,
    transliterate_uk,
)

MARGIN = 0.1
MIN_RESOLVED_SCORE = 0.65
RESOLVED = "resolved"
AMBIGUOUS = "ambiguous"
NOT_FOUND = "not_found"

CATEGORY_WEIGHT = {
    AreaCategory.SPECIAL_STATUS_CITY: 0.3,
    AreaCategory.CITY: 0.3,
    AreaCategory.URBAN_SETTLEMENT: 0.1,
    AreaCategory.RURAL_SETTLEMENT: 0.05,
    AreaCategory.VILLAGE: 0.0,
    AreaCategory.CITY_DISTRICT: -0.1,
    AreaCategory.OBLAST: -0.1,
    AreaCategory.RAION: -0.15,
    AreaCategory.HROMADA: -0.2,
    AreaCategory.COUNTRY: -0.2,
}
HROMADA_CENTRE_WEIGHT = 0.03
# Places missing from GeoNames' cities500 mostly have fewer than 500 people.
UNKNOWN_POPULATION = 200
NEAR_WEIGHT = 0.6
NEAR_SCALE_KM = 30

# Words that say what kind of place is meant; stripped from the name and used as a filter.
_HINTS = [
    (r"oblast|obl|region|область|обл|області|oblast'|oblasti", {AreaLevel.OBLAST}),
    (r"raion|rayon|district|район|р-н|районі|raione", {AreaLevel.RAION}),
    (r"hromada|community|otg|громада|тг|отг|hromady", {AreaLevel.HROMADA}),
    (r"city|town|місто|м|город|г|misto", {AreaLevel.SETTLEMENT, AreaLevel.OBLAST}),
    (r"village|selo|село|с|сел|smt|смт|селище|selyshche|settlement|пгт|пос|поселок", {AreaLevel.SETTLEMENT}),
]
_HINT_PATTERNS = [(re.compile(rf"(?:^|\s)(?:{words})\.?(?=\s|$)", re.IGNORECASE), levels) for words, levels in _HINTS]
OFFICIAL_KINDS = ("official_uk", "official_en")
CONTEXT_LEVELS = frozenset({AreaLevel.OBLAST, AreaLevel.RAION, AreaLevel.HROMADA})
_CODE = re.compile(r"^UA[0-9]{2,17}$", re.IGNORECASE)
_PREFIX_FALLBACK_LIMIT = 3000
# How close (difflib ratio of sound-alike keys) a typo must be to count: Kupianks, Kryschopil.
NEAR_SPELLING = 0.8
# How close (difflib ratio) a text must be to the official Latin name to be a spelling of it.
OFFICIAL_SPELLING = 0.8
# How alike (difflib ratio of the sound skeletons) a name of the context must be to a text that
# nothing else matched, to be listed: Cervone for Chervone, Tibuliv for Tsybuliv. Listed
# names score from FUZZY_SCORE (that likeness) to FUZZY_SCORE + FUZZY_SCORE_RANGE (identical), so
# a margin of 0.1 is 8 points of likeness, and a lone village must be about 86 % alike to be
# the answer (MIN_RESOLVED_SCORE).
FUZZY_SIMILARITY = 0.8
FUZZY_SCORE = 0.55
FUZZY_SCORE_RANGE = 0.25
# How much kind and size count for a guess. Half for a name that sounds alike or reads alike in
# another alphabet; a quarter for a mere likeness, so that a city's weight never outvotes a
# village that looks more like the text (Chernivtsi against Chornohuzy for "Tsornokhuzi").
GUESS_WEIGHT = {"sounds_like": 0.5, "near_spelling": 0.5, "reading": 0.5, "fuzzy": 0.25}


@dataclass
class Candidate:
    area: Area
    score: float
    matched: str
    match: str  # "official", "alias", "sounds_like", "near_spelling", "code"
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "code": self.area.code,
            "name_en": self.area.name_en,
            "name_uk": self.area.name_uk,
            "category": self.area.category,
            "score": round(self.score, 3),
            "matched": self.matched,
            "match": self.match,
            "reasons": self.reasons,
        }


@dataclass
class Resolution:
    text: str
    outcome: str
    candidates: list[Candidate]

    @property
    def area(self) -> Area | None:
        """The answer when there is one; None when ambiguous or not found."""
        return self.candidates[0].area if self.outcome == RESOLVED else None

    @property
    def is_ambiguous(self) -> bool:
        return self.outcome == AMBIGUOUS


def _subtree_of(value) -> Area | str | None:
    """An Area, or a code left for the lookup's own statement to find (no extra query)."""
    if value is None or isinstance(value, Area):
        return value
    return str(value).strip().upper()


def _split_hints(text: str) -> tuple[str, set[str] | None]:
    levels = None
    for pattern, hint_levels in _HINT_PATTERNS:
        stripped = pattern.sub(" ", text).strip()
        if stripped and stripped != text.strip():
            text = stripped
            levels = hint_levels if levels is None else levels & hint_levels or hint_levels
    return text, levels


def _point_of(near) -> tuple[float, float] | None:
    if near is None:
        return None
    if isinstance(near, tuple | list):
        return float(near[0]), float(near[1])
    if isinstance(near, str):
        resolution = resolve(near)
        near = resolution.area
        if near is None:
            return None
    if isinstance(near, Area):
        if near.has_point():
            return near.latitude, near.longitude
        centre = (
            Area.objects.filter(parent_id=near.parent_id, is_hromada_centre=True, latitude__isnull=False)
            .values_list("latitude", "longitude")
            .first()
        )
        return centre
    return None


def resolve(text: str, *, within=None, near=None, levels=None, limit: int = 10) -> Resolution:
    """Rank the areas `text` may name. `within`: an Area or code; `near`: a (lat, lon), an Area
    or a place name; `levels`: restrict to these AreaLevel values."""
    original = text
    text = " ".join((text or "").split())
    within = _subtree_of(within)
    if not text:
        return Resolution(original, NOT_FOUND, [])

    if _CODE.match(text):
        area = Area.objects.filter(Q(code=text.upper()) | Q(pcode=text.upper())).order_by("path").first()
        if area is not None:
            return Resolution(original, RESOLVED, [Candidate(area, 2.0, area.code, "code", ["code"])])

    # "Shevchenkove, Kupiansk raion" and "Shevchenkove (Kharkiv oblast)": the tail is context.
    # An ambiguous tail still narrows the search to the subtrees it may mean.
    subtrees = [within] if within is not None else []
    head, _sep, tail = re.sub(r"[()]", ",", text).partition(",")
    tail = tail.strip(" ,")
    if tail and head.strip():
        text = head.strip()
        context = resolve(tail, within=within, levels=CONTEXT_LEVELS)
        if context.area is not None:
            subtrees = [context.area]
        elif context.is_ambiguous:
            subtrees = [candidate.area for candidate in context.candidates]

    text, hinted = _split_hints(text)
    wanted_levels = (set(levels) & hinted or set(levels)) if levels and hinted else (set(levels) if levels else hinted)
    normalized = normalize_name(text)
    key = name_key(text)
    if not normalized:
        return Resolution(original, NOT_FOUND, [])

    key_column = connection.ops.quote_name("key")
    if key:
        rows = _alias_rows(f"a.normalized = %s OR a.{key_column} = %s", [normalized, key], subtrees)
    else:
        rows = _alias_rows("a.normalized = %s", [normalized], subtrees)
    if not rows:
        # Nothing stored is spelled or keyed like the text: read it by other alphabets' rules
        # (Xostka, Canköy), and look for typos. Both are guesses, ranked together.
        rows = _reading_rows(text, subtrees) + _prefix_rows(key, subtrees)
    if not rows and subtrees:
        # Still nothing: compare with every name of the context. Only with a context: the
        # country holds 97,000 spellings, too many to scan, and too many to guess among.
        rows = _fuzzy_rows(text, key, subtrees)
    if wanted_levels and levels is None:
        # A hint word filters only when it leaves something: "Lyman town" is still Lyman.
        filtered = [row for row in rows if row["area__level"] in wanted_levels]
        rows = filtered or rows
    elif wanted_levels:
        rows = [row for row in rows if row["area__level"] in wanted_levels]
    candidates = _score(rows, normalized=normalized, key=key, hinted=bool(wanted_levels))
    if not candidates:
        return Resolution(original, NOT_FOUND, [])

    point = _point_of(near)
    if point:
        points = _candidate_points([candidate.area for candidate in candidates])
        for candidate in candidates:
            where = points.get(candidate.area.pk)
            if where is not None:
                km = distance_km(point, where)
                bonus = NEAR_WEIGHT * math.exp(-km / NEAR_SCALE_KM)
                candidate.score += bonus
                candidate.reasons.append(f"{km:.0f} km from the given point (+{bonus:.2f})")
    candidates.sort(key=lambda candidate: (-candidate.score, candidate.area.path))
    ranked = candidates[:limit]
    clear_lead = len(ranked) == 1 or ranked[0].score - ranked[1].score >= MARGIN - 1e-9
    # A lone weak guess (a typo-distance match on a village: "Cotman" → Korman) is shown, not
    # asserted.
    clear_lead = clear_lead and ranked[0].score >= MIN_RESOLVED_SCORE
    return Resolution(original, RESOLVED if clear_lead else AMBIGUOUS, ranked)


_AREA_FIELDS = (
    "code",
    "pcode",
    "level",
    "category",
    "parent_id",
    "path",
    "name_uk",
    "name_en",
    "latitude",
    "longitude",
    "population",
    "is_hromada_centre",
)
# One query brings the matching spellings and their areas: building Area objects from the row
# is cheaper than a second query, and lookups must stay in the low milliseconds.
_ROW_FIELDS = ("area_id", "name", "normalized", "key", "kind", *(f"area__{name}" for name in _AREA_FIELDS))


def _area_from_row(row: dict) -> Area:
    return Area(id=row["area_id"], **{name: row[f"area__{name}"] for name in _AREA_FIELDS})


def _alias_rows(condition: str, params: list, subtrees: list) -> list[dict]:
    """Matching spellings joined to their areas, in one statement.

    Plain SQL rather than the ORM: compiling the queryset cost more than running it (about a
    millisecond of a lookup's budget). Paths hold only codes and "/", so LIKE needs no escaping;
    the prefix pattern uses the path index (varchar_pattern_ops on PostgreSQL).
    """
    quote = connection.ops.quote_name
    alias_table, area_table = quote(AreaAlias._meta.db_table), quote(Area._meta.db_table)
    columns = [
        "a.area_id",
        "a.name",
        "a.normalized",
        f"a.{quote('key')}",
        "a.kind",
        *(f"ar.{quote(name)}" for name in _AREA_FIELDS),
    ]
    sql = (
        f"SELECT {', '.join(columns)} FROM {alias_table} a "
        f"JOIN {area_table} ar ON ar.id = a.area_id WHERE ({condition})"
    )
    params = list(params)
    if subtrees:
        conditions = []
        for subtree in subtrees:
            if isinstance(subtree, Area):
                conditions.append("ar.path LIKE %s")
                params.append(subtree.path + "%")
            else:
                conditions.append(f"ar.path LIKE (SELECT w.path FROM {area_table} w WHERE w.code = %s) || '%%'")
                params.append(subtree)
        sql += " AND (" + " OR ".join(conditions) + ")"
    sql += f" LIMIT {_PREFIX_FALLBACK_LIMIT}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(_ROW_FIELDS, row, strict=True)) for row in cursor.fetchall()]


def _prefix_rows(key: str, subtrees: list) -> list[dict]:
    """Typos ("Kupianks"): aliases whose key shares the first letters, kept if close enough.

    A range on the indexed key column (not LIKE, which SQLite will not index when it is
    case-insensitive); capped so that a two-letter query cannot read the whole table.
    """
    prefix = key[:3]
    if len(key) < 5:
        return []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    key_column = connection.ops.quote_name("key")
    rows = _alias_rows(f"a.{key_column} >= %s AND a.{key_column} < %s", [prefix, upper], subtrees)
    close = []
    for row in rows:
        matcher = SequenceMatcher(None, key, name_key(row["name"]))
        if matcher.real_quick_ratio() < NEAR_SPELLING or matcher.quick_ratio() < NEAR_SPELLING:
            continue
        similarity = matcher.ratio()
        if similarity >= NEAR_SPELLING:
            row["similarity"] = similarity
            close.append(row)
    return close


def _reading_rows(text: str, subtrees: list) -> list[dict]:
    """Spellings whose key is the key of the text read by another alphabet's rules: Catalan
    "Xostka" is Shostka, Crimean Tatar "Canköy" Dzhankoi. Each row says which reading found it."""
    readings_by_key: dict[str, list[tuple[str, str]]] = {}
    for language, reading in foreign_readings(text).items():
        readings_by_key.setdefault(name_key(reading), []).append((language, reading))
    readings_by_key.pop("", None)
    if not readings_by_key:
        return []
    placeholders = ", ".join(["%s"] * len(readings_by_key))
    key_column = connection.ops.quote_name("key")
    rows = _alias_rows(f"a.{key_column} IN ({placeholders})", list(readings_by_key), subtrees)
    for row in rows:
        # The reading closest to this spelling names the language, and its likeness scores the row.
        spelling = _latin(row["normalized"])
        row["reading"] = max(
            (
                (language, reading, SequenceMatcher(None, normalize_name(reading), spelling).ratio())
                for language, reading in readings_by_key[row["key"]]
            ),
            key=lambda item: item[2],
        )
    return rows


def _fuzzy_rows(text: str, key: str, subtrees: list) -> list[dict]:
    """Spellings of the context's places that look like the text, or like one of its readings.

    Alike: the difflib ratio of the sound skeletons (sibilants folded, the letters other
    alphabets write most differently) at least FUZZY_SIMILARITY; ranked by that ratio averaged
    with the ratio of the keys themselves, so the closer spelling of two same-sounding names
    ranks first. One statement for the context's keys (an oblast has a few thousand), one for
    the rows of those that are alike. Nothing is cached between lookups: the names can change.
    """
    variants = {key, *(name_key(reading) for reading in foreign_readings(text).values())} - {""}
    paths = _subtree_paths(subtrees)
    if not variants or not paths or any(path.count(PATH_SEPARATOR) < 2 for path in paths):
        return []  # the whole country is no context
    quote = connection.ops.quote_name
    key_column = quote("key")
    # SQLite's LIKE ignores case and so cannot use the path index; GLOB is case-sensitive and
    # can. Paths hold only codes and "/", neither a wildcard of GLOB nor of LIKE.
    operator, wildcard = ("GLOB", "*") if connection.vendor == "sqlite" else ("LIKE", "%")
    in_subtree = " OR ".join([f"ar.path {operator} %s"] * len(paths))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.{key_column} FROM {quote(Area._meta.db_table)} ar "
            f"JOIN {quote(AreaAlias._meta.db_table)} a ON a.area_id = ar.id WHERE {in_subtree}",
            [path + wildcard for path in paths],
        )
        keys = {stored for (stored,) in cursor.fetchall() if stored}
    by_skeleton: dict[str, list[str]] = {}
    for variant in variants:
        by_skeleton.setdefault(sound_skeleton(variant), []).append(variant)
    similar: dict[str, float] = {}
    for variant_skeleton, same_skeleton in by_skeleton.items():
        # SequenceMatcher caches what it learns of its second sequence: the variant stays put.
        skeletons = SequenceMatcher(None, b=variant_skeleton)
        spellings = [SequenceMatcher(None, b=variant) for variant in same_skeleton]
        length = len(variant_skeleton)
        for stored in keys:
            skeleton = sound_skeleton(stored)
            # The ratio cannot exceed 2·shorter/(sum of lengths): most names fail on length alone.
            if 2 * min(length, len(skeleton)) < FUZZY_SIMILARITY * (length + len(skeleton)):
                continue
            skeletons.set_seq1(skeleton)
            if skeletons.quick_ratio() < FUZZY_SIMILARITY:
                continue
            skeleton_ratio = skeletons.ratio()
            if skeleton_ratio < FUZZY_SIMILARITY:
                continue
            for spelling in spellings:
                spelling.set_seq1(stored)
                similarity = (skeleton_ratio + spelling.ratio()) / 2
                if similarity > similar.get(stored, 0.0):
                    similar[stored] = similarity
    if not similar:
        return []
    placeholders = ", ".join(["%s"] * len(similar))
    rows = _alias_rows(f"a.{key_column} IN ({placeholders})", list(similar), subtrees)
    for row in rows:
        row["fuzzy"] = similar[row["key"]]
    return rows


def _subtree_paths(subtrees: list) -> list[str]:
    paths = [subtree.path for subtree in subtrees if isinstance(subtree, Area)]
    codes = [subtree for subtree in subtrees if not isinstance(subtree, Area)]
    if codes:
        paths += Area.objects.filter(code__in=codes).values_list("path", flat=True)
    return paths


def _latin(text: str) -> str:
    """Compare spellings across scripts: Николаев against Nikolaev."""
    if not is_cyrillic(text):
        return text
    return (romanize_russian(text) if looks_russian(text) else transliterate_uk(text)).lower()


def _is_official_spelling(row: dict, *, normalized: str, key: str, cache: dict) -> bool:
    """Same sound-alike key as the official name, and close to it. The key folds o/e/i, so
    Korolivka and Kyrylivka share one: only a close spelling counts. Once per area and query."""
    area_id = row["area_id"]
    if area_id not in cache:
        cache[area_id] = key in (name_key(row["area__name_en"]), name_key(row["area__name_uk"])) and (
            SequenceMatcher(None, _latin(normalized), normalize_name(row["area__name_en"])).ratio() >= OFFICIAL_SPELLING
        )
    return cache[area_id]


def _spelling(row: dict, *, normalized: str, key: str, official: dict) -> tuple[float, str, str]:
    """How well the text matches this spelling of the area's name: (score, match, reason).

    A spelling of the official name (Kupyansk, Kup'jans'k: same key as Kupiansk) ranks above a
    stored name that is really another name (historical, Russian, an exonym), because GeoNames
    alternates include old names shared by unrelated places (Slavyansk for Nikopol).
    """
    if "reading" in row:
        language, reading, similarity = row["reading"]
        return 0.6 + 0.15 * similarity, "reading", f"read as {language} {reading!r}: sounds like {row['name']!r}"
    if "fuzzy" in row:
        score = FUZZY_SCORE + FUZZY_SCORE_RANGE * (row["fuzzy"] - FUZZY_SIMILARITY) / (1 - FUZZY_SIMILARITY)
        return score, "fuzzy", f"looks like {row['name']!r} ({row['fuzzy']:.0%} alike)"
    if row["normalized"] == normalized and row["kind"] in OFFICIAL_KINDS:
        return 1.0, "official", "official name"
    if key and _is_official_spelling(row, normalized=normalized, key=key, cache=official):
        return 0.95, "official_spelling", f"a spelling of the official name {row['area__name_en']!r}"
    if row["normalized"] == normalized or _latin(row["normalized"]) == _latin(normalized):
        # The same name, possibly in the other script (Артемовск for Artemovsk).
        return 0.8, "alias", f"known name {row['name']!r} ({row['kind']})"
    if "similarity" in row:
        return 0.7 * row["similarity"], "near_spelling", f"near spelling of {row['name']!r}"
    similarity = SequenceMatcher(None, _latin(normalized), _latin(row["normalized"])).ratio()
    # Below a known name whatever the similarity, so the order rows arrive in never decides.
    return 0.6 + 0.15 * similarity, "sounds_like", f"sounds like {row['name']!r}"


def _score(rows: list[dict], *, normalized: str, key: str, hinted: bool) -> list[Candidate]:
    best: dict[int, Candidate] = {}
    best_rows: dict[int, dict] = {}
    official: dict[int, bool] = {}
    for row in rows:
        spelling, match, why = _spelling(row, normalized=normalized, key=key, official=official)
        candidate = best.get(row["area_id"])
        if candidate is not None and candidate.score >= spelling:
            continue
        best[row["area_id"]] = Candidate(_area_from_row(row), spelling, row["name"], match, [f"{why} ({spelling:.2f})"])
        best_rows[row["area_id"]] = row
    candidates = []
    for area_id, candidate in best.items():
        row = best_rows[area_id]
        category = row["area__category"]
        # Size and rank decide between places of the same name. For a name that only sounds
        # alike they count half: a city called Petrovske must not beat villages whose official
        # name is exactly Петрівське.
        factor = GUESS_WEIGHT.get(candidate.match, 1.0)
        weight = 0.0 if hinted else factor * CATEGORY_WEIGHT.get(category, 0.0)
        if weight:
            candidate.score += weight
            candidate.reasons.append(f"{category} ({weight:+.2f})")
        if row["area__is_hromada_centre"]:
            candidate.score += factor * HROMADA_CENTRE_WEIGHT
            candidate.reasons.append(f"hromada centre (+{factor * HROMADA_CENTRE_WEIGHT:.2f})")
        if row["area__level"] == AreaLevel.SETTLEMENT or category == AreaCategory.SPECIAL_STATUS_CITY:
            population = row["area__population"]
            bonus = 0.1 * math.log10(max(population or UNKNOWN_POPULATION, UNKNOWN_POPULATION) / UNKNOWN_POPULATION)
            candidate.score += factor * bonus
            if population:
                candidate.reasons.append(f"population {population:,} (+{factor * bonus:.2f})")
        candidates.append(candidate)
    candidates.sort(key=lambda candidate: -candidate.score)
    return candidates


def _candidate_points(areas) -> dict[int, tuple[float, float]]:
    """Each candidate's point, or failing that its hromada centre's: villages without
    coordinates are still placed to within a few kilometres."""
    points = {area.pk: (area.latitude, area.longitude) for area in areas if area.has_point()}
    missing = {area.pk: area.parent_id for area in areas if not area.has_point()}
    if missing:
        centres = {
            parent_id: (lat, lon)
            for parent_id, lat, lon in Area.objects.filter(
                parent_id__in=set(missing.values()), is_hromada_centre=True, latitude__isnull=False
            ).values_list("parent_id", "latitude", "longitude")
        }
        for pk, parent_id in missing.items():
            if parent_id in centres:
                points[pk] = centres[parent_id]
    return points


# Places typed in part, in this order: the settlements people mean, then the areas named after them.
LEVEL_ORDER = {
    level: index
    for index, level in enumerate(
        [AreaLevel.SETTLEMENT, AreaLevel.CITY_DISTRICT, AreaLevel.HROMADA, AreaLevel.RAION, AreaLevel.OBLAST]
    )
}
# Resolver candidates that matched a stored spelling, not a guess at one.
CERTAIN_MATCHES = ("code", "official", "alias")


def search_areas(queryset, text: str, *, within=None, levels=None, limit: int = 50):
    """For the admin's and the API's search box: the areas `text` may name, best first.

    A code or P-code prefix ("UA6308") matches by prefix. Anything else goes through resolve(),
    in its order, followed by the places one of whose names starts with the text. When the text
    is no complete spelling of any place (someone still typing: "Kivsh"), those come right after
    the resolver's matches of a stored spelling and before its guesses, which are then guesses
    at a word not finished (Kyiv for "Kivsh"). "Petropavlivka Kupianskyi" without a comma is read
    as "Petropavlivka, Kupianskyi" when the whole text names nothing. `within` and `levels`
    narrow the candidates before the cut to `limit`, as in resolve().
    """
    text = " ".join((text or "").split())
    if not text:
        return queryset
    if _CODE.match(text):
        return queryset.filter(Q(code__startswith=text.upper()) | Q(pcode__startswith=text.upper()))
    candidates = resolve(text, within=within, levels=levels, limit=limit).candidates
    if not candidates and " " in text and "," not in text:
        head, _space, last = text.rpartition(" ")
        candidates = resolve(f"{head}, {last}", within=within, levels=levels, limit=limit).candidates
    ranked = [candidate.area.pk for candidate in candidates]
    completions = _starting_with(text, within=within, levels=levels, limit=limit)
    if completions and not AreaAlias.objects.filter(normalized=normalize_name(text)).exists():
        certain = [candidate.area.pk for candidate in candidates if candidate.match in CERTAIN_MATCHES]
        ranked = [*certain, *completions, *ranked]
    ids = list(dict.fromkeys([*ranked, *completions]))[:limit]
    if not ids:
        return queryset.none()
    order = Case(*[When(pk=pk, then=Value(rank)) for rank, pk in enumerate(ids)], output_field=IntegerField())
    return queryset.filter(pk__in=ids).order_by(order)


def _starting_with(text: str, *, within=None, levels=None, limit: int) -> list[int]:
    """Ids of the areas one of whose spellings starts with the text, settlements first, then
    by name. One query on the spellings' index; nothing for under three letters."""
    normalized = normalize_name(text)
    if len(normalized) < 3:
        return []
    areas = Area.objects.filter(aliases__normalized__startswith=normalized)
    within = _subtree_of(within)
    if isinstance(within, str):
        within = Area.objects.filter(Q(code=within) | Q(pcode=within)).order_by("path").first()
        if within is None:
            return []
    if within is not None:
        areas = areas.filter(path__startswith=within.path)
    if levels:
        areas = areas.filter(level__in=list(levels))
    rows = areas.order_by().values_list("pk", "level", "name_en").distinct()[: limit * 4]
    return [pk for pk, _level, _name in sorted(rows, key=lambda row: (LEVEL_ORDER.get(row[1], 99), row[2]))][:limit]
