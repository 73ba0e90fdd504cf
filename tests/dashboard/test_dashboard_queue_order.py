"""The queue's SQL cut (`dashboard.timing.queue`: filter, order and LIMIT in the database) gives
exactly what the queue gave when it loaded every open case and sorted in Python: checked on
generated cases (mixed priorities and ages, claimed, overdue, answered, waiting for the person,
labelled, closed, shared across agencies, referrals pending or declined) for every viewer,
filter, label and page size, on SQLite and PostgreSQL.

The reference below is the old Python rule, built from the per-case reads the case page uses
(`cases.access.case_view`, `dashboard.timing.timings`, `cases.labels.labels_by_case`)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from contextlib import suppress
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from cases import access, labels, referrals, service
from cases.accounts import add_caseworker
from cases.models import Case, Caseworker
from cases.vocab import OPEN_STATUSES, PRIORITIES, REFERRAL_REASONS, SHARE_ITEMS
from dashboard import timing
from saphan.db import session_scope, utcnow

PASSWORD = "correct horse battery staple"
AGENCIES = ("default", "police-nan", "ngo-nan")
SENDERS = ("user", "bot", "caseworker", "system")


def _old_order(views: list[access.CaseView], clocks: Mapping[int, timing.Timing], show: str,
               worker_id: int) -> list[access.CaseView]:
    """The queue's Python order and filters before the cut moved to SQL (unchanged)."""
    def keep(view: access.CaseView) -> bool:
        if show == "mine":
            return view.assignee_id == worker_id
        if show == "unclaimed":
            return view.assignee_id is None
        if show == "waiting_person":
            return clocks[view.case.id].waiting_for_person
        return True

    def order(view: access.CaseView) -> tuple[int, int, datetime, int]:
        clock = clocks[view.case.id]
        late = 0 if clock.overdue and not clock.answered else 1
        return late, PRIORITIES.index(view.case.priority), view.case.created_at, view.case.id

    return sorted((v for v in views if keep(v)), key=order)


def _reference(session: Session, worker: Caseworker, targets: Mapping[str, float],
               now: datetime) -> tuple[list[access.CaseView], dict[int, timing.Timing],
                                       dict[int, set[int]]]:
    """Every open case the worker's agency is on, one by one, with clocks and label ids."""
    views = []
    for case in session.scalars(select(Case).order_by(Case.id)):
        try:
            view = access.case_view(session, worker, case.id)
        except service.CaseNotFound:
            continue
        if case.status in OPEN_STATUSES:
            views.append(view)
    ids = [v.case.id for v in views]
    clocks = timing.timings(session, [v.case for v in views], targets, now)
    tags = {case_id: {t.id for t in found} for case_id, found in
            labels.labels_by_case(session, worker.agency_id, ids).items()}
    return views, clocks, tags


