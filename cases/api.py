"""Internal case API for the action server: `Authorization: Bearer <internal_api_token>`."""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from cases import runtime, service
from cases.vocab import PRIORITIES, REFERRAL_REASONS, SOURCES
from saphan.http_types import RowId
from saphan.settings import get_settings


def require_internal_token(authorization: Annotated[str, Header()] = "") -> None:
    expected = get_settings().internal_api_token.get_secret_value()
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not expected or \
            not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(401, "missing or wrong bearer token",
                            headers={"WWW-Authenticate": "Bearer"})


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


def _runtime() -> runtime.CaseRuntime:
    current = runtime.current()
    if current is None:
        raise HTTPException(503, "case runtime is not running")
    return current


def _out(case: Any, created: bool = False) -> CaseOut:
    return CaseOut(id=case.id, status=case.status, priority=case.priority,
                   handoff_active=case.handoff_active, created=created,
                   dashboard_url=_runtime().link(case.id))


def _bad(exc: service.CaseError) -> HTTPException:
    return HTTPException(404 if isinstance(exc, service.CaseNotFound) else 422, str(exc))


@router.post("", response_model=CaseOut, summary="Escalate a conversation to caseworkers")
async def create(item: CaseIn) -> JSONResponse:
    data = item.model_dump()
    data["transcript"] = [line.model_dump() for line in item.transcript]
    try:
        created = await _runtime().escalate(service.NewCase(**data))
    except service.CaseError as exc:
        raise _bad(exc) from None
    out = _out(created.case, created.created)
    return JSONResponse(out.model_dump(), status_code=201 if created.created else 200)


@router.get("/{case_id}", response_model=CaseOut, summary="A case's state")
async def read(case_id: RowId) -> CaseOut:
    try:
        return _out(await asyncio.to_thread(service.get_case, case_id))
    except service.CaseError as exc:
        raise _bad(exc) from None


@router.post("/{case_id}/messages", status_code=201, summary="Add a bot/system transcript line")
async def add_message(case_id: RowId, item: MessageIn) -> dict[str, int]:
    try:
        message = await asyncio.to_thread(service.add_message, case_id, item.sender, item.text)
    except service.CaseError as exc:
        raise _bad(exc) from None
    _runtime().live.publish("message", case_id=case_id, message_id=message.id,
                            sender=item.sender)
    return {"id": message.id}


@router.post("/{case_id}/referrals", status_code=201, summary="Record an outgoing referral")
async def add_referral(case_id: RowId, item: ReferralIn) -> dict[str, int]:
    try:
        referral = await asyncio.to_thread(
            service.add_referral, case_id, item.service_name, item.reason, None,
            item.service_id, item.organisation, item.details)
    except service.CaseError as exc:
        raise _bad(exc) from None
    return {"id": referral.id}
