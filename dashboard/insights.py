"""Programme insights (`/dashboard/insights`, supervisors and up): counts of cases by province,
month, source and priority, by sector, form of exploitation and indicators found (officer
screenings), median time to claim and to the first reply, NRM stage durations, referrals made
and accepted per receiving agency; as server-rendered SVG bars and CSV.

Statistics leave the system only as aggregates: every count below `Settings.insights_min_cell`
(k, 11 as CTDC publishes) is suppressed, and when a table would have exactly one suppressed
cell the next smallest is suppressed too, so that no suppressed count can be recovered from
the total. No free text is ever read. Cases of example agencies are never counted. An agency
sees its own cases' statistics; a system admin the national aggregate.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from agencies import store as agency_store
from agencies.models import Agency
from cases import audit, service, stages
from cases.models import Case, CaseReferral
from dashboard.deps import CurrentCaseworker, DbDep, SettingsDep
from dashboard.render import interface_texts, render
from dashboard.story import label_key
from referral_directory.cards import province_name
from screening.loader import default_screening

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
#: Roles that see programme insights.
ROLES = ("supervisor", "agency_admin", "system_admin")


@dataclass(frozen=True)
class Cell:
    key: str
    label: str
    count: int | None  # None: suppressed (fewer than k, or to protect one that is)


@dataclass(frozen=True)
class Table:
    id: str
    cells: tuple[Cell, ...]
    total: int | None

    @property
    def largest(self) -> int:
        return max((c.count or 0 for c in self.cells), default=0) or 1


def suppress(counts: Mapping[str, int], k: int) -> dict[str, int | None]:
    """Counts below `k` become None; a lone suppressed cell takes the next smallest with it."""
    shown: dict[str, int | None] = {key: (n if n >= k else None) for key, n in counts.items()}
    hidden = [key for key, n in shown.items() if n is None]
    if len(hidden) == 1:
        rest = sorted((n, key) for key, n in shown.items() if n is not None)
        if rest:
            shown[rest[0][1]] = None
    return shown


def _table(table_id: str, counts: Counter[str], k: int, name: Any) -> Table:
    shown = suppress(counts, k)
    total = sum(counts.values())
    cells = tuple(Cell(key, name(key), shown[key]) for key in sorted(counts))
    return Table(table_id, cells, total if total >= k else None)


def _cases(session: Session, agency_id: int | None) -> list[Case]:
    """The counted cases: of the agency (all agencies when None), never of an example one."""
    examples = select(Agency.id).where(Agency.example.is_(True))
    stmt = select(Case).where(Case.agency_id.not_in(examples))
    if agency_id is not None:
        stmt = stmt.where(Case.agency_id == agency_id)
    return list(session.scalars(stmt))


def _median_minutes(values: Iterable[float], k: int) -> int | None:
    found = list(values)
    return round(statistics.median(found) / 60) if len(found) >= k else None


def insights(session: Session, agency_id: int | None, k: int, language: str) -> dict[str, Any]:
    """Every table of the page and CSV, suppressed."""
    t = interface_texts(language)
    cases = _cases(session, agency_id)
    counted = {c.id for c in cases}

    def named(kind: str) -> Any:
        return lambda code: t.get(label_key(kind, code), code)

    tables = [
        _table("province", Counter(c.province or "-" for c in cases), k,
               lambda p: province_name(p, language) if p != "-" else t["insights_unknown"]),
        _table("month", Counter(c.created_at.strftime("%Y-%m") for c in cases), k, str),
        _table("source", Counter(c.source for c in cases), k, named("enum_source")),
        _table("priority", Counter(c.priority for c in cases), k, named("enum_priority")),
    ]
    tables += _screening_tables(cases, k, language, t)
    exchanges = service.exchanges(session, sorted(counted))
    times = []
    for priority in ("urgent", "high", "normal"):
        group = [c for c in cases if c.priority == priority]
        claims = (
            (c.claimed_at - c.created_at).total_seconds() for c in group if c.claimed_at)
        replies = ((exchanges[c.id].first_reply_at - c.created_at).total_seconds()
                   for c in group if exchanges[c.id].first_reply_at)
        times.append((t.get(label_key("enum_priority", priority), priority),
                      _median_minutes(claims, k), _median_minutes(replies, k)))
    referrals = [r for r in session.scalars(select(CaseReferral).where(
        CaseReferral.case_id.in_(counted), CaseReferral.to_agency_id.is_not(None)))]
    agencies = {a.id: agency_store.name(a, language)
                for a in agency_store.all_agencies(session, active_only=False)}
    made = Counter(str(r.to_agency_id) for r in referrals)
    accepted = Counter(str(r.to_agency_id) for r in referrals if r.state == "accepted")
    def by_agency(key: str) -> str:
        return agencies.get(int(key), key)

    return {"tables": tables, "times": times, "k": k,
            "stages": _stage_durations(session, sorted(counted), k, t),
            "referrals_made": _table("referrals_made", made, k, by_agency),
            "referrals_accepted": _table("referrals_accepted", accepted, k, by_agency)}


#: Screening context questions counted (choices only: never a free-text answer).
SCREENING_CHOICES = ("sector", "exploitation_form")


def _screening_tables(cases: list[Case], k: int, language: str,
                      t: Mapping[str, str]) -> list[Table]:
    """Sector, form of exploitation and the dimensions with indicators found, from the
    screening answers sent with officer-screening cases (option ids only)."""
    questionnaire = default_screening().questionnaire
    answers: dict[str, Counter[str]] = {q: Counter() for q in SCREENING_CHOICES}
    dimensions: Counter[str] = Counter()
    for case in cases:
        if case.source != "officer screening" or not case.screening:
            continue
        try:
            data = json.loads(case.screening)
        except ValueError:
            continue
        context = data.get("context") if isinstance(data, dict) else None
        for question in SCREENING_CHOICES:
            value = context.get(question) if isinstance(context, dict) else None
            if isinstance(value, str):
                answers[question][value] += 1
        result = data.get("result") if isinstance(data, dict) else None
        for dimension in (result or {}).get("positive_dimensions") or ():
            dimensions[str(dimension)] += 1
    tables = []
    for question in SCREENING_CHOICES:
        options = {o.id: o.label.get(language)
                   for o in questionnaire.context_question(question).options}
        known = Counter({key: n for key, n in answers[question].items() if key in options})
        tables.append(_table(question, known, k, lambda key, o=options: o[key]))
    names = {d.id: d.label.get(language) for d in questionnaire.dimensions}
    known = Counter({key: n for key, n in dimensions.items() if key in names})
    tables.append(_table("indicators", known, k, lambda key: names[key]))
    return tables


def _stage_durations(session: Session, case_ids: list[int], k: int,
                     t: Mapping[str, str]) -> list[tuple[str, int, int | None]]:
    """(stage name, cases that reached it, median days from the report) per NRM stage; the
    median only over at least k cases, the number shown as "<k" below that (None)."""
    found: dict[str, list[int]] = {}
    for dates in stages.stage_dates(session, case_ids).values():
        start = dates.get("report_received")
        if start is None:
            continue
        for stage, day in dates.items():
            if stage != "report_received":
                found.setdefault(stage, []).append((day - start).days)
    return [(t.get(f"nrm_stage_{stage}", stage), len(days) if len(days) >= k else None,
             round(statistics.median(days)) if len(days) >= k else None)
            for stage, days in sorted(found.items())]


def _scope(login: Any) -> int | None:
    """None (national) for a system admin, else the login's agency."""
    return None if login.worker.role == "system_admin" else login.worker.agency_id


