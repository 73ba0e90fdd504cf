"""CSV export of cases with HTCDS `cas_` field and value names (plus `saphan_` extensions).

HTCDS fields that can hold several referrals ("There may be multiple referred organisations")
are joined with "; " in referral order. No personal data or message content is exported.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from cases import service
from cases.htcds import case_fields
from cases.models import Case, CaseReferral
from saphan.csv_safe import SafeWriter

JOIN = "; "


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _joined(refs: list[CaseReferral], get: Callable[[CaseReferral], str | None]) -> str:
    return JOIN.join((get(r) or "").replace(JOIN, ", ") for r in refs)


Column = Callable[[Case, list[CaseReferral]], str]
HTCDS_COLUMNS: dict[str, Column] = {
    "cas_Status": lambda c, r: c.status,
    "cas_ReferredOrganisation": lambda c, r: _joined(r, lambda x: x.organisation or x.service_name),
    "cas_ReasonForOutgoingReferral": lambda c, r: _joined(r, lambda x: x.reason),
    "cas_OutgoingReferralDate": lambda c, r: _joined(r, lambda x: _date(x.at)),
    "cas_OutgoingReferralDetails": lambda c, r: _joined(r, lambda x: x.details),
    "cas_ReasonForCaseClosure": lambda c, r: c.closure_reason or "",
}
EXTENSION_COLUMNS: dict[str, Column] = {
    "saphan_CaseId": lambda c, r: str(c.id),
    "saphan_Priority": lambda c, r: c.priority,
    "saphan_Source": lambda c, r: c.source,
    "saphan_Language": lambda c, r: c.language,
    "saphan_Province": lambda c, r: c.province or "",
    "saphan_OpenedDate": lambda c, r: _date(c.created_at),
    "saphan_ClosedDate": lambda c, r: _date(c.closed_at),
}


def header() -> list[str]:
    missing = set(HTCDS_COLUMNS) - set(case_fields())
    if missing:
        raise RuntimeError(f"not HTCDS case fields: {sorted(missing)}")
    return [*EXTENSION_COLUMNS, *HTCDS_COLUMNS]


def cases_csv(session: Session) -> str:
    """All cases as CSV text (one row per case)."""
    by_case: dict[int, list[CaseReferral]] = defaultdict(list)
    for referral in service.referrals(session):
        by_case[referral.case_id].append(referral)
    columns = {**EXTENSION_COLUMNS, **HTCDS_COLUMNS}
    out = io.StringIO()
    writer = SafeWriter(out)  # cells never run as spreadsheet formulas
    writer.writerow(header())
    for case in service.all_cases(session):
        refs = by_case.get(case.id, [])
        writer.writerow([columns[name](case, refs) for name in header()])
    return out.getvalue()
