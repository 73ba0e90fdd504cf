"""The trainer's view of practice runs (`/dashboard/training`, supervisors and up): for one
training cohort, per practice case the runs, the share with the right result and the median
taps and minutes; per indicator how often officers missed it or recorded it wrongly, the most
missed first; as a page and CSV. Everything is marked as practice: fictional cases, never
screening records, no officer named (`screening.practice_runs`).

An officer belongs to the agency their enrollment code named (free text), so an agency's
accounts see the runs of officers whose agency is the agency's code or its Thai or English
name; a system admin sees every agency's runs.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from agencies import store as agency_store
from cases import audit
from content.catalogue import text as catalogue_text
from dashboard.auth import Login
from dashboard.deps import CurrentCaseworker, DbDep
from dashboard.render import render
from saphan.csv_safe import SafeWriter
from screening import practice_runs
from screening.loader import default_screening
from screening.practice import default_practice

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
#: Roles that see the training view (as programme insights).
ROLES = ("supervisor", "agency_admin", "system_admin")
#: The `cohort` choice for runs given without a cohort code.
NO_COHORT = "-"
CohortQuery = Annotated[str | None, Query(max_length=20)]


def _allowed(login: Login) -> None:
    if login.worker.role not in ROLES:
        raise HTTPException(403, "the training view is for supervisors and managers")


def _agencies(db: Session, login: Login) -> set[str] | None:
    """The officer agency names whose runs the login sees (None: every agency)."""
    if login.worker.role == "system_admin":
        return None
    if login.worker.agency_id is None:
        return set()
    agency = agency_store.get(db, login.worker.agency_id)
    return {agency.code, agency.name_th, agency.name_en}


def training(db: Session, login: Login, cohort: str | None) -> dict[str, Any]:
    """The cohorts to choose from, the chosen one (default: the latest) and its tables, with
    case titles, indicator labels and results in the login's language."""
    lang = login.language
    agencies = _agencies(db, login)
    found = practice_runs.cohorts(db, agencies)
    choices = [(c if c is not None else NO_COHORT, n) for c, n in found]
    chosen = cohort if cohort in {c for c, _ in choices} else (choices[0][0] if choices else None)
    runs = ([] if chosen is None else
            practice_runs.runs(db, None if chosen == NO_COHORT else chosen, agencies))
    library = default_practice()
    titles = {case.id: case.title.get(lang) for case in library.cases}
    questionnaire = default_screening().questionnaire
    labels = {item.id: item.label.get(lang) for item in questionnaire.items}
    expected = {case.id: catalogue_text("screening", f"result_{case.expected}", lang)
                for case in library.cases}
    return {"choices": choices, "chosen": chosen, "no_cohort": NO_COHORT, "runs": len(runs),
            "cases": practice_runs.by_case(runs),
            "indicators": practice_runs.by_indicator(runs, library),
            "titles": titles, "labels": labels, "expected": expected}


@router.get("/training", response_class=HTMLResponse)
def training_page(request: Request, login: CurrentCaseworker, db: DbDep,
                  cohort: CohortQuery = None) -> HTMLResponse:
    _allowed(login)
    audit.record(db, login.worker.username, "training")
    return render(request, "training.html", login, login.language,
                  **training(db, login, cohort))


@router.get("/training.csv")
def training_csv(login: CurrentCaseworker, db: DbDep, cohort: CohortQuery = None) -> Response:
    """One row per practice case, then one per indicator missed or recorded wrongly; ids and
    numbers only (labels are in the page)."""
    _allowed(login)
    audit.record(db, login.worker.username, "training_export")
    data = training(db, login, cohort)
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["practice", "cohort", "table", "id", "runs", "right_percent",
                     "median_interactions", "median_minutes", "runs_with_indicator", "missed",
                     "wrong"])
    for case in data["cases"]:
        writer.writerow(["practice", data["chosen"], "case", case.case_key, case.runs,
                         case.right_percent, case.median_interactions,
                         "" if case.median_minutes is None else case.median_minutes, "", "", ""])
    for item in data["indicators"]:
        writer.writerow(["practice", data["chosen"], "indicator", item.item_id, "", "", "", "",
                         item.present, item.missed, item.wrong])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition":
                             'attachment; filename="saphan-practice-training.csv"'})
