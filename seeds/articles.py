"""What the repository keeps of the four articles: hashed 9-word shingles and their shape.

The articles themselves stay outside the repository (`../shared/seeds/`). To check that no
seed text copies them, and that every locator names a paragraph or sentence that exists, the
repository keeps `data/articles.json`: per article, its paragraph and sentence counts, the
figures each paragraph states, and the truncated SHA-256 of each run of 9 normalised words.
A hash cannot be read back into the article's words, and the check runs wherever the
repository is (CI has no `../shared`).
`python manage.py seed_articles DIR` rebuilds the file from the articles.
"""

import hashlib
import json
import re
import unicodedata
from pathlib import Path

ARTICLES_FILE = Path(__file__).parent / "data" / "articles.json"
SHINGLE_WORDS = 9
# 12 hex digits (48 bits): about 3,000 shingles in all, so a chance collision is ~1e-8.
HASH_LENGTH = 12

# Article file name prefix (000…003) → the source slug in the seed file.
ARTICLE_SOURCES = {
    "000": "news-2022-09-kupiansk-families-flee",
    "001": "news-2023-kupiansk-district-evacuation",
    "002": "afp-2023-08-kupiansk-evacuation-call",
    "003": "news-2023-08-kupiansk-mandatory-evacuation",
}


def words(text: str) -> list[str]:
    """Lower-case words, punctuation and apostrophes dropped, numbers in groups of three digits.

    "Kupiansk’s 25,000", "kupianks 25 000" and "KUPIANKS 25000" all become
    ["kupiansks", "25", "000"], so neither case, quotes nor a reformatted number hide a copied
    run; a number counts a word per digit group, as a reader of "25,000" sees it.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=\d)[,\u202f\u00a0 ](?=\d{3}\b)", "", text)
    text = re.sub(r"\d+", lambda m: " ".join(_groups_of_three(m.group())), text)
    text = re.sub(r"['’‘`ʼ]", "", text)
    return re.findall(r"[^\W_]+", text)


def _groups_of_three(digits: str) -> list[str]:
    head = len(digits) % 3 or 3
    return [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]


def shingles(text: str) -> list[str]:
    """Every run of SHINGLE_WORDS consecutive words, joined by single spaces."""
    found = words(text)
    return [" ".join(found[i : i + SHINGLE_WORDS]) for i in range(len(found) - SHINGLE_WORDS + 1)]


def shingle_hash(shingle: str) -> str:
    return hashlib.sha256(shingle.encode()).hexdigest()[:HASH_LENGTH]


def paragraphs(text: str) -> list[str]:
    """An article's paragraphs: its non-empty lines, as seeds/README.md counts them."""
    return [line for line in text.splitlines() if line.strip()]


def sentences(text: str) -> list[str]:
    """A one-paragraph article's sentences: split after . ! ? or a closing quote that one of
    them ends, before a capital or an opening quote (seeds/README.md, "Locators")."""
    return [s for s in re.split(r"(?<=[.!?”])\s+(?=[A-Z“])", text.strip()) if s]


def numbers(text: str) -> list[str]:
    """The figures a text states in digits, thousands separators dropped ("12,000" → "12000"),
    years left out: a note's figures must be its paragraph's, a year may come from elsewhere."""
    found = re.findall(r"\d+(?:[,\u202f\u00a0 ]\d{3}\b)*", unicodedata.normalize("NFKC", text))
    plain = {re.sub(r"\D", "", n) for n in found}
    return sorted(n for n in plain if not re.fullmatch(r"(19|20)\d\d", n))


def locator_units(text: str) -> dict[str, str]:
    """Locator → text: ¶1… for the paragraphs, or s1… for the sentences of a one-paragraph article."""
    found = paragraphs(text)
    if len(found) == 1:
        return {f"s{i}": sentence for i, sentence in enumerate(sentences(text), 1)}
    return {f"¶{i}": paragraph for i, paragraph in enumerate(found, 1)}


def fingerprint(directory: Path) -> dict:
    """The content of data/articles.json, from the article files in `directory`."""
    articles = {}
    for path in sorted(directory.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        articles[path.name[:3]] = {
            "file": path.name,
            "source": ARTICLE_SOURCES[path.name[:3]],
            "paragraphs": len(paragraphs(text)),
            "sentences": len(sentences(text)),
            # The figures each paragraph (or sentence) states, so a note's figures can be
            # checked against the paragraph its locator names.
            "numbers": {unit: found for unit, part in locator_units(text).items() if (found := numbers(part))},
            "shingles": sorted({shingle_hash(s) for s in shingles(text)}),
        }
    return articles


def fingerprint_load(path: Path = ARTICLES_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def copied_runs(text: str, hashes: set[str]) -> list[str]:
    """The runs of SHINGLE_WORDS words of `text` whose hash is one of an article's."""
    return [s for s in shingles(text) if shingle_hash(s) in hashes]
