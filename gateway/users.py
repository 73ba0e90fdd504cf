"""LINE users: raw ids stay here; Rasa only sees the pseudonymous conversation id."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from gateway.inbox import utcnow
from gateway.models import LineUser
from gateway.rasa_bridge import conversation_id
from gateway.texts import DEFAULT_LANGUAGE, language_or_default
from saphan.db import session_scope


@dataclass(frozen=True)
class User:
    channel: str
    line_user_id: str
    conversation_id: str
    language: str
    active: bool


def _snapshot(row: LineUser) -> User:
    return User(row.channel, row.line_user_id, row.conversation_id, row.language, row.active)


def get_or_create(channel: str, line_user_id: str, secret_key: str,
                  language: str | None = None) -> User:
    """The user of `channel` (created on first contact, language Thai unless given)."""
    query = select(LineUser).where(LineUser.channel == channel,
                                   LineUser.line_user_id == line_user_id)
    with session_scope() as session:
        row = session.execute(query).scalar_one_or_none()
        if row is not None:
            return _snapshot(row)
        row = LineUser(
            channel=channel, line_user_id=line_user_id,
            conversation_id=conversation_id(secret_key, channel, line_user_id),
            language=language_or_default(language or DEFAULT_LANGUAGE), active=True,
            created_at=utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = session.execute(query).scalar_one()
        return _snapshot(row)


def update_user(channel: str, line_user_id: str, **values: object) -> None:
    """Set `language` and/or `active` of a user."""
    with session_scope() as session:
        session.execute(update(LineUser).where(LineUser.channel == channel,
                                               LineUser.line_user_id == line_user_id)
                        .values(**values))
