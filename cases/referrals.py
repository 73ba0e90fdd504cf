"""Referrals of a case (owner of `case_referrals` and `case_access`): records of a referral to
a directory service, and hand-overs to another agency with the person's consent to share.

A hand-over is "pending" until an account of the receiving agency accepts it (its agency then
gets a `CaseAccess` with exactly the referral's `shares`, the accepting account as its
assignee) or declines it with a reason; the sender may withdraw it while pending and sees the
outcome. A pending hand-over is due `sla_s` seconds after it was made; past due, the case
runtime reminds the receiving agency once (`due_for_reminder`, `mark_reminded`).

Consent (who asked, when, how, in which language) decides what the receiver gets:
- "given": the items the sender chose (`cases.vocab.SHARE_ITEMS`) and the summary for them;
- "refused" / "not_asked": nothing but the anonymous notice (`notice`); shares are [] and the
  summary is not stored, so no later change of a page can show it;
- "override" (an emergency): the chosen items, with a stated reason, audited as
  "consent_override".

Who may refer is checked at the edge (`cases.access.CaseView.require_change`); here only that
the account's agency is on the case and that a shared agency passes on no more than it sees.
Every function takes the caller's session first and never commits; every hand-over action
writes its audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from agencies.models import Agency
from cases import audit, service
from cases.models import Case, CaseAccess, CaseReferral, Caseworker
from cases.vocab import (
    CLOSED_STATUSES,
    CONSENT_METHODS,
    CONSENTS,
    REFERRAL_REASONS,
    SHARE_ITEMS,
)
from saphan.db import utcnow
from saphan.language import LANGUAGES

MAX_SUMMARY = 5000
MAX_REASON = 1000
DEFAULT_SLA_S = 24 * 3600.0
#: Consents under which the receiver gets what the sender chose to share.
SHARING_CONSENTS = ("given", "override")


class ReferralError(service.CaseError):
    """A referral cannot be made or decided (the message says why)."""


class ReferralNotFound(ReferralError):
    """No such referral, or not one the account's agency may see (the edge answers 404)."""


@dataclass
class HandoverIn:
    """A hand-over as the sender fills it in: to an agency and/or a directory service."""

    reason: str
    to_agency_id: int | None = None
    service_id: int | None = None
    service_name: str = ""  # the directory service's name when `service_id` is set
    organisation: str | None = None  # the directory service's organisation
    summary_for_receiver: str = ""
    shares: list[str] = field(default_factory=list)
    consent: str = "not_asked"
    consent_method: str | None = None
    consent_language: str | None = None
    override_reason: str = ""

    def validate(self) -> None:
        if self.to_agency_id is None and self.service_id is None:
            raise ReferralError("choose an agency or a service to refer to")
        if self.service_id is not None and not self.service_name.strip():
            raise ReferralError("the directory service has no name")
        if self.reason not in REFERRAL_REASONS:
            raise ReferralError(f"reason must be one of {', '.join(REFERRAL_REASONS)}")
        if len(self.summary_for_receiver) > MAX_SUMMARY:
            raise ReferralError(f"the summary for the receiver is longer than {MAX_SUMMARY} "
                                "characters")
        unknown = sorted(set(self.shares) - set(SHARE_ITEMS))
        if unknown:
            raise ReferralError(f"cannot share {', '.join(unknown)}: choose from "
                                f"{', '.join(SHARE_ITEMS)}")
        if self.consent not in CONSENTS:
            raise ReferralError(f"consent must be one of {', '.join(CONSENTS)}")
        if self.consent in ("given", "refused"):
            if self.consent_method not in CONSENT_METHODS:
                raise ReferralError("say how the person was asked for consent: one of "
                                    f"{', '.join(CONSENT_METHODS)}")
            if self.consent_language not in LANGUAGES:
                raise ReferralError("say in which language the person was asked: one of "
                                    f"{', '.join(LANGUAGES)}")
        elif self.consent_method is not None and self.consent_method not in CONSENT_METHODS:
            raise ReferralError(f"consent method must be one of {', '.join(CONSENT_METHODS)}")
        if self.consent == "override":
            if not self.override_reason.strip():
                raise ReferralError("an emergency override needs a stated reason")
            if len(self.override_reason) > MAX_REASON:
                raise ReferralError(f"the override reason is longer than {MAX_REASON} "
                                    "characters")
        if self.consent in SHARING_CONSENTS and self.summary_for_receiver.strip() \
                and "summary" not in self.shares:
            self.shares = [*self.shares, "summary"]  # a written summary is meant to be shared


