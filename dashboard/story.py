"""The whole story of a case in the interface language: enum labels, the self-report and
screening answers as labelled lists, the history as readable lines.

Every code the dashboard shows (priority, status, source, HTCDS picklists, roles, referral
states, escalation reasons) is named by the catalogue: templates call `label(kind, code)`, a
Jinja global that looks up `<kind>_<code>` in the page's texts (`t`) and falls back to the
code, so a missing text shows up in the Thai-interface scan (tests/dashboard) rather than
silently. Stored answers are read with the questionnaire that asked them
(`screening.loader.default_screening`); an unknown id is shown as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from cases.models import CaseEvent, CaseMessage
from content.catalogue import text as catalogue_text
from content.catalogue import texts as catalogue_texts
from dashboard.render import TEMPLATES
from referral_directory.cards import province_name
from screening.loader import default_screening
from screening.packet import answered_parts

#: The self-report's questions in the order asked (bot texts `q_<id>`; actions/report.py).
REPORT_QUESTIONS = ("documents_taken", "wages_withheld", "free_to_leave", "debt", "threats",
                    "under_18")
#: Case events whose values are codes of one vocabulary (label kind of the new value).
EVENT_VALUE_KINDS = {"created": "enum_status", "status": "enum_status",
                     "priority": "enum_priority", "escalated": "enum_source",
                     "reason": "reason", "handoff": "event_handoff",
                     "legal_hold": "event_legal_hold"}
#: Case events whose values are caseworker ids.
EVENT_WORKER_VALUES = ("claimed", "assigned")


def label_key(kind: str, code: str) -> str:
    """The catalogue key naming `code` of vocabulary `kind` ("officer screening" ->
    enum_source_officer_screening)."""
    return f"{kind}_{re.sub(r'[^0-9A-Za-z]+', '_', code).strip('_')}"


@pass_context
def label(context: Context, kind: str, code: str | None) -> str:
    """`code` named in the page's language (the code itself when the catalogue lacks it)."""
    if code is None or code == "":
        return ""
    texts: Mapping[str, str] = context.get("t") or {}
    return texts.get(label_key(kind, str(code)), str(code))


@pass_context
def province(context: Context, name: str | None) -> str:
    """A province in the reader's script (Thai names for the Thai interface)."""
    return province_name(name, context.get("lang") or "th") or ""


TEMPLATES.env.globals["label"] = label
TEMPLATES.env.globals["province"] = province


@dataclass(frozen=True)
class Answer:
    """One labelled line of an answer list."""

    question: str
    answer: str
    flagged: bool = False  # an answer that points to an indicator or danger


@dataclass(frozen=True)
class ScreeningStory:
    """The screening or self-report answers of a case, readable."""

    kind: str  # "report" | "screening" | "other"
    result: str = ""  # the screening result wording (never "victim")
    dimensions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # positive: label, indicators
    context: tuple[Answer, ...] = ()
    answers: tuple[Answer, ...] = ()
    #: "Answers given by", who gave them (the officer, or the person in person-facing mode and
    #: in which language) and, when the person saw unreviewed drafts, the warning; "" when the
    #: screening does not say.
    answered_heading: str = ""
    answered_by: str = ""
    drafts_warning: str = ""


def screening_story(raw: str | None, language: str, texts: Mapping[str, str],
                    bot_texts: Mapping[str, str]) -> ScreeningStory | None:
    """The stored screening JSON of a case as labelled lists (None when there is none)."""
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return ScreeningStory("other")
    if not isinstance(data, dict):
        return ScreeningStory("other")
    if isinstance(data.get("report"), dict):
        return _report(data["report"], texts, bot_texts)
    if isinstance(data.get("answers"), dict):
        return _screening(data, language)
    return ScreeningStory("other", answers=tuple(  # another caller's flat answers, as given
        Answer(str(k), str(v)) for k, v in data.items() if isinstance(v, str | int | float)))


def _report(answers: Mapping[str, Any], texts: Mapping[str, str],
            bot_texts: Mapping[str, str]) -> ScreeningStory:
    danger = {("threats", "yes"), ("free_to_leave", "no")}
    ordered = [q for q in REPORT_QUESTIONS if q in answers] + [
        q for q in answers if q not in REPORT_QUESTIONS]
    lines = tuple(
        Answer(bot_texts.get(f"q_{q}", q), texts.get(label_key("answer", str(answers[q])),
                                                      str(answers[q])),
               (q, answers[q]) in danger or (q != "free_to_leave" and answers[q] == "yes"))
        for q in ordered)
    return ScreeningStory("report", answers=lines)


