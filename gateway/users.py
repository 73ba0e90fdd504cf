"""LINE users: raw ids stay here; Rasa only sees the pseudonymous conversation id.
The one writer of `line_users`; functions run on the caller's session."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
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
    #: Languages the person was given the privacy notice in (`give_notice`).
    notice_languages: frozenset[str] = frozenset()


def _snapshot(row: LineUser) -> User:
    return User(row.channel, row.line_user_id, row.conversation_id, row.language, row.active,
                frozenset((row.notice_languages or "").split()))


#: A user's row by account, built once (every message reads it; see `gateway.inbox._Statements`).
_BY_ACCOUNT = select(LineUser.__table__).where(LineUser.channel == bindparam("channel_"),
                                               LineUser.line_user_id == bindparam("user_"))


def get_or_create(session: Session, channel: str, line_user_id: str, pseudonym_key: str,
                  language: str | None = None) -> User:
    """The user of `channel` (created on first contact, language Thai unless given)."""
    account = {"channel_": channel, "user_": line_user_id}
    row = session.connection().execute(_BY_ACCOUNT, account).first()  # every message: Core
    if row is not None:
        return _snapshot(row)
    row = LineUser(
        channel=channel, line_user_id=line_user_id,
        conversation_id=conversation_id(pseudonym_key, channel, line_user_id),
        language=language_or_default("gateway", language), active=True,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        row = session.connection().execute(_BY_ACCOUNT, account).one()
    return _snapshot(row)


def update_user(session: Session, channel: str, line_user_id: str, **values: object) -> None:
    """Set `language` and/or `active` of a user."""
    session.execute(update(LineUser).where(LineUser.channel == channel,
                                           LineUser.line_user_id == line_user_id)
                    .values(**values))


def give_notice(session: Session, channel: str, line_user_id: str, language: str) -> bool:
    """Note that the person is given the privacy notice in `language`; False when they had
    it in that language already (or have no row: erased)."""
    row = session.execute(select(LineUser).where(
        LineUser.channel == channel, LineUser.line_user_id == line_user_id)).scalar_one_or_none()
    if row is None:
        return False
    given = set((row.notice_languages or "").split())
    if language in given:
        return False
    row.notice_languages = " ".join(sorted(given | {language}))
    return True


def account_of(session: Session, conversation_id: str) -> tuple[str, str] | None:
    """(channel, LINE user id) behind a pseudonymous conversation id, or None."""
    row = session.execute(select(LineUser.channel, LineUser.line_user_id)
                          .where(LineUser.conversation_id == conversation_id)).first()
    return None if row is None else (row[0], row[1])


def language_of(session: Session, conversation_id: str) -> str | None:
    """The language stored for the user of a conversation (None: no such user)."""
    return session.scalar(select(LineUser.language)
                          .where(LineUser.conversation_id == conversation_id))


def forget(session: Session, channel: str, line_user_id: str) -> int:
    """Delete the user's row, if any (`inbox` calls it when an erased event is finished)."""
    return int(session.execute(delete(LineUser).where(
        LineUser.channel == channel, LineUser.line_user_id == line_user_id)).rowcount or 0)


def erase_conversation(session: Session, conversation_id: str) -> dict[str, int]:
    """Delete the user's row, the one place that maps the LINE id to the conversation (runs
    last: the inbox and outbox erasers look the LINE id up here first).

    The confirmation of "delete my data" still reaches the person: it is the answer to the
    inbox event being processed, and the worker holds that event's LINE id and reply token in
    memory (`inbox.Job`); when that event is finished it is deleted with its outbox batches
    (`inbox.mark_done`). If the person writes again they are a new user (a new row; nothing
    of the erased conversation is linked to it: cases were unlinked, the tracker erased)."""
    deleted = session.execute(delete(LineUser)
                              .where(LineUser.conversation_id == conversation_id)).rowcount
    return {"users_deleted": int(deleted or 0)}
