"""`manage.py import_acled FILE`: ACLED's column layout into incidents (reports.acled), on small
hand-made files in tests/reports/data: good rows, bad rows named, ambiguous places listed with
their candidates, and a second run that writes nothing."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from reports.models import Change, Citation, DirtyArea, Incident, Source
from tests.locations.conftest import small_gazetteer  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
KUPIANSK = "UA63080090010026457"


def run(name, *flags):
    out, err = _Buffer(), _Buffer()
    call_command("import_acled", str(DATA / name), *flags, stdout=out, stderr=err)
    return out.text, err.text


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def history_rows():
    return Incident.history.count() + Citation.history.count() + Source.history.count()


def test_good_rows_become_incidents_in_our_words(small_gazetteer):  # noqa: F811
    out, _err = run("acled_small.csv")
    assert "created 2 incidents, 0 already imported, 1 skipped" in out
    shelling, attack = Incident.objects.order_by("occurred_on")
    assert (shelling.incident_type, shelling.area.code, str(shelling.occurred_on)) == (
        "shelling",
        KUPIANSK,
        "2023-08-09",
    )
    assert (shelling.geo_precision, shelling.occurred_on_precision) == ("exact", "day")
    # ACLED's 0 is "none reported": unknown, not a count of none.
    assert (shelling.fatalities, shelling.civilians_killed) == (None, None)
    # "10 August 2023", week precision, near; civilians targeted: the dead counted as civilians.
    assert (attack.incident_type, str(attack.occurred_on), attack.occurred_on_precision) == (
        "attack_on_civilians", "2023-08-10", "week",
    )  # fmt: skip
    assert (attack.fatalities, attack.fatalities_qualifier, attack.civilians_killed) == (2, "at_least", 2)
    assert attack.geo_precision == "near" and attack.area.code == KUPIANSK  # "Kupyansk": a GeoNames spelling
    # Our summary, never ACLED's notes; the event id is the citation's locator.
    assert "civilians were killed" not in attack.summary and "Kupiansk" in attack.summary
    (citation,) = attack.citations.all()
    assert (citation.source.slug, citation.locator) == ("acled", "UKR90002")
    assert "Ukrinform" in citation.note
    # Through the services: history, the change feed and dirty marks.
    assert Incident.history.count() == 2
    assert Change.objects.filter(type="incident").count() == 2
    assert DirtyArea.objects.filter(area__code=KUPIANSK).exists()


def test_running_the_same_file_twice_writes_nothing(small_gazetteer):  # noqa: F811
    run("acled_small.csv")
    before = (Incident.objects.count(), Citation.objects.count(), Change.objects.count(), history_rows())
    out, _err = run("acled_small.csv")
    assert "created 0 incidents, 2 already imported, 1 skipped" in out
    assert (Incident.objects.count(), Citation.objects.count(), Change.objects.count(), history_rows()) == before


def test_a_dry_run_checks_every_row_and_writes_nothing(small_gazetteer):  # noqa: F811
    out, _err = run("acled_small.csv", "--dry-run")
    assert "would create 2 incidents" in out
    assert not Incident.objects.exists() and not Source.objects.filter(slug="acled").exists()


def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(small_gazetteer):  # noqa: F811
    with pytest.raises(CommandError):
        run("acled_bad.csv")
    assert not Incident.objects.exists()
    assert not Source.objects.filter(slug="acled").exists()


def test_each_bad_row_says_what_is_wrong(small_gazetteer):  # noqa: F811
    from reports.acled import acled_import

    report = acled_import(content=(DATA / "acled_bad.csv").read_bytes(), filename="acled_bad.csv")
    by_row = {}
    for number, column, message in report.errors:
        by_row.setdefault(number, []).append((column, message))
    assert sorted(by_row) == [3, 4, 5, 6, 7]  # row 2 is good: but all or none
    ((column, message),) = by_row[3]
    # Shevchenkove: several villages of the name and no context: listed, not guessed.
    assert column == "location" and "ambiguous" in message and message.count("UA") >= 2
    assert by_row[4] == [("location", "'Nowhere-on-Sea' is not in the gazetteer.")]
    assert [column for column, _message in by_row[5]] == ["event_date"]
    assert sorted(column for column, _message in by_row[6]) == ["fatalities", "time_precision"]
    assert by_row[7] == [("event_id_cnty", "UKR91001 is in the file twice.")]
    assert not report.ok and report.created == 0
