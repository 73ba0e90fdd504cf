"""Hostile webhook bodies and message texts shared by the reliability fuzz tests."""

from __future__ import annotations

import json

# Texts a user might send (or an attacker might try); every one must be stored intact,
# answered, and never break the gateway.
HOSTILE_TEXTS: dict[str, str] = {
    "thai_5000": ("ช่วยด้วย ถูกยึดหนังสือเดินทาง " * 400)[:5000],
    "english_5000": ("help " * 1000)[:5000],
    "emoji_only": "🆘🙏😢🚢⛓️👩‍👧‍👦🇹🇭",
    "zero_width": "ช\u200bว\u200cย\u200dด\ufeffว\u2060ย",
    "right_to_left": "\u202eplaeh\u202c مساعدة \u05e2\u05d6\u05e8\u05d4 \u200f",
    "html": "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "sql": "'; DROP TABLE inbox_events; -- \" OR 1=1 --",
    "control_chars": "a\u0000b\u0001c\u001fd\u007f",
    "combining": "e\u0301\u0301\u0301\u0301" * 50,
    "format_strings": "%s %d {0} ${jndi:ldap://x} {{7*7}}",
    "newlines": "line1\r\nline2\n\n\rline3",
}

# Bodies that are not valid JSON webhooks at all (sent signed and unsigned).
MALFORMED_BODIES: dict[str, bytes] = {
    "empty": b"",
    "truncated_json": b'{"events": [',
    "json_null": b"null",
    "json_list": b"[]",
    "json_string": b'"events"',
    "events_null": b'{"events": null}',
    "events_object": b'{"events": {"0": {}}}',
    "invalid_utf8": b'{"events": [], "destination": "\xff\xfe\xc0\xaf"}',
    "deep_nesting_object": b'{"events": [], "x": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
    "deep_nesting_list": b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "event_not_object": b'{"events": [1, "two", null]}',
    "nan_timestamp": b'{"events": [{"type": "message", "webhookEventId": "E1", "timestamp": NaN,'
                     b' "source": {"type": "user", "userId": "Unan"}}]}',
}


def event(event_id: str, user_id: str, **fields: object) -> dict:
    """A LINE-like text event with the given overrides."""
    base: dict = {"type": "message", "mode": "active", "timestamp": 1_700_000_000_000,
                  "webhookEventId": event_id, "source": {"type": "user", "userId": user_id},
                  "deliveryContext": {"isRedelivery": False},
                  "message": {"id": "1", "type": "text", "text": "hello"}}
    base.update(fields)
    return base


def odd_events(prefix: str) -> dict[str, dict]:
    """Structurally valid events with odd field values (types, sizes, ranges)."""
    return {
        "long_type": event(f"{prefix}a", f"{prefix}-ua", type="x" * 60),
        "long_reply_token": event(f"{prefix}b", f"{prefix}-ub", replyToken="r" * 1000),
        "huge_timestamp": event(f"{prefix}c", f"{prefix}-uc", timestamp=10**30),
        "negative_timestamp": event(f"{prefix}d", f"{prefix}-ud", timestamp=-(10**18)),
        "float_timestamp": event(f"{prefix}e", f"{prefix}-ue", timestamp=1.5e12),
        "message_not_object": event(f"{prefix}f", f"{prefix}-uf", message="hi"),
        "text_not_string": event(f"{prefix}g", f"{prefix}-ug",
                                 message={"id": "1", "type": "text", "text": {"a": [1]}}),
        "postback_not_object": event(f"{prefix}h", f"{prefix}-uh", type="postback",
                                     postback=["x"]),
        "unknown_type": event(f"{prefix}i", f"{prefix}-ui", type="memberJoined"),
        "lone_surrogate": event(f"{prefix}j", f"{prefix}-uj",
                                message={"id": "1", "type": "text", "text": "\ud800x"}),
    }


def body(events: list[dict]) -> bytes:
    return json.dumps({"destination": "Ufakebot", "events": events}).encode()