def _generate(session: Session, agency_ids: dict[str, int], rng: random.Random,
              count: int) -> None:
    """`count` cases of three agencies with random histories (see the module docstring)."""
    now = utcnow()
    workers = {code: [add_caseworker(session, f"{code}-{n}", PASSWORD, role,
                                     agency_id=agency_ids[code])
                      for n, role in enumerate(("caseworker", "caseworker", "agency_admin"))]
               for code in AGENCIES}
    tags = {code: [labels.create(session, workers[code][2], f"{code} {n}") for n in range(2)]
            for code in AGENCIES}
    ages: list[float] = []
    for n in range(count):
        owner = rng.choice(AGENCIES)
        case = service.create_case(session, service.NewCase(
            conversation_id=f"Uorder{n:04d}", source="request", priority=rng.choice(PRIORITIES),
            agency_id=agency_ids[owner])).case
        session.flush()
        # ages up to 6 h around the targets (5 min, 1 h, 4 h); some equal to break ties by id
        ages.append(rng.choice(ages) if ages and rng.random() < 0.15
                    else rng.uniform(0, 6 * 3600))
        case.created_at = now - timedelta(seconds=ages[-1])
        if rng.random() < 0.4:
            service.claim(session, case.id, rng.choice(workers[owner][:2]).id)
        for _ in range(rng.randrange(4)):
            sender = rng.choice(SENDERS)
            service.add_message(session, case.id, sender, "line", caseworker_id=(
                workers[owner][0].id if sender == "caseworker" else None))
        if rng.random() < 0.35:
            to = rng.choice([code for code in AGENCIES if code != owner])
            referral = referrals.refer(session, case.id, referrals.HandoverIn(
                reason=REFERRAL_REASONS[0], to_agency_id=agency_ids[to],
                shares=rng.sample(SHARE_ITEMS, rng.randrange(len(SHARE_ITEMS) + 1)),
                consent="given", consent_method="chat", consent_language="th"),
                workers[owner][0])
            fate = rng.random()
            if fate < 0.7:
                referrals.accept(session, referral.id, rng.choice(workers[to][:2]))
            elif fate < 0.85:
                referrals.decline(session, referral.id, workers[to][0], "not ours")
        for code in AGENCIES:
            for tag in tags[code]:
                if rng.random() < 0.3:
                    with suppress(service.CaseNotFound):  # the agency is not on the case
                        labels.add_to_case(session, workers[code][2], case.id, tag.id)
        if rng.random() < 0.1:
            service.close(session, case.id, "Closed", "done", None)
        elif rng.random() < 0.1:
            service.change_status(session, case.id, "FollowUp", None)
    for code in AGENCIES:  # a retired label stays on its cases and can still be filtered by
        labels.retire(session, workers[code][2], tags[code][0].id)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_sql_queue_is_the_python_queue_on_generated_cases(
        agency_ids: dict[str, int], seed: int) -> None:
    rng = random.Random(seed)
    with session_scope() as session:
        _generate(session, agency_ids, rng, count=70)
    targets = {"urgent": 300.0, "high": 3600.0, "normal": 4 * 3600.0} if seed == 1 else \
        {"urgent": 900.0, "high": 5400.0, "normal": 3 * 3600.0}
    checked = 0
    with session_scope() as session:
        now = utcnow()
        viewers = session.scalars(select(Caseworker).where(
            Caseworker.username.like("%-_")).order_by(Caseworker.id)).all()
        for worker in viewers:
            views, clocks, tags = _reference(session, worker, targets, now)
            agency_tags = [t.id for t in labels.agency_labels(session, worker.agency_id, False)]
            for show in timing.FILTERS:
                for label_id in (None, *agency_tags):
                    old = [v for v in _old_order(views, clocks, show, worker.id)
                           if label_id is None or label_id in tags[v.case.id]]
                    for limit in (5, 1000):
                        page = timing.queue(session, worker, targets, show, label_id, limit, now)
                        assert page.total == len(old), (worker.username, show, label_id)
                        assert [_seen(v) for v in page.views] == [_seen(v) for v in old[:limit]], \
                            (worker.username, show, label_id, limit)
                        checked += len(page.views)
    # the generated cases exercise every branch of the order and the filters
    assert checked > 500
    assert any(c.overdue and not c.answered for c in clocks.values())
    assert any(c.overdue and c.answered for c in clocks.values())
    assert any(c.waiting_for_person for c in clocks.values())
    assert any(not v.owner for v in views) and any(v.owner for v in views)


def _seen(view: access.CaseView) -> tuple[object, ...]:
    """What the queue row shows and allows of a view."""
    return (view.case.id, view.owner, sorted(view.shares), view.assignee_id, view.can_change,
            view.supervising)


def test_an_overdue_answered_case_is_not_first_and_a_closed_one_never_shows(
        agency_ids: dict[str, int]) -> None:
    """The two rules of the order most easily lost in SQL, on cases written for them."""
    with session_scope() as session:
        worker = add_caseworker(session, "order-worker", PASSWORD, agency_id=agency_ids["default"])
        made = {}
        for name, age_h, replied, closed in (("old_answered", 9, True, False),
                                             ("old_closed", 9, False, True),
                                             ("old", 5, False, False),
                                             ("new", 0.5, False, False)):
            case = service.create_case(session, service.NewCase(
                conversation_id=f"U{name}", source="request", priority="normal")).case
            session.flush()
            case.created_at = utcnow() - timedelta(hours=age_h)
            if replied:
                service.add_message(session, case.id, "caseworker", "hello", caseworker_id=None)
            if closed:
                service.close(session, case.id, "Closed", "done", None)
            made[name] = case.id
    with session_scope() as session:
        worker = session.get(Caseworker, worker.id)
        page = timing.queue(session, worker, {"urgent": 300.0, "high": 3600.0,
                                              "normal": 4 * 3600.0})
        assert [v.case.id for v in page.views] == [made["old"], made["old_answered"],
                                                   made["new"]]
        assert page.total == 3
