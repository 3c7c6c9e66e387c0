"""The seed file against the articles: our own words, locators that exist, whole notes, a
README that lists what is loaded. Reads seeds/data/articles.json (hashed shingles, counts), so
it runs without the articles; where ../shared/seeds/ is present, that file is checked too."""

import re
from pathlib import Path

import pytest
import yaml

from seeds.articles import (
    ARTICLE_SOURCES,
    SHINGLE_WORDS,
    copied_runs,
    fingerprint,
    fingerprint_load,
    numbers,
    shingle_hash,
    shingles,
    words,
)
from seeds.catalogue import BEGIN, END, README, facts_table
from seeds.loader import SEED_FILE, SeedError, seed_load

ARTICLES_DIR = Path(__file__).resolve().parents[3] / "shared" / "seeds"
FACT_SECTIONS = ("designations", "incidents", "orders", "population_counts")


def seed_data():
    return yaml.safe_load(SEED_FILE.read_text(encoding="utf-8"))


def citations():
    data = seed_data()
    return [(row["key"], c) for section in FACT_SECTIONS for row in data[section] for c in row["citations"]]


def article_hashes():
    return {h for article in fingerprint_load().values() for h in article["shingles"]}


def test_normalising_ignores_case_punctuation_quotes_and_number_format():
    assert (
        words("Kupiansk’s “25,000” PEOPLE") == words("kupiansks 25 000 people") == ["kupiansks", "25", "000", "people"]
    )
    assert words("25000") == ["25", "000"]


def test_the_copy_check_can_fail():
    made_up = "one two three four five six seven eight nine ten"
    hashes = {shingle_hash(s) for s in shingles(made_up)}
    assert copied_runs("Our note: ONE two, three four five six seven eight nine.", hashes) == [
        "one two three four five six seven eight nine"
    ]
    assert copied_runs("one two three four five six seven eight", hashes) == []  # 8 words is not a run


@pytest.mark.parametrize("path", [SEED_FILE, README], ids=lambda p: p.name)
def test_no_run_of_nine_words_is_copied_from_an_article(path):
    """The whole file — summaries, notes, titles, comments — against every article."""
    copied = copied_runs(path.read_text(encoding="utf-8"), article_hashes())
    assert not copied, f"{len(copied)} run(s) of {SHINGLE_WORDS} words copied from an article, e.g. {copied[0]!r}"


def test_the_stored_fingerprint_matches_the_articles():
    if not ARTICLES_DIR.is_dir():
        pytest.skip(f"{ARTICLES_DIR} is absent; data/articles.json stands in for the articles")
    assert fingerprint(ARTICLES_DIR) == fingerprint_load(), "run: manage.py seed_articles ../shared/seeds"


def test_every_locator_names_a_paragraph_or_sentence_the_article_has():
    """000 is one paragraph: sentences (s1…). The others: paragraphs (¶1…), non-empty lines."""
    articles = {article["source"]: article for article in fingerprint_load().values()}
    assert set(articles) == set(ARTICLE_SOURCES.values())
    for key, citation in citations():
        article = articles[citation["source"]]
        unit, count = ("s", article["sentences"]) if article["paragraphs"] == 1 else ("¶", article["paragraphs"])
        match = re.fullmatch(rf"{unit}(\d+)", str(citation["locator"]))
        assert match, (key, citation["locator"], f"expected {unit}n")
        assert 1 <= int(match.group(1)) <= count, (key, citation["locator"], f"the article has {count}")


def test_every_note_is_a_whole_sentence():
    """A note cut at an unquoted comma ("About 12" for "About 12,000 …") ends mid-sentence."""
    for key, citation in citations():
        note = citation["note"]
        assert isinstance(note, str) and note.endswith("."), (key, citation["locator"], note)


@pytest.mark.django_db
def test_stored_notes_are_the_whole_notes_of_the_seed_file():
    from reports.models import Citation

    seed_load()
    stored = set(Citation.objects.values_list("locator", "note"))
    assert stored == {(str(c["locator"]), c["note"]) for _key, c in citations()}
    assert ("¶2", "About 12,000 people, over 600 of them children, subject to the orders.") in stored


@pytest.mark.django_db
def test_a_note_cut_by_an_unquoted_comma_is_refused(tmp_path):
    from reports.models import Citation

    cut = SEED_FILE.read_text(encoding="utf-8").replace(
        'note: "About 12,000 people, over 600 of them children, subject to the orders."}',
        "note: About 12,000 people, over 600 of them children, subject to the orders.}",
    )
    assert cut != SEED_FILE.read_text(encoding="utf-8")
    path = tmp_path / "cut.yaml"
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(SeedError, match=r"orders\[kupiansk-district-mandatory-2023-08\].*unknown keys"):
        seed_load(path=path)
    assert not Citation.objects.exists()


@pytest.mark.django_db
def test_the_readme_table_is_the_seed_file():
    readme = README.read_text(encoding="utf-8")
    table = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == facts_table(), "run: manage.py seed_readme"
    assert table.count("\n") - 1 == len(citations())


def test_every_figure_of_a_note_is_in_the_paragraph_its_locator_names():
    """A locator pointing at the wrong paragraph shows when the note's figures are not there."""
    articles = {article["source"]: article for article in fingerprint_load().values()}
    checked = 0
    for key, citation in citations():
        stated = set(articles[citation["source"]]["numbers"].get(str(citation["locator"]), []))
        missing = set(numbers(citation["note"])) - stated
        assert not missing, (key, citation["locator"], f"{sorted(missing)} not in that paragraph")
        checked += bool(numbers(citation["note"]))
    assert checked >= 5  # the check reads something: 443, 12,000, 600, 25,000, 90 km…


def test_a_figure_in_the_wrong_paragraph_is_caught():
    assert numbers("About 12,000 people, over 600 of them children, in 2023.") == ["12000", "600"]
    assert set(numbers("Nearly 12,000 asked to leave.")) - set(fingerprint_load()["001"]["numbers"].get("¶2", []))
