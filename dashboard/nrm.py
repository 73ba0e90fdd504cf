"""Dashboard: the case's NRM pathway (issue 17). The case page shows the current stage with its
due date, the timeline of stages, referrals and MDT conferences, a form for each move the
login's agency kind may make with that move's record fields, and the MDT conference form.

POST /dashboard/cases/{case_id}/stage and .../mdt go through `CaseFormDep` (404 off the case,
403 when the case is not the login's to change); a move the pathway refuses is a 422 page with
the pathway's message. Both are audited ("stage", "mdt").
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from anyio import from_thread
from fastapi import APIRouter, Form
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from agencies.models import Agency
from agencies.store import name as agency_name
from cases import mdt, service, stages
from cases.access import CaseView
from cases.vocab import REFERRAL_STATES
from dashboard.auth import Login
from dashboard.deps import CaseForm, CaseFormDep
from nrm.pathway import MAIN, RecordInvalid, TransitionRefused, default_pathway
from saphan.db import utcnow
from screening.loader import default_screening

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
RECORD_PREFIX = "r_"  # form fields of a move's record: r_<field name>
ATTENDEE_ROWS = 4
NEXT_STEP_ROWS = 3
#: What the pathway and the MDT record refuse; shown as the 422 page with their message.
REFUSALS = (stages.StageError, TransitionRefused, RecordInvalid, mdt.MdtError)


def case_context(db: Session, view: CaseView, login: Login) -> dict[str, Any]:
    """The `_case_nrm.html` partial's data (keys nrm_*), as the login's agency may see it."""
    pathway = default_pathway()
    case_id = view.case.id
    rows = stages.current_rows(db, case_id, pathway)
    current = stages.current_by_track(db, case_id, pathway)
    agency = db.get(Agency, login.worker.agency_id) if login.worker.agency_id else None
    moves = [m for m in pathway.next_moves(current, agency.kind) if not m.mdt_decision] \
        if agency is not None and view.can_change else []
    agencies = list(db.scalars(select(Agency).order_by(Agency.id)))
    return {
        "nrm_current": current,
        "nrm_main": MAIN,
        "nrm_rows": rows,
        "nrm_now": utcnow(),
        "nrm_moves": moves,
        "nrm_record_prefix": RECORD_PREFIX,
        "nrm_timeline": stages.timeline(db, case_id, view.agency_id,
                                        None if view.owner else view.shares),
        "nrm_agency_names": {a.id: agency_name(a, login.language) for a in agencies},
        "nrm_agencies": [a for a in agencies if a.active],
        "nrm_can_mdt": view.can_change,
        "nrm_decisions": mdt.DECISIONS,
        "nrm_indicators": [(i.id, i.officer.get(login.language))
                           for i in default_screening().questionnaire.items],
        "nrm_attendee_rows": range(ATTENDEE_ROWS),
        "nrm_next_step_rows": range(NEXT_STEP_ROWS),
        "nrm_referral_states": REFERRAL_STATES,
    }


def _submitted(form: CaseForm) -> list[tuple[str, str]]:
    """Every field of the posted form (already parsed and cached by FastAPI)."""
    posted = from_thread.run(form.request.form)
    return [(k, v) for k, v in posted.multi_items() if isinstance(v, str)]


def _agency(form: CaseForm) -> Agency:
    agency = form.db.get(Agency, form.login.worker.agency_id) \
        if form.login.worker.agency_id else None
    if agency is None:
        raise stages.StageError("your account belongs to no agency")
    return agency


def _refusal_as_case_error(change: Any) -> Any:
    """Run the change; the pathway's refusals become CaseErrors (the 422 page of `apply`)."""
    try:
        return change()
    except REFUSALS as exc:
        raise service.CaseError(str(exc)) from exc


@router.post("/cases/{case_id}/stage")
def move_stage(form: CaseFormDep, to_stage: Annotated[str, Form(max_length=40)]) -> Response:
    posted: dict[str, list[str]] = {}
    for key, value in _submitted(form):
        if key.startswith(RECORD_PREFIX):
            posted.setdefault(key.removeprefix(RECORD_PREFIX), []).append(value)
    record = {name: values if len(values) > 1 else values[0] for name, values in posted.items()}
    here = stages.current_by_track(form.db, form.case_id)
    leaving = here.get(MAIN, "")
    if to_stage in default_pathway().stage_ids:
        leaving = default_pathway().leaving(here, to_stage)

    def change() -> Any:
        return _refusal_as_case_error(lambda: stages.move(
            form.db, form.case_id, to_stage, _agency(form), form.worker_id, record))

    return form.apply("stage", change, f"{leaving} -> {to_stage}"[:120])


def _int(value: str, where: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise mdt.MdtError(f"{where}: choose an agency") from None


def _date(value: str, where: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise mdt.MdtError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def mdt_in(fields: list[tuple[str, str]]) -> mdt.MdtIn:
    """The conference form as an MdtIn; blank attendee and next-step rows are skipped."""
    def values(key: str) -> list[str]:
        return [v for k, v in fields if k == key]

    def one(key: str) -> str:
        found = values(key)
        return found[0] if found else ""

    attendees = [mdt.Attendee(_int(agency, f"attendees[{i}].agency_id"), role)
                 for i, (agency, role) in enumerate(zip(values("attendee_agency"),
                                                        values("attendee_role"), strict=False))
                 if agency.strip() or role.strip()]
    steps = [mdt.NextStep(action, _int(agency, f"next_steps[{i}].agency_id"),
                          _date(due, f"next_steps[{i}].due"))
             for i, (action, agency, due) in enumerate(zip(
                 values("step_action"), values("step_agency"), values("step_due"), strict=False))
             if action.strip() or due.strip()]
    return mdt.MdtIn(held_on=_date(one("held_on"), "held_on"), decision=one("decision"),
                     basis=one("basis"), attendees=attendees, indicators=values("indicators"),
                     next_steps=steps)


@router.post("/cases/{case_id}/mdt")
def record_mdt(form: CaseFormDep, decision: Annotated[str, Form(max_length=20)]) -> Response:
    fields = _submitted(form)

    def change() -> Any:
        return _refusal_as_case_error(lambda: mdt.record(
            form.db, form.case_id, mdt_in(fields), form.login.worker))

    return form.apply("mdt", change, decision)