# -- reading ---------------------------------------------------------------------------------
def get(session: Session, referral_id: int) -> CaseReferral:
    found = session.get(CaseReferral, referral_id)
    if found is None:
        raise ReferralNotFound(f"referral {referral_id} does not exist")
    return found


def for_case(session: Session, case_id: int) -> list[CaseReferral]:
    """Every referral of the case, oldest first (service records and hand-overs)."""
    return list(session.scalars(select(CaseReferral).where(CaseReferral.case_id == case_id)
                                .order_by(CaseReferral.id)))


def incoming(session: Session, agency_id: int) -> list[CaseReferral]:
    """Hand-overs to the agency: pending first (soonest due first), then the decided ones,
    newest first."""
    pending_first = sql_case((CaseReferral.state == "pending", 0), else_=1)
    return list(session.scalars(
        select(CaseReferral).where(CaseReferral.to_agency_id == agency_id,
                                   CaseReferral.state != "recorded")
        .order_by(pending_first, CaseReferral.due_at, CaseReferral.id.desc())))


def outgoing(session: Session, agency_id: int) -> list[CaseReferral]:
    """Hand-overs the agency made, newest first."""
    return list(session.scalars(
        select(CaseReferral).where(CaseReferral.from_agency_id == agency_id,
                                   CaseReferral.to_agency_id.is_not(None))
        .order_by(CaseReferral.id.desc())))


def pending_count(session: Session, agency_id: int | None) -> int:
    """Pending hand-overs to the agency (the number in the dashboard's navigation)."""
    if agency_id is None:
        return 0
    return session.scalar(select(func.count(CaseReferral.id)).where(
        CaseReferral.to_agency_id == agency_id, CaseReferral.state == "pending")) or 0


def access_of(session: Session, case_id: int, agency_id: int) -> CaseAccess | None:
    """The agency's access to a case it does not own (granted by an accepted referral)."""
    return session.scalars(select(CaseAccess).where(CaseAccess.case_id == case_id,
                                                    CaseAccess.agency_id == agency_id)
                           ).one_or_none()


def access_rows(session: Session, case_id: int) -> list[CaseAccess]:
    return list(session.scalars(select(CaseAccess).where(CaseAccess.case_id == case_id)
                                .order_by(CaseAccess.id)))


def notice(referral: CaseReferral, case: Case) -> dict[str, object]:
    """What a receiver is told of a hand-over whatever the consent: the anonymous notice.

    Anonymous means: nothing about the person and nothing the sender wrote. It names the case
    number (an internal counter), the referral reason, the case's priority and source (how it
    reached us: emergency, request...), the referring agency and the dates. Not the province
    (that is the "location" share item: in a small place it points at the person), not the
    language (a rare language narrows the person down), not the summary, transcript,
    screening or notes. The referral itself (the directory service asked for, the consent
    record without names) is shown beside it: it says what is asked of the receiver, not who
    the person is."""
    return {"case_id": case.id, "reason": referral.reason, "priority": case.priority,
            "source": case.source, "from_agency_id": referral.from_agency_id,
            "at": referral.at, "due_at": referral.due_at}


def receiver_summary(referral: CaseReferral) -> str | None:
    """The sender's summary as the receiver may see it: only when it was shared."""
    return referral.summary_for_receiver if "summary" in (referral.shares or []) else None


# -- changing --------------------------------------------------------------------------------
def _open_case(session: Session, case_id: int) -> Case:
    found = service.get_case(session, case_id)
    if found.status in CLOSED_STATUSES:
        raise ReferralError(f"case {case_id} is closed")
    return found


def record_service_referral(session: Session, case_id: int, service_name: str, reason: str,
                            actor_id: int | None, service_id: int | None = None,
                            organisation: str | None = None,
                            details: str | None = None) -> CaseReferral:
    """Record an outgoing referral to a directory service (HTCDS ReferredOrganisation /
    ReasonForOutgoingReferral); nothing is handed over, so its state is "recorded"."""
    if reason not in REFERRAL_REASONS:
        raise ReferralError(f"reason must be one of {', '.join(REFERRAL_REASONS)}")
    if not service_name.strip():
        raise ReferralError("service name is empty")
    if details is not None and len(details) > MAX_SUMMARY:
        raise ReferralError(f"details are longer than {MAX_SUMMARY} characters")
    case = _open_case(session, case_id)
    actor = session.get(Caseworker, actor_id) if actor_id is not None else None
    referral = CaseReferral(
        case_id=case_id, from_agency_id=actor.agency_id if actor else case.agency_id,
        state="recorded", shares=[], consent="not_asked", service_id=service_id,
        service_name=service_name[:300], organisation=organisation and organisation[:300],
        reason=reason, details=details, caseworker_id=actor_id, at=utcnow())
    session.add(referral)
    session.flush()
    service.record_event(session, case_id, "referral", None, service_name[:120], actor_id)
    return referral


