"""Dashboard pages of referrals (issue 17): the hand-over form and the referrals list on the
case page (`_case_referrals.html`, data from `case_context`), the receiving agency's page of
referrals to it (`/dashboard/referrals`: accept, decline with a reason) and the sender's
withdraw. The rules are `cases.referrals`'; here only who may post what:
- case routes take `CaseFormDep` (404 off the case, 403 when it is not the login's to change);
- `/dashboard/referrals/{id}/...` answer 404 for a referral that is not to the login's agency
  (another agency must not learn that it exists).
Every hand-over action is audited by `cases.referrals` in the request's transaction; the case
runtime tells the receiving agency (live event, LINE) after the commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from agencies import store as agencies
from agencies.models import Agency
from cases import referrals, service
from cases.access import CaseView
from cases.models import CaseReferral
from cases.runtime import CaseRuntime
from cases.vocab import (
    CONSENT_METHODS,
    CONSENTS,
    OPEN_STATUSES,
    REFERRAL_REASONS,
    SHARE_ITEMS,
)
from dashboard.auth import Login
from dashboard.deps import (
    CaseForm,
    CaseFormDep,
    CheckedCaseworker,
    CurrentCaseworker,
    DbDep,
    RuntimeDep,
)
from dashboard.render import TEMPLATES, error_page, render
from dashboard.services import suggested_services
from saphan.db import in_session, utcnow
from saphan.http_types import RowId
from saphan.language import LANGUAGES

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)


def _pending_for(login: Login | None) -> int:
    """The number beside "referrals" in the navigation of every page (its own short read)."""
    return in_session(referrals.pending_count, login.worker.agency_id) if login else 0


TEMPLATES.env.globals["pending_referrals"] = _pending_for


# -- what the pages show ---------------------------------------------------------------------
def _names(db: Session, language: str) -> dict[int, str]:
    return {a.id: agencies.name(a, language) for a in agencies.all_agencies(db, False)}


def _row(r: CaseReferral, names: dict[int, str], agency_id: int, now: datetime,
         ) -> dict[str, Any]:
    """One referral as the login's agency may see it: the sender sees its own summary and the
    outcome; the receiver sees the summary only when it was shared."""
    sender = r.from_agency_id == agency_id
    # without consent the receiver gets the notice only: not even the language asked in
    told = sender or r.consent in referrals.SHARING_CONSENTS
    return {
        "id": r.id, "case_id": r.case_id, "state": r.state, "reason": r.reason, "at": r.at,
        "to": names.get(r.to_agency_id or 0, ""), "from": names.get(r.from_agency_id or 0, ""),
        "service": r.service_name if r.service_id is not None or r.to_agency_id is None
        else "",
        "shares": list(r.shares or []), "consent": r.consent,
        "consent_method": r.consent_method if told else None,
        "consent_language": r.consent_language if told else None,
        "override": r.consent == "override",
        "summary": r.summary_for_receiver if sender else referrals.receiver_summary(r),
        "due_at": r.due_at, "overdue": r.state == "pending" and r.due_at is not None
        and r.due_at <= now,
        "decided_at": r.decided_at, "decline_reason": r.decline_reason,
        "sender": sender, "receiver": r.to_agency_id == agency_id,
        "handover": r.to_agency_id is not None,
    }


def _agency_groups(db: Session, language: str, exclude: set[int | None], production: bool,
                   ) -> list[tuple[str, list[Agency]]]:
    """Active agencies to refer to, grouped by kind (the select's option groups); bundled
    examples only outside production."""
    groups: dict[str, list[Agency]] = {}
    for agency in agencies.all_agencies(db, active_only=True):
        if agency.id not in exclude and not (production and agency.example):
            groups.setdefault(agency.kind, []).append(agency)
    return [(kind, sorted(found, key=lambda a: (a.example, agencies.name(a, language))))
            for kind, found in sorted(groups.items())]


def case_context(db: Session, view: CaseView, login: Login,
                 production: bool = False) -> dict[str, Any]:
    """The `_case_referrals.html` partial's data (keys ref_*): the referrals the login's agency
    may see (the owner: all; a shared agency: those from or to it) and the hand-over form."""
    case, mine = view.case, view.agency_id
    names = _names(db, login.language)
    now = utcnow()
    rows = [_row(r, names, mine, now) for r in referrals.for_case(db, case.id)
            if view.owner or mine in (r.from_agency_id, r.to_agency_id)]
    passable = [s for s in SHARE_ITEMS if s == "summary" or view.sees(s)]
    can_refer = view.can_change and case.status in OPEN_STATUSES
    return {
        "ref_rows": rows,
        "ref_can_refer": can_refer,
        "ref_agency_groups": _agency_groups(db, login.language, {mine, case.agency_id},
                                            production) if can_refer else [],
        "ref_agency_name": lambda a: agencies.name(a, login.language),
        "ref_services": suggested_services(db, case) if can_refer and view.sees("location")
        else [],
        "ref_reasons": REFERRAL_REASONS, "ref_share_items": passable,
        "ref_consents": CONSENTS, "ref_consent_methods": CONSENT_METHODS,
        "ref_languages": LANGUAGES,
    }


# -- on the case page ------------------------------------------------------------------------
def _commit(form: CaseForm, change: Any) -> CaseReferral | Response:
    """Run a referral change; a refused one renders the error page (nothing written)."""
    try:
        result: CaseReferral = change()
    except service.CaseError as exc:
        form.db.rollback()
        return error_page(form.request, form.login, exc)
    form.db.commit()  # before the receiver is told
    return result


@router.post("/cases/{case_id}/handover")
def handover(form: CaseFormDep, reason: Annotated[str, Form(max_length=80)],
             to_agency_id: Annotated[str, Form(max_length=12)] = "",
             service_id: Annotated[str, Form(max_length=12)] = "",
             summary: Annotated[str, Form(max_length=5000)] = "",
             shares: Annotated[list[str] | None, Form()] = None,
             consent: Annotated[str, Form(max_length=16)] = "not_asked",
             consent_method: Annotated[str, Form(max_length=24)] = "",
             consent_language: Annotated[str, Form(max_length=8)] = "",
             override_reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    """Refer the case to another agency and/or a suggested directory service."""
    try:
        agency_id = int(to_agency_id) if to_agency_id.strip() else None
        chosen_service = int(service_id) if service_id.strip() else None
    except ValueError:
        raise HTTPException(422, "agency and service are numbers") from None
    item = referrals.HandoverIn(
        reason=reason, to_agency_id=agency_id, summary_for_receiver=summary,
        shares=list(shares or []), consent=consent, consent_method=consent_method or None,
        consent_language=consent_language or None, override_reason=override_reason)
    if chosen_service is not None:
        offered = suggested_services(form.db, form.case()) if form.view.sees("location") else []
        card = next((s for s in offered if s["id"] == chosen_service), None)
        if card is None:
            return error_page(form.request, form.login, service.CaseError(
                "choose one of the services suggested for the case"))
        item.service_id, item.service_name = chosen_service, str(card["name"])
        item.organisation = card.get("organisation")
    settings = form.request.app.state.settings
    done = _commit(form, lambda: referrals.refer(form.db, form.case_id, item, form.login.worker,
                                                 settings.referral_sla_s, settings.production))
    if isinstance(done, Response):
        return done
    form.relay(form.runtime.referred, done.id)
    return RedirectResponse(f"/dashboard/cases/{form.case_id}#referrals", status_code=303)


@router.post("/cases/{case_id}/referrals")
def record_service(form: CaseFormDep,
                   service_name: Annotated[str, Form(min_length=1, max_length=300)],
                   reason: Annotated[str, Form()], details: Annotated[str, Form()] = "",
                   organisation: Annotated[str, Form()] = "",
                   service_id: Annotated[int | None, Form()] = None) -> Response:
    """Record a referral to a directory service (nothing is handed over)."""
    return form.apply("referral", lambda: referrals.record_service_referral(
        form.db, form.case_id, service_name, reason, form.worker_id, service_id,
        organisation or None, details or None), service_name[:120])


@router.post("/cases/{case_id}/referrals/{referral_id}/withdraw")
def withdraw(form: CaseFormDep, referral_id: RowId) -> Response:
    """The referring agency takes back a pending hand-over of this case."""
    try:
        if referrals.get(form.db, referral_id).case_id != form.case_id:
            raise referrals.ReferralNotFound(f"referral {referral_id} does not exist")
    except referrals.ReferralNotFound:
        raise HTTPException(404, "no such referral") from None
    done = _commit(form, lambda: referrals.withdraw(form.db, referral_id, form.login.worker))
    if isinstance(done, Response):
        return done
    form.runtime.referral_changed(done.case_id, done.id, done.state)
    return RedirectResponse(f"/dashboard/cases/{form.case_id}#referrals", status_code=303)


# -- the receiving agency --------------------------------------------------------------------
@router.get("/referrals", response_class=HTMLResponse)
def incoming_page(request: Request, login: CurrentCaseworker, db: DbDep) -> HTMLResponse:
    """Referrals to the login's agency (pending first, with their due time) and those it
    made, with their outcome."""
    agency_id = login.worker.agency_id or 0
    names = _names(db, login.language)
    now = utcnow()
    incoming = []
    for r in referrals.incoming(db, agency_id):
        case = service.get_case(db, r.case_id)
        incoming.append({**_row(r, names, agency_id, now), **referrals.notice(r, case)})
    outgoing = [_row(r, names, agency_id, now) for r in referrals.outgoing(db, agency_id)]
    return render(request, "referrals.html", login, login.language, incoming=incoming,
                  outgoing=outgoing)


def _decided(request: Request, login: Login, db: Session, runtime: CaseRuntime,
             change: Any, to_case: bool) -> Response:
    try:
        done: CaseReferral = change()
    except referrals.ReferralNotFound:
        raise HTTPException(404, "no such referral") from None
    except service.CaseError as exc:
        db.rollback()
        return error_page(request, login, exc)
    db.commit()
    runtime.referral_changed(done.case_id, done.id, done.state)
    url = f"/dashboard/cases/{done.case_id}" if to_case else "/dashboard/referrals"
    return RedirectResponse(url, status_code=303)


@router.post("/referrals/{referral_id}/accept")
def accept(request: Request, referral_id: RowId, login: CheckedCaseworker, db: DbDep,
           runtime: RuntimeDep) -> Response:
    """Take the case: the agency sees what the referral shares; the account is its
    caseworker on the case."""
    return _decided(request, login, db, runtime,
                    lambda: referrals.accept(db, referral_id, login.worker), to_case=True)


@router.post("/referrals/{referral_id}/decline")
def decline(request: Request, referral_id: RowId, login: CheckedCaseworker, db: DbDep,
            runtime: RuntimeDep, reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    return _decided(request, login, db, runtime,
                    lambda: referrals.decline(db, referral_id, login.worker, reason),
                    to_case=False)
