"""Thai/English segmentation: tokens, offsets into the original text, normalisation."""

from __future__ import annotations

import re

import pytest
from saphan_nlu.segment import (
    RASA_DEFAULT_TOKEN_PATTERN,
    WORD_TOKEN_PATTERN,
    normalise,
    segment,
    words,
)


def spans(text: str) -> list[str]:
    return [text[s.start : s.end] for s in segment(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ช่วยด้วย ถูกขังอยู่", ["ช่วยด้วย", "ถูก", "ขัง", "อยู่"]),
        ("boss ไม่จ่ายเงินมา 2 เดือน", ["boss", "ไม่", "จ่าย", "เงิน", "มา", "2", "เดือน"]),
        ("my boss took my passport", ["my", "boss", "took", "my", "passport"]),
        ("อยู่ชลบุรีครับ", ["อยู่", "ชลบุรี", "ครับ"]),
    ],
)
def test_thai_english_and_mixed_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ช่วยด้วย ถูกขังอยู่",
        "boss ไม่จ่ายเงินมา 2 เดือน",
        "  นายจ้าง   ยึด\tพาสปอร์ต\n",
        "ช่วยด้วยยยยย!!! 😭😭",
        "ขอ\u200bบคุณ\u200b ค่ะ🙏🏻",
        "I don't know, 555...",
    ],
)
def test_offsets_match_text_and_no_whitespace_tokens(text: str) -> None:
    tokens = segment(text)
    assert tokens
    last_end = 0
    for tok in tokens:
        assert tok.text.strip() == tok.text and tok.text
        assert 0 <= last_end <= tok.start < tok.end <= len(text)
        original = text[tok.start : tok.end]
        # the span is what was typed: equal to the token, or the token before normalisation
        assert normalise(original).text == tok.text
        last_end = tok.end


def test_repeated_letters_collapse_but_span_covers_them() -> None:
    text = "ช่วยด้วยยยยย"
    (tok,) = segment(text)
    assert tok.text == "ช่วยด้วย"
    assert (tok.start, tok.end) == (0, len(text))
    assert words("helpppp meeee") == ["help", "me"]


def test_digits_are_not_collapsed_and_stay_tokens() -> None:
    assert words("ค้าง 3000 บาท 555") == ["ค้าง", "3000", "บาท", "555"]
    assert "10,000" in words("ได้แค่ 10,000 บาท")


def test_zero_width_characters_are_dropped() -> None:
    text = "ขอ\u200bบคุณ\u200dค่ะ"
    assert words(text) == ["ขอบคุณ", "ค่ะ"]
    assert spans(text)[0] == "ขอ\u200bบคุณ"


def test_emoji_are_single_tokens_and_punctuation_is_dropped() -> None:
    assert words("ขอบคุณ🙏🙏!!") == ["ขอบคุณ", "🙏"]
    assert words("ok 👍") == ["ok", "👍"]
    assert words("???") == []
    assert words("") == [] and words("   ") == []


def test_doubled_thai_marks_are_normalised() -> None:
    assert words("ด้้วย") == ["ด้วย"]


def test_rasa_default_word_pattern_cuts_thai_and_ours_does_not() -> None:
    joined = " ".join(words("นายจ้างไม่จ่ายเงิน"))
    assert re.findall(RASA_DEFAULT_TOKEN_PATTERN, joined) != joined.split()
    assert "ไม" in re.findall(RASA_DEFAULT_TOKEN_PATTERN, joined)  # the mark is lost
    assert re.findall(WORD_TOKEN_PATTERN, joined) == ["นายจ้าง", "ไม่", "จ่าย", "เงิน"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Myanmar: syllables (a killed or stacked consonant stays with its syllable)
        ("ကျွန်တော့်ကို ကူညီပါ", ["ကျွန်", "တော့်", "ကို", "ကူ", "ညီ", "ပါ"]),
        ("သင်္ချိုင်း", ["သင်္ချိုင်း"]),
        # Khmer: clusters, a lone final consonant joins its syllable
        ("សូមជួយខ្ញុំផង", ["សូម", "ជួយ", "ខ្ញុំ", "ផង"]),
        # Lao: a leading vowel stays with its consonant
        ("ຂ້ອຍຢູ່ບາງກອກ ໂຮງໝໍ", ["ຂ້ອຍ", "ຢູ່", "ບາງ", "ກອກ", "ໂຮງ", "ໝໍ"]),
        # code-mixed: Latin and Thai words are kept whole between syllables
        ("boss ရိုက်နေတယ် ที่พัก", ["boss", "ရိုက်", "နေ", "တယ်", "ที่พัก"]),
        ("shelterလိုချင်", ["shelter", "လို", "ချင်"]),
    ],
)
def test_myanmar_khmer_lao_runs_are_cut_into_syllables(text: str, expected: list[str]) -> None:
    assert words(text) == expected
    assert "".join(spans(text)) == "".join(text.split())
