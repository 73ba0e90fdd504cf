"""LINE users: raw ids stay here; Rasa only sees the pseudonymous conversation id.
The one writer of `line_users`; functions run on the caller's session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from content.catalogue import language_or_default
from gateway.models import LineUser
from gateway.rasa_bridge import conversation_id
from saphan.db import utcnow


@dataclass(frozen=True)
class User:
    channel: str
    line_user_id: str
    conversation_id: str
    language: str
    active: bool


def _snapshot(row: LineUser) -> User:
    return User(row.channel, row.line_user_id, row.conversation_id, row.language, row.active)


def get_or_create(session: Session, channel: str, line_user_id: str, secret_key: str,
                  language: str | None = None) -> User:
    """The user of `channel` (created on first contact, language Thai unless given)."""
    query = select(LineUser).where(LineUser.channel == channel,
                                   LineUser.line_user_id == line_user_id)
    row = session.execute(query).scalar_one_or_none()
    if row is not None:
        return _snapshot(row)
    row = LineUser(
        channel=channel, line_user_id=line_user_id,
        conversation_id=conversation_id(secret_key, channel, line_user_id),
        language=language_or_default("gateway", language), active=True,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        row = session.execute(query).scalar_one()
    return _snapshot(row)


def update_user(session: Session, channel: str, line_user_id: str, **values: object) -> None:
    """Set `language` and/or `active` of a user."""
    session.execute(update(LineUser).where(LineUser.channel == channel,
                                           LineUser.line_user_id == line_user_id)
                    .values(**values))


def account_of(session: Session, conversation_id: str) -> tuple[str, str] | None:
    """(channel, LINE user id) behind a pseudonymous conversation id, or None."""
    row = session.execute(select(LineUser.channel, LineUser.line_user_id)
                          .where(LineUser.conversation_id == conversation_id)).first()
    return None if row is None else (row[0], row[1])


def erase_conversation(session: Session, conversation_id: str) -> dict[str, int]:
    """Nothing is deleted: the pseudonymous row (LINE id -> conversation id, language) is
    needed to keep answering the user; it holds no chat content. Reports the rows kept."""
    kept = session.scalar(select(func.count()).select_from(LineUser)
                          .where(LineUser.conversation_id == conversation_id))
    return {"users_kept": int(kept or 0)}
