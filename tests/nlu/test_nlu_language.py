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