def _receiver(session: Session, agency_id: int) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise ReferralError(f"agency {agency_id} does not exist")
    if not agency.active:
        raise ReferralError(f"agency {agency.code} is inactive: it cannot receive referrals")
    return agency


def refer(session: Session, case_id: int, item: HandoverIn, worker: Caseworker,
          sla_s: float = DEFAULT_SLA_S, production: bool = False) -> CaseReferral:
    """Refer the case to an agency (a pending hand-over, due in `sla_s` seconds) and/or a
    directory service (only a record when no agency is given), with the consent record.
    In `production` a bundled example agency cannot receive a case."""
    item.validate()
    case = _open_case(session, case_id)
    sender = worker.agency_id
    mine = access_of(session, case_id, sender) if sender is not None else None
    if sender is None or (case.agency_id != sender and mine is None):
        raise service.CaseNotFound(f"case {case_id} does not exist")
    shares = sorted(set(item.shares), key=SHARE_ITEMS.index) \
        if item.consent in SHARING_CONSENTS else []
    if mine is not None and case.agency_id != sender:
        beyond = [s for s in shares if s != "summary" and s not in (mine.shares or [])]
        if beyond:
            raise ReferralError("your agency can pass on only what was shared with it; not "
                                f"shared with you: {', '.join(beyond)}")
    agency = None
    if item.to_agency_id is not None:
        agency = _receiver(session, item.to_agency_id)
        if production and agency.example:
            raise ReferralError(f"agency {agency.code} is a bundled example: it cannot receive "
                                "cases in production")
        if agency.id == sender:
            raise ReferralError("the case is already your agency's: refer it to another agency")
        if agency.id == case.agency_id:
            raise ReferralError(f"agency {agency.code} owns the case already")
        if session.scalars(select(CaseReferral.id).where(
                CaseReferral.case_id == case_id, CaseReferral.to_agency_id == agency.id,
                CaseReferral.state == "pending")).first() is not None:
            raise ReferralError(f"agency {agency.code} has a pending referral of this case "
                                "already: withdraw it first")
    now = utcnow()
    sharing = item.consent in SHARING_CONSENTS
    referral = CaseReferral(
        case_id=case_id, from_agency_id=sender, to_agency_id=agency and agency.id,
        state="pending" if agency else "recorded", shares=shares,
        summary_for_receiver=(item.summary_for_receiver.strip() or None) if sharing else None,
        consent=item.consent,
        consent_method=item.consent_method if item.consent != "not_asked" else None,
        consent_language=item.consent_language if item.consent != "not_asked" else None,
        consent_by=worker.id, consent_at=now,
        override_reason=item.override_reason.strip() if item.consent == "override" else None,
        due_at=now + timedelta(seconds=sla_s) if agency else None,
        service_id=item.service_id,
        service_name=(item.service_name.strip() or (agency.name_en if agency else ""))[:300],
        organisation=(agency.name_en if agency else item.organisation or None),
        reason=item.reason, caseworker_id=worker.id, at=now)
    session.add(referral)
    session.flush()
    target = agency.code if agency else f"service {item.service_id}"
    service.record_event(session, case_id, "referral", None, target[:120], worker.id)
    audit.record(session, worker.username, "referral", case_id,
                 f"referral {referral.id} to {target}, consent {item.consent}, "
                 f"shares {','.join(shares) or '-'}")
    if item.consent == "override":
        audit.record(session, worker.username, "consent_override", case_id,
                     f"referral {referral.id} to {target}")
    return referral


def _pending_to(session: Session, referral_id: int, worker: Caseworker) -> CaseReferral:
    """A pending referral to the worker's agency (another agency's is "not found")."""
    referral = get(session, referral_id)
    if referral.to_agency_id is None or referral.to_agency_id != worker.agency_id:
        raise ReferralNotFound(f"referral {referral_id} does not exist")
    if not worker.active:
        raise ReferralError("this account is deactivated")
    if referral.state != "pending":
        raise ReferralError(f"referral {referral_id} is {referral.state} already")
    return referral


