"""Names of places: the official Ukrainian romanization and the normal form used to match names.

The transliteration follows the Cabinet of Ministers resolution No. 55 of 2010 (the national
standard used in passports and on road signs): Куп'янськ → Kupiansk, Запоріжжя → Zaporizhzhia.
"""

import functools
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


@functools.lru_cache(maxsize=262144)
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


# --- spelling variants ------------------------------------------------------------------------

# The older BGN/PCGN-style romanization news agencies still use: Kup'yans'k, Zaporizhzhya.
_BGN_UK = {
    **_ELSEWHERE,
    "є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya", "ь": "'",
}  # fmt: skip
# Russian names romanized the way wire services and older maps do (BGN/PCGN, soft sign dropped):
# Харьков → Kharkov, Запорожье → Zaporozhye, Николаев → Nikolayev.
_RU = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    # Letters of other Cyrillic alphabets that turn up in variant spellings.
    "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ј": "y",
}  # fmt: skip
_RU_VOWELS = set("аеёиоуыэюяіїєaeiouy")
_RUSSIAN_ONLY = set("ыэёъ")
_UKRAINIAN_ONLY = set("іїєґ")


def _romanize(text: str, table: dict[str, str], *, ye_after_vowel: bool = False) -> str:
    out = []
    previous = ""
    for char in unicodedata.normalize("NFC", text):
        lower = char.lower()
        if lower in APOSTROPHES:
            previous = lower
            continue
        latin = table.get(lower, char)
        if ye_after_vowel and lower == "е" and (not previous.isalpha() or previous in _RU_VOWELS or previous in "ьъ"):
            latin = "ye"  # Russian е is "ye" at the start of a word and after a vowel: Yenakiyevo
        if char != lower and latin:
            latin = latin[0].upper() + latin[1:]
        out.append(latin)
        previous = lower
    return "".join(out)


def is_cyrillic(text: str) -> bool:
    return any("\u0400" <= char <= "\u04ff" for char in text)


def looks_russian(text: str) -> bool:
    """A Cyrillic name with a letter Ukrainian lacks (ы, э, ё, ъ), or none of Ukrainian's own."""
    letters = set(text.lower())
    return bool(letters & _RUSSIAN_ONLY) or not letters & _UKRAINIAN_ONLY


def romanize_russian(text: str) -> str:
    return _romanize(text, _RU, ye_after_vowel=True)


def name_variants_uk(name_uk: str) -> set[str]:
    """Latin spellings of a Ukrainian name other than the official one: Kup'yans'k, Kupyansk."""
    bgn = _romanize(name_uk, _BGN_UK)
    return {bgn, bgn.replace("'", "")} - {transliterate_uk(name_uk)}


def name_variants_ru(name_ru: str) -> set[str]:
    """Latin spellings of a Russian name: Nikolayev and Nikolaev, Zaporozhye and Zaporozhe."""
    bgn = romanize_russian(name_ru)
    return {bgn, _romanize(name_ru, _RU)}


# Letters of other Latin alphabets, spelled as English romanizations spell the same sounds
# (Polish Szewczenkowe, Czech Ševčenkove, Turkish Harkiv with ş...), before accents are dropped.
_LATIN_LETTERS = str.maketrans({
    "š": "sh", "ś": "sh", "ş": "sh", "ž": "zh", "ź": "zh", "ż": "zh", "č": "ch", "ć": "ch",
    "ç": "ch", "ł": "l", "ı": "i", "ğ": "h", "x": "h", "q": "k",
})  # fmt: skip
_KEY_STEPS = (
    (re.compile(r"[^a-z ]"), ""),
    # "eh" for е before a consonant, as some romanizations write it: Sehdove, Vehndychany.
    (re.compile(r"eh(?=[bcdfgjklmnpqrstvwxz]|$)"), "e"),
    # German, Polish, Dutch and French spellings of the same sounds: Schostka, Szostka, Tsjernihiv.
    (re.compile(r"s?ch?tsch|szcz|shtsh|shh"), "shch"),
    (re.compile(r"tsch|tch|cz|tsj|tj"), "ch"),
    (re.compile(r"sch|sz|sj"), "sh"),
    (re.compile(r"rz|zj|dsch"), "zh"),
    (re.compile(r"ou"), "u"),
    (re.compile(r"c(?!h)"), "ts"),
    (re.compile(r"kh|h|g"), "h"),
    (re.compile(r"w"), "v"),
    # Ukrainian and Russian forms of one name differ mostly in o/e/i (Kharkiv, Kharkov), and
    # romanizations in how they mark softness: ya/ia/ja, yu/iu/ju, ye/ie/je, yi/iy/ii.
    (re.compile(r"[oeiyj]"), "i"),
    (re.compile(r"i+([au])"), r"\1"),
    (re.compile(r"i+"), "i"),
    (re.compile(r"(zh|sh|ch|ts|.)\1+"), r"\1"),
)


@functools.lru_cache(maxsize=262144)
def name_key(text: str) -> str:
    """A coarse sound-alike key: Kupiansk, Kupyansk, Kupjansk and Купянск share one.

    Only for finding candidates; the resolver ranks them by how close the spelling really is.
    """
    text = normalize_name(unicodedata.normalize("NFC", text).lower().translate(_LATIN_LETTERS))
    if is_cyrillic(text):
        text = romanize_russian(text).lower() if looks_russian(text) else transliterate_uk(text).lower()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char))
    for pattern, replacement in _KEY_STEPS:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())


# --- readings in other alphabets ----------------------------------------------------------------

