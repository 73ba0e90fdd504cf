"""A caseworker recipient configured with an agency code that names no agency would never be
told of anything: the gateway says so at start-up (the codes and how many recipients, never
their LINE ids). Codes are compared as the agencies store them (lower case). On real SQLite
and PostgreSQL, through the running gateway."""

from __future__ import annotations

import json
import logging

import pytest

from agencies.vocab import DEFAULT_AGENCY_CODE
from cases.runtime import unknown_recipient_agencies
from saphan.db import in_session
from saphan.settings import CaseworkerRecipient, Settings
from testsupport.cases import running_gateway
from testsupport.polling import wait_for

RECIPIENTS = [
    {"channel": "officer", "user_id": "Uknownagency1", "agency": DEFAULT_AGENCY_CODE.upper()},
    {"channel": "officer", "user_id": "Utypo1", "agency": "msdhs-takk"},
    {"channel": "officer", "user_id": "Utypo2", "agency": "msdhs-takk", "wide_only": True},
    {"channel": "officer", "user_id": "Ueverycase1"},
]


def test_unknown_codes_are_found_and_known_ones_match_in_any_case(app_env: str) -> None:
    recipients = Settings(caseworker_line_recipients=json.dumps(RECIPIENTS)
                          ).caseworker_line_recipients
    assert recipients[0].agency == DEFAULT_AGENCY_CODE  # as stored: it will match its cases
    assert in_session(unknown_recipient_agencies, recipients) == ["msdhs-takk"]
    assert in_session(unknown_recipient_agencies, [CaseworkerRecipient(
        channel="officer", user_id="U1", agency=DEFAULT_AGENCY_CODE)]) == []


def test_the_gateway_warns_at_start_up_without_line_ids(
        app_env: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="saphan.cases")
    with running_gateway(monkeypatch, CASEWORKER_LINE_RECIPIENTS=json.dumps(RECIPIENTS)):
        wait_for(lambda: any("msdhs-takk" in r.getMessage() for r in caplog.records),
                 timeout=10)
    warning = next(r.getMessage() for r in caplog.records if "msdhs-takk" in r.getMessage())
    assert "2 recipient(s)" in warning and "SAPHAN_CASEWORKER_LINE_RECIPIENTS" in warning
    assert DEFAULT_AGENCY_CODE not in warning.split("(", 1)[1]  # only the unknown code
    assert not any(u in r.getMessage() for r in caplog.records
                   for u in ("Uknownagency1", "Utypo1", "Utypo2", "Ueverycase1"))
