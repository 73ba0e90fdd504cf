"""Programme insights (`/dashboard/insights`, supervisors and up): counts of cases by province,
month, source and priority, by nationality, sector, form of exploitation and indicators found
(officer screenings), median time to claim and to the first reply, NRM stage durations (days
from the report to each stage, and days spent in it), referrals made and accepted per
receiving agency; as server-rendered SVG bars and CSV, labelled in the interface language.

Statistics leave the system only as aggregates: every count below `Settings.insights_min_cell`
(k, 11 as CTDC publishes) is suppressed, and when a table would have exactly one suppressed
cell the next smallest is suppressed too, so that no suppressed count can be recovered from
the total; a median is shown only over at least k cases. No free text is counted: the
nationality answer is read as a code of a closed list (`screening.nationality`). Cases of
example agencies (demo and sample data) are never counted; practice screenings never become
cases. An agency sees its own cases' statistics; a system admin the national aggregate.
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
from content.catalogue import language_or_default
from dashboard.deps import CurrentCaseworker, DbDep, SettingsDep
from dashboard.render import interface_texts, render
from dashboard.story import label_key
from nrm.pathway import default_pathway
from referral_directory.cards import province_name
from screening.loader import default_screening
from screening.nationality import nationality_code

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


@dataclass(frozen=True)
class Time:
    """Median minutes to claim and to the first reply of one priority (None: fewer than k)."""

    key: str
    label: str
    to_claim: int | None
    to_reply: int | None


@dataclass(frozen=True)
class StageDuration:
    """One NRM stage: the cases that reached it (None: fewer than k), the median days from the
    report to it and the median days the cases spent in it before the next stage of its
    track (each None over fewer than k cases; a case still in the stage is not counted)."""

    key: str
    label: str
    cases: int | None
    from_report: int | None
    in_stage: int | None


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
        times.append(Time(priority, t.get(label_key("enum_priority", priority), priority),
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
            "stages": stage_durations(session, sorted(counted), k, t),
            "referrals_made": _table("referrals_made", made, k, by_agency),
            "referrals_accepted": _table("referrals_accepted", accepted, k, by_agency)}


#: Screening context questions counted (choices only: never a free-text answer).
SCREENING_CHOICES = ("sector", "exploitation_form")


def _screening_tables(cases: list[Case], k: int, language: str,
                      t: Mapping[str, str]) -> list[Table]:
    """Nationality, sector, form of exploitation and the dimensions with indicators found,
    from the screening answers sent with officer-screening cases (option ids and nationality
    codes only)."""
    questionnaire = default_screening().questionnaire
    answers: dict[str, Counter[str]] = {q: Counter() for q in SCREENING_CHOICES}
    nationalities: Counter[str] = Counter()
    dimensions: Counter[str] = Counter()
    for case in cases:
        if case.source != "officer screening" or not case.screening:
            continue
        try:
            data = json.loads(case.screening)
        except ValueError:
            continue
        context = data.get("context") if isinstance(data, dict) else None
        if isinstance(context, dict):
            nationalities[nationality_code(context.get("nationality"))] += 1
        for question in SCREENING_CHOICES:
            value = context.get(question) if isinstance(context, dict) else None
            if isinstance(value, str):
                answers[question][value] += 1
        result = data.get("result") if isinstance(data, dict) else None
        for dimension in (result or {}).get("positive_dimensions") or ():
            dimensions[str(dimension)] += 1
    tables = [_table("nationality", nationalities, k,
                     lambda code: t.get(f"nationality_{code}", code))]
    for question in SCREENING_CHOICES:
        options = {o.id: o.label.get(language)
                   for o in questionnaire.context_question(question).options}
        known = Counter({key: n for key, n in answers[question].items() if key in options})
        tables.append(_table(question, known, k, lambda key, o=options: o[key]))
    names = {d.id: d.label.get(language) for d in questionnaire.dimensions}
    known = Counter({key: n for key, n in dimensions.items() if key in names})
    tables.append(_table("indicators", known, k, lambda key: names[key]))
    return tables


def _median_days(days: list[int], k: int) -> int | None:
    return round(statistics.median(days)) if len(days) >= k else None


def stage_durations(session: Session, case_ids: list[int], k: int,
                    t: Mapping[str, str]) -> list[StageDuration]:
    """Per NRM stage (pathway order) that a counted case reached, suppressed below k."""
    counts: Counter[str] = Counter()
    from_report: dict[str, list[int]] = {}
    for dates in stages.stage_dates(session, case_ids).values():
        counts.update(list(dates))
        start = dates.get("report_received")
        for stage, day in dates.items():
            if start is not None and stage != "report_received":
                from_report.setdefault(stage, []).append((day - start).days)
    spent: dict[str, list[int]] = {}
    for stays in stages.stage_stays(session, case_ids).values():
        per_stage: dict[str, list[int | None]] = {}
        for stage, days in stays:
            per_stage.setdefault(stage, []).append(days)
        for stage, all_days in per_stage.items():
            if None not in all_days:  # the case left the stage (each time it was there)
                spent.setdefault(stage, []).append(sum(d or 0 for d in all_days))
    return [StageDuration(stage, t.get(f"nrm_stage_{stage}", stage),
                          counts[stage] if counts[stage] >= k else None,
                          _median_days(from_report.get(stage, []), k),
                          _median_days(spent.get(stage, []), k))
            for stage in default_pathway().stage_ids if counts[stage]]


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


def _rows(data: Mapping[str, Any], k: int) -> Iterable[list[Any]]:
    """The CSV rows (table, group, label, value): every count and median of the page, a
    suppressed count as "<k", a median over fewer than k cases left out."""
    def count(n: int | None) -> Any:
        return n if n is not None else f"<{k}"

    for table in [*data["tables"], data["referrals_made"], data["referrals_accepted"]]:
        for cell in table.cells:
            yield [table.id, cell.key, cell.label, count(cell.count)]
        yield [table.id, "total", "", count(table.total)]
    for time in data["times"]:
        for table, minutes in (("median_minutes_to_claim", time.to_claim),
                               ("median_minutes_to_first_reply", time.to_reply)):
            if minutes is not None:
                yield [table, time.key, time.label, minutes]
    for stage in data["stages"]:
        yield ["nrm_stage_cases", stage.key, stage.label, count(stage.cases)]
        for table, days in (("nrm_stage_median_days_from_report", stage.from_report),
                            ("nrm_stage_median_days_in_stage", stage.in_stage)):
            if days is not None:
                yield [table, stage.key, stage.label, days]


@router.get("/insights.csv")
def insights_csv(login: CurrentCaseworker, db: DbDep, settings: SettingsDep,
                 lang: Annotated[str | None, Query(max_length=8)] = None) -> Response:
    """table, group (a code), label (in `lang`, default the interface language), value;
    suppressed counts as "<k"; no free text."""
    _allowed(login)
    audit.record(db, login.worker.username, "insights_export")
    k = settings.insights_min_cell
    language = language_or_default("dashboard", lang) if lang else login.language
    data = insights(db, _scope(login), k, language)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["table", "group", "label", "value"])
    writer.writerows(_rows(data, k))
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="saphan-insights.csv"'})