def _screening(data: Mapping[str, Any], language: str) -> ScreeningStory:
    questionnaire = default_screening().questionnaire
    wording = default_screening().rules.wording
    result = data.get("result") if isinstance(data.get("result"), dict) else {}

    def item_label(item_id: str) -> str:
        try:
            item = questionnaire.item(item_id)
        except KeyError:
            return item_id
        short = getattr(item, "short", None)  # short labels, where the questionnaire has them
        return (short or item.officer).get(language)

    answer_names = {key: value.get(language) for key, value in questionnaire.answers.items()}
    context = []
    for question_id, value in (data.get("context") or {}).items():
        try:
            question = questionnaire.context_question(question_id)
        except KeyError:
            continue  # an answer of an older questionnaire: the HTCDS export keeps it
        options = {o.id: o.label.get(language) for o in question.options}
        context.append(Answer(question.officer.get(language), options.get(str(value),
                                                                          str(value))))
    answers = tuple(Answer(item_label(item_id), answer_names.get(str(value), str(value)),
                           value == "yes")
                    for item_id, value in data["answers"].items())
    dimensions = {d.id: d.label.get(language) for d in questionnaire.dimensions}
    positive = tuple((dimensions.get(d, d), tuple(item_label(i) for i in ids))
                     for d, ids in (result.get("indicators") or {}).items()
                     if d in (result.get("positive_dimensions") or ()))
    category = result.get("category")
    words = wording[category].get(language) if category in wording else ""
    return ScreeningStory("screening", words, positive, tuple(context), answers,
                          *_answered_by(data, language))


def _answered_by(data: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    """Who answered and the drafts warning, with the referral packet's texts (screening
    `packet_answered_*`, one wording for both): the person's answers are read with care when
    they came in their language, and more when its texts were machine drafts."""
    answered = data.get("answered_by")
    if answered not in ("officer", "person"):
        return "", "", ""  # a screening from before person-facing mode (migration 0013)
    who, drafts = answered_parts(str(answered), str(data.get("person_language") or ""),
                                 bool(data.get("drafts_shown")), language)
    return catalogue_text("screening", "packet_answered", language), who, drafts


@dataclass(frozen=True)
class HistoryLine:
    at: Any
    kind: str
    before: str
    after: str


def history(events: list[CaseEvent], texts: Mapping[str, str], names: Mapping[int, str],
            agencies: Mapping[str, str]) -> list[HistoryLine]:
    """The case events as lines in the interface language: the kind and its values named by
    the catalogue, caseworker ids by their names, agencies (id or code) by theirs."""
    def value(kind: str, raw: str | None) -> str:
        if not raw:
            return ""
        if kind in EVENT_WORKER_VALUES and raw.isdigit():
            return names.get(int(raw), "?")
        if kind.startswith("referral"):
            if raw.startswith("service "):
                return f"{texts.get('event_service', 'service')} {raw.removeprefix('service ')}"
            return agencies.get(raw, raw)
        vocab = EVENT_VALUE_KINDS.get(kind)
        if vocab:
            return texts.get(label_key(vocab, raw), raw)
        if kind == "notified" and raw.startswith("level "):
            return texts.get(label_key("event_notified", raw), raw)
        return texts.get(label_key("event_value", raw), raw)

    return [HistoryLine(e.at, texts.get(label_key("event", e.kind), e.kind),
                        value(e.kind, e.from_value), value(e.kind, e.to_value))
            for e in events]


def meanings(messages: list[CaseMessage], person_language: str,
             ui_language: str) -> dict[int, str]:
    """For bot lines that are a catalogue text in the person's language, the same text in the
    interface language (shown beside it); nothing when the two languages are the same."""
    if person_language == ui_language:
        return {}
    known = {body.strip(): key for key, body in catalogue_texts("bot", person_language).items()}
    interface = catalogue_texts("bot", ui_language)
    found = {}
    for message in messages:
        key = known.get(message.body.strip()) if message.sender == "bot" else None
        if key and interface.get(key) and interface[key] != message.body:
            found[message.id] = interface[key]
    return found
