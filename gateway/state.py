"""Route dependencies on what `gateway.app`'s lifespan built once and put on `app.state`.

`async def`, although they only read an attribute: FastAPI runs a plain `def` dependency in
its thread pool, a thread hop each (three per LINE webhook request before these were async)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.channels import Channel
from gateway.rasa_bridge import RasaBridge
from gateway.workers import InboxWorkers
from saphan.settings import Settings


async def settings(request: Request) -> Settings:
    return request.app.state.settings


async def channels(request: Request) -> dict[str, Channel]:
    return request.app.state.channels


async def workers(request: Request) -> InboxWorkers:
    return request.app.state.workers


async def rasa(request: Request) -> RasaBridge:
    return request.app.state.rasa


SettingsDep = Annotated[Settings, Depends(settings)]
ChannelsDep = Annotated[dict[str, Channel], Depends(channels)]
WorkersDep = Annotated[InboxWorkers, Depends(workers)]
RasaDep = Annotated[RasaBridge, Depends(rasa)]
