"""Case fixtures: the real gateway app with a recording fake Rasa and the fake LINE."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testsupport.cases import Gateway, running_gateway


@pytest.fixture
def gateway(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with running_gateway(monkeypatch, URGENT_RENOTIFY_AFTER_S="1") as gw:
        yield gw


@pytest.fixture
def agency_ids(app_env: str) -> dict[str, int]:
    """Agency ids by code: the default agency and three more in Nan, for tests of what each
    agency sees (a case from elsewhere is routed to the default agency)."""
    from agencies import store
    from saphan.db import session_scope

    with session_scope() as session:
        ids = {"default": store.default_agency(session).id}
        for code, kind in (("police-nan", "anti_trafficking_police"), ("ngo-nan", "ngo"),
                           ("shelter-nan", "shelter")):
            row = store.add(session, store.AgencyIn(code=code, name_th=f"{code} th",
                                                    name_en=f"{code} en", kind=kind,
                                                    provinces=("Nan",)))
            ids[code] = row.id
    return ids