def accept(session: Session, referral_id: int, worker: Caseworker) -> CaseReferral:
    """The receiving agency takes the case: it sees, from now on, what the referral shares
    (an access it had from an earlier referral grows by these items); the accepting account
    is its assignee on the case."""
    referral = _pending_to(session, referral_id, worker)
    now = utcnow()
    referral.state, referral.decided_at, referral.decided_by = "accepted", now, worker.id
    access = access_of(session, referral.case_id, worker.agency_id or 0)
    if access is None:
        session.add(CaseAccess(case_id=referral.case_id, agency_id=referral.to_agency_id,
                               referral_id=referral.id, shares=list(referral.shares or []),
                               assignee_id=worker.id, granted_at=now))
    else:
        grown = set(access.shares or []) | set(referral.shares or [])
        access.shares = [s for s in SHARE_ITEMS if s in grown]
        access.referral_id = referral.id
        access.assignee_id = access.assignee_id or worker.id
    session.flush()
    service.record_event(session, referral.case_id, "referral_accepted", None,
                   str(referral.to_agency_id), worker.id)
    audit.record(session, worker.username, "referral_accepted", referral.case_id,
                 f"referral {referral.id}")
    return referral


def decline(session: Session, referral_id: int, worker: Caseworker,
            reason: str) -> CaseReferral:
    """The receiving agency declines, saying why (the sender sees the reason)."""
    reason = reason.strip()
    if not reason:
        raise ReferralError("give a reason for declining the referral")
    if len(reason) > MAX_REASON:
        raise ReferralError(f"the reason is longer than {MAX_REASON} characters")
    referral = _pending_to(session, referral_id, worker)
    referral.state, referral.decided_at, referral.decided_by = "declined", utcnow(), worker.id
    referral.decline_reason = reason
    service.record_event(session, referral.case_id, "referral_declined", None,
                   str(referral.to_agency_id), worker.id)
    audit.record(session, worker.username, "referral_declined", referral.case_id,
                 f"referral {referral.id}")
    return referral


def withdraw(session: Session, referral_id: int, worker: Caseworker) -> CaseReferral:
    """The referring agency takes back a pending hand-over."""
    referral = get(session, referral_id)
    if referral.from_agency_id is None or referral.from_agency_id != worker.agency_id:
        raise ReferralNotFound(f"referral {referral_id} does not exist")
    if referral.state != "pending":
        raise ReferralError(f"referral {referral_id} is {referral.state}: only a pending "
                            "referral can be withdrawn")
    referral.state, referral.decided_at, referral.decided_by = "withdrawn", utcnow(), worker.id
    service.record_event(session, referral.case_id, "referral_withdrawn", None,
                   str(referral.to_agency_id), worker.id)
    audit.record(session, worker.username, "referral_withdrawn", referral.case_id,
                 f"referral {referral.id}")
    return referral


# -- reminders -------------------------------------------------------------------------------
def due_for_reminder(session: Session, now: datetime | None = None) -> list[CaseReferral]:
    """Pending hand-overs past their due time that were not reminded yet."""
    return list(session.scalars(
        select(CaseReferral).where(CaseReferral.state == "pending",
                                   CaseReferral.due_at <= (now or utcnow()),
                                   CaseReferral.reminded_at.is_(None))
        .order_by(CaseReferral.due_at, CaseReferral.id)))


def mark_reminded(session: Session, referral_id: int) -> bool:
    """Record the reminder; False when it was already sent (another worker or replica)."""
    done = session.execute(update(CaseReferral).where(CaseReferral.id == referral_id,
                                                      CaseReferral.reminded_at.is_(None))
                           .values(reminded_at=utcnow())).rowcount
    return bool(done)


# -- retention and erasure ---------------------------------------------------------------------
def anonymise(session: Session, case_ids: list[int]) -> None:
    """Drop the free text of the cases' referrals (details, the summary for the receiver, the
    override and decline reasons); who referred where, when and why (the reason code) stay."""
    if case_ids:
        session.execute(update(CaseReferral).where(CaseReferral.case_id.in_(case_ids))
                        .values(details=None, summary_for_receiver=None, override_reason=None,
                                decline_reason=None))
