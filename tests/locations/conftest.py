"""Gazetteer fixtures: a slice of the real codifier (Kupiansk raion and friends), imported."""

from pathlib import Path

import pytest

from locations import gazetteer
from locations.services import gazetteer_import

DATA = Path(__file__).parent / "data"
SMALL_CODIFIER = DATA / "codifier_small.csv"

# GeoNames facts for a few places of the slice, as the build would attach them.
GEONAMES = {
    "UA63080090010026457": (
        49.71003,
        37.61581,
        27169,
        704147,
        [("Kupyansk", "geonames", ""), ("Купянск", "russian", "ru")],
    ),
    "UA63120270010096107": (
        49.98177,
        36.25475,
        1421125,
        706483,
        [("Kharkov", "geonames", ""), ("Харьков", "russian", "ru")],
    ),
    "UA63080150010082504": (49.6951, 37.17625, 7090, 700000, []),
    "UA63080070010082928": (49.76569, 37.58311, 836, 700001, [("Kondrashovka", "geonames", "")]),
    "UA48060370010072079": (46.8629, 32.2027, 3150, 700002, []),
}


def small_records():
    """The small codifier with GeoNames points, populations and spellings attached."""
    records = gazetteer.codifier_records(gazetteer.codifier_rows_read(SMALL_CODIFIER))
    for record in records:
        if record.code in GEONAMES:
            lat, lon, population, geonames_id, aliases = GEONAMES[record.code]
            record.latitude, record.longitude, record.population, record.geonames_id = lat, lon, population, geonames_id
            record.aliases = list(aliases)
    return records


@pytest.fixture
def small_gazetteer(db):
    return gazetteer_import(records=small_records())
