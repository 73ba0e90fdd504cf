"""The privacy notice in the language a person writes or asks for (issue 18), through the
whole system: signed webhooks from the fake LINE platform, the real gateway, real Rasa and
action server. A Burmese, Khmer or Lao worker's phone is often set to Thai, so the welcome's
notice came in Thai: their first message in their own script brings the notice in it, once,
before the answer's last message (which keeps its quick replies). The language buttons are in
tests/gateway/test_privacy_notice.py."""

from __future__ import annotations

import pytest

from content.catalogue import text
from conversations.test_gateway_flows import Line, carousel, chat  # noqa: F401
from conversations.test_gateway_languages import TYPED, assert_in

pytestmark = pytest.mark.integration
#: Seconds a turn may take on a machine shared with model trainings.
SLOW_S = 180.0


def say(chat: Line, user: str, message: str) -> list[dict]:  # noqa: F811
    return chat.turn(chat.line.text_event(user, message), user, timeout=SLOW_S)


def notice(chat: Line, language: str) -> dict:  # noqa: F811
    return {"type": "text", "text": text(
        "gateway", "privacy_notice", language,
        retention_months=chat.settings.retention_closed_case_months)}


@pytest.mark.parametrize("language", ["my", "km", "lo"])
def test_writing_first_in_my_km_lo_after_a_thai_welcome_gives_the_notice_once(
        chat: Line, language: str) -> None:  # noqa: F811
    user = f"Unotice-written-{language}"
    chat.line.set_profile(user, language="th")  # the phone is set to Thai
    [welcome] = chat.turn(chat.line.follow_event(user), user, timeout=SLOW_S)
    assert welcome["text"].endswith(notice(chat, "th")["text"])

    found = assert_in(language, say(chat, user, TYPED[language]["shelter"]))
    assert found.count(notice(chat, language)) == 1
    assert found.index(notice(chat, language)) == len(found) - 2  # the answer keeps its end
    assert found[0]["text"].startswith(text(  # the answer first: the cards, then 1300 and 191
        "bot", "results_local", language, count=len(carousel(found)) - 2))
    assert chat.language(user) == language

    again = assert_in(language, say(chat, user, TYPED[language]["shelter"]))
    assert notice(chat, language) not in again  # once


def test_asking_for_a_language_in_words_gives_the_notice_in_it(chat: Line) -> None:  # noqa: F811
    user = "Unotice-words"
    first = assert_in("th", say(chat, user, "สวัสดีค่ะ"))
    assert notice(chat, "th") not in first  # Thai, never chosen: the welcome's business
    burmese = assert_in("my", say(chat, user, "ขอเป็นภาษาพม่าได้ไหม"))  # asks in Thai
    assert burmese[0]["text"] == text("bot", "language_set", "my")
    assert burmese.count(notice(chat, "my")) == 1
    assert notice(chat, "my") not in chat.turn(chat.line.postback_event(user, "lang=my"), user,
                                                 timeout=SLOW_S)  # given in it already
