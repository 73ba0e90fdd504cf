"""A case's way along the NRM pathway (`nrm/data/pathway.yml`), the owner of `case_stages`.

Each move is a row (who, which agency, when, what it recorded, a due date where the NRM sets a
time limit); the newest row of a track is the case's current stage on it. A case without rows
(one from before the pathway) reads as the pathway's start stage. The timeline merges the
moves with the case's referrals (read-only here; `cases.referrals` writes them) and its MDT
conferences. Session-first; nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from agencies.models import Agency
from cases.models import Case, CaseAccess, CaseReferral, CaseStage, MdtConference
from nrm.pathway import MAIN, Pathway, TransitionRefused, default_pathway
from saphan.db import utcnow

#: The record key that links a stage row to the MDT conference that decided it.
CONFERENCE_KEY = "mdt_conference_id"
_KIND_ORDER = {"referral": 0, "mdt": 1, "stage": 2}  # same instant: the cause before its effect


class StageError(ValueError):
    """The move cannot be applied to this case (no such case, agency not on the case)."""


@dataclass(frozen=True)
class TimelineItem:
    """One step of a case's timeline. `title`: the stage (kind "stage"), the referral state
    ("referral") or the MDT decision ("mdt"); `details` holds only what the viewer may see."""

    at: datetime
    kind: str
    title: str
    agency_id: int | None = None
    other_agency_id: int | None = None  # a referral's receiving agency
    actor_id: int | None = None
    from_stage: str | None = None
    due_at: datetime | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _rows(session: Session, case_id: int) -> list[CaseStage]:
    return list(session.scalars(select(CaseStage).where(CaseStage.case_id == case_id)
                                .order_by(CaseStage.id)))


def start(session: Session, case_id: int, agency_id: int | None,
          pathway: Pathway | None = None) -> CaseStage:
    """A new case enters the pathway's start stage (once: an existing first row is kept)."""
    pathway = pathway or default_pathway()
    rows = _rows(session, case_id)
    if rows:
        return rows[0]
    row = CaseStage(case_id=case_id, stage=pathway.start, from_stage=None, agency_id=agency_id,
                    actor_id=None, record=None, at=utcnow(), due_at=None)
    session.add(row)
    session.flush()
    return row


def current_rows(session: Session, case_id: int, pathway: Pathway | None = None
                 ) -> dict[str, CaseStage]:
    """The newest row per track (tracks not started are absent)."""
    pathway = pathway or default_pathway()
    found: dict[str, CaseStage] = {}
    for row in _rows(session, case_id):
        if row.stage in pathway.stage_ids:
            found[pathway.stage(row.stage).track] = row
    return found


def current_by_track(session: Session, case_id: int, pathway: Pathway | None = None
                     ) -> dict[str, str]:
    """`{track: stage}`; the main track is always there (the start stage without rows)."""
    pathway = pathway or default_pathway()
    found = {track: row.stage for track, row in current_rows(session, case_id, pathway).items()}
    found.setdefault(MAIN, pathway.start)
    return found


def current(session: Session, case_id: int) -> str:
    """The case's stage on the main track."""
    return current_by_track(session, case_id)[MAIN]


def agency_on_case(session: Session, case: Case, agency_id: int) -> bool:
    """Whether the agency owns the case or was given access by an accepted referral."""
    if case.agency_id == agency_id:
        return True
    return session.scalar(select(CaseAccess.id).where(
        CaseAccess.case_id == case.id, CaseAccess.agency_id == agency_id)) is not None


def _due(pathway: Pathway, to_stage: str, record: Mapping[str, Any], date_field: str | None,
         now: datetime) -> datetime | None:
    """The stage's time limit counted from its recorded date (midnight UTC) or from now."""
    limit = pathway.stage(to_stage).time_limit
    if limit is None:
        return None
    begun = record.get(date_field) if date_field else None
    since = datetime.combine(date.fromisoformat(begun), time.min, UTC) if begun else now
    return since + timedelta(days=limit.days)


