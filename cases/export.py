"""CSV export of one agency's cases with HTCDS field and value names (plus `saphan_` extensions).

Per agency (issue 17): only the cases the agency is on (owner, or access by an accepted
referral), seen as that agency sees them. `org_Name` is the exporting agency;
`cas_ReferringOrganisation` / `cas_IncomingReferralDate` the accepted referral that brought the
case to it; `cas_ReferredOrganisation` and the other outgoing columns the referrals it made
(not declined or withdrawn ones); `cas_Status` the case's HTCDS status (Active, FollowUp,
Closed, ClosedReferred); `saphan_Nrm<Stage>Date` the first day the case reached each NRM stage.

Shares hold: the province only with "location", the incoming referral's summary only with
"summary", the closure reason only for the owner; notes, transcripts and screening answers are
never exported. HTCDS fields that can hold several referrals ("There may be multiple referred
organisations") are joined with "; " in referral order. After the HTCDS columns, for a case
from an officer screening that the agency may see: who answered it, in which language and
whether the person saw unreviewed drafts (`screening.htcds.PERSON_MODE_FIELDS`, as the screening
sent with the case has them; empty for other cases and for screenings older than the fields).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from agencies.models import Agency
from cases import stages
from cases.htcds import case_fields
from cases.models import Case, CaseAccess, CaseReferral
from cases.vocab import SHARE_ITEMS
from nrm.pathway import default_pathway
from saphan.csv_safe import SafeWriter
from screening.htcds import PERSON_MODE_FIELDS

JOIN = "; "
#: Outgoing referrals that did not hand the case on.
NOT_REFERRED = ("declined", "withdrawn")


@dataclass
class Row:
    """One case as the exporting agency sees it."""

    case: Case
    owner: bool
    shares: frozenset[str]
    incoming: CaseReferral | None = None
    outgoing: list[CaseReferral] = field(default_factory=list)
    stage: str = ""
    stage_dates: dict[str, date] = field(default_factory=dict)

    @cached_property
    def screening_htcds(self) -> dict[str, Any]:
        """The HTCDS row of the screening sent with the case, if the agency sees it."""
        if "screening" not in self.shares or not self.case.screening:
            return {}
        try:
            row = json.loads(self.case.screening).get("htcds")
        except (ValueError, AttributeError):
            return {}
        return row if isinstance(row, dict) else {}


def _date(value: datetime | date | None) -> str:
    if isinstance(value, datetime):
        value = value.date()
    return value.isoformat() if value else ""


def _joined(refs: list[CaseReferral], get: Callable[[CaseReferral], str | None]) -> str:
    return JOIN.join((get(r) or "").replace(JOIN, ", ") for r in refs)


def _camel(stage: str) -> str:
    return "".join(part.capitalize() for part in stage.split("_"))


def stage_column(stage: str) -> str:
    """The export column of an NRM stage's date, e.g. `saphan_NrmMdtInterviewDate`."""
    return f"saphan_Nrm{_camel(stage)}Date"


