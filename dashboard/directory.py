"""The directory pages (issue 20 pt 6): agencies keep their own services current.

`/dashboard/directory` lists the services (filters: province, type, keeping agency, stale,
retired); a service's page shows its facts, its change history and, to those who may change
it, the edit form, "verified today" and retire / bring back; `/dashboard/directory/new` adds a
service; `/dashboard/directory/gaps` (and `.csv`) is the gaps report.

Who may change a service: a system admin every one; an agency admin or supervisor the services
their agency keeps (the agency's `directory_services`); everyone else reads (403 on a change).
Samples are never shown or changed in production. Refusals (403, 404, a bad filter 422) are
the dashboard's error page (`deps.CaseRefused`). Every form is validated by the directory's
one record validation (`records.from_flat`: the rules of imports and the API) and a refusal
re-renders the form (422) naming each field; every change is written with its history entry
(`referral_directory.upkeep`) and an audit entry, CSRF-checked like every dashboard post."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from agencies import store as agencies
from agencies.models import Agency
from cases import audit
from content.catalogue import text
from dashboard.auth import Login
from dashboard.deps import CaseRefused, CheckedCaseworker, CurrentCaseworker, DbDep
from dashboard.render import render
from referral_directory import history, upkeep
from referral_directory.cards import hours_in_words, language_names
from referral_directory.gaps import gaps, gaps_csv
from referral_directory.gazetteer import canonical_province, provinces
from referral_directory.hours import DAYS, parse_hours
from referral_directory.models import Service
from referral_directory.records import CSV_COLUMNS, LIST_FIELDS, RecordInvalid, from_flat
from referral_directory.samples import samples_allowed
from referral_directory.staleness import is_stale, stale_days
from referral_directory.store import by_external_id, to_record
from referral_directory.vocab import CONFIDENCE_LEVELS, LANGUAGES, SERVICE_TYPES

router = APIRouter(prefix="/dashboard/directory", tags=["dashboard"], include_in_schema=False)

URL = "/dashboard/directory"
EDITOR_ROLES = ("supervisor", "agency_admin", "system_admin")
MAX_ROWS = 500  # the list shows at most this many (filters narrow it)
MAX_VALUE = 5000  # characters of one form field
ExternalId = Annotated[str, Path(max_length=100, pattern=r"^[a-z0-9][a-z0-9._:-]{0,99}$")]
Note = Annotated[str, Form(max_length=300)]
#: The form's fields: every record field but `last_verified` (set by "verified today" only).
FORM_FIELDS = tuple(f for f in CSV_COLUMNS if f != "last_verified")
FLAGS = ("national", "is_24h", "needs_phone", "sample")
LONG_TEXTS = ("description_en", "description_th", "address", "cost_notes", "eligibility_notes",
              "source_note")
HOURS_EXAMPLE = "mon-fri 08:30-16:30"  # shown in the reader's words as the form's hint


# --- who may do what -------------------------------------------------------------------------

def keepers(db: Session) -> dict[str, list[Agency]]:
    """Directory external id -> the agencies keeping it (their `directory_services`)."""
    kept: dict[str, list[Agency]] = {}
    for agency in agencies.all_agencies(db, active_only=False, examples=samples_allowed()):
        for external_id in agency.directory_services or []:
            kept.setdefault(external_id, []).append(agency)
    return kept


def _own_ids(db: Session, login: Login) -> set[str]:
    """The services the login's agency keeps."""
    if login.worker.agency_id is None:
        return set()
    return set(agencies.get(db, login.worker.agency_id).directory_services or [])


def may_change(db: Session, login: Login, service: Service) -> bool:
    """System admin: every service; agency admin / supervisor: their agency's; never a sample
    in production."""
    if service.sample and not samples_allowed():
        return False
    role = login.worker.role
    if role == "system_admin":
        return True
    return role in EDITOR_ROLES and service.external_id in _own_ids(db, login)


def _require_change(db: Session, login: Login, service: Service) -> None:
    if not may_change(db, login, service):
        raise CaseRefused(403, "only the agency admins and supervisors of the agency that "
                               "keeps this service may change it", login)


