"""Rasa REST output → LINE message objects (plain dicts in the Messaging API's JSON shape).

Limits (LINE Messaging API): text ≤ 5,000 characters, ≤ 13 quick-reply items, quick-reply
label ≤ 20 characters, ≤ 5 messages per reply/push request, carousel ≤ 12 bubbles.
"""

from __future__ import annotations

from typing import Any

MAX_TEXT = 5000
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_PER_REQUEST = 5
MAX_BUBBLES = 12
LINE_MESSAGE_TYPES = {"text", "sticker", "image", "video", "audio", "location", "imagemap",
                      "template", "flex"}

Message = dict[str, Any]
DIAL = "+0123456789"
#: The payload of a Rasa button that becomes LINE's "send my location" quick-reply action (a
#: location message comes back; quick replies only: LINE for iOS and Android).
LOCATION_PAYLOAD = "saphan:location"
#: Card fields shown under the name, in this order (`notice`: "call to confirm", in red).
CARD_LINES = ("alt_name", "organisation", "address", "hours", "open", "languages", "distance",
              "contact")


def _label(title: str) -> str:
    title = title.strip() or "…"
    return title if len(title) <= MAX_LABEL else title[: MAX_LABEL - 1] + "…"


def text_message(text: str) -> Message:
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    return {"type": "text", "text": text}


def quick_reply(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    """Rasa buttons → LINE quick reply postback items (the first 13)."""
    items = []
    for button in buttons[:MAX_QUICK_REPLIES]:
        title = str(button.get("title", ""))
        payload = str(button.get("payload") or title)
        if payload == LOCATION_PAYLOAD:
            items.append({"type": "action", "action": {"type": "location",
                                                       "label": _label(title)}})
            continue
        items.append({
            "type": "action",
            "action": {"type": "postback", "label": _label(title), "data": payload[:300],
                       "displayText": title[:300] or payload[:300]},
        })
    return {"items": items}


def _service_bubble(service: dict[str, Any]) -> Message:
    """A Flex bubble for one service: name, details (`CARD_LINES`, then the notice), and
    call / map / website buttons when known (labels from the card, in the reader's language)."""
    body: list[dict[str, Any]] = [
        {"type": "text", "text": str(service.get("name", ""))[:200] or "-", "weight": "bold",
         "size": "md", "wrap": True},
    ]
    for key in CARD_LINES:
        if service.get(key):
            body.append({"type": "text", "text": str(service[key])[:300], "size": "sm",
                         "color": "#555555", "wrap": True})
    if service.get("notice"):
        body.append({"type": "text", "text": str(service["notice"])[:300], "size": "sm",
                     "color": "#a3261b", "wrap": True})
    buttons: list[dict[str, Any]] = []
    phone = str(service.get("phone") or "").strip()
    if phone:
        buttons.append({"type": "button", "style": "primary", "height": "sm",
                        "action": {"type": "uri", "label": _label(f"☎ {phone}"),
                                   "uri": "tel:" + "".join(c for c in phone if c in DIAL)}})
    lat, lon = service.get("latitude"), service.get("longitude")
    if lat is not None and lon is not None:
        buttons.append({"type": "button", "style": "secondary", "height": "sm",
                        "action": {"type": "uri",
                                   "label": _label(str(service.get("map_label") or
                                                       "Map / แผนที่")),
                                   "uri": f"https://www.google.com/maps/search/?api=1&query={lat},{lon}"}})
    website = str(service.get("website") or "")
    if website.startswith(("https://", "http://")):
        buttons.append({"type": "button", "style": "link", "height": "sm",
                        "action": {"type": "uri",
                                   "label": _label(str(service.get("website_label") or "Web")),
                                   "uri": website[:1000]}})
    bubble: Message = {"type": "bubble", "body": {"type": "box", "layout": "vertical",
                                                  "spacing": "sm", "contents": body}}
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm",
                            "contents": buttons}
    return bubble


def service_cards(services: list[dict[str, Any]], alt_text: str) -> Message:
    """A Flex carousel of service cards (≤ 12)."""
    bubbles = [_service_bubble(s) for s in services[:MAX_BUBBLES]]
    return {"type": "flex", "altText": alt_text[:400] or "Services",
            "contents": {"type": "carousel", "contents": bubbles}}


def _custom_message(custom: dict[str, Any]) -> Message | None:
    """Custom payloads: `{"services": [...]}` → service cards; a LINE message object → as is."""
    if isinstance(custom.get("services"), list) and custom["services"]:
        return service_cards(custom["services"], str(custom.get("alt_text", "Services")))
    if custom.get("type") in LINE_MESSAGE_TYPES:
        return dict(custom)
    return None


def rasa_to_line(responses: list[dict[str, Any]]) -> list[Message]:
    """Map Rasa's response list to LINE messages; buttons become the quick reply of that message."""
    messages: list[Message] = []
    for response in responses:
        message: Message | None = None
        if isinstance(response.get("custom"), dict):
            message = _custom_message(response["custom"])
        elif response.get("text"):
            message = text_message(str(response["text"]))
        elif response.get("image"):
            url = str(response["image"])
            message = {"type": "image", "originalContentUrl": url, "previewImageUrl": url}
        if message is None:
            continue
        if response.get("buttons"):
            message["quickReply"] = quick_reply(response["buttons"])
        messages.append(message)
    # LINE shows a quick reply only on the last message: carry the last one to the end.
    with_qr = [m for m in messages if "quickReply" in m]
    if with_qr and "quickReply" not in messages[-1]:
        messages[-1]["quickReply"] = with_qr[-1]["quickReply"]
    return messages


def batches(messages: list[Message]) -> list[list[Message]]:
    """Split into requests of ≤ 5 messages (LINE's limit per reply/push)."""
    return [messages[i: i + MAX_PER_REQUEST] for i in range(0, len(messages), MAX_PER_REQUEST)]
