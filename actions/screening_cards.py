"""LINE Flex card for card-mode screening: a dimension's indicators as tappable rows.

Each row is a postback `tick:<n>` (the gateway sends postback data to Rasa as the message
text; inside `screening_form` every text lands in `screening_reply`, so no new intent or
retraining is needed). A ticked row shows a check mark; the quick replies under the card answer
the rest of it ("none of the rest" / "rest: not sure"), go back, pause, cancel or show the
person's version.

Person mode (`screening.person_mode`): one question per bubble in the person's language with
big answer buttons and "give the phone back", an optional recorded clip before it, and the
give-back screen whose only button is for the officer; none shows anything of the officer's
view.
"""

from __future__ import annotations

from typing import Any

from content.catalogue import text as catalogue_text
from saphan.language import LANGUAGES, native_name
from screening.audio_clips import Clip
from screening.person_mode import ANSWER_KEYS, GIVE_BACK_KEY, NAMESPACE, PersonCard
from screening.session import TICK_PREFIX, Prompt

TICKED = "☑"
OPEN = "☐"
ANSWERED = {"no": "✕", "not_sure": "?", "skip": "–"}
STRENGTH_COLOURS = {"strong": "#8a1c1c", "medium": "#6b4e00", "weak": "#555555"}
MAX_ALT_TEXT = 400
ANSWER_STYLES = {"yes": "primary", "no": "primary"}  # not sure / skip: secondary


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


def _button(label: str, data: str, style: str = "secondary", height: str = "md") -> dict[str, Any]:
    return {"type": "button", "style": style, "height": height,
            "action": {"type": "postback", "label": label[:40], "data": data,
                       "displayText": label}}


def _bubble(alt: str, body: list[dict[str, Any]], footer: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "flex", "altText": alt[:MAX_ALT_TEXT],
        "contents": {
            "type": "bubble", "size": "mega",
            "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
            "footer": {"type": "box", "layout": "vertical", "spacing": "md", "contents": footer},
        },
    }


def handover_menu(lang: str, prefix: str) -> dict[str, Any]:
    """The officer's choice of the person's language (each name in its own script)."""
    choose = catalogue_text("screening", "handover_choose", lang)
    buttons = [_button(native_name(code), f"{prefix}{code}", height="sm") for code in LANGUAGES]
    return _bubble(choose, [{"type": "text", "text": choose, "wrap": True}], buttons)


def person_card_message(card: PersonCard, lang: str, prefix: str) -> dict[str, Any]:
    """One question for the person in `lang`: the question in large type, a big button per
    answer (postback `<prefix><answer>:<question id>`, so a tap on an older card
    answers nothing) and a small "give the phone back"."""
    answers = [_button(catalogue_text(NAMESPACE, key, lang),
                       f"{prefix}{answer}:{card.question_id}",
                       ANSWER_STYLES.get(answer, "secondary"))
               for answer, key in ANSWER_KEYS.items()]
    give_back = _button(catalogue_text(NAMESPACE, GIVE_BACK_KEY, lang), f"{prefix}give_back",
                        "link", "sm")
    body = [{"type": "text", "text": card.text, "wrap": True, "size": "xl", "weight": "bold"}]
    return _bubble(card.text, body, [*answers, give_back])


def give_back_message(person_lang: str, officer_lang: str, done_key: str,
                      payload: str) -> dict[str, Any]:
    """"Please give the phone back" for the person; its one button is the officer's."""
    done = catalogue_text(NAMESPACE, done_key, person_lang)
    officer = catalogue_text("screening", "handover_take_back", officer_lang)
    return _bubble(done, [{"type": "text", "text": done, "wrap": True, "size": "xl",
                           "weight": "bold"}], [_button(officer, payload, "primary")])


def audio_message(clip: Clip) -> dict[str, Any]:
    """A LINE audio message playing a question's recording."""
    return {"type": "audio", "originalContentUrl": clip.url, "duration": clip.duration_ms}
