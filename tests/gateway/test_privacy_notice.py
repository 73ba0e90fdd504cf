"""The privacy notice reaches a person in the language they choose (issue 18), through signed
webhooks and the fake LINE platform, on SQLite and PostgreSQL (Rasa is unreachable here: the
language buttons are the gateway's own). The welcome comes in the phone's language, often Thai
for a Burmese, Khmer or Lao worker; choosing another language gives the notice once in it.
Writing first in my/km/lo is in tests/conversations/test_privacy_notice_gateway.py (real Rasa).
"""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text

from content.catalogue import text as catalogue_text
from gateway.app import create_app
from gateway.models import LineUser
from gateway.processor import with_notice
from gateway.signature import sign
from saphan.db import make_engine, session_scope
from saphan.migrate import alembic_config, upgrade
from saphan.settings import get_settings
from testsupport.channels import SECRETS
from testsupport.fake_line import FakeLine

SECRET = SECRETS["public"]


def texts_of(fake_line: FakeLine, user: str, event: dict, client: TestClient) -> list[str]:
    """Send one signed event and return the texts the user receives for it."""
    before = len(fake_line.messages_to(user))
    raw = fake_line.webhook_body([event])
    assert client.post("/line/public/webhook", content=raw, headers={
        "Content-Type": "application/json", "X-Line-Signature": sign(SECRET, raw)}
    ).status_code == 200
    fake_line.wait_for(lambda: len(fake_line.messages_to(user)) > before, timeout=10)
    return [m["text"] for _, m in fake_line.messages_to(user)[before:]]


def notice(language: str) -> str:
    return catalogue_text("gateway", "privacy_notice", language,
                          retention_months=get_settings().retention_closed_case_months)


def given(user: str) -> str:
    with session_scope() as session:
        return session.execute(select(LineUser.notice_languages)
                               .where(LineUser.line_user_id == user)).scalar_one()


@pytest.mark.usefixtures("gateway_env")
@pytest.mark.parametrize(("language", "other"), [("my", "km"), ("km", "lo"), ("lo", "my")])
def test_choosing_a_language_after_a_thai_welcome_gives_the_notice_in_it_once(
        fake_line: FakeLine, language: str, other: str) -> None:
    user = f"Unotice-{language}"
    fake_line.set_profile(user, language="th")  # the worker's phone is set to Thai
    with TestClient(create_app()) as client:
        [welcome] = texts_of(fake_line, user, fake_line.follow_event(user), client)
        assert welcome.endswith(notice("th")) and given(user) == "th"

        chosen = texts_of(fake_line, user, fake_line.postback_event(user, f"lang={language}"),
                          client)
        assert chosen == [notice(language), catalogue_text("gateway", "language_set", language)]

        # another language later: once in it too; back to one already given: no repeat
        assert texts_of(fake_line, user, fake_line.postback_event(user, f"lang={other}"),
                        client) == [notice(other), catalogue_text("gateway", "language_set",
                                                                   other)]
        assert texts_of(fake_line, user, fake_line.postback_event(user, f"lang={language}"),
                        client) == [catalogue_text("gateway", "language_set", language)]
        assert given(user) == " ".join(sorted({"th", language, other}))

        # following again welcomes in the phone's language, no repeat after
        fake_line.set_profile(user, language=language)
        [again] = texts_of(fake_line, user, fake_line.follow_event(user), client)
        assert again.endswith(notice(language))
        assert texts_of(fake_line, user, fake_line.postback_event(user, f"lang={language}"),
                        client) == [catalogue_text("gateway", "language_set", language)]


@pytest.mark.usefixtures("gateway_env")
def test_choosing_the_welcomes_language_does_not_repeat_the_notice(fake_line: FakeLine) -> None:
    user = "Unotice-same"
    fake_line.set_profile(user, language="km")
    with TestClient(create_app()) as client:
        [welcome] = texts_of(fake_line, user, fake_line.follow_event(user), client)
        assert welcome.endswith(notice("km"))
        assert texts_of(fake_line, user, fake_line.postback_event(user, "lang=km"), client) \
            == [catalogue_text("gateway", "language_set", "km")]


def test_the_notice_goes_before_the_last_message_which_keeps_its_quick_replies() -> None:
    first, last, note = {"text": "a"}, {"text": "b", "quickReply": {}}, {"text": "n"}
    assert with_notice([first, last], [note]) == [first, note, last]
    assert with_notice([last], [note]) == [note, last]
    assert with_notice([], [note]) == [note]
    assert with_notice([first, last], []) == [first, last]


def test_migration_0014_upgrades_from_0013_with_a_user_and_back(database_url: str) -> None:
    engine = make_engine(database_url)
    config = alembic_config(database_url)
    command.downgrade(config, "0013_screening_person_mode")
    assert "notice_languages" not in _columns(engine)
    with engine.begin() as conn:  # a person who wrote before 0014
        conn.execute(text(
            "INSERT INTO line_users (id, channel, line_user_id, conversation_id, language, "
            "active, created_at) VALUES (1, 'public', 'Uold', 'c-old', 'my', true, "
            "'2026-12-01 00:00:00+00:00')"))
    engine.dispose()

    upgrade(database_url)
    with engine.connect() as conn:  # given in no language yet: the next choice gives it
        assert conn.execute(text("SELECT notice_languages FROM line_users")).scalar_one() == ""
    engine.dispose()
    command.downgrade(config, "0013_screening_person_mode")
    assert "notice_languages" not in _columns(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT language FROM line_users")).scalar_one() == "my"
    engine.dispose()
    upgrade(database_url)
    assert "notice_languages" in _columns(engine)
    engine.dispose()


def _columns(engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("line_users")}
