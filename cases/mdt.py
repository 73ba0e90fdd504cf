"""MDT case conferences, the owner of `mdt_conferences`.

The multidisciplinary team's identification interview is where the competent authorities
identify a person (../shared/reference/nrm.md, step 4); a screening before it is only a reason
to refer. A conference records its date, who attended (agency and role), the decision
(identified / not identified / deferred) and its basis (the interview, indicators), and next
steps with owners and due dates. Recording an identified / not identified decision moves the
case to that NRM stage through `cases.stages.move` (entering `mdt_interview` first when the
case is not there yet), so the pathway decides whether the recording agency may.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agencies.models import Agency
from cases import stages
from cases.models import Case, Caseworker, MdtConference
from saphan.db import utcnow
from screening.loader import default_screening

DECISIONS = ("identified", "not_identified", "deferred")
#: The pathway stages a conference enters (checked against nrm/data/pathway.yml by the tests).
INTERVIEW_STAGE = "mdt_interview"
INTERVIEW_DATE_FIELD = "interview_date"
DECISION_DATE_FIELD = "decided_on"
MAX_BASIS = 5000
MAX_SHORT = 300


class MdtError(ValueError):
    """The conference record is incomplete or refers to something that does not exist."""


@dataclass(frozen=True)
class Attendee:
    agency_id: int
    role: str


@dataclass(frozen=True)
class NextStep:
    action: str
    agency_id: int
    due: date


@dataclass
class MdtIn:
    """What a caseworker records after an MDT case conference."""

    held_on: date
    decision: str
    basis: str
    attendees: list[Attendee] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)  # screening questionnaire item ids
    next_steps: list[NextStep] = field(default_factory=list)

    def problems(self, session: Session, today: date) -> list[str]:
        """Every problem of the record, each naming the field."""
        found = []
        if self.held_on > today:
            found.append(f"held_on: {self.held_on} is in the future")
        if self.decision not in DECISIONS:
            found.append(f"decision: {self.decision!r} is not one of {', '.join(DECISIONS)}")
        if not self.basis.strip():
            found.append("basis: say what the decision rests on (interview, indicators)")
        elif len(self.basis) > MAX_BASIS:
            found.append(f"basis: longer than {MAX_BASIS} characters")
        if len(self.attendees) < 2:
            found.append("attendees: an MDT conference has at least two members")
        known = {a.id for a in session.scalars(select(Agency))}
        for i, person in enumerate(self.attendees):
            if person.agency_id not in known:
                found.append(f"attendees[{i}].agency_id: no agency {person.agency_id}")
            if not person.role.strip() or len(person.role) > MAX_SHORT:
                found.append(f"attendees[{i}].role: give the role (1-{MAX_SHORT} characters)")
        indicator_ids = {item.id for item in default_screening().questionnaire.items}
        unknown = [i for i in self.indicators if i not in indicator_ids]
        if unknown:
            found.append(f"indicators: unknown indicator id(s) {', '.join(unknown)}")
        for i, step in enumerate(self.next_steps):
            if not step.action.strip() or len(step.action) > MAX_SHORT:
                found.append(f"next_steps[{i}].action: describe it (1-{MAX_SHORT} characters)")
            if step.agency_id not in known:
                found.append(f"next_steps[{i}].agency_id: no agency {step.agency_id}")
        return found


def _jsonable(mdt_in: MdtIn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    attendees = [{"agency_id": a.agency_id, "role": a.role.strip()} for a in mdt_in.attendees]
    steps = [{"action": s.action.strip(), "agency_id": s.agency_id, "due": s.due.isoformat()}
             for s in mdt_in.next_steps]
    return attendees, steps


def record(session: Session, case_id: int, mdt_in: MdtIn, worker: Caseworker) -> MdtConference:
    """Store the conference and move the case to the decision's stage (deferred: to the
    interview stage only). Raises MdtError, or the pathway's TransitionRefused/RecordInvalid
    when the worker's agency may not make the move; the caller rolls back then."""
    problems = mdt_in.problems(session, utcnow().date())
    if problems:
        raise MdtError("MDT conference: " + "; ".join(problems))
    case = session.get(Case, case_id)
    if case is None:
        raise stages.StageError(f"case {case_id} does not exist")
    if case.anonymised_at is not None:
        raise stages.StageError(f"case {case_id} is anonymised")
    agency = session.get(Agency, worker.agency_id) if worker.agency_id is not None else None
    if agency is None:
        raise MdtError("the recording account belongs to no agency")
    if not stages.agency_on_case(session, case, agency.id):
        raise stages.StageError(f"agency {agency.code} is not on case {case_id}")
    attendees, steps = _jsonable(mdt_in)
    row = MdtConference(case_id=case_id, held_on=mdt_in.held_on, attendees=attendees,
                        decision=mdt_in.decision, indicators=list(dict.fromkeys(mdt_in.indicators)),
                        basis=mdt_in.basis.strip(), next_steps=steps, recorded_by=worker.id,
                        at=utcnow())
    session.add(row)
    session.flush()
    if stages.current(session, case_id) != INTERVIEW_STAGE:
        stages.move(session, case_id, INTERVIEW_STAGE, agency, worker.id,
                    {INTERVIEW_DATE_FIELD: mdt_in.held_on.isoformat()})
    if mdt_in.decision != "deferred":
        stages.move(session, case_id, mdt_in.decision, agency, worker.id,
                    {DECISION_DATE_FIELD: mdt_in.held_on.isoformat()}, conference_id=row.id)
    return row


def for_case(session: Session, case_id: int) -> list[MdtConference]:
    return list(session.scalars(select(MdtConference).where(MdtConference.case_id == case_id)
                                .order_by(MdtConference.id)))


def anonymise(session: Session, case_ids: list[int]) -> None:
    """Retention and erasure: conferences lose their basis, the attendees' roles and the next
    steps' wording; date, decision, attending agencies and indicator ids stay."""
    if not case_ids:
        return
    for row in session.scalars(select(MdtConference)
                               .where(MdtConference.case_id.in_(case_ids))):
        row.basis = ""
        row.attendees = [{"agency_id": a.get("agency_id"), "role": ""} for a in row.attendees]
        row.next_steps = [{"agency_id": s.get("agency_id"), "due": s.get("due"), "action": ""}
                          for s in row.next_steps]
