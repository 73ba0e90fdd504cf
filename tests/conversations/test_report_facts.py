"""Facts stated in the message that opens the self-report (issue 19 pt 5): found in Thai,
English and Thai typed in Latin letters; denials and undone facts fill nothing."""

from __future__ import annotations

import pytest

from actions.report_facts import stated_facts

DOCS = {"documents_taken": "yes"}
WAGES = {"wages_withheld": "yes"}
DEBT = {"debt": "yes"}


@pytest.mark.parametrize(("message", "facts"), [
    ("they took my passport and didn't pay me", DOCS | WAGES),
    ("my boss took my passport and does not pay me", DOCS | WAGES),
    ("boss no pay me 2 mth", WAGES),
    ("agent keep my pp and say pay 20k first", DOCS),
    ("the company still has my work permit", DOCS),
    ("นายจ้างยึดพาสปอร์ต ไม่จ่ายเงินมา 2 เดือน", DOCS | WAGES),
    ("นายหน้าบอกว่าเป็นหนี้ 50000", DEBT),
    ("my agent said I owe 50000 baht", DEBT),
    ("nai jang mai jai ngern, boss yued passport", DOCS | WAGES),
    ("I have no debt but boss does not pay", WAGES),
])
def test_stated_facts_fill_their_answers(message: str, facts: dict[str, str]) -> None:
    assert stated_facts(message) == facts


@pytest.mark.parametrize("message", [
    "they didn't take my passport",
    "boss gave my passport back",
    "นายจ้างไม่ได้ยึดพาสปอร์ต",
    "I work 16 hours a day and cannot rest",
    "I need a shelter",
    "/report_exploitation",
    "",
])
def test_denied_or_absent_facts_fill_nothing(message: str) -> None:
    assert stated_facts(message) == {}