def _may_add(login: Login) -> bool:
    """Agency admins and supervisors of an agency, and system admins, add services."""
    return login.worker.role in EDITOR_ROLES and (
        login.worker.role == "system_admin" or login.worker.agency_id is not None)


def _require_editor(login: Login) -> None:
    if not _may_add(login):
        raise CaseRefused(403, "adding services is for agency admins, supervisors and "
                               "system admins", login)


def _service_or_404(db: Session, login: Login, external_id: str) -> Service:
    service = by_external_id(db, external_id)
    if service is None or (service.sample and not samples_allowed()):
        raise CaseRefused(404, "no such service", login)
    return service


# --- list ------------------------------------------------------------------------------------

def _listed(db: Session, province: str | None, service_type: str | None,
            ids: set[str] | None, stale: bool, retired: bool) -> list[Service]:
    stmt = (select(Service).options(selectinload(Service.organisation))
            .order_by(Service.province.is_(None), Service.province, Service.service_type,
                      Service.name_en, Service.id))
    if province:
        stmt = stmt.where(Service.province == province)
    if service_type:
        stmt = stmt.where(Service.service_type == service_type)
    if ids is not None:
        stmt = stmt.where(Service.external_id.in_(sorted(ids) or [""]))
    if not retired:
        stmt = stmt.where(Service.retired_on.is_(None))
    if not samples_allowed():
        stmt = stmt.where(Service.sample.is_(False))
    found = list(db.scalars(stmt))
    return [s for s in found if is_stale(s.last_verified)] if stale else found


@router.get("", response_class=HTMLResponse)
def directory_page(request: Request, login: CurrentCaseworker, db: DbDep,
                   province: Annotated[str, Query(max_length=60)] = "",
                   type: Annotated[str, Query(max_length=30)] = "",
                   agency: Annotated[str, Query(max_length=40)] = "",
                   stale: bool = False, retired: bool = False) -> HTMLResponse:
    canonical = canonical_province(province) if province else None
    if province and canonical is None:
        raise CaseRefused(422, f"province: unknown province {province!r}", login)
    if type and type not in SERVICE_TYPES:
        raise CaseRefused(422, f"type: unknown service type {type!r}", login)
    kept = keepers(db)
    ids = None
    if agency:
        row = agencies.find(db, agency)
        if row is None:
            raise CaseRefused(422, f"agency: unknown agency {agency!r}", login)
        ids = set(row.directory_services or [])
    services = _listed(db, canonical, type or None, ids, stale, retired)
    own = _own_ids(db, login)
    own_agency = agencies.get(db, login.worker.agency_id) if login.worker.agency_id else None
    own_stale = (len(_listed(db, None, None, own, stale=True, retired=False))
                 if own else 0)
    return _page(request, "directory.html", login,
                 services=services[:MAX_ROWS], count=len(services), kept=kept, own=own,
                 stale_ids={s.id for s in services if is_stale(s.last_verified)},
                 provinces=sorted(provinces()), types=SERVICE_TYPES,
                 agencies=agencies.all_agencies(db, active_only=False,
                                                examples=samples_allowed()),
                 filters={"province": canonical or "", "type": type, "agency": agency,
                          "stale": stale, "retired": retired},
                 days=stale_days(), editor=_may_add(login), own_agency=own_agency,
                 own_stale=own_stale)


# --- gaps ------------------------------------------------------------------------------------

@router.get("/gaps", response_class=HTMLResponse)
def gaps_page(request: Request, login: CurrentCaseworker, db: DbDep) -> HTMLResponse:
    report = gaps(db)
    return _page(request, "directory_gaps.html", login, report=report, days=stale_days())


