"""Issue 18 "done when", through the whole system in Burmese, Khmer and Lao: the fake LINE
platform sends signed webhooks to the real gateway (real Rasa with the trained model, real
action server), a caseworker works the case on the real dashboard over HTTP. Each person:
welcome → choose the language → a shelter in a named town (typed in their language) →
an emergency mid-conversation (call buttons) → reach a person → a caseworker's ready reply →
back to the bot → delete my data, confirmed. Every reply is checked to be in the person's
language (script detected with saphan.language); no reply is in a language they did not
choose."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from cases.accounts import add_caseworker
from content.catalogue import text as catalogue_text
from conversations.test_gateway_flows import Line, carousel, chat, uris  # noqa: F401
from saphan.db import session_scope_for
from saphan.language import detect_language, native_name

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

#: What a person would type, in their own script (never copied from the training data).
TYPED = {
    "my": {"shelter": "ချင်းမိုင်မှာ ဘေးကင်းတဲ့နေရာ လိုချင်ပါတယ်",
           "danger": "ကယ်ပါ အလုပ်ရှင်က ရိုက်နေတယ် ပိတ်ထားတယ်",
           "delete": "ကျွန်မရဲ့ အချက်အလက်တွေ အားလုံး ဖျက်ပေးပါ"},
    "km": {"shelter": "ខ្ញុំត្រូវការកន្លែងសុវត្ថិភាពនៅឈៀងម៉ៃ",
           "danger": "ជួយផង ថៅកែកំពុងវាយខ្ញុំ",
           "delete": "សូមលុបទិន្នន័យរបស់ខ្ញុំទាំងអស់"},
    "lo": {"shelter": "ຢາກໄດ້ບ່ອນພັກປອດໄພຢູ່ຊຽງໃໝ່",
           "danger": "ຊ່ວຍແດ່ ນາຍຈ້າງກຳລັງຕີຂ້ອຍ",
           "delete": "ຊ່ວຍລຶບຂໍ້ມູນຂອງຂ້ອຍທັງໝົດ"},
}
LANGUAGE_CHOICE = re.compile(r"^(lang=|/change_language)")


def shown_texts(messages: list[dict]) -> list[str]:
    """What the person reads: texts, the alt text of cards, and quick-reply labels other than
    the language choices (which name each language in its own script)."""
    shown = []
    for message in messages:
        shown.append(message["text"] if message["type"] == "text" else message["altText"])
        for item in (message.get("quickReply") or {}).get("items", []):
            if not LANGUAGE_CHOICE.match(item["action"].get("data", "")):
                shown.append(item["action"]["label"])
    return shown


def assert_in(language: str, messages: list[dict]) -> list[dict]:
    assert messages
    for shown in shown_texts(messages):
        assert detect_language(shown) == language, (language, shown)
    return messages


class Caseworker:
    """A caseworker logged in to the stack's dashboard over HTTP."""

    def __init__(self, base_url: str, username: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=30)
        page = self.client.get("/dashboard/login")
        done = self.client.post("/dashboard/login", data={
            "username": username, "password": PASSWORD, "csrf": CSRF.search(page.text)[1]})
        assert done.status_code == 303, done.text
        self.csrf = CSRF.search(self.client.get("/dashboard").text)[1]

    def post(self, path: str, **data: str) -> httpx.Response:
        response = self.client.post(path, data={"csrf": self.csrf, **data})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture(scope="module")
def caseworker(chat: Line) -> Iterator[Caseworker]:  # noqa: F811
    with session_scope_for(chat.settings.database_url) as session:
        add_caseworker(session, "kanya", PASSWORD, "caseworker", "Kanya")
    worker = Caseworker(chat.settings.gateway_url, "kanya")
    yield worker
    worker.client.close()


