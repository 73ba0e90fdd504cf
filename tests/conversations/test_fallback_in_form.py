"""A close call inside a form (issue 19 pt 4): an ambiguous reply to a form's question goes to
nlu_fallback; the form could not take it, so it is rejected, action_fallback gives only the
rephrase hint (no menu, no other question) and Rasa returns to the form, which asks the same
question again with its buttons; the next answer goes on with the form. Through the whole
system: fake LINE, the real gateway, Rasa (bot/config.yml with its ambiguity margin) and
action server. The officer screening's form takes any text (`screening_reply` is from_text),
so a close call never leaves it.

The replies are not training messages: each was chosen by parsing short replies with the
model and keeping one whose top two intents are within the margin; the first assertion of each
test checks that the model still reads it so."""

from __future__ import annotations

import pytest

from content.catalogue import text
from conversations.test_clarify_gateway import parse, top_two
from conversations.test_gateway_flows import Line, chat  # noqa: F401

pytestmark = pytest.mark.integration

#: A short, hesitant answer to a yes/no question: help 0.22 / affirm 0.19 when written.
HESITANT = "used to"
#: A short reply to "which service?" that names none: greet 0.31 / out_of_scope 0.28.
VAGUE = "some"
#: bot/config.yml FallbackClassifier ambiguity_threshold.
MARGIN = 0.1


def assert_ambiguous(chat: Line, message: str) -> None:  # noqa: F811
    parsed = parse(chat, message)
    ranked = [r for r in parsed["intent_ranking"] if r["name"] != "nlu_fallback"]
    assert parsed["intent"]["name"] == "nlu_fallback", parsed
    assert ranked[0]["confidence"] - ranked[1]["confidence"] < MARGIN, top_two(parsed)


def texts_of(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


def test_an_ambiguous_answer_in_the_report_gets_the_same_question_again(
        chat: Line) -> None:  # noqa: F811
    assert_ambiguous(chat, HESITANT)
    user = "Uform-fallback"
    chat.tap(user, "lang=en")
    first = chat.tap(user, "/report_exploitation")
    assert first[-1]["text"] == text("bot", "q_documents_taken", "en")
    again = chat.say(user, HESITANT)
    assert texts_of(again) == [text("bot", "fallback", "en"),
                               text("bot", "q_documents_taken", "en")]
    assert "quickReply" not in again[0]  # no menu between the person and the question
    labels = [i["action"]["label"] for i in again[-1]["quickReply"]["items"]]
    assert labels == [i["action"]["label"] for i in first[-1]["quickReply"]["items"]]
    assert chat.tap(user, "/affirm")[-1]["text"] == text("bot", "q_wages_withheld", "en")
    assert chat.cases(user) == []


def test_an_ambiguous_reply_when_finding_a_service_gets_the_question_again(
        chat: Line) -> None:  # noqa: F811
    assert_ambiguous(chat, VAGUE)
    user = "Uform-fallback-service"
    chat.tap(user, "lang=en")
    first = chat.tap(user, "/find_service")
    assert first[-1]["text"] == text("bot", "ask_service_type", "en")
    again = chat.say(user, VAGUE)
    assert texts_of(again) == [text("bot", "fallback", "en"),
                               text("bot", "ask_service_type", "en")]
    assert "quickReply" not in again[0]
    assert chat.tap(user, '/inform{"service_type":"shelter"}')[-1]["text"] == text(
        "bot", "ask_place", "en")
