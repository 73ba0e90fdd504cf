"""The queue shows QUEUE_PAGE cases at a time, "show more" adds a page; the order (overdue
first, then urgent, then the longest waiting) and the filters hold across pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from dashboard_helpers import PASSWORD, login
from sqlalchemy import update

from cases import labels, service
from cases.accounts import add_caseworker, by_username
from cases.models import Case
from content.catalogue import text
from dashboard.routes import QUEUE_PAGE
from saphan.db import in_session, session_scope, utcnow
from testsupport.cases import Gateway

NORMAL = QUEUE_PAGE + 20


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="case-(\d+)"', html)]


def _more_link(html: str) -> str | None:
    found = re.search(r'<tr id="queue-more">.*?href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def queue(app_env: str) -> dict[str, list[int]]:
    """NORMAL normal cases, then 3 urgent ones, then one normal case aged past its target."""
    in_session(add_caseworker, "alice", PASSWORD, "agency_admin", "Alice")
    made: dict[str, list[int]] = {"normal": [], "urgent": [], "overdue": []}
    with session_scope() as session:
        for kind, count in (("normal", NORMAL), ("urgent", 3), ("overdue", 1)):
            for n in range(count):
                created = service.create_case(session, service.NewCase(
                    conversation_id=f"U{kind}{n:04d}", source="request",
                    priority="normal" if kind != "urgent" else "urgent"))
                session.flush()
                made[kind].append(created.case.id)
        session.execute(update(Case).where(Case.id == made["overdue"][0]).values(
            created_at=utcnow() - timedelta(hours=5)))  # normal target: 4 h
    return made


def test_the_queue_pages_in_order_and_show_more_adds_a_page(gateway: Gateway,
                                                             queue: dict[str, list[int]]) -> None:
    client, _ = login(gateway, "alice")
    expected = queue["overdue"] + queue["urgent"] + queue["normal"]
    first = client.get("/dashboard").text
    assert _ids(first) == expected[:QUEUE_PAGE]
    more = text("dashboard", "queue_show_more", "th").replace("{more}", str(len(expected)
                                                                               - QUEUE_PAGE))
    assert more in first
    link = _more_link(first)
    assert link == f"/dashboard?show=all&limit={2 * QUEUE_PAGE}"
    second = client.get(link).text
    assert _ids(second) == expected
    assert _more_link(second) is None
    # the live refresh asks for the rows of the page it shows (the same limit)
    assert '"&limit=" + 200' in second
    rows = client.get(f"/dashboard/queue/rows?limit={2 * QUEUE_PAGE}").text
    assert _ids(rows) == expected
    assert _ids(client.get("/dashboard/queue/rows?limit=-5").text) == expected[:QUEUE_PAGE]


def test_filters_and_labels_page_too(gateway: Gateway, queue: dict[str, list[int]]) -> None:
    client, csrf = login(gateway, "alice")
    claimed = queue["normal"][:3]
    for case_id in claimed:
        assert client.post(f"/dashboard/cases/{case_id}/claim", data={"csrf": csrf}).is_redirect
    mine = client.get("/dashboard?show=mine").text
    assert _ids(mine) == claimed and _more_link(mine) is None
    unclaimed = client.get("/dashboard?show=unclaimed").text
    rest = queue["overdue"] + queue["urgent"] + queue["normal"][3:]
    assert _ids(unclaimed) == rest[:QUEUE_PAGE]
    assert _more_link(unclaimed) == f"/dashboard?show=unclaimed&limit={2 * QUEUE_PAGE}"
    assert _ids(client.get(_more_link(unclaimed) or "").text) == rest

    with session_scope() as session:
        worker = by_username(session, "alice")
        tag = labels.create(session, worker, "bench")
        tagged = queue["normal"][: QUEUE_PAGE + 5]
        for case_id in tagged:
            labels.add_to_case(session, worker, case_id, tag.id)
        tag_id = tag.id
    page = client.get(f"/dashboard?label={tag_id}").text
    assert _ids(page) == tagged[:QUEUE_PAGE]
    link = _more_link(page)
    assert link == f"/dashboard?show=all&label={tag_id}&limit={2 * QUEUE_PAGE}"
    assert _ids(client.get(link).text) == tagged
