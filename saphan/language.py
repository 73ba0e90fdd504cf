"""The languages Saphan speaks: codes, names, default, detection, reply rule (stdlib only).

The one place for these facts; the gateway, the actions, the text catalogue and the Rasa NLU
component `saphan_nlu.language_detector.LanguageDetector` (Python 3.10 venv, hence stdlib only)
import them.

Detection: letters are counted per script: Thai, Lao, Myanmar (Burmese; Unicode and Zawgyi share
the block), Khmer and Latin. Any non-Latin script wins over Latin, because Thai messages mix
in English words ("boss ไม่จ่ายเงิน") while English messages contain no Thai; among non-Latin
scripts the most frequent one wins. A message with no letters (emoji, digits) has no language
(`None`): keep the language the conversation already uses.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from pathlib import Path

#: Language codes the bot can detect and answer in (ISO 639-1).
LANGUAGES: tuple[str, ...] = ("th", "en", "my", "km", "lo")

#: The language used when nothing says otherwise (most users write Thai).
DEFAULT_LANGUAGE = "th"

#: Languages the bot fully speaks (NLU trained, every text). In the others (Myanmar, Khmer,
#: Lao) it has short texts only and a caseworker with an interpreter takes over.
FULL_LANGUAGES: tuple[str, ...] = ("th", "en")
PARTIAL_LANGUAGES: tuple[str, ...] = tuple(lang for lang in LANGUAGES if lang not in FULL_LANGUAGES)

#: Each language's name in each language: LANGUAGE_NAMES[code][in_language]. The name of a
#: language in itself (`native_name`) labels the language-choice buttons. Names outside th/en
#: are machine drafts, to be reviewed with the other my/km/lo texts.
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "th": {"th": "ไทย", "en": "Thai", "my": "ထိုင်း", "km": "ថៃ", "lo": "ໄທ"},
    "en": {"th": "อังกฤษ", "en": "English", "my": "အင်္ဂလိပ်", "km": "អង់គ្លេស", "lo": "ອັງກິດ"},
    "my": {"th": "เมียนมา", "en": "Myanmar", "my": "မြန်မာ", "km": "ភូមា", "lo": "ມຽນມາ"},
    "km": {"th": "เขมร", "en": "Khmer", "my": "ခမာ", "km": "ខ្មែរ", "lo": "ຂະແມ"},
    "lo": {"th": "ลาว", "en": "Lao", "my": "လာအို", "km": "ឡាវ", "lo": "ລາວ"},
}

#: Unicode ranges (inclusive) of each script's letters and marks.
SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "th": ((0x0E00, 0x0E7F),),
    "lo": ((0x0E80, 0x0EFF),),
    "my": ((0x1000, 0x109F), (0xA9E0, 0xA9FF), (0xAA60, 0xAA7F)),
    "km": ((0x1780, 0x17FF), (0x19E0, 0x19FF)),
}

#: The gateway guesses English only from a Latin word this long ("ok" says nothing).
MIN_LATIN_WORD = 3

#: Key of the custom bot message (`{"set_language": "my"}`) by which the action server tells
#: the gateway the language a person chose in the conversation ("ภาษาพม่า", a language
#: button); the gateway stores it for the person and sends it with every later message.
SET_LANGUAGE_KEY = "set_language"


def native_name(code: str) -> str:
    """The language's name in its own script (for menus)."""
    return LANGUAGE_NAMES[code][code]


def language_name(code: str, in_language: str) -> str:
    """The name of language `code` written in `in_language` (default language if unknown);
    a code we do not know is shown as it is."""
    names = LANGUAGE_NAMES.get(code)
    if names is None:
        return code
    return names.get(in_language) or names[DEFAULT_LANGUAGE]