def _allowed(login: Any) -> None:
    from fastapi import HTTPException

    if login.worker.role not in ROLES:
        raise HTTPException(403, "insights are for supervisors and managers")


@router.get("/insights", response_class=HTMLResponse)
def insights_page(request: Request, login: CurrentCaseworker, db: DbDep,
                  settings: SettingsDep) -> HTMLResponse:
    _allowed(login)
    audit.record(db, login.worker.username, "insights")
    data = insights(db, _scope(login), settings.insights_min_cell, login.language)
    return render(request, "insights.html", login, login.language,
                  national=_scope(login) is None, **data)


@router.get("/insights.csv")
def insights_csv(login: CurrentCaseworker, db: DbDep, settings: SettingsDep,
                 lang: Annotated[str | None, Query(max_length=8)] = None) -> Response:
    """table, group, count (suppressed counts as "<k"); no free text."""
    _allowed(login)
    audit.record(db, login.worker.username, "insights_export")
    k = settings.insights_min_cell
    data = insights(db, _scope(login), k, login.language)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["table", "group", "count"])
    for table in [*data["tables"], data["referrals_made"], data["referrals_accepted"]]:
        for cell in table.cells:
            writer.writerow([table.id, cell.key, cell.count if cell.count is not None
                             else f"<{k}"])
        writer.writerow([table.id, "total", table.total if table.total is not None
                         else f"<{k}"])
    for name, n, days in data["stages"]:
        writer.writerow(["nrm_stage_cases", name, n if n is not None else f"<{k}"])
        if days is not None:
            writer.writerow(["nrm_stage_median_days", name, days])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="saphan-insights.csv"'})
