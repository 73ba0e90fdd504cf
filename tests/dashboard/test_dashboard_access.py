"""Case-level access over real HTTP (issue 17): every dashboard route with `{case_id}` — read
from the app, so routes added later are covered without editing this file — refuses an
account of an unrelated agency (404, or 403); a caseworker cannot change a case a colleague
has; a shared agency sees only what was shared; notes of visibility "agency" stay with their
agency on the case page, the transcript fragment, the live updates and the export."""

from __future__ import annotations

import csv
import io
import json
import threading
import types
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from dashboard_helpers import PASSWORD, login

from cases import audit, referrals, service
from cases.accounts import add_caseworker
from cases.models import CaseNote, Caseworker
from content.catalogue import text
from saphan.db import in_session, session_scope
from testsupport.cases import Gateway
from testsupport.polling import wait_for

AGENCY_NOTE = "police-only note 7d1f"
CASE_NOTE = "note for every agency 3c9a"
USER_TEXT = "user says 5e2b"


@dataclass
class World:
    case_id: int
    conversation_id: str
    agencies: dict[str, int]


def _account(username: str, role: str, agency_id: int) -> None:
    in_session(add_caseworker, username, PASSWORD, role, username.title(), agency_id)


def _share(case_id: int, to_agency: int, shares: list[str], acceptor: str) -> None:
    """A hand-over by the owner's caseworker with consent, accepted by `acceptor`."""
    with session_scope() as session:
        sender = session.query(Caseworker).filter_by(username="olga").one()
        referral = referrals.refer(session, case_id, referrals.HandoverIn(
            reason="AdditionalServicesRequired", to_agency_id=to_agency, shares=shares,
            consent="given", consent_method="chat", consent_language="en"), sender)
        receiver = session.query(Caseworker).filter_by(username=acceptor).one()
        referrals.accept(session, referral.id, receiver)


@pytest.fixture
def world(gateway: Gateway, agency_ids: dict[str, int]) -> World:
    """A case of the default agency claimed by olga, with a user message, one note of each
    visibility; the NGO accepted a referral sharing only the summary, the shelter one sharing
    the conversation and the notes; the police are not on the case."""
    owner = agency_ids["default"]
    _account("olga", "caseworker", owner)
    _account("oscar", "caseworker", owner)
    _account("sue", "supervisor", owner)
    _account("ursula", "system_admin", agency_ids["police-nan"])
    _account("nina", "caseworker", agency_ids["ngo-nan"])
    _account("shelly", "caseworker", agency_ids["shelter-nan"])
    conversation = "conv-access"
    case_id = gateway.create_case(conversation_id=conversation, province="Tak",
                                  screening={"indicators": "debt bondage"}).json()["id"]
    assert in_session(service.get_case, case_id).agency_id == owner  # no agency covers Tak
    olga = in_session(lambda s: s.query(Caseworker).filter_by(username="olga").one().id)
    in_session(service.claim, case_id, olga)
    in_session(service.add_message, case_id, "user", USER_TEXT)
    in_session(service.add_note, case_id, AGENCY_NOTE, olga, "agency")
    in_session(service.add_note, case_id, CASE_NOTE, olga, "case")
    _share(case_id, agency_ids["ngo-nan"], ["summary"], "nina")
    _share(case_id, agency_ids["shelter-nan"], ["conversation", "notes"], "shelly")
    return World(case_id, conversation, agency_ids)


# -- the routes, from the app -----------------------------------------------------------------
@dataclass(frozen=True)
class CaseRoute:
    method: str
    path: str
    fields: dict[str, Any]  # a form body built from the route's form parameters

    def url(self, case_id: int) -> str:
        path = self.path.replace("{case_id}", str(case_id))
        while "{" in path:  # other ids (a referral, a conference...) of the case: any number
            start = path.index("{")
            path = path[:start] + "1" + path[path.index("}", start) + 1:]
        return path


