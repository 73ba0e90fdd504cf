"""Rights topics as buttons (issue 18): a rights question without a known topic gets the topics
as LINE quick replies in the person's language; a tap gives that topic's answer with its
source. The action alone (no Rasa), then through the whole system: signed webhooks from the
fake LINE platform, the real gateway, real Rasa and action server."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.rights import TOPIC_ENTITY, ActionAnswerRights
from content.catalogue import catalogue, text
from content.rights import load_rights
from conversations.test_gateway_flows import Line, chat  # noqa: F401
from conversations.test_gateway_languages import assert_in
from saphan.language import LANGUAGES, detect_language
from saphan.line_messages import MAX_LABEL, MAX_QUICK_REPLIES, quick_reply

#: Seconds a turn may take on a machine shared with model trainings (the first answers of a
#: fresh stack are the slowest).
SLOW_S = 180.0
#: A payload as Rasa reads it: "/intent{json entities}".
PAYLOAD = re.compile(r"^/ask_rights(\{.*\})$")


def run_action(said: str, language: str, entities: list[dict[str, Any]] | None = None
               ) -> list[dict[str, Any]]:
    latest = {"text": said, "intent": {"name": "ask_rights"}, "entities": entities or []}
    events = [{"event": "user", "text": said, "parse_data": latest,
               "metadata": {"language": language}}]
    dispatcher = CollectingDispatcher()
    ActionAnswerRights().run(dispatcher, Tracker("c-rights", {}, latest, events, False, None,
                                                 {}, "action_listen"), {})
    return dispatcher.messages


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_topics_are_buttons_in_the_persons_language_within_lines_limits(
        language: str) -> None:
    *_, topics = run_action("/ask_rights", language)  # the rich menu's "My rights"
    assert topics["text"] == text("bot", "rights_topics", language)
    items = quick_reply(topics["buttons"])["items"]
    assert len(topics["buttons"]) == len(load_rights()) + 1 <= MAX_QUICK_REPLIES
    for button in topics["buttons"]:  # LINE would cut a longer label
        assert len(button["title"]) <= MAX_LABEL and detect_language(button["title"]) == language
    assert [i["action"]["label"] for i in items] == [b["title"] for b in topics["buttons"]]
    named = [json.loads(PAYLOAD.match(b["payload"])[1]) for b in topics["buttons"][:-1]]
    assert named == [{TOPIC_ENTITY: name} for name in load_rights()]
    assert topics["buttons"][-1]["payload"] == "/request_human"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_tapped_topic_is_answered_with_its_source_in_any_language(language: str) -> None:
    for name, topic in load_rights().items():
        [answer] = run_action(f'/ask_rights{{"{TOPIC_ENTITY}":"{name}"}}', language,
                              [{"entity": TOPIC_ENTITY, "value": name}])
        assert answer["text"].startswith(topic.answer[language])
        assert topic.source in answer["text"]
        assert [b["payload"] for b in answer["buttons"]] == ["/request_human"]


def test_an_unknown_topic_name_gets_the_topics_again() -> None:
    *_, topics = run_action('/ask_rights{"rights_topic":"nope"}', "en",
                            [{"entity": TOPIC_ENTITY, "value": "nope"}])
    assert topics["text"] == text("bot", "rights_topics", "en")


@pytest.mark.integration
@pytest.mark.parametrize(("user", "language", "typed", "tapped"), [
    ("Urights-en", "en", "What are my rights?", None),
    ("Urights-my", "my", None, "/ask_rights"),  # the rich menu's "My rights"
])
def test_rights_topic_buttons_through_the_gateway(chat: Line, user: str,  # noqa: F811
                                                  language: str, typed: str | None,
                                                  tapped: str | None) -> None:
    chat.tap(user, f"lang={language}")
    event = (chat.line.text_event(user, typed) if typed
             else chat.line.postback_event(user, str(tapped)))
    asked = chat.turn(event, user, timeout=SLOW_S)
    topics = assert_in(language, asked)[-1]
    assert topics["text"] == text("bot", "rights_topics", language)
    items = {i["action"]["label"]: i["action"]["data"] for i in topics["quickReply"]["items"]}
    label = text("bot", "rights_topic_documents", language)
    answer = assert_in(language, chat.turn(chat.line.postback_event(user, items[label]), user,
                                           timeout=SLOW_S))
    topic = load_rights()["documents"]
    assert answer[-1]["text"].startswith(topic.answer[language])
    assert text("bot", "rights_source", language, source=topic.source,
                reviewed=topic.last_reviewed) in answer[-1]["text"]
    assert chat.language(user) == language and chat.cases(user) == []


#: Texts that label quick-reply buttons (`actions.conversation.buttons`, the service types
#: asked by find_service, the gateway's "talk to a person"): LINE cuts a label at 20.
LABELS = re.compile(r"^(bot\.(btn_|rights_topic_|type_)|gateway\.talk_to_person$)")


def test_every_button_label_fits_lines_limit_in_every_language() -> None:
    checked = 0
    for namespace in ("bot", "gateway"):
        for key in catalogue().namespaces[namespace].texts:
            if LABELS.match(f"{namespace}.{key}"):
                for language in LANGUAGES:
                    label = text(namespace, key, language)
                    assert len(label) <= MAX_LABEL, (namespace, key, language, label)
                    checked += 1
    assert checked >= 5 * (len(load_rights()) + 2)


#: Per language: a typed question asking which rights exist, and the same question naming a
#: subject that no topic covers (pregnancy).
TYPED = {
    "th": ("สิทธิของฉันมีอะไรบ้าง", "ผู้หญิงท้องมีสิทธิอะไรบ้าง"),
    "en": ("What are my rights?", "What are my rights if I am pregnant?"),
    "my": ("ကျွန်တော့်မှာ ဘာအခွင့်အရေးတွေ ရှိလဲ", "ကိုယ်ဝန်ရှိရင် ဘာအခွင့်အရေးတွေ ရှိလဲ"),
    "km": ("ខ្ញុំមានសិទ្ធិអ្វីខ្លះ", "មានផ្ទៃពោះ ខ្ញុំមានសិទ្ធិអ្វីខ្លះ"),
    "lo": ("ຂ້ອຍມີສິດຫຍັງແດ່", "ຖືພາ ມີສິດຫຍັງແດ່"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_generic_rights_question_gets_the_topics_without_no_reliable_answer(
        language: str) -> None:
    generic, specific = TYPED[language]
    [topics] = run_action(generic, language)
    assert topics["text"] == text("bot", "rights_topics", language)
    assert len(topics["buttons"]) == len(load_rights()) + 1
    unknown, topics = run_action(specific, language)  # a subject no topic covers
    assert unknown["text"] == text("bot", "rights_unknown", language)
    assert topics["text"] == text("bot", "rights_topics", language)
