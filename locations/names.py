"""Names of places: the official Ukrainian romanization and the normal form used to match names.

The transliteration follows the Cabinet of Ministers resolution No. 55 of 2010 (the national
standard used in passports and on road signs): Куп'янськ → Kupiansk, Запоріжжя → Zaporizhzhia.
"""

import re
import unicodedata

# Letters whose romanization differs at the start of a word (Є, Ї, Й, Ю, Я).
_WORD_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_ELSEWHERE = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu", "я": "ia",
}  # fmt: skip
APOSTROPHES = "'’ʼ`´‘"


def transliterate_uk(text: str) -> str:
    """Romanize Ukrainian text by the 2010 national standard."""
    out = []
    previous_is_letter = False
    text = unicodedata.normalize("NFC", text)
    for index, char in enumerate(text):
        lower = char.lower()
        if lower in APOSTROPHES:
            # The apostrophe is dropped, and does not start a new word.
            continue
        if lower == "г" and index > 0 and text[index - 1].lower() == "з":
            latin = "gh"  # зг → zgh, so that it is not read as "zh"
        elif lower in _WORD_INITIAL and not previous_is_letter:
            latin = _WORD_INITIAL[lower]
        elif lower in _ELSEWHERE:
            latin = _ELSEWHERE[lower]
        else:
            latin = char
        if char != lower and latin:
            # Capitalize only the first letter: Щ → Shch, Ж → Zh.
            latin = latin[0].upper() + latin[1:]
        out.append(latin)
        previous_is_letter = char.isalpha()
    return "".join(out)


_KEPT_MARKS = ("\u0306", "\u0308")  # combining breve and diaeresis
_SEPARATORS = re.compile(r"[\s\-‐‑–—_.,/]+")


def normalize_name(text: str) -> str:
    """The form two spellings of one name share: case, apostrophes, hyphens and accents folded.

    Cyrillic letters keep their identity (й is not и, ї is not і); Latin accents are dropped
    so that "Kup'yans'k", "Kupyansk" and "KUPYANSK" meet.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    for apostrophe in APOSTROPHES:
        text = text.replace(apostrophe, "")
    # NFKD splits й and ї into a letter and a mark; those two marks are kept (NFC rejoins
    # them) so Cyrillic letters keep their identity. Every other accent is dropped.
    text = "".join(
        char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char) or char in _KEPT_MARKS
    )
    text = unicodedata.normalize("NFC", text)
    return _SEPARATORS.sub(" ", text).strip()