def _sample(annotation: Any) -> Any:
    """A plausible form value of a parameter's type (the access check must come first, so
    the value only has to get past form parsing)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in typing.get_args(annotation) if a is not type(None)))
    if origin is typing.Annotated:
        return _sample(typing.get_args(annotation)[0])
    if origin in (list, tuple, set, frozenset):
        return [_sample(typing.get_args(annotation)[0] if typing.get_args(annotation) else str)]
    if annotation is bool:
        return "true"
    if annotation in (int, float):
        return "1"
    if annotation is date:
        return "2026-01-01"
    return "x"


def _form_fields(dependant: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for field in dependant.body_params:
        found[field.alias] = _sample(field.field_info.annotation)
    for sub in dependant.dependencies:
        found.update(_form_fields(sub))
    return found


def case_routes(app: Any) -> list[CaseRoute]:
    """Every dashboard route with `{case_id}` in its path, from the app itself."""
    found = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(
            route, "effective_route_contexts") else [route]
        for ctx in contexts:
            path = getattr(ctx, "path", "")
            if not path.startswith("/dashboard") or "{case_id}" not in path:
                continue
            fields = _form_fields(ctx.dependant) if hasattr(ctx, "dependant") else {}
            found += [CaseRoute(m, path, fields)
                      for m in sorted(getattr(ctx, "methods", None) or []) if m != "HEAD"]
    gets = [r for r in found if r.method == "GET"]
    posts = [r for r in found if r.method == "POST"]
    # loud, not vacuous: the case page, its transcript and the changes of issue 17 at least
    assert len(gets) >= 2 and len(posts) >= 10, found
    return found


def _request(client: httpx.Client, route: CaseRoute, case_id: int, csrf: str) -> httpx.Response:
    if route.method == "GET":
        return client.get(route.url(case_id))
    return client.request(route.method, route.url(case_id), data={**route.fields, "csrf": csrf})


def _state(case_id: int) -> tuple[Any, ...]:
    """What a refused request must not have changed."""
    with session_scope() as session:
        case = service.get_case(session, case_id)
        return (case.status, case.assignee_id, case.handoff_active, case.legal_hold,
                len(service.transcript(session, case_id)), len(service.notes(session, case_id)),
                len(service.referrals(session, case_id)), len(service.events(session, case_id)))


# -- the tests -------------------------------------------------------------------------------
def test_every_case_route_refuses_an_account_of_an_unrelated_agency(
        gateway: Gateway, world: World) -> None:
    client, csrf = login(gateway, "ursula")  # a system admin: still not on the case
    before = _state(world.case_id)
    for route in case_routes(gateway.app):
        response = _request(client, route, world.case_id, csrf)
        assert response.status_code in (403, 404), (route, response.status_code)
        assert USER_TEXT not in response.text and AGENCY_NOTE not in response.text
    assert _state(world.case_id) == before
    assert f'id="case-{world.case_id}"' not in client.get("/dashboard").text
    assert f'id="case-{world.case_id}"' not in client.get("/dashboard/queue/rows").text


def test_a_caseworker_cannot_change_a_case_a_colleague_has(gateway: Gateway,
                                                           world: World) -> None:
    client, csrf = login(gateway, "oscar")
    page = client.get(f"/dashboard/cases/{world.case_id}")
    assert page.status_code == 200 and USER_TEXT in page.text  # sees the agency's case
    before = _state(world.case_id)
    for route in case_routes(gateway.app):
        if route.method == "POST":
            response = _request(client, route, world.case_id, csrf)
            assert response.status_code == 403, (route, response.status_code)
    assert _state(world.case_id) == before
    supervisor, token = login(gateway, "sue")  # a supervisor changes all the agency's cases
    done = supervisor.post(f"/dashboard/cases/{world.case_id}/notes",
                           data={"csrf": token, "body": "seen"})
    assert done.status_code == 303


def test_a_shared_agency_sees_only_what_was_shared(gateway: Gateway, world: World) -> None:
    ngo, csrf = login(gateway, "nina")  # shares: the summary only
    page = ngo.get(f"/dashboard/cases/{world.case_id}")
    assert page.status_code == 200
    for hidden in (USER_TEXT, AGENCY_NOTE, CASE_NOTE, "debt bondage", "Tak"):
        assert hidden not in page.text, hidden
    refused = ngo.get(f"/dashboard/cases/{world.case_id}/transcript")
    assert refused.status_code == 403
    # says why, in the interface language (Thai by default), naming what was not shared
    said = text("dashboard", "refused_not_shared", "th").replace(
        "{item}", text("dashboard_referrals", "ref_share_conversation", "th"))
    assert said in refused.text
    before = _state(world.case_id)
    for action, data in (("reply", {"text": "hello"}), ("ready-reply", {"key": "reply_greeting"}),
                         ("services", {"service_id": "1"}), ("claim", {}),
                         ("status", {"value": "FollowUp"}), ("handoff/end", {}),
                         ("close", {"outcome": "Closed", "reason": "x"})):
        response = ngo.post(f"/dashboard/cases/{world.case_id}/{action}",
                            data={"csrf": csrf, **data})
        assert response.status_code == 403, action
    assert _state(world.case_id) == before
    queue = ngo.get("/dashboard").text
    assert f'id="case-{world.case_id}"' in queue and "Tak" not in queue

    shelter, _ = login(gateway, "shelly")  # shares: conversation and notes
    page = shelter.get(f"/dashboard/cases/{world.case_id}").text
    fragment = shelter.get(f"/dashboard/cases/{world.case_id}/transcript")
    assert USER_TEXT in page and CASE_NOTE in page and AGENCY_NOTE not in page
    assert fragment.status_code == 200 and USER_TEXT in fragment.text
    assert AGENCY_NOTE not in fragment.text
    views = [e.action for e in in_session(audit.entries) if e.username == "shelly"]
    assert views.count("view_transcript") == 2  # the page and the fragment


def test_a_note_of_a_shared_agency_stays_with_it(gateway: Gateway, world: World) -> None:
    shelter, csrf = login(gateway, "shelly")
    secret = "shelter-only note 1b7e"
    done = shelter.post(f"/dashboard/cases/{world.case_id}/notes",
                        data={"csrf": csrf, "body": secret})  # visibility: agency by default
    assert done.status_code == 303
    with session_scope() as session:
        note = session.query(CaseNote).filter_by(case_id=world.case_id).all()[-1]
        assert (note.agency_id, note.visibility) == (world.agencies["shelter-nan"], "agency")
    assert secret in shelter.get(f"/dashboard/cases/{world.case_id}").text
    owner, _ = login(gateway, "olga")
    assert secret not in owner.get(f"/dashboard/cases/{world.case_id}").text


def _listen(client: httpx.Client, into: list[dict[str, Any]], done: threading.Event) -> None:
    try:
        with client.stream("GET", "/dashboard/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    into.append(event)
                    if event.get("kind") == "notifications_held":  # the test's end marker
                        done.set()
                        return
    except httpx.HTTPError:
        return


def test_live_updates_reach_only_the_agencies_on_the_case(gateway: Gateway,
                                                          world: World) -> None:
    streams: dict[str, tuple[list[dict[str, Any]], threading.Event]] = {}
    for username in ("olga", "ursula", "nina", "shelly"):
        client, _ = login(gateway, username)
        streams[username] = ([], threading.Event())
        threading.Thread(target=_listen, args=(client, *streams[username]), daemon=True).start()
    wait_for(lambda: gateway.runtime.live.subscribers >= 4)
    owner, csrf = login(gateway, "olga")
    gateway.run(gateway.runtime.to_case(world.conversation_id, USER_TEXT))  # a message
    owner.post(f"/dashboard/cases/{world.case_id}/notes",
               data={"csrf": csrf, "body": AGENCY_NOTE})
    owner.post(f"/dashboard/cases/{world.case_id}/status", data={"csrf": csrf,
                                                                 "value": "FollowUp"})
    gateway.runtime.live.publish("notifications_held", limit="test")  # reaches everyone
    for username, (_, done) in streams.items():
        assert done.wait(10), username

    def of_case(username: str) -> list[str]:
        return [e["kind"] for e in streams[username][0]
                if e.get("case_id") == world.case_id
                or (e.get("case") or {}).get("id") == world.case_id]

    assert of_case("olga") == ["message", "case_updated"]
    assert of_case("ursula") == []
    assert of_case("nina") == ["case_updated"]  # no conversation: no messages
    assert of_case("shelly") == ["message", "case_updated"]
    for username, (events, _) in streams.items():
        text = json.dumps(events, ensure_ascii=False)
        assert AGENCY_NOTE not in text and USER_TEXT not in text, username


def test_the_export_holds_only_the_agencys_cases_and_no_hidden_notes(
        gateway: Gateway, world: World) -> None:
    for username, on_case in (("ursula", False), ("nina", True), ("olga", True)):
        client, _ = login(gateway, username)
        export = client.get("/dashboard/export.csv")
        assert export.status_code == 200, username
        assert AGENCY_NOTE not in export.text and USER_TEXT not in export.text
        ids = [row["saphan_CaseId"] for row in csv.DictReader(io.StringIO(export.text))]
        assert (str(world.case_id) in ids) == on_case, (username, ids)
