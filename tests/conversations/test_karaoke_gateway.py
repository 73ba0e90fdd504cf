"""Karaoke Thai (Thai typed in Latin letters) through the whole system: a signed webhook from
the fake LINE platform to the real gateway, real Rasa and action server. The person's first
message is karaoke Thai on a phone set to English: every reply is in Thai and the gateway
stores th for the person; a plain-English first message on a Thai phone is answered in
English and stores en (`saphan.language.guess_language`). And the words the welcome's privacy
notice tells a person to type to delete their data are understood, in each language."""

from __future__ import annotations

import re

import pytest

from content.catalogue import text
from conversations.test_gateway_flows import Line, chat  # noqa: F401
from conversations.test_gateway_languages import assert_in

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("user", "message", "phone", "language"), [
    ("Ukaraoke-help", "chuay duay noi kha", "en", "th"),  # "help me, please"
    ("Ukaraoke-shelter", "yak dai thi phak plod pai", "en", "th"),  # "I want a safe place"
    ("Ukaraoke-english", "I need a safe place to stay tonight", "th", "en"),
])
def test_first_message_answered_in_the_language_written(
        chat: Line, user: str, message: str, phone: str, language: str) -> None:  # noqa: F811
    chat.line.set_profile(user, language=phone)  # the phone says the other language
    replies = chat.say(user, message)
    assert_in(language, replies)  # every text, card and button label
    assert chat.language(user) == language
    assert_in(language, [m for _, m in chat.line.messages_to(user)])


@pytest.mark.parametrize("language", ["th", "en", "my", "km", "lo"])
def test_the_delete_words_the_welcome_quotes_are_understood(
        chat: Line, language: str) -> None:  # noqa: F811
    user = f"Uprivacy-{language}"
    chat.line.set_profile(user, language=language)
    [welcome] = chat.turn(chat.line.follow_event(user), user)
    [words] = re.findall(r'"([^"]+)"', text("gateway", "privacy_notice", language))
    assert f'"{words}"' in welcome["text"]
    asked = assert_in(language, chat.say(user, words))
    assert asked[-1]["text"] == text("bot", "delete_confirm", language)