class Export:
    """The columns of one agency's export (agency names are looked up once)."""

    def __init__(self, session: Session, agency: Agency) -> None:
        self.agency = agency
        self.names = {a.id: a.name_en for a in session.scalars(select(Agency))}

    def referred_to(self, ref: CaseReferral) -> str:
        if ref.to_agency_id is not None:
            return self.names.get(ref.to_agency_id, "")
        return ref.organisation or ref.service_name

    def columns(self) -> dict[str, Callable[[Row], str]]:
        ext: dict[str, Callable[[Row], str]] = {
            "saphan_CaseId": lambda r: str(r.case.id),
            "saphan_Access": lambda r: "owner" if r.owner else "referral",
            "saphan_Priority": lambda r: r.case.priority,
            "saphan_Source": lambda r: r.case.source,
            "saphan_Language": lambda r: r.case.language,
            "saphan_Province": lambda r: (r.case.province or "") if "location" in r.shares
            else "",
            "saphan_OpenedDate": lambda r: _date(r.case.created_at),
            "saphan_ClosedDate": lambda r: _date(r.case.closed_at),
            "saphan_NrmStage": lambda r: r.stage,
        }
        for stage in default_pathway().stage_ids:
            ext[stage_column(stage)] = lambda r, s=stage: _date(r.stage_dates.get(s))
        htcds: dict[str, Callable[[Row], str]] = {
            "org_Name": lambda r: self.agency.name_en,
            "cas_Status": lambda r: r.case.status,
            "cas_ReferringOrganisation": lambda r: self.names.get(r.incoming.from_agency_id
                                                                  or 0, "")
            if r.incoming else "",
            "cas_IncomingReferralDate": lambda r: _date(r.incoming.decided_at)
            if r.incoming else "",
            "cas_ReasonForIncomingReferral": lambda r: r.incoming.reason if r.incoming else "",
            "cas_IncomingReferralDetails": lambda r: (r.incoming.summary_for_receiver or "")
            if r.incoming and "summary" in r.shares else "",
            "cas_ReferredOrganisation": lambda r: _joined(r.outgoing, self.referred_to),
            "cas_ReasonForOutgoingReferral": lambda r: _joined(r.outgoing, lambda x: x.reason),
            "cas_OutgoingReferralDate": lambda r: _joined(r.outgoing, lambda x: _date(x.at)),
            "cas_OutgoingReferralDetails": lambda r: _joined(r.outgoing, lambda x: x.details),
            "cas_ReasonForCaseClosure": lambda r: (r.case.closure_reason or "") if r.owner
            else "",
        }
        screened: dict[str, Callable[[Row], str]] = {
            name: lambda r, n=name: str(r.screening_htcds.get(n) or "")
            for name in PERSON_MODE_FIELDS}
        known = case_fields()
        missing = sorted(name for name in htcds if name not in known)
        if missing or any(not re.fullmatch(r"saphan_\w+", name) for name in [*ext, *screened]):
            raise RuntimeError(f"not HTCDS fields: {missing}")
        return {**ext, **htcds, **screened}


def _rows(session: Session, agency_id: int) -> list[Row]:
    """The agency's cases (owned or shared with it), each with what it may see."""
    access = {a.case_id: a for a in session.scalars(
        select(CaseAccess).where(CaseAccess.agency_id == agency_id))}
    cases = list(session.scalars(select(Case).where(
        or_(Case.agency_id == agency_id, Case.id.in_(list(access)))).order_by(Case.id)))
    ids = [c.id for c in cases]
    rows = {c.id: Row(c, c.agency_id == agency_id,
                      frozenset(SHARE_ITEMS) if c.agency_id == agency_id
                      else frozenset(access[c.id].shares or ())) for c in cases}
    for ref in session.scalars(select(CaseReferral).where(CaseReferral.case_id.in_(ids))
                               .order_by(CaseReferral.id)):
        row = rows[ref.case_id]
        if ref.to_agency_id == agency_id and ref.state == "accepted":
            row.incoming = ref
        sender = ref.from_agency_id if ref.from_agency_id is not None else row.case.agency_id
        if sender == agency_id and ref.state not in NOT_REFERRED:
            row.outgoing.append(ref)
    dates = stages.stage_dates(session, ids)
    current = stages.current_of(session, ids)
    for case_id, row in rows.items():
        row.stage = current[case_id]
        row.stage_dates = dates.get(case_id, {})
    return list(rows.values())


def header(session: Session, agency_id: int) -> list[str]:
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise LookupError(f"agency {agency_id} does not exist")
    return list(Export(session, agency).columns())


def cases_csv(session: Session, agency_id: int) -> str:
    """The agency's cases as CSV text (one row per case, as the agency sees it)."""
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise LookupError(f"agency {agency_id} does not exist")
    columns = Export(session, agency).columns()
    out = io.StringIO()
    writer = SafeWriter(out)  # cells never run as spreadsheet formulas
    writer.writerow(list(columns))
    for row in _rows(session, agency_id):
        writer.writerow([get(row) for get in columns.values()])
    return out.getvalue()
