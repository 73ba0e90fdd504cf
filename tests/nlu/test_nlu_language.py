"""Script-based language detection (saphan/language.py)."""

from __future__ import annotations

import pytest

from saphan.language import detect_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ช่วยด้วย ถูกขังอยู่", "th"),
        ("boss ไม่จ่ายเงินมา 2 เดือน", "th"),
        ("help me please", "en"),
        ("ကျွန်တော့်ကို ကူညီပါ", "my"),
        ("សូមជួយខ្ញុំផង", "km"),
        ("ຊ່ວຍແດ່", "lo"),
        ("help ကူညီပါ", "my"),
        ("555 😭", None),
        ("", None),
        (None, None),
    ],
)
def test_detect_language(text: str | None, lang: str | None) -> None:
    assert detect_language(text) == lang


def test_lao_is_not_mistaken_for_thai() -> None:
    # Lao and Thai look alike but live in different Unicode blocks
    assert detect_language("ສະບາຍດີ") == "lo"
    assert detect_language("สบายดี") == "th"


# --- the rest of the language module: names, reply rule, the gateway's guess -------------------

def test_every_language_is_named_in_every_language() -> None:
    from saphan.language import LANGUAGE_NAMES, LANGUAGES, native_name

    assert set(LANGUAGE_NAMES) == set(LANGUAGES)
    for names in LANGUAGE_NAMES.values():
        assert set(names) == set(LANGUAGES) and all(name.strip() for name in names.values())
    assert [native_name(code) for code in LANGUAGES] == ["ไทย", "English", "မြန်မာ", "ខ្មែរ", "ລາວ"]
    assert all(detect_language(native_name(code)) == code for code in LANGUAGES)


def test_reply_language_takes_the_first_supported_preference_else_the_default() -> None:
    from saphan.language import DEFAULT_LANGUAGE, reply_language

    assert reply_language("my", "en") == "my"
    assert reply_language("my", "en", supported=("th", "en")) == "en"
    assert reply_language(None, "xx") == DEFAULT_LANGUAGE == "th"
    assert reply_language(None, supported=("en",)) == "en"


@pytest.mark.parametrize(("message", "current", "expected"), [
    ("สวัสดี", "en", "th"), ("hello there", "th", "en"), ("123", "en", "en"), ("ok", "th", "th"),
    ("ကူညီပါ", "en", "en"),  # a language the gateway has no texts in: keep the current one
    ("help ကူညီပါ", "th", "th"),  # Latin words with another script are not English
])
def test_the_gateway_guess_keeps_its_rules(message: str, current: str, expected: str) -> None:
    from saphan.language import guess_language

    assert guess_language(message, current, ("th", "en")) == expected


def test_english_can_require_a_whole_word() -> None:
    assert detect_language("ok") == "en"
    assert detect_language("ok", min_latin_word=3) is None
    assert detect_language("okay", min_latin_word=3) == "en"