def move(session: Session, case_id: int, to_stage: str, agency: Agency, actor_id: int | None,
         record: Mapping[str, Any], *, conference_id: int | None = None,
         pathway: Pathway | None = None) -> CaseStage:
    """Move the case to `to_stage` for `agency` if the pathway allows it (TransitionRefused),
    with a complete record (RecordInvalid); sets the due date of a time-limited stage. A move
    that is an MDT decision needs the conference (`cases.mdt.record` passes it)."""
    pathway = pathway or default_pathway()
    case = session.get(Case, case_id)
    if case is None:
        raise StageError(f"case {case_id} does not exist")
    if not agency_on_case(session, case, agency.id):
        raise StageError(f"agency {agency.code} is not on case {case_id}")
    if case.anonymised_at is not None:
        raise StageError(f"case {case_id} is anonymised")
    if to_stage not in pathway.stage_ids:
        raise TransitionRefused(f"unknown NRM stage {to_stage!r}; known: "
                                f"{', '.join(pathway.stage_ids)}")
    here = pathway.leaving(current_by_track(session, case_id, pathway), to_stage)
    transition = pathway.check(here, to_stage, agency.kind)
    if transition.mdt_decision and conference_id is None:
        raise TransitionRefused(f"moving from {here} to {to_stage} is the MDT's decision: "
                                "record the MDT case conference")
    clean = transition.validate_record(record)
    now = utcnow()
    stored = {**clean, CONFERENCE_KEY: conference_id} if conference_id is not None else clean
    row = CaseStage(case_id=case_id, stage=to_stage, from_stage=here, agency_id=agency.id,
                    actor_id=actor_id, record=stored or None, at=now,
                    due_at=_due(pathway, to_stage, clean, transition.date_field, now))
    session.add(row)
    session.flush()
    return row


def overdue(session: Session, now: datetime | None = None) -> list[CaseStage]:
    """Current stages past their due date, e.g. temporary protection past 15 days with no
    MDT interview (a later move on the same track meets the limit)."""
    pathway = default_pathway()
    now = now or utcnow()
    later = aliased(CaseStage)
    found = []
    for row in session.scalars(select(CaseStage).where(CaseStage.due_at.is_not(None),
                                                       CaseStage.due_at < now)
                               .order_by(CaseStage.due_at)):
        track = [s.id for s in pathway.stages if s.track == pathway.stage(row.stage).track]
        if not session.scalar(select(exists().where(
                later.case_id == row.case_id, later.id > row.id, later.stage.in_(track)))):
            found.append(row)
    return found


def current_of(session: Session, case_ids: Iterable[int]) -> dict[int, str]:
    """The main-track stage of each case, in one query (the start stage without rows)."""
    pathway = default_pathway()
    ids = list(case_ids)
    found = dict.fromkeys(ids, pathway.start)
    main = [s.id for s in pathway.stages if s.track == MAIN]
    if ids:
        for row in session.scalars(select(CaseStage).where(
                CaseStage.case_id.in_(ids), CaseStage.stage.in_(main)).order_by(CaseStage.id)):
            found[row.case_id] = row.stage
    return found


def _date_of(pathway: Pathway, row: CaseStage) -> date:
    """The day a stage began: its recorded date field (`date_field`) or the day recorded."""
    if row.from_stage and row.record:
        for move_ in pathway.transitions:
            if move_.to == row.stage and row.from_stage in move_.from_stages:
                value = row.record.get(move_.date_field) if move_.date_field else None
                if isinstance(value, str):
                    return date.fromisoformat(value)
    return row.at.date()


def stage_dates(session: Session, case_ids: Iterable[int]) -> dict[int, dict[str, date]]:
    """For each case the first date each stage was reached (export columns)."""
    pathway = default_pathway()
    ids = list(case_ids)
    found: dict[int, dict[str, date]] = {case_id: {} for case_id in ids}
    if not ids:
        return found
    for row in session.scalars(select(CaseStage).where(CaseStage.case_id.in_(ids))
                               .order_by(CaseStage.id)):
        found[row.case_id].setdefault(row.stage, _date_of(pathway, row))
    return found


