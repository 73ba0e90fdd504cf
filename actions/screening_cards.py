"""LINE Flex card for card-mode screening: a dimension's indicators as tappable rows.

Each row is a postback `tick:<n>` (the gateway sends postback data to Rasa as the message
text; inside `screening_form` every text lands in `screening_reply`, so no new intent or
retraining is needed). A ticked row shows a check mark; the quick replies under the card answer
the rest of it ("none of the rest" / "rest: not sure"), go back, pause, cancel or show the
person's version.
"""

from __future__ import annotations

from typing import Any

from content.catalogue import text as catalogue_text
from screening.session import TICK_PREFIX, Prompt

TICKED = "☑"
OPEN = "☐"
ANSWERED = {"no": "✕", "not_sure": "?", "skip": "–"}
STRENGTH_COLOURS = {"strong": "#8a1c1c", "medium": "#6b4e00", "weak": "#555555"}
MAX_ALT_TEXT = 400


def card_message(prompt: Prompt, lang: str) -> dict[str, Any]:
    """A Flex bubble for a card prompt (LINE message JSON, passed through as custom JSON)."""
    heading = catalogue_text("screening", "card_heading", lang, number=prompt.number,
                             dimension=prompt.text)
    rows: list[dict[str, Any]] = []
    for line in prompt.lines:
        mark = TICKED if line.answer == "yes" else ANSWERED.get(line.answer or "", OPEN)
        strength = catalogue_text("screening", f"strength_{line.strength}", lang)
        row: dict[str, Any] = {
            "type": "box", "layout": "horizontal", "spacing": "sm", "paddingAll": "6px",
            "backgroundColor": "#e8f4e8" if line.answer == "yes" else "#f4f4f4",
            "cornerRadius": "6px",
            "contents": [
                {"type": "text", "text": mark, "flex": 0, "size": "lg"},
                {"type": "text", "text": f"{line.number}. {line.label}", "wrap": True,
                 "flex": 5, "size": "sm"},
                {"type": "text", "text": strength, "flex": 2, "size": "xxs", "align": "end",
                 "color": STRENGTH_COLOURS.get(line.strength, "#555555"), "wrap": True},
            ],
        }
        if line.answer is None:
            row["action"] = {"type": "postback", "label": line.label[:40],
                             "data": f"{TICK_PREFIX}{line.number}",
                             "displayText": f"{OPEN}→{TICKED} {line.number}. {line.label}"[:300]}
        rows.append(row)
    footer = [
        {"type": "button", "style": "primary" if answer == "rest:no" else "secondary",
         "height": "sm", "action": {"type": "postback", "label": label[:40], "data": answer,
                                    "displayText": label}}
        for answer, label in prompt.options
    ]
    return {
        "type": "flex",
        "altText": f"{heading}"[:MAX_ALT_TEXT],
        "contents": {
            "type": "bubble",
            "header": {"type": "box", "layout": "vertical", "contents": [
                {"type": "text", "text": prompt.text, "weight": "bold", "wrap": True},
            ]},
            "body": {"type": "box", "layout": "vertical", "spacing": "xs", "contents": rows},
            "footer": {"type": "box", "layout": "vertical", "spacing": "sm",
                       "contents": footer},
        },
    }
