"""The committed data file: the whole country imports, and the resolver answers on it.

One test on purpose: importing 31,700 areas and ~100,000 spellings takes seconds, not
milliseconds, so every check on the full country shares that one import.
"""

import pytest

from locations import gazetteer
from locations.models import Area, AreaAlias
from locations.resolver import AMBIGUOUS, resolve
from locations.services import gazetteer_import

pytestmark = pytest.mark.django_db


def test_the_whole_country_imports_and_resolves():
    records = gazetteer.records_read()
    summary = gazetteer_import(records=records)
    assert summary.skipped == 0, summary.problems[:5]
    assert Area.objects.count() == len(records) > 31_000
    levels = {level: Area.objects.filter(level=level).count() for level in ("oblast", "raion", "hromada")}
    assert levels == {"oblast": 27, "raion": 136, "hromada": 1772}  # 1,469 hromadas + Crimea's 303 councils
    assert AreaAlias.objects.count() > 90_000
    assert Area.objects.filter(latitude__isnull=False).count() > 4_500

    kupiansk = Area.objects.get(code="UA63080090010026457")
    assert kupiansk.pcode == "UA6308009001" and kupiansk.population
    assert Area.objects.within(Area.objects.get(pcode="UA6308")).count() > 100

    expected = {
        "Kupyansk": "UA63080090010026457",
        "Kharkov": "UA63120270010096107",
        "Artemivsk": "UA14020010010059145",  # Bakhmut
        "Dnipropetrovsk": "UA12020010010037010",  # Dnipro
        "Kirovograd": "UA35040210010019355",  # Kropyvnytskyi
        "Zaporozhye": "UA23060070010069526",
        "Kiev": "UA80000000000093317",
        "Kharkiv oblast": "UA63000000000041885",
        "Kupiansk raion": "UA63080000000032022",
        "Shevchenkove, Kupiansk raion": "UA63080150010082504",
    }
    answers = {text: getattr(resolve(text).area, "code", None) for text in expected}
    assert answers == expected
    assert resolve("Shevchenkove").outcome == AMBIGUOUS
    assert resolve("Novoselivka").outcome == AMBIGUOUS