def stage_stays(session: Session, case_ids: Iterable[int]
                ) -> dict[int, list[tuple[str, int | None]]]:
    """For each case its stays in stages, in order: (stage, days until the next stage of the
    same track began; None while the case is still there). Days between the stages' dates
    (`_date_of`), never below 0."""
    pathway = default_pathway()
    ids = list(case_ids)
    found: dict[int, list[tuple[str, int | None]]] = {case_id: [] for case_id in ids}
    if not ids:
        return found
    by_track: dict[tuple[int, str], list[tuple[str, date]]] = defaultdict(list)
    for row in session.scalars(select(CaseStage).where(CaseStage.case_id.in_(ids))
                               .order_by(CaseStage.id)):
        if row.stage in pathway.stage_ids:
            track = pathway.stage(row.stage).track
            by_track[(row.case_id, track)].append((row.stage, _date_of(pathway, row)))
    for (case_id, _), moves in by_track.items():
        for (stage, began), following in zip(moves, [*moves[1:], None], strict=True):
            days = max((following[1] - began).days, 0) if following else None
            found[case_id].append((stage, days))
    return found


# -- timeline --------------------------------------------------------------------------------
def _field_shares(pathway: Pathway) -> dict[str, dict[str, str | None]]:
    """stage -> record field -> the share item needed to see it (None: everyone on the case)."""
    shares: dict[str, dict[str, str | None]] = defaultdict(dict)
    for move_ in pathway.transitions:
        for spec in move_.records:
            shares[move_.to][spec.name] = spec.share
    return shares


def timeline(session: Session, case_id: int, viewer_agency_id: int | None = None,
             shares: frozenset[str] | None = None) -> list[TimelineItem]:
    """Stage moves, referrals (with their outcome) and MDT conferences in time order.
    `shares=None` is the owner's full view; another agency (`viewer_agency_id` with its shares)
    sees a stage's record field only with the field's share item, and an MDT conference's
    basis, indicators and next steps only if it attended or was given "notes"."""
    pathway = default_pathway()
    field_shares = _field_shares(pathway)
    items: list[tuple[TimelineItem, int]] = []
    for row in _rows(session, case_id):
        record = {k: v for k, v in (row.record or {}).items()
                  if shares is None or k == CONFERENCE_KEY
                  or field_shares[row.stage].get(k) is None
                  or field_shares[row.stage].get(k) in shares}
        items.append((TimelineItem(row.at, "stage", row.stage, row.agency_id, None,
                                   row.actor_id, row.from_stage, row.due_at, record), row.id))
    for ref in session.scalars(select(CaseReferral).where(CaseReferral.case_id == case_id)
                               .order_by(CaseReferral.id)):
        outcome = {"service": ref.service_name, "organisation": ref.organisation,
                   "reason": ref.reason, "decided_at": ref.decided_at}
        items.append((TimelineItem(ref.at, "referral", ref.state, ref.from_agency_id,
                                   ref.to_agency_id, ref.caseworker_id, details=outcome),
                      ref.id))
    for conf in session.scalars(select(MdtConference).where(MdtConference.case_id == case_id)
                                .order_by(MdtConference.id)):
        attended = {a.get("agency_id") for a in conf.attendees}
        details: dict[str, Any] = {"held_on": conf.held_on, "attendees": conf.attendees}
        if shares is None or viewer_agency_id in attended or "notes" in shares:
            details |= {"basis": conf.basis, "indicators": conf.indicators,
                        "next_steps": conf.next_steps}
        items.append((TimelineItem(conf.at, "mdt", conf.decision, None, None,
                                   conf.recorded_by, details=details), conf.id))
    items.sort(key=lambda pair: (pair[0].at, _KIND_ORDER[pair[0].kind], pair[1]))
    return [item for item, _ in items]


def anonymise(session: Session, case_ids: list[int]) -> None:
    """Retention and erasure: the stage records lose their free text (e.g. the shelter); the
    stages, dates, choices and due dates stay for the statistics."""
    if not case_ids:
        return
    pathway = default_pathway()
    text_fields = {(move_.to, spec.name) for move_ in pathway.transitions
                   for spec in move_.records if spec.type == "text"}
    for row in session.scalars(select(CaseStage).where(CaseStage.case_id.in_(case_ids))):
        if row.record and any((row.stage, k) in text_fields for k in row.record):
            row.record = {k: v for k, v in row.record.items()
                          if (row.stage, k) not in text_fields} or None