@pytest.mark.parametrize("language", ["my", "km", "lo"])
def test_a_whole_conversation_stays_in_the_persons_language(
        chat: Line, caseworker: Caseworker, language: str) -> None:  # noqa: F811
    user = f"Ulang-{language}"
    typed = TYPED[language]
    chat.line.set_profile(user, language=language)  # the phone's language

    [welcome] = assert_in(language, chat.turn(chat.line.follow_event(user), user))
    choices = [(i["action"]["data"], i["action"]["label"])
               for i in welcome["quickReply"]["items"]]
    assert choices == [(f"lang={code}", native_name(code))
                       for code in ("th", "en", "my", "km", "lo")]

    [chosen] = assert_in(language, chat.tap(user, f"lang={language}"))
    assert chosen["text"] == catalogue_text("gateway", "language_set", language)

    found = assert_in(language, chat.say(user, typed["shelter"]))
    bubbles = carousel(found)
    assert found[0]["text"].startswith(catalogue_text(  # the cards, then 1300 and 191
        "bot", "results_local", language, count=len(bubbles) - 2))
    assert uris(bubbles)[-2:] == ["tel:1300", "tel:191"]
    assert "Chiang Mai" in str(bubbles[0]["body"])
    assert catalogue_text("bot", "type_shelter", language) in str(bubbles[0]["body"])

    emergency = assert_in(language, chat.say(user, typed["danger"]))
    assert emergency[0]["text"] == catalogue_text("bot", "emergency", language)
    calls = uris(carousel(emergency))
    assert "tel:191" in calls and "tel:1300" in calls
    names = [b["body"]["contents"][0]["text"] for b in carousel(emergency)]
    assert all(detect_language(name) == language for name in names)  # call buttons' cards
    assert emergency[-1]["text"] == catalogue_text("bot", "ask_safe_now", language)
    [case] = chat.cases(user)
    assert (case.priority, case.source, case.language, case.handoff_active) == (
        "urgent", "emergency", language, True)

    # reach a person: the case is live, the message goes to the caseworker, the bot says so
    [forwarded] = assert_in(language, chat.tap(user, "/request_human"))
    assert forwarded["text"] == catalogue_text("gateway", "handoff_forwarded", language)

    page = caseworker.client.get(f"/dashboard/cases/{case.id}").text
    assert catalogue_text("cases", "reply_coming", language) in page
    before = len(chat.line.messages_to(user))
    caseworker.post(f"/dashboard/cases/{case.id}/ready-reply", key="reply_coming")
    chat.line.wait_for(lambda: len(chat.line.messages_to(user)) > before, timeout=30)
    [(_, ready)] = chat.line.messages_to(user)[before:]
    assert_in(language, [ready])
    assert ready["text"] == catalogue_text("cases", "reply_coming", language)

    before = len(chat.line.messages_to(user))
    caseworker.post(f"/dashboard/cases/{case.id}/handoff/end")
    chat.line.wait_for(lambda: len(chat.line.messages_to(user)) > before, timeout=30)
    [(_, ended)] = chat.line.messages_to(user)[before:]
    assert_in(language, [ended])

    asked = assert_in(language, chat.say(user, typed["delete"]))
    assert asked[-1]["text"] == catalogue_text("bot", "delete_confirm", language)
    done = assert_in(language, chat.tap(user, "/affirm"))
    assert done[-1]["text"] == catalogue_text("bot", "delete_done", language)

    everything = [m for _, m in chat.line.messages_to(user)]
    assert_in(language, everything)  # not one reply in another language


def test_switching_language_with_words_and_buttons(chat: Line) -> None:  # noqa: F811
    user = "Ulang-switch"
    first = assert_in("th", chat.say(user, "สวัสดีค่ะ"))
    assert first
    burmese = chat.say(user, "ขอเป็นภาษาพม่าได้ไหม")  # asks in Thai for Burmese
    assert burmese[0]["text"] == catalogue_text("bot", "language_set", "my")
    assert_in("my", burmese)
    assert_in("my", chat.tap(user, "/find_service"))  # the stored language is now Burmese
    english = assert_in("en", chat.say(user, "English please"))
    assert english[0]["text"] == catalogue_text("bot", "language_set", "en")
    assert_in("lo", chat.tap(user, "lang=lo"))  # the gateway's language buttons
    assert_in("lo", chat.tap(user, "/help"))
    lao_case = assert_in("lo", chat.tap(user, "/request_human"))
    assert lao_case[-1]["text"] == catalogue_text("bot", "human_case_created", "lo")
    [case] = chat.cases(user)
    assert (case.source, case.language) == ("request", "lo")
    assert "needs an interpreter" in case.summary
