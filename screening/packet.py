"""Referral packet of one finished screening: HTCDS JSON plus a readable summary in Thai and
English (HTML), for the officer to send to the MDT or attach to the case.

The officer gets a link in the chat. The link carries a signed token (record id + expiry,
HMAC-SHA256 with a key derived from `SAPHAN_SESSION_KEY`), so it works without a login and
stops working after `PACKET_TTL_S`; a wrong or expired token is a 404 that says nothing about
the record. Routes: `router` (the lead includes it in gateway/app.py).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from content.catalogue import text as catalogue_text
from saphan.http_types import DbSession
from saphan.language import language_name
from saphan.settings import Settings, get_settings
from screening.explain import Explanation, explain
from screening.htcds import to_htcds
from screening.loader import default_screening
from screening.records import ScreeningRecord
from screening.store import load_record, to_record

PACKET_TTL_S = 72 * 3600
PACKET_LANGUAGES = ("th", "en")
PREFIX = "/screening/packet"
_LABEL = b"saphan screening packet v1"
TEMPLATES = Path(__file__).resolve().parent / "templates"


class PacketError(ValueError):
    """A packet token that is malformed, forged or expired."""


def _key(settings: Settings) -> bytes:
    secret = settings.session_key.get_secret_value().encode()
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()


def _sign(key: bytes, record_id: str, expires: int) -> str:
    return hmac.new(key, f"{record_id}.{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def packet_token(record_id: str, settings: Settings | None = None, *, now: float | None = None,
                 ttl_s: int = PACKET_TTL_S) -> str:
    """`<record id>.<expiry>.<signature>` for a link to the packet."""
    expires = int((now if now is not None else time.time()) + ttl_s)
    return f"{record_id}.{expires}.{_sign(_key(settings or get_settings()), record_id, expires)}"


def record_of(token: str, settings: Settings | None = None, *, now: float | None = None) -> str:
    """The record id in a valid, unexpired token; PacketError otherwise."""
    try:
        record_id, expires_text, signature = token.rsplit(".", 2)
        expires = int(expires_text)
    except ValueError:
        raise PacketError("malformed packet link") from None
    expected = _sign(_key(settings or get_settings()), record_id, expires)
    if not hmac.compare_digest(expected, signature):
        raise PacketError("invalid packet link")
    if expires < (now if now is not None else time.time()):
        raise PacketError("expired packet link")
    return record_id


def packet_url(record_id: str, settings: Settings | None = None) -> str:
    """The link the officer gets (the readable summary; the JSON is linked from it)."""
    settings = settings or get_settings()
    base = settings.gateway_url.rstrip("/")
    return f"{base}{PREFIX}/{packet_token(record_id, settings)}"


def explanations(record: ScreeningRecord) -> dict[str, Explanation]:
    """The record's explanation in each packet language."""
    data = default_screening()
    return {lang: explain(data, record.context, record.answers, lang,
                          module=record.result.module)
            for lang in PACKET_LANGUAGES}


def screening_json(record: ScreeningRecord) -> dict[str, Any]:
    """The screening as JSON, for the packet and for the case it is referred as
    (`actions.screening_results.refer_screening`): context, answers, result, and who answered
    (person-facing mode: HTCDS has no field for who answered or in which language)."""
    return {
        "screening_id": record.id,
        "screened_at": record.created_at.isoformat(),
        "agency": record.agency,
        "questionnaire_version": record.questionnaire_version,
        "context": dict(record.context),
        "answers": dict(record.answers),
        "result": record.result.to_dict(),
        "stopped_early": record.stopped_early,
        "answered_by": record.answered_by,
        "person_language": record.person_language,
        "drafts_shown": record.drafts_shown,
    }


def packet_json(record: ScreeningRecord) -> dict[str, Any]:
    """HTCDS row plus the screening (context, answers, result) and its explanation."""
    return {
        "htcds": to_htcds(record),
        "screening": screening_json(record),
        "explanation": {lang: explanation.render()
                        for lang, explanation in explanations(record).items()},
    }


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(["html"]))


def answered_parts(answered: str | None, person_language: str | None, drafts_shown: bool,
                   lang: str) -> tuple[str, str]:
    """Who gave the answers (the officer, or the person in person-facing mode and in which
    language) and, when the person saw unreviewed drafts, the warning ("" otherwise), in
    `lang`: one wording for the packet, the referral and the case page."""
    if answered != "person":
        return catalogue_text("screening", "packet_answered_officer", lang), ""
    language = language_name(person_language or "", lang)
    drafts = catalogue_text("screening", "packet_answered_drafts", lang) if drafts_shown else ""
    return catalogue_text("screening", "packet_answered_person", lang, language=language), drafts


def answered_by(record: ScreeningRecord, lang: str) -> str:
    """Who gave the answers, in `lang`, with the drafts warning after a semicolon."""
    who, drafts = answered_parts(record.answered_by, record.person_language,
                                 bool(record.drafts_shown), lang)
    return f"{who}; {drafts}" if drafts else who


def packet_html(record: ScreeningRecord, json_href: str) -> str:
    """The readable summary: Thai, then English; every text from the catalogue."""
    def t(key: str, lang: str, **values: object) -> str:
        return catalogue_text("screening", key, lang, **values)

    return _environment().get_template("packet.html").render(
        record=record, explanations=explanations(record), t=t, json_href=json_href,
        languages=PACKET_LANGUAGES,
        answered={lang: answered_by(record, lang) for lang in PACKET_LANGUAGES},
    )


router = APIRouter(prefix=PREFIX, tags=["screening"], include_in_schema=False)


def _load(db: DbSession, token: str) -> ScreeningRecord:
    try:
        record_id = record_of(token)
    except PacketError:
        raise HTTPException(404, "no such packet (the link is wrong or has expired)") from None
    row = load_record(db, record_id)
    if row is None:
        raise HTTPException(404, "no such packet (the link is wrong or has expired)")
    return to_record(row)


@router.get("/{token}", response_class=HTMLResponse)
def packet_page(token: str, db: DbSession) -> HTMLResponse:
    record = _load(db, token)
    html = packet_html(record, f"{PREFIX}/{token}/htcds.json")
    return HTMLResponse(html, headers={"Cache-Control": "no-store",
                                       "Referrer-Policy": "no-referrer",
                                       "X-Robots-Tag": "noindex"})


@router.get("/{token}/htcds.json")
def packet_download(token: str, db: DbSession) -> JSONResponse:
    record = _load(db, token)
    return JSONResponse(packet_json(record), headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="screening-{record.id[:8]}.json"',
    })