@router.get("/gaps.csv")
def gaps_download(login: CurrentCaseworker, db: DbDep) -> Response:
    audit.record(db, login.worker.username, "directory_gaps_export")
    return Response(gaps_csv(gaps(db)), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="directory-gaps.csv"'})


# --- add -------------------------------------------------------------------------------------

async def _form_values(request: Request) -> dict[str, str]:
    """The service form as flat text (the import format), each field at most `MAX_VALUE`."""
    form = await request.form()
    values: dict[str, str] = {}
    for name in FORM_FIELDS:
        if name == "languages":  # checkboxes, one per language
            values[name] = ";".join(v for v in form.getlist(name) if isinstance(v, str))
            continue
        if name in FLAGS:
            values[name] = "true" if form.get(name) in ("true", "on", "1") else "false"
            continue
        given = form.get(name)
        values[name] = given.strip() if isinstance(given, str) else ""
    return values


FormValues = Annotated[dict[str, str], Depends(_form_values)]


def hours_from_words(hours: str, language: str) -> str:
    """Opening hours typed in the reader's words back in the record's form ("จันทร์–ศุกร์
    08:30–16:30" -> "mon-fri 08:30-16:30"; the form shows them in words, `hours_in_words`);
    the record's own codes pass unchanged."""
    plain = hours.replace("–", "-").lower()
    words = {text("bot", f"day_{day}", language).lower(): day for day in (*DAYS, "daily")}
    for word in sorted(words, key=len, reverse=True):
        plain = plain.replace(word, words[word])
    return plain


def _same_hours(one: str, other: str | None) -> bool:
    try:
        return other is not None and parse_hours(one) == parse_hours(other)
    except ValueError:
        return False


def _validate(values: dict[str, str], language: str, stored_hours: str | None = None) -> Any:
    """The record, or `RecordInvalid` naming the fields (too long values too). Hours that
    mean the stored ones keep the stored text (no change recorded for a rewording)."""
    too_long = [(name, f"at most {MAX_VALUE} characters") for name, value in values.items()
                if len(value) > MAX_VALUE]
    if too_long:
        raise RecordInvalid(too_long)
    hours = hours_from_words(values["opening_hours"], language)
    if _same_hours(hours, stored_hours):
        hours = stored_hours or ""
    values = {**values, "opening_hours": hours}
    if not samples_allowed():
        values = {**values, "sample": "false"}
    return from_flat(values)


def _form_of(service: Service | None, language: str) -> dict[str, str]:
    """The form's values: the record as flat text, opening hours in the reader's words."""
    if service is None:
        return {"confidence": "medium", "sample": "false", "national": "false"}
    flat = to_record(service).to_flat()
    if flat.get("opening_hours"):
        flat["opening_hours"] = hours_in_words(flat["opening_hours"], language)
    return {name: flat.get(name, "") for name in FORM_FIELDS}


def _form_context() -> dict[str, Any]:
    return {"fields": FORM_FIELDS, "flags": FLAGS, "long_texts": LONG_TEXTS,
            "list_fields": LIST_FIELDS, "types": SERVICE_TYPES, "levels": CONFIDENCE_LEVELS,
            "provinces": sorted(provinces()), "samples": samples_allowed(),
            "language_codes": LANGUAGES, "hours_example": HOURS_EXAMPLE}


def _page(request: Request, template: str, login: Login, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    """`render` in the login's language, with the directory's words: language names (never
    codes) and opening hours in words, as the cards show them."""
    lang = login.language
    return render(request, template, login, lang, status_code,
                  spoken=lambda codes: language_names(codes or [], lang),
                  hours_in_words=lambda hours: hours_in_words(hours, lang), **context)


def _new_page(request: Request, login: Login, form: dict[str, str],
              problems: list[tuple[str, str]] | None = None,
              status_code: int = 200) -> HTMLResponse:
    return _page(request, "directory_new.html", login, status_code, form=form,
                 problems=problems or [],
                 invalid={field.split(".")[0] for field, _ in problems or []},
                 **_form_context())


@router.get("/new", response_class=HTMLResponse)
def new_page(request: Request, login: CurrentCaseworker) -> HTMLResponse:
    _require_editor(login)
    return _new_page(request, login, _form_of(None, login.language))


@router.post("/new", response_class=HTMLResponse)
def add_service(request: Request, login: CheckedCaseworker, db: DbDep,
                values: FormValues) -> Response:
    _require_editor(login)
    try:
        record = _validate(values, login.language)
        service = upkeep.add(db, record, login.worker.username)
        if login.worker.role != "system_admin":  # the adding agency keeps it
            row = agencies.get(db, login.worker.agency_id)  # type: ignore[arg-type]
            data = agencies.as_input(row)
            agencies.update(db, row.code, replace(
                data, directory_services=(*data.directory_services, service.external_id)))
    except RecordInvalid as exc:
        db.rollback()
        return _new_page(request, login, values, exc.problems, 422)
    except (upkeep.UpkeepError, agencies.AgencyError) as exc:
        db.rollback()
        field, _, message = str(exc).partition(": ")
        return _new_page(request, login, values, [(field, message or str(exc))], 422)
    audit.record(db, login.worker.username, "directory_added", detail=service.external_id)
    return RedirectResponse(f"{URL}/{service.external_id}?done=added", status_code=303)


# --- one service -----------------------------------------------------------------------------

DONE = {"added": "dir_added", "saved": "dir_saved", "verified": "dir_verified",
        "unchanged": "dir_no_change"}


def _service_page(request: Request, login: Login, db: Session, service: Service,
                  form: dict[str, str] | None = None,
                  problems: list[tuple[str, str]] | None = None, done: str = "",
                  status_code: int = 200) -> HTMLResponse:
    return _page(request, "directory_service.html", login, status_code, service=service,
                 record=to_record(service), changes=history.changes_of(db, service.id),
                 kept_by=keepers(db).get(service.external_id, []),
                 editable=may_change(db, login, service), stale=is_stale(service.last_verified),
                 days=stale_days(), form=form or _form_of(service, login.language),
                 problems=problems or [],
                 invalid={field.split(".")[0] for field, _ in problems or []},
                 done=DONE.get(done), **_form_context())


@router.get("/{external_id}", response_class=HTMLResponse)
def service_page(request: Request, login: CurrentCaseworker, db: DbDep,
                 external_id: ExternalId,
                 done: Annotated[str, Query(max_length=20)] = "") -> HTMLResponse:
    return _service_page(request, login, db, _service_or_404(db, login, external_id), done=done)


@router.post("/{external_id}", response_class=HTMLResponse)
def edit_service(request: Request, login: CheckedCaseworker, db: DbDep,
                 external_id: ExternalId, values: FormValues) -> Response:
    service = _service_or_404(db, login, external_id)
    _require_change(db, login, service)
    values = {**values, "id": service.external_id}  # the id never changes
    try:
        record = _validate(values, login.language, service.opening_hours)
        changes = upkeep.edit(db, service, record, login.worker.username)
    except RecordInvalid as exc:
        db.rollback()
        return _service_page(request, login, db, _service_or_404(db, login, external_id), values,
                             exc.problems, status_code=422)
    except upkeep.UpkeepError as exc:
        db.rollback()
        field, _, message = str(exc).partition(": ")
        return _service_page(request, login, db, _service_or_404(db, login, external_id), values,
                             [(field, message or str(exc))], status_code=422)
    if changes:
        audit.record(db, login.worker.username, "directory_edited",
                     detail=f"{external_id}: {', '.join(c['field'] for c in changes)}")
    return RedirectResponse(f"{URL}/{external_id}?done={'saved' if changes else 'unchanged'}",
                            status_code=303)


@router.post("/{external_id}/verify")
def verify_service(login: CheckedCaseworker, db: DbDep, external_id: ExternalId,
                   how: Note = "") -> Response:
    service = _service_or_404(db, login, external_id)
    _require_change(db, login, service)
    upkeep.verify(db, service, login.worker.username, how or None)
    audit.record(db, login.worker.username, "directory_verified", detail=external_id)
    return RedirectResponse(f"{URL}/{external_id}?done=verified", status_code=303)


@router.post("/{external_id}/retire", response_class=HTMLResponse)
def retire_service(request: Request, login: CheckedCaseworker, db: DbDep,
                   external_id: ExternalId, retired: Annotated[bool, Form()],
                   note: Note = "") -> Response:
    service = _service_or_404(db, login, external_id)
    _require_change(db, login, service)
    try:
        if retired:
            upkeep.retire(db, service, login.worker.username, note or None)
        else:
            upkeep.restore(db, service, login.worker.username, note or None)
    except upkeep.UpkeepError as exc:
        db.rollback()
        return _service_page(request, login, db, _service_or_404(db, login, external_id),
                             problems=[("retired_on", str(exc).partition(": ")[2])],
                             status_code=422)
    audit.record(db, login.worker.username,
                 "directory_retired" if retired else "directory_restored", detail=external_id)
    return RedirectResponse(f"{URL}/{external_id}", status_code=303)
