"""The audit log: who viewed or changed which case (no message content is logged)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.models import AuditEntry
from saphan.db import utcnow


def record(session: Session, username: str, action: str, case_id: int | None = None,
           detail: str | None = None) -> None:
    session.add(AuditEntry(username=username, action=action, case_id=case_id,
                           detail=detail and detail[:300], at=utcnow()))


def entries(session: Session, case_id: int | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if case_id is not None:
        stmt = stmt.where(AuditEntry.case_id == case_id)
    return list(session.execute(stmt).scalars())
