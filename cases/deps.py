"""Route dependencies of the case routes: the request's database session and what
`gateway.app`'s lifespan put on `app.state` (settings, the case runtime)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from cases.runtime import CaseRuntime
from saphan.http_types import DbSession
from saphan.settings import Settings


def settings(request: Request) -> Settings:
    return request.app.state.settings


def case_runtime(request: Request) -> CaseRuntime:
    runtime = getattr(request.app.state, "case_runtime", None)
    if runtime is None:
        raise HTTPException(503, "case runtime is not running")
    return runtime


DbDep = DbSession  # one transaction per request, committed before the response is sent
SettingsDep = Annotated[Settings, Depends(settings)]
RuntimeDep = Annotated[CaseRuntime, Depends(case_runtime)]
