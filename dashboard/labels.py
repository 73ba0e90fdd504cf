"""Dashboard pages of the labels an agency keeps (issue 23): the admin list
(`/dashboard/admin/labels`: add, retire), the labels on the case page (put on, take off: small
forms that work without JavaScript) and what the queue shows and filters by (`?label=<id>`).
The rules are `cases.labels`' (which also writes the audit log); here only who may post what:
- the list: `cases.labels.may_manage` (403 otherwise) — an agency admin, its own agency's;
- case routes take `CaseFormDep` (404 off the case, 403 when it is not the login's to change);
  a label of another agency is "no such label" (422), never used.
Each agency on a shared case sees only its own labels.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from cases import labels
from cases.access import CaseView, Refused
from cases.models import AgencyLabel
from content.catalogue import text
from dashboard.auth import Login
from dashboard.deps import (
    CaseForm,
    CaseFormDep,
    CheckedCaseworker,
    CurrentCaseworker,
    DbDep,
    refused,
)
from dashboard.render import TEMPLATES, render
from saphan.http_types import RowId

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)

LIST_URL = "/dashboard/admin/labels"


def _manager(login: Login) -> Login:
    if not labels.may_manage(login.worker):
        raise HTTPException(403, "this page is for the agency admin")
    return login


def _current_manager(login: CurrentCaseworker) -> Login:
    return _manager(login)


def _checked_manager(login: CheckedCaseworker) -> Login:
    return _manager(login)


Manager = Annotated[Login, Depends(_current_manager)]
CheckedManager = Annotated[Login, Depends(_checked_manager)]


def _keeps_labels(login: Login | None) -> bool:
    """Whether the navigation and the case page link to the list (the same rule)."""
    return login is not None and labels.may_manage(login.worker)


TEMPLATES.env.globals["keeps_labels"] = _keeps_labels


def message_of(exc: labels.LabelError, language: str) -> str:
    """The refusal in the interface language."""
    return text("dashboard", f"labels_error_{exc.reason}", language, max=labels.MAX_NAME)


# -- what other pages show ---------------------------------------------------------------------
def case_context(db: Session, view: CaseView) -> dict[str, Any]:
    """The case page's labels: the viewer agency's own on the case, and those it can add."""
    on_case = labels.case_labels(db, view.agency_id, view.case.id)
    taken = {row.id for row in on_case}
    return {"case_labels": on_case,
            "label_choices": [row for row in labels.agency_labels(db, view.agency_id)
                              if row.id not in taken]}


def queue_context(db: Session, login: Login, label: str) -> dict[str, Any]:
    """The queue's label filter: the agency's list, and the chosen label (None: an unknown id
    or none given, so no filter). Each row's labels: `queue_labels`, for the page's rows."""
    every = labels.agency_labels(db, login.worker.agency_id, active_only=False)
    chosen: AgencyLabel | None = next((row for row in every if str(row.id) == label), None)
    return {"label_filters": [row for row in every
                              if row.retired_at is None or (chosen and row.id == chosen.id)],
            "label_chosen": chosen}


def queue_labels(db: Session, login: Login, case_ids: list[int]) -> dict[str, Any]:
    """Each case's labels on the queue (the login's agency's own)."""
    return {"labels_by_case": labels.labels_by_case(db, login.worker.agency_id, case_ids)}


# -- the agency's list -------------------------------------------------------------------------
def _list_page(request: Request, login: Login, db: Session, message: str | None = None,
               ok: bool = False, name: str = "", status_code: int = 200) -> HTMLResponse:
    return render(request, "admin_labels.html", login, login.language, status_code,
                  labels=labels.agency_labels(db, login.worker.agency_id, active_only=False),
                  max_name=labels.MAX_NAME, message=message, ok=ok, name=name)


@router.get("/admin/labels", response_class=HTMLResponse)
def labels_page(request: Request, login: Manager, db: DbDep) -> HTMLResponse:
    return _list_page(request, login, db)


@router.post("/admin/labels", response_class=HTMLResponse)
def add_label(request: Request, login: CheckedManager, db: DbDep,
              name: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse:
    try:
        labels.create(db, login.worker, name)
    except labels.LabelError as exc:
        db.rollback()
        return _list_page(request, login, db, message_of(exc, login.language), name=name,
                          status_code=422)
    db.commit()
    return _list_page(request, login, db, text("dashboard", "labels_created", login.language),
                      ok=True)


@router.post("/admin/labels/{label_id}/retire")
def retire_label(login: CheckedManager, db: DbDep, label_id: RowId) -> Response:
    try:
        labels.retire(db, login.worker, label_id)
    except labels.LabelNotFound:
        raise HTTPException(404, "no such label") from None
    return RedirectResponse(LIST_URL, status_code=303)


# -- on a case ---------------------------------------------------------------------------------
def _on_case(form: CaseForm, change: Any) -> Response:
    """Run a label change on the case; a refused one renders the error page (nothing written)."""
    try:
        change()
    except Refused as exc:  # checked by the form already; a change in between
        form.db.rollback()
        raise refused(exc, form.login) from None
    except labels.LabelError as exc:
        form.db.rollback()
        return render(form.request, "error.html", form.login, form.login.language, 422,
                      message=message_of(exc, form.login.language))
    form.db.commit()
    return RedirectResponse(f"/dashboard/cases/{form.case_id}#labels", status_code=303)


@router.post("/cases/{case_id}/labels")
def put_label_on(form: CaseFormDep, label_id: Annotated[int, Form()]) -> Response:
    return _on_case(form, lambda: labels.add_to_case(form.db, form.login.worker, form.case_id,
                                                     label_id))


@router.post("/cases/{case_id}/labels/{label_id}/remove")
def take_label_off(form: CaseFormDep, label_id: RowId) -> Response:
    return _on_case(form, lambda: labels.remove_from_case(form.db, form.login.worker,
                                                          form.case_id, label_id))