# How other languages' Latin alphabets write the sounds of Ukrainian and Russian names, from each
# language's own orthography (GeoNames alternates come in dozens of languages: "Xostka" is Catalan
# for Shostka, "Canköy" Crimean Tatar for Dzhankoi, "Jytomyr" French for Zhytomyr). name_key reads
# every text the English way; the same letters mean other sounds here (j: y, zh or kh; ch: ch, sh
# or kh; x: kh or sh; s: s, z or sh), so one key cannot fold them all. The resolver tries these
# readings only when the text as written matches nothing. Rules are tried left to right at each
# position, the first that applies wins and its output is not read again; the accents that mark
# letters (ş, ĉ, ŭ) are still there.
_VOWEL = "aeiouyäöüáéíóúàèìòùâêîôûăąę"
_READING_RULES = {
    "German": (
        ("tsch", "ch"),
        ("dsch", "dzh"),
        ("sch", "sh"),
        ("ch", "kh"),
        ("ck", "k"),
        ("ss", "s"),
        ("ß", "s"),
        ("z", "ts"),
        # s before a vowel at the start of a word or between vowels is voiced: Saporoshje → Zaporoshje.
        (rf"(?:(?<!\w)|(?<=[{_VOWEL}]))s(?=[{_VOWEL}])", "z"),
    ),
    # Polish, Czech, Slovak, the Baltic and South Slavic alphabets: ch is kh (c, cz, sz, w, j
    # already read right in name_key).
    "Polish/Czech": (("ch", "kh"),),
    "Dutch": (("oe", "u"), ("ch", "kh")),
    "French": (("chtch", "shch"), ("tch", "ch"), ("dj", "dzh"), ("ch", "sh"), ("j", "zh"), ("ou", "u")),
    "Catalan/Portuguese": (
        ("tx", "ch"),
        ("ix", "sh"),
        ("x", "sh"),
        ("ch", "sh"),
        ("lh", "ly"),
        ("nh", "ny"),
        ("j", "zh"),
        ("qu(?=[eiy])", "k"),
        ("g(?=[eiy])", "zh"),
        ("c(?=[eiy])", "s"),
        ("ç", "s"),
        ("c", "k"),
    ),
    "Spanish": (
        ("ch", "ch"),
        ("j", "kh"),
        ("ñ", "ny"),
        ("qu(?=[eiy])", "k"),
        ("gu(?=[eiy])", "g"),
        ("c(?=[eiy])", "s"),
        ("c", "k"),
    ),
    "Italian": (
        ("sci(?=[aou])", "sh"),
        ("sc(?=[ei])", "sh"),
        ("ci(?=[aou])", "ch"),
        ("gi(?=[aou])", "dzh"),
        ("ch(?=[ei])", "k"),
        ("gh(?=[ei])", "g"),
        ("c(?=[ei])", "ch"),
        ("g(?=[ei])", "dzh"),
        ("gn", "ny"),
        ("c", "k"),
        ("z", "ts"),
    ),
    "Romanian": (
        ("ce(?=a)", "ch"),
        ("ci(?=[aou])", "ch"),
        ("ge(?=a)", "dzh"),
        ("gi(?=[aou])", "dzh"),
        ("ch(?=[ei])", "k"),
        ("gh(?=[ei])", "g"),
        ("c(?=[ei])", "ch"),
        ("g(?=[ei])", "dzh"),
        ("c", "k"),
        ("ea", "ia"),
        ("j", "zh"),
        ("ș|ş", "sh"),
        ("ț|ţ", "ts"),
        ("â|î", "y"),
    ),
    "Hungarian": (
        ("zs", "zh"),
        ("cs", "ch"),
        ("sz", "s"),
        ("cz", "ts"),
        ("s", "sh"),
        ("gy", "d"),
        ("ny", "n"),
        ("ly", "y"),
    ),
    # Turkish, Azerbaijani, Crimean Tatar: c is dzh, j is zh, Azerbaijani q is g.
    "Turkic": (("c", "dzh"), ("ç", "ch"), ("ş", "sh"), ("j", "zh"), ("q", "g"), ("x", "kh"), ("ı", "y")),
    # Belarusian writes в after a vowel as ў, romanized ŭ or u: Lvou, Kulykiŭka.
    "Belarusian": (("ŭ", "v"), (rf"(?<=[{_VOWEL}])u(?![{_VOWEL}])", "v")),
    "Esperanto": (("ĉ", "ch"), ("ĝ", "dzh"), ("ĥ", "kh"), ("ĵ", "zh"), ("ŝ", "sh"), ("ŭ", "v")),
}


def _reading(rules):
    pattern = re.compile("|".join(f"({rule})" for rule, _latin in rules))
    outputs = [latin for _rule, latin in rules]
    return lambda text: pattern.sub(lambda match: outputs[match.lastindex - 1], text)


_READINGS = {language: _reading(rules) for language, rules in _READING_RULES.items()}


@functools.lru_cache(maxsize=4096)
def foreign_readings(text: str) -> dict[str, str]:
    """The text read by other alphabets' rules, as English-style spellings: {"Catalan/Portuguese":
    "shostka"} for "Xostka". Only readings that differ from the text, and whose key differs."""
    text = unicodedata.normalize("NFC", text).casefold()
    if is_cyrillic(text):
        return {}
    own_key = name_key(text)
    readings = {}
    for language, read in _READINGS.items():
        reading = read(text)
        if reading != text and name_key(reading) != own_key:
            readings[language] = reading
    return readings


# Sibilants and affricates: the sounds other alphabets spell most differently and lose first when
# their accents are dropped (Cervone, Zovkva, Dzankoj for Chervone, Zhovkva, Dzhankoi).
_SKELETON = re.compile(r"shch|dzh|zh|sh|ch|ts|dz|s|z")


@functools.lru_cache(maxsize=262144)
def sound_skeleton(key: str) -> str:
    """A name_key with every sibilant folded to one letter: for comparing unlike spellings."""
    return _SKELETON.sub("s", key)
