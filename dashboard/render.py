"""Rendering dashboard pages: the templates with the interface strings of the language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from content.catalogue import texts
from dashboard.auth import Login
from saphan.language import LANGUAGES, language_name

#: The catalogue namespaces merged into the templates' `t` (keys never repeat across them).
DASHBOARD_NAMESPACES = ("dashboard", "dashboard_admin", "dashboard_referrals", "dashboard_nrm",
                        "dashboard_directory")
TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def interface_texts(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for namespace in DASHBOARD_NAMESPACES:
        merged.update(texts(namespace, language))
    return merged


def render(request: Request, template: str, login: Login | None, language: str,
           status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, {
        "t": interface_texts(language), "lang": language, "session": login,
        "language_names": {code: language_name(code, language) for code in LANGUAGES},
        **context,
    }, status_code=status_code)


def error_page(request: Request, login: Login, exc: Exception) -> HTMLResponse:
    return render(request, "error.html", login, login.language, 422, message=str(exc))
