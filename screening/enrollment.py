"""Officer enrollment: admins issue single-use codes; an officer redeems one once per chat.

Codes are random (about 60 bits), shown once, and stored only as a SHA-256 hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from saphan.db import utcnow
from screening.models import EnrollmentCode, Officer

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_GROUPS = 3
CODE_GROUP_LEN = 4
CODE_PATTERN = re.compile(
    rf"^(?:[{CODE_ALPHABET}]{{{CODE_GROUP_LEN}}}-){{{CODE_GROUPS - 1}}}"
    rf"[{CODE_ALPHABET}]{{{CODE_GROUP_LEN}}}$"
)
MAX_EXPIRY = timedelta(days=90)
_DURATION = re.compile(r"^(\d+)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class EnrollmentError(ValueError):
    """Bad admin input, or a code that cannot be redeemed (message is safe to show)."""


def parse_duration(text: str) -> timedelta:
    """'7d', '12h' or '30m' -> timedelta (1 minute to 90 days)."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise EnrollmentError("expiry must look like 7d, 12h or 30m")
    delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(minutes=1) <= delta <= MAX_EXPIRY:
        raise EnrollmentError("expiry must be between 1 minute and 90 days")
    return delta


def normalise_code(text: str) -> str:
    """Accept lower case, spaces and missing dashes: 'abcd efgh jkmn' -> 'ABCD-EFGH-JKMN'."""
    raw = re.sub(r"[\s\-]", "", text).upper()
    n = CODE_GROUP_LEN
    return "-".join(raw[i : i + n] for i in range(0, len(raw), n))


def looks_like_code(text: str) -> bool:
    return bool(CODE_PATTERN.match(normalise_code(text)))


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _clean(label: str, value: str, limit: int) -> str:
    value = " ".join(value.split())
    if not value or len(value) > limit:
        raise EnrollmentError(f"{label}: 1 to {limit} characters")
    return value


def issue_code(
    session: Session, agency: str, role: str, expires_in: timedelta
) -> tuple[str, EnrollmentCode]:
    """Create a code; returns the plain code (show it once) and the stored row."""
    agency = _clean("agency", agency, 120)
    role = _clean("role", role, 60)
    code = "-".join(
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LEN))
        for _ in range(CODE_GROUPS)
    )
    now = utcnow()
    row = EnrollmentCode(code_hash=hash_code(code), agency=agency, role=role, created_at=now,
                         expires_at=now + expires_in)
    session.add(row)
    session.flush()
    return code, row


def active_officer(session: Session, line_user: str) -> Officer | None:
    """The enrolled, not revoked officer of this conversation, if any."""
    return session.execute(
        select(Officer)
        .where(Officer.line_user == line_user, Officer.revoked_at.is_(None))
        .order_by(Officer.id.desc())
    ).scalars().first()


def redeem_code(session: Session, line_user: str, code: str) -> Officer:
    """Enrol this conversation with a code (single use, unexpired); raises `EnrollmentError`
    (the caller's transaction should then roll back)."""
    if not line_user or len(line_user) > 64:
        raise EnrollmentError("unknown conversation")
    row = session.execute(
        select(EnrollmentCode).where(EnrollmentCode.code_hash == hash_code(code))
        .with_for_update()
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise EnrollmentError("this code is not valid (wrong, already used or expired)")
    if active_officer(session, line_user) is not None:
        raise EnrollmentError("this chat is already enrolled")
    now = utcnow()
    claimed = session.execute(  # single use even when two chats race for one code
        update(EnrollmentCode)
        .where(EnrollmentCode.id == row.id, EnrollmentCode.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise EnrollmentError("this code is not valid (wrong, already used or expired)")
    officer = Officer(line_user=line_user, agency=row.agency, role=row.role, code_id=row.id,
                      enrolled_at=now)
    session.add(officer)
    session.flush()
    return officer


def list_officers(session: Session, include_revoked: bool = False) -> list[Officer]:
    query = select(Officer).order_by(Officer.id)
    if not include_revoked:
        query = query.where(Officer.revoked_at.is_(None))
    return list(session.execute(query).scalars())


def revoke_officer(session: Session, officer_id: int) -> Officer:
    """Revoke an officer (screening closes for that chat); raises if unknown or revoked."""
    officer = session.get(Officer, officer_id)
    if officer is None:
        raise EnrollmentError(f"no officer with id {officer_id}")
    if officer.revoked_at is not None:
        raise EnrollmentError(f"officer {officer_id} is already revoked")
    officer.revoked_at = utcnow()
    return officer


def erase_conversation(session: Session, conversation_id: str) -> dict[str, int]:
    """Screening's part of "delete my data": nothing to erase, reported as kept. An officer's
    enrollment stays (like the gateway's pseudonymous user row) so the officer can go on
    screening; screening records hold no chat data and belong to the screened person's case."""
    kept = session.scalar(select(func.count(Officer.id))
                          .where(Officer.line_user == conversation_id))
    return {"officer_enrollments_kept": kept or 0}
