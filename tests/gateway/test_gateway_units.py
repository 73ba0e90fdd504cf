"""Pure pieces of the gateway: signatures, channel config, Rasa → LINE mapping, texts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from linebot.v3.messaging.exceptions import ApiException

from content.catalogue import catalogue, full_languages, text
from gateway.channels import ChannelConfigError, load_channels
from gateway.line_sender import monthly_limit_reached
from gateway.push_hold import next_month_start
from gateway.rasa_bridge import conversation_id
from gateway.signature import is_valid, sign
from referral_directory.gazetteer import latin_place_names
from saphan.language import guess_language
from saphan.line_messages import (
    MAX_QUICK_REPLIES,
    MAX_TEXT,
    batches,
    rasa_to_line,
    service_cards,
)
from saphan.settings import Settings
from testsupport.fake_line import MONTHLY_LIMIT


def test_signature_matches_an_independent_hmac():
    # printf '{"events":[]}' | openssl dgst -sha256 -hmac s3cret -binary | base64
    expected = "ZuVY0DkZxvoGXoj+QPBt7+gZL2ow1Kpy+nm913XvpIw="
    assert sign("s3cret", b'{"events":[]}') == expected
    assert is_valid("s3cret", b'{"events":[]}', expected)
    assert not is_valid("s3cret", b'{"events": []}', expected)
    assert not is_valid("other", b'{"events":[]}', expected)
    assert not is_valid("s3cret", b'{"events":[]}', None)
    assert not is_valid("s3cret", b'{"events":[]}', "ทดสอบ")


def test_channels_from_settings_and_errors():
    raw = json.dumps([{"name": "officer", "audience": "officer", "secret": "s",
                       "access_token": "t"}])
    channels = load_channels(Settings(line_channels=raw))
    assert channels["officer"].audience == "officer" and channels["officer"].secret == "s"
    assert channels["simulator-public"].is_simulator
    for bad in ("not json", '[{"name": "x"}]',
                '[{"name": "x", "audience": "boss", "secret": "s", "access_token": "t"}]',
                '[{"name": "simulator-public", "audience": "public", "secret": "s", '
                '"access_token": "t"}]'):
        with pytest.raises(ChannelConfigError):
            load_channels(Settings(line_channels=bad))


def test_conversation_id_is_stable_pseudonymous_and_keyed():
    a = conversation_id("key", "public", "U123")
    assert a == conversation_id("key", "public", "U123")
    assert "U123" not in a and len(a) == 32
    assert a != conversation_id("other-key", "public", "U123")
    assert a != conversation_id("key", "officer", "U123")


def test_text_and_buttons_become_messages_with_quick_replies():
    buttons = [{"title": f"choice number {i} with a long title", "payload": f"/p{i}"}
               for i in range(20)]
    messages = rasa_to_line([{"text": "x" * 6000}, {"text": "pick", "buttons": buttons}])
    assert len(messages[0]["text"]) == MAX_TEXT
    items = messages[1]["quickReply"]["items"]
    assert len(items) == MAX_QUICK_REPLIES
    assert items[0]["action"] == {"type": "postback", "label": "choice number 0 wit…",
                                  "data": "/p0", "displayText": "choice number 0 with a long title"}


def test_quick_reply_moves_to_the_last_message():
    messages = rasa_to_line([{"text": "a", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
                             {"text": "b"}])
    assert "quickReply" in messages[-1]


def test_services_custom_payload_becomes_flex_cards_with_call_and_map():
    services = [{"name": "Shelter", "phone": "02-123 4567", "latitude": 13.7,
                 "longitude": 100.5, "address": "Bangkok"}, {"name": "Office"}]
    [flex] = rasa_to_line([{"custom": {"services": services, "alt_text": "2 services"}}])
    assert flex["type"] == "flex" and flex["altText"] == "2 services"
    first, second = flex["contents"]["contents"]
    uris = [b["action"]["uri"] for b in first["footer"]["contents"]]
    assert uris[0] == "tel:021234567" and "13.7,100.5" in uris[1]
    assert "footer" not in second


def test_line_message_custom_payload_passes_through_and_unknown_is_dropped():
    sticker = {"type": "sticker", "packageId": "1", "stickerId": "2"}
    assert rasa_to_line([{"custom": sticker}, {"custom": {"foo": 1}}]) == [sticker]


def test_batches_of_at_most_five():
    messages = rasa_to_line([{"text": str(i)} for i in range(12)])
    assert [len(b) for b in batches(messages)] == [5, 5, 2]
    assert len(service_cards([{"name": str(i)} for i in range(20)], "x")["contents"]
               ["contents"]) == 12


def test_fallback_texts_have_emergency_numbers_in_both_languages():
    facts = catalogue().facts
    assert [facts["hotline_police"], facts["hotline_social"]] == ["191", "1300"]
    for language in ("th", "en", "xx"):
        assert all(n in text("gateway", "fallback", language) for n in ("191", "1300"))
    assert text("gateway", "fallback", "th") != text("gateway", "fallback", "en")
    assert text("gateway", "fallback", "xx") == text("gateway", "fallback", "th")


@pytest.mark.parametrize(("message", "current", "expected"), [
    ("สวัสดี", "en", "th"), ("hello there", "th", "en"), ("123", "en", "en"), ("ok", "th", "th"),
    # a Burmese, Khmer or Lao message switches the stored language; back to Thai as well
    ("ကျွန်တော့်အလုပ်ရှင်က လစာမပေးဘူး", "th", "my"), ("ខ្ញុំត្រូវការជំនួយ", "th", "km"),
    ("ຂ້ອຍຕ້ອງການຄວາມຊ່ວຍເຫຼືອ", "my", "lo"), ("boss ไม่จ่ายเงิน", "km", "th"),
    ("မြန်မာလို", "en", "my"), ("ภาษาพม่า", "lo", "th"),  # the bot then switches to my
    # Latin script that is not Thai is English, even for a person who chose Burmese
    ("English please", "my", "en"), ("help me", "lo", "en"),
    # no letters: keep the language
    ("👍 112", "km", "km"), ("ok", "lo", "lo"),
])
def test_guess_language(message, current, expected):
    assert guess_language(message, current, full_languages("gateway")) == expected


@pytest.mark.parametrize(("message", "expected"), [
    ("Mae Sot", "my"), ("mae sot!!", "my"), ("Maesot", "my"), ("Chiang Mai", "my"),
    ("Samut Sakhon 2", "my"), ("mae sot please", "en"), ("help me in Ranong", "en"),
])
def test_place_names_say_no_language(message, expected):
    names = latin_place_names()
    assert guess_language(message, "my", full_languages("gateway"), names) == expected
    assert guess_language(message, "my", full_languages("gateway")) == "en"  # without names


@pytest.mark.parametrize(("now", "reset"), [
    (datetime(2026, 12, 7, 10, 0, tzinfo=UTC), datetime(2026, 12, 31, 15, 0, tzinfo=UTC)),
    # 1 Jan 00:30 in Tokyo is still 31 Dec in UTC: LINE's new month has already begun
    (datetime(2026, 12, 31, 15, 30, tzinfo=UTC), datetime(2027, 1, 31, 15, 0, tzinfo=UTC)),
])
def test_line_month_resets_at_midnight_japan_time(now: datetime, reset: datetime) -> None:
    assert next_month_start(now) == reset


@pytest.mark.parametrize(("status", "body", "monthly"), [
    (429, json.dumps({"message": MONTHLY_LIMIT}).encode(), True),
    (429, json.dumps({"message": "The API rate limit has been exceeded. Try again later."}),
     False),
    (429, None, False),
    (400, json.dumps({"message": MONTHLY_LIMIT}), False),
])
def test_monthly_limit_is_told_apart_from_a_rate_limit(status: int, body: object,
                                                       monthly: bool) -> None:
    exc = ApiException(status=status)
    exc.body = body
    assert monthly_limit_reached(exc) is monthly
