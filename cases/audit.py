"""The audit log: who viewed or changed which case (no message content is logged)."""

from __future__ import annotations

from sqlalchemy import select

from cases.models import AuditEntry
from cases.service import utcnow
from saphan.db import session_scope


def record(username: str, action: str, case_id: int | None = None,
           detail: str | None = None) -> None:
    with session_scope() as session:
        session.add(AuditEntry(username=username, action=action, case_id=case_id,
                               detail=detail and detail[:300], at=utcnow()))


def entries(case_id: int | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if case_id is not None:
        stmt = stmt.where(AuditEntry.case_id == case_id)
    with session_scope() as session:
        return list(session.execute(stmt).scalars())
