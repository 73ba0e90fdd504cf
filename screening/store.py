"""Save and load finished screenings (`screening_records`), notes encrypted."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.service import case_ids_of
from saphan.settings import Settings, get_settings
from screening.models import ScreeningRow
from screening.notes import decrypt_notes, encrypt_notes
from screening.records import ScreeningRecord
from screening.scoring import ScreeningResult


def _result(data: Mapping[str, Any]) -> ScreeningResult:
    return ScreeningResult(
        category=data["category"],
        profile=data["profile"],
        list_id=data["list_id"],
        positive_dimensions=tuple(data["positive_dimensions"]),
        indicators={d: tuple(ids) for d, ids in data["indicators"].items()},
        module=dict(data.get("module") or {}),
    )


def save_record(
    session: Session,
    record: ScreeningRecord,
    officer_db_id: int | None,
    notes: str | None = None,
    settings: Settings | None = None,
) -> ScreeningRow:
    """Store a record; notes (optional) are encrypted first, so a key problem stores nothing."""
    token = encrypt_notes(notes, settings or get_settings()) if notes else None
    row = ScreeningRow(
        id=record.id,
        officer_id=officer_db_id,
        agency=record.agency,
        created_at=record.created_at,
        questionnaire_version=record.questionnaire_version,
        context=json.dumps(dict(record.context), ensure_ascii=False, sort_keys=True),
        answers=json.dumps(dict(record.answers), ensure_ascii=False, sort_keys=True),
        result=json.dumps(record.result.to_dict(), ensure_ascii=False, sort_keys=True),
        category=record.result.category,
        stopped_early=record.stopped_early,
        answered_by=record.answered_by,
        person_language=record.person_language,
        drafts_shown=record.drafts_shown,
        notes_encrypted=token,
    )
    session.add(row)
    session.flush()
    return row


def to_record(row: ScreeningRow) -> ScreeningRecord:
    return ScreeningRecord(
        officer_id=str(row.officer_id) if row.officer_id is not None else "",
        agency=row.agency,
        questionnaire_version=row.questionnaire_version,
        context=json.loads(row.context),
        answers=json.loads(row.answers),
        result=_result(json.loads(row.result)),
        stopped_early=row.stopped_early,
        answered_by="person" if row.answered_by == "person" else "officer",
        person_language=row.person_language,
        drafts_shown=row.drafts_shown,
        id=row.id,
        created_at=row.created_at,
    )


def load_record(session: Session, record_id: str) -> ScreeningRow | None:
    return session.get(ScreeningRow, record_id)


def record_notes(row: ScreeningRow, settings: Settings | None = None) -> str | None:
    """The decrypted notes of a stored record (None when it has none)."""
    if row.notes_encrypted is None:
        return None
    return decrypt_notes(row.notes_encrypted, settings or get_settings())


def set_notes(
    session: Session, record_id: str, notes: str, settings: Settings | None = None
) -> None:
    """Replace a record's notes (encrypted before anything is written)."""
    token = encrypt_notes(notes, settings or get_settings())
    row = session.get(ScreeningRow, record_id)
    if row is None:
        raise KeyError(f"no screening {record_id}")
    row.notes_encrypted = token


def set_case(session: Session, record_id: str, case_id: int) -> None:
    """Note the case this screening was referred to."""
    row = session.get(ScreeningRow, record_id)
    if row is None:
        raise KeyError(f"no screening {record_id}")
    row.case_id = case_id


def all_records(session: Session) -> list[ScreeningRecord]:
    """Every stored screening, oldest first (for export)."""
    rows = session.execute(select(ScreeningRow).order_by(ScreeningRow.created_at)).scalars()
    return [to_record(row) for row in rows]


def erase_conversation(session: Session, conversation_id: str) -> dict[str, int]:
    """"Delete my data": screenings referred to the conversation's cases lose the answers, the
    context, the notes, which indicators were found and the person's language; the category,
    questionnaire version, agency, date and who answered stay (the anonymised statistics).
    Runs before the cases' eraser, which unlinks the cases from the conversation."""
    case_ids = case_ids_of(session, conversation_id)
    if not case_ids:
        return {"screenings_anonymised": 0}
    rows = list(session.scalars(select(ScreeningRow).where(ScreeningRow.case_id.in_(case_ids))))
    for row in rows:
        result = json.loads(row.result)
        row.context = row.answers = "{}"
        row.result = json.dumps({**result, "positive_dimensions": [], "indicators": {}},
                                ensure_ascii=False, sort_keys=True)
        row.notes_encrypted = None
        row.person_language = None
    return {"screenings_anonymised": len(rows)}
