"""Server-side dashboard sessions (table `caseworker_sessions`, written only here).

The cookie holds a random id; the database holds only its SHA-256, so a copy of the database
logs nobody in, and every gateway replica sees a logout, an expiry or a deactivation at once.
A session ends when revoked (logout, password change, deactivation), `max_age_s` after it
began (absolute), or `idle_s` after its last request. Every request counts, the open queue
page's live stream too: the person on duty watching the queue must not be logged out."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from cases.models import Caseworker, CaseworkerSession
from saphan.db import utcnow

#: `last_seen_at` is written at most this often (not on every request).
SEEN_STEP = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, caseworker_id: int, language: str, max_age_s: int) -> str:
    """A new session of the account; returns the id for the cookie (a fresh one at every login,
    never one the browser brought). Ended sessions are purged on the way."""
    now = utcnow()
    session.execute(delete(CaseworkerSession).where(CaseworkerSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    session.add(CaseworkerSession(
        token_hash=_hash(token), caseworker_id=caseworker_id, language=language, created_at=now,
        last_seen_at=now, expires_at=now + timedelta(seconds=max_age_s)))
    session.flush()
    return token


def current(session: Session, token: str, idle_s: int
            ) -> tuple[CaseworkerSession, Caseworker] | None:
    """The live session of `token` and its active account (its last request is now), else
    None: unknown, revoked, expired, idle too long, or the account is deactivated."""
    if not token or len(token) > 200:
        return None
    found = session.execute(
        select(CaseworkerSession, Caseworker)
        .join(Caseworker, Caseworker.id == CaseworkerSession.caseworker_id)
        .where(CaseworkerSession.token_hash == _hash(token))).first()
    if found is None:
        return None
    row, worker = found
    now = utcnow()
    if (row.revoked_at is not None or not worker.active or now >= row.expires_at
            or now - row.last_seen_at >= timedelta(seconds=idle_s)):
        return None
    if now - row.last_seen_at >= SEEN_STEP:
        row.last_seen_at = now
    return row, worker


def set_language(session: Session, token: str, language: str) -> None:
    session.execute(update(CaseworkerSession).where(CaseworkerSession.token_hash == _hash(token))
                    .values(language=language))


def revoke(session: Session, token: str) -> None:
    """End one session (logout, or the old session of a browser that logs in again)."""
    session.execute(update(CaseworkerSession)
                    .where(CaseworkerSession.token_hash == _hash(token),
                           CaseworkerSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))


def revoke_all(session: Session, caseworker_id: int, keep_token: str | None = None) -> int:
    """End every live session of the account except `keep_token`'s; returns how many."""
    stmt = (update(CaseworkerSession)
            .where(CaseworkerSession.caseworker_id == caseworker_id,
                   CaseworkerSession.revoked_at.is_(None),
                   CaseworkerSession.expires_at > utcnow())
            .values(revoked_at=utcnow()))
    if keep_token is not None:
        stmt = stmt.where(CaseworkerSession.token_hash != _hash(keep_token))
    return session.execute(stmt).rowcount or 0


def live_counts(session: Session) -> dict[int, int]:
    """Account id -> its sessions neither revoked nor past their absolute end (for
    `saphan caseworker list`; an idle one may still be counted)."""
    rows = session.execute(select(CaseworkerSession.caseworker_id, func.count())
                           .where(CaseworkerSession.revoked_at.is_(None),
                                  CaseworkerSession.expires_at > utcnow())
                           .group_by(CaseworkerSession.caseworker_id))
    return {worker_id: int(count) for worker_id, count in rows}