def script_counts(text: str) -> dict[str, int]:
    """How many characters of `text` belong to each language's script."""
    counts = dict.fromkeys(LANGUAGES, 0)
    for char in text:
        code = ord(char)
        if ("a" <= char <= "z") or ("A" <= char <= "Z"):
            counts["en"] += 1
            continue
        for lang, ranges in SCRIPT_RANGES.items():
            if any(lo <= code <= hi for lo, hi in ranges):
                counts[lang] += 1
                break
    return counts


def detect_language(text: str | None, *, min_latin_word: int = 1) -> str | None:
    """`th`, `en`, `my`, `km`, `lo`, or None when the text has no letters.

    English needs a run of at least `min_latin_word` Latin letters (the NLU takes any letter;
    the gateway's guess takes words of `MIN_LATIN_WORD`)."""
    if not text:
        return None
    counts = script_counts(text)
    native = {lang: n for lang, n in counts.items() if lang != "en" and n > 0}
    if native:
        return max(native, key=lambda lang: (native[lang], lang == "th"))
    if counts["en"] and (min_latin_word <= 1
                         or re.search(f"[A-Za-z]{{{min_latin_word},}}", text)):
        return "en"
    return None


def reply_language(*preferences: str | None, supported: Collection[str] = LANGUAGES) -> str:
    """The language to answer in: the first preference that can be answered in (`supported`),
    else the default language, else the first supported one. Callers list their evidence most
    recent first (detected in this message, chosen with a button, stored for the user)."""
    for preference in preferences:
        if preference in supported:
            return str(preference)
    if DEFAULT_LANGUAGE in supported:
        return DEFAULT_LANGUAGE
    return next(iter(supported))


#: Words of Thai typed in Latin letters ("karaoke Thai"), one a line (data, not code).
KARAOKE_WORDS_FILE = Path(__file__).with_name("karaoke_thai_words.txt")
#: A Latin message is karaoke Thai with at least this many listed words, and this share.
KARAOKE_MIN_WORDS = 2
KARAOKE_MIN_SHARE = 1 / 2


@lru_cache
def karaoke_words() -> frozenset[str]:
    lines = KARAOKE_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def is_karaoke_thai(text: str | None) -> bool:
    """Thai typed in Latin letters ("chuay duay", "mai mee ngern"): enough of its Latin words
    are karaoke-Thai words, so one Thai name in an English sentence does not count."""
    words = re.findall(r"[a-z]+", (text or "").casefold())
    hits = sum(word in karaoke_words() for word in words)
    return hits >= KARAOKE_MIN_WORDS and hits >= KARAOKE_MIN_SHARE * len(words)


def guess_language(message: str, current: str,
                   supported: Collection[str] = LANGUAGES,
                   names: Collection[str] = ()) -> str:
    """The gateway's rule for a typed message, whose result is stored for the person: Thai,
    Myanmar, Khmer or Lao script → that language (the most frequent one); Latin words
    (≥ MIN_LATIN_WORD letters) without any of those scripts → en (a person writing Latin
    script is not writing Thai), unless they are karaoke Thai (`is_karaoke_thai`) → th;
    nothing detectable (emoji, digits, "ok"), or a language not in `supported` → keep
    `current`. `names` (casefolded; e.g. place names, "Mae Sot") say nothing about the
    language: a Burmese reader who types only a town in Latin letters keeps Burmese."""
    detected = detect_language(message, min_latin_word=MIN_LATIN_WORD)
    if detected == "en" and is_karaoke_thai(message):
        detected = "th"
    if detected == "en" and names and not _latin_words_besides(message, names):
        detected = None
    return reply_language(detected, current, supported=supported)


def _latin_words_besides(message: str, names: Collection[str]) -> bool:
    """Whether a Latin word of MIN_LATIN_WORD letters is left once `names` are blanked out."""
    rest = " ".join(re.findall(r"[a-z]+", message.casefold()))
    for name in sorted(names, key=len, reverse=True):
        if name in rest:
            rest = re.sub(rf"\b{re.escape(name)}\b", " ", rest)
    return re.search(f"[a-z]{{{MIN_LATIN_WORD},}}", rest) is not None
