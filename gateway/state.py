"""Route dependencies on what `gateway.app`'s lifespan built once and put on `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.channels import Channel
from gateway.rasa_bridge import RasaBridge
from gateway.workers import InboxWorkers
from saphan.settings import Settings


def settings(request: Request) -> Settings:
    return request.app.state.settings


def channels(request: Request) -> dict[str, Channel]:
    return request.app.state.channels


def workers(request: Request) -> InboxWorkers:
    return request.app.state.workers


def rasa(request: Request) -> RasaBridge:
    return request.app.state.rasa


SettingsDep = Annotated[Settings, Depends(settings)]
ChannelsDep = Annotated[dict[str, Channel], Depends(channels)]
WorkersDep = Annotated[InboxWorkers, Depends(workers)]
RasaDep = Annotated[RasaBridge, Depends(rasa)]
