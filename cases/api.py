"""Internal case API for the action server: `Authorization: Bearer <internal_api_token>`.

Handlers are plain functions (FastAPI runs them in its thread pool) with one database session
per request (`DbDep`); escalation is the case runtime's, awaited on the event loop.
"""

from __future__ import annotations

from typing import Any, Literal

from anyio import from_thread
from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from cases import referrals, service
from cases.deps import DbDep, RuntimeDep
from cases.runtime import CaseRuntime
from cases.vocab import ESCALATION_REASONS, PRIORITIES, REFERRAL_REASONS, SOURCES
from saphan.http_types import RowId
from saphan.internal_api import require_internal_token

router = APIRouter(prefix="/internal/cases", tags=["internal cases"],
                   dependencies=[Depends(require_internal_token)])


class TranscriptLine(BaseModel):
    sender: Literal["user", "bot", "system"]
    text: str = Field(min_length=1, max_length=5000)


class CaseIn(BaseModel):
    conversation_id: str = Field(min_length=1, max_length=64)
    priority: str = Field(json_schema_extra={"enum": list(PRIORITIES)})
    source: str = Field(json_schema_extra={"enum": list(SOURCES)})
    language: str = Field(default="th", max_length=8)
    summary: str = Field(default="", max_length=5000)
    province: str | None = Field(default=None, max_length=60)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=500)
    screening: dict[str, Any] | None = None
    transcript: list[TranscriptLine] = Field(default_factory=list, max_length=200)
    #: why the conversation escalates; None: the source's usual reason (`SOURCE_REASONS`)
    reason: str | None = Field(default=None, json_schema_extra={"enum": list(ESCALATION_REASONS)})


class CaseOut(BaseModel):
    id: int
    status: str
    priority: str
    handoff_active: bool
    created: bool = False
    dashboard_url: str


class MessageIn(BaseModel):
    sender: Literal["bot", "system"]
    text: str = Field(min_length=1, max_length=5000)


class ReferralIn(BaseModel):
    service_name: str = Field(min_length=1, max_length=300)
    reason: str = Field(json_schema_extra={"enum": list(REFERRAL_REASONS)})
    service_id: int | None = None
    organisation: str | None = Field(default=None, max_length=300)
    details: str | None = Field(default=None, max_length=5000)


def _out(case: Any, runtime: CaseRuntime, created: bool = False) -> CaseOut:
    return CaseOut(id=case.id, status=case.status, priority=case.priority,
                   handoff_active=case.handoff_active, created=created,
                   dashboard_url=runtime.link(case.id))


def _bad(exc: service.CaseError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, service.CaseNotFound) else 422, str(exc))


@router.post("", response_model=CaseOut, summary="Escalate a conversation to caseworkers")
def create(item: CaseIn, runtime: RuntimeDep) -> JSONResponse:
    data = item.model_dump()
    data["transcript"] = [line.model_dump() for line in item.transcript]
    try:
        created = from_thread.run(runtime.escalate, service.NewCase(**data))
    except service.CaseError as exc:
        raise _bad(exc) from None
    out = _out(created.case, runtime, created.created)
    return JSONResponse(out.model_dump(), status_code=201 if created.created else 200)


@router.get("/{case_id}", response_model=CaseOut, summary="A case's state")
def read(case_id: RowId, db: DbDep, runtime: RuntimeDep) -> CaseOut:
    try:
        return _out(service.get_case(db, case_id), runtime)
    except service.CaseError as exc:
        raise _bad(exc) from None


@router.post("/{case_id}/messages", status_code=201, summary="Add a bot/system transcript line")
def add_message(case_id: RowId, item: MessageIn, db: DbDep,
                runtime: RuntimeDep) -> dict[str, int]:
    try:
        message = service.add_message(db, case_id, item.sender, item.text)
    except service.CaseError as exc:
        raise _bad(exc) from None
    db.commit()  # live dashboards reload the transcript when told
    runtime.live.publish("message", case_id=case_id, message_id=message.id, sender=item.sender)
    return {"id": message.id}


@router.post("/{case_id}/referrals", status_code=201, summary="Record an outgoing referral")
def add_referral(case_id: RowId, item: ReferralIn, db: DbDep) -> dict[str, int]:
    try:
        referral = referrals.record_service_referral(
            db, case_id, item.service_name, item.reason, None, item.service_id,
            item.organisation, item.details)
    except service.CaseError as exc:
        raise _bad(exc) from None
    return {"id": referral.id}
