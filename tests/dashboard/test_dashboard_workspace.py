"""The caseworker workspace (issue 23), over real HTTP and in headless Chromium: the urgent case
opened by "ช่วยด้วย เขากำลังทำร้ายผม" shows the person's words and the bot turns before them and
why it was escalated in Thai; overdue cases come first and stand out; the queue filters; the
key actions fit a 400 px phone's first screen; no English word in the Thai interface."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dashboard_helpers import PASSWORD, login
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import update

from actions.emergency import ActionEmergency
from actions.escalation import session_transcript
from cases import service
from cases.accounts import add_caseworker
from cases.models import Case
from content.catalogue import text
from gateway import users
from saphan.db import in_session, session_scope, utcnow
from saphan.settings import get_settings
from testsupport.browser import new_page
from testsupport.cases import Gateway
from testsupport.polling import wait_for

HELP = "ช่วยด้วย เขากำลังทำร้ายผม"
EARLIER = "สวัสดีครับ ผมทำงานที่โรงงาน"
BOT_BEFORE = "สวัสดีค่ะ สะพานยินดีช่วยเหลือ"
PHONE_TEXT = "โทรหาผมที่ 081-234-5678"


@pytest.fixture
def alice(app_env: str) -> int:
    return in_session(add_caseworker, "alice", PASSWORD, "caseworker", "Alice").id


def thai_emergency(line_user_id: str) -> int:
    """The action server's emergency action on a Thai session whose last message trips the
    safety-net keyword; returns the case it opened."""
    user = in_session(users.get_or_create, "public", line_user_id,
                      get_settings().pseudonym_key.get_secret_value(), language="th")
    parse = {"text": HELP, "intent": {"name": "emergency", "confidence": 1.0}, "entities": [],
             "safety_net": {"keyword": "ช่วยด้วย"}}
    meta = {"channel": "public", "language": "th"}
    events: list[dict[str, Any]] = [
        {"event": "user", "text": "from an older session", "metadata": meta},
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "user", "text": EARLIER, "metadata": meta},
        {"event": "bot", "text": BOT_BEFORE},
        {"event": "user", "text": "/find_service", "metadata": meta},  # a button: no words
        {"event": "user", "text": PHONE_TEXT, "metadata": meta},
        {"event": "user", "text": HELP, "parse_data": parse, "metadata": meta},
    ]
    tracker = Tracker(user.conversation_id, {}, parse, events, False, None, {}, "action_listen")
    run = ActionEmergency().run(CollectingDispatcher(), tracker, {})
    with ThreadPoolExecutor(1) as pool:  # its own loop (Playwright's sync API holds this one)
        pool.submit(asyncio.run, run).result(30)
    case = in_session(service.open_case_for, user.conversation_id)
    assert case is not None, "the emergency opened a case"
    return case.id


def test_the_session_transcript_is_the_words_since_the_session_started() -> None:
    events = [{"event": "user", "text": "old"}, {"event": "session_started"},
              {"event": "user", "text": "hi"}, {"event": "bot", "text": "hello"},
              {"event": "bot", "text": None}, {"event": "user", "text": "/request_human"},
              {"event": "user", "text": "help"}]
    tracker = Tracker("c", {}, {}, events, False, None, {}, "action_listen")
    assert session_transcript(tracker) == [{"sender": "user", "text": "hi"},
                                           {"sender": "bot", "text": "hello"},
                                           {"sender": "user", "text": "help"}]


def test_the_urgent_case_shows_the_words_that_opened_it_and_why_in_thai(
        gateway: Gateway, alice: int) -> None:
    case_id = thai_emergency("Uhelp-http")
    case = in_session(service.get_case, case_id)
    assert case.priority == "urgent"
    assert in_session(service.reasons, case_id) == ["keyword"]
    client, _ = login(gateway, "alice")
    page = client.get(f"/dashboard/cases/{case_id}").text
    transcript = page.split('id="transcript"')[1].split('id="opened-here"')[0]
    assert transcript.index(EARLIER) < transcript.index(BOT_BEFORE) < transcript.index(HELP)
    assert "from an older session" not in page and "/find_service" not in transcript
    trigger = page.split('id="trigger-message"')[1].split("</div>")[0]
    assert HELP in trigger
    why = page.split('id="why-escalated"')[1].split("</ul>")[0]
    assert 'data-reason="keyword"' in why and text("dashboard", "reason_keyword", "th") in why
    assert "Emergency from the chat" not in page  # the English summary is not shown
    assert 'href="tel:0812345678"' in page  # the number the person wrote
    assert text("dashboard", "enum_priority_urgent", "th") in page


def _age(case_id: int, minutes: float) -> None:
    with session_scope() as session:
        session.execute(update(Case).where(Case.id == case_id).values(
            created_at=utcnow() - timedelta(minutes=minutes)))


def test_overdue_cases_come_first_flagged_and_the_filters_work(gateway: Gateway,
                                                                alice: int) -> None:
    old_normal = gateway.create_case(conversation_id="c-old", priority="normal",
                                     source="request").json()["id"]
    new_urgent = gateway.create_case(conversation_id="c-new", priority="urgent").json()["id"]
    answered = gateway.create_case(conversation_id="c-ans", priority="high",
                                   source="request").json()["id"]
    _age(old_normal, 5 * 60)  # normal target: 4 h
    _age(answered, 3 * 60)  # high target 1 h: late, but a caseworker already answered
    client, csrf = login(gateway, "alice")
    with session_scope() as session:
        service.add_message(session, answered, "caseworker", "สวัสดีค่ะ", "text", alice)
    queue = client.get("/dashboard").text
    order = [int(i) for i in re.findall(r'<tr id="case-(\d+)"', queue)]
    assert order == [old_normal, new_urgent, answered]
    rows = {cid: queue.split(f'<tr id="case-{cid}"')[1].split("</tr>")[0] for cid in order}
    assert 'data-overdue="true"' in rows[old_normal]
    assert "overdue" not in rows[new_urgent] and 'data-overdue' not in rows[answered]
    assert text("dashboard", "waiting_person", "th") in rows[answered]

    assert client.post(f"/dashboard/cases/{new_urgent}/claim", data={"csrf": csrf}).is_redirect
    shown = {show: [int(i) for i in re.findall(r'<tr id="case-(\d+)"',
                                               client.get(f"/dashboard/queue/rows?show={show}")
                                               .text)]
             for show in ("mine", "unclaimed", "waiting_person", "bogus")}
    assert shown["mine"] == [new_urgent]
    assert shown["unclaimed"] == [old_normal, answered]
    assert shown["waiting_person"] == [answered]
    assert shown["bogus"] == [old_normal, new_urgent, answered]  # unknown filter: all
    page = client.get(f"/dashboard/cases/{old_normal}").text
    assert 'id="case-overdue"' in page


# -- in the browser ----------------------------------------------------------------------------


def _page(browser: Any, gateway: Gateway, username: str, width: int, height: int) -> Any:
    page = new_page(browser, width, height)
    page.goto(f"{gateway.url}/dashboard/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")
    return page


@pytest.mark.browser
def test_on_a_phone_the_story_and_the_key_actions_are_on_the_first_screen(
        gateway: Gateway, alice: int, browser: Any, tmp_path: Path) -> None:
    case_id = thai_emergency("Uhelp-phone")
    page = _page(browser, gateway, "alice", 400, 800)
    page.goto(f"{gateway.url}/dashboard/cases/{case_id}")
    box = page.locator("#transcript")
    assert box.locator(".msg.bot", has_text=BOT_BEFORE).count() == 1
    assert HELP in page.locator("#trigger-message").inner_text()
    for selector in ("#claim", "#call-person", "#quick-reply button", "#quick-reply select",
                     "#jump-refer"):
        found = page.locator(selector).bounding_box()
        assert found is not None, selector
        assert found["x"] >= 0 and found["x"] + found["width"] <= 400, (selector, found)
        assert found["y"] >= 0 and found["y"] + found["height"] <= 800, (selector, found)
    assert page.locator("#call-person").get_attribute("href") == "tel:0812345678"
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > 401)
        .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 8)""")
    assert not wide, wide  # nothing makes the page scroll sideways
    shot = tmp_path / "case-400px.png"
    page.screenshot(path=str(shot))  # the first screen as a person on a phone sees it
    assert shot.stat().st_size > 10_000
    page.click("#claim")
    page.wait_for_url(f"{gateway.url}/dashboard/cases/{case_id}")
    assert in_session(service.get_case, case_id).assignee_id == alice
    page.select_option("#quick-reply select", "reply_safe_now")
    page.click("#quick-reply button")
    page.locator("#transcript .msg.caseworker").wait_for()


# -- no English in the Thai interface ------------------------------------------------------------
#: Latin-script words allowed on Thai pages: proper names and brands (the rest is names of
#: people, agencies and services from the data, collected per run).
LATIN_ALLOWED = {"LINE", "English", "Saphan", "Google", "Maps", "HTCDS", "NRM", "MDT", "CSV",
                 "IOM", "MAP", "Foundation", "ILO", "UTC", "GPS", "DSI",
                 "tak-msdhs"}  # DSI: Department of Special Investigation; an example agency code
#: Views still being translated by their owners (tell them; remove when their scan is clean).
NOT_YET: tuple[str, ...] = ()
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
#: GET views not scanned: a stream, downloads.
NOT_PAGES = ("/dashboard/events", "/dashboard/export.csv")


def _names_in_data() -> set[str]:
    """Words of the names the pages show as data (people, agencies, services)."""
    from agencies.models import Agency
    from cases.models import Caseworker
    from referral_directory.models import Organisation, Service

    words: set[str] = set()
    with session_scope() as session:
        for row in session.query(Caseworker):
            words |= set(LATIN_WORD.findall(f"{row.username} {row.display_name}"))
        for row in session.query(Agency):
            words |= set(LATIN_WORD.findall(f"{row.code} {row.name_th} {row.name_en}"))
        for service_row in session.query(Service):
            words |= set(LATIN_WORD.findall(f"{service_row.name_th or ''} "
                                            f"{service_row.name_en} {service_row.address or ''}"
                                            f" {service_row.external_id or ''}"))
        for org in session.query(Organisation):
            words |= set(LATIN_WORD.findall(f"{org.name_en} {org.name_th or ''}"))
    return words


#: A directory record's texts that the data model has in one language only (no Thai version to
#: show): source citations and URLs, contact details, notes. Its page shows them as written;
#: the scan leaves out exactly these texts on exactly that service's page (every other word of
#: the page is scanned), as it allows the names the data holds.
DATA_ONLY_TEXTS = ("source", "source_url", "source_note", "eligibility_notes", "cost_notes",
                   "website", "email", "line_id", "address", "district")


def _data_texts_of(external_id: str) -> list[str]:
    """The texts of `DATA_ONLY_TEXTS` of the service, and its English description when the
    data has no Thai one; the longest first (a URL may contain another)."""
    from referral_directory.store import by_external_id, to_record

    record = in_session(lambda s: to_record(by_external_id(s, external_id)))
    found: list[str] = []
    for field in DATA_ONLY_TEXTS:
        value = getattr(record, field)
        found += value if isinstance(value, list) else [value] if value else []
    if record.description_en and not record.description_th:
        found.append(record.description_en)
    return sorted(found, key=len, reverse=True)


@pytest.mark.browser
def test_every_dashboard_view_in_thai_has_no_english_word(gateway: Gateway, browser: Any,
                                                          app_env: str) -> None:
    from dashboard_helpers import dashboard_routes

    from referral_directory.bundled import load_bundled
    from referral_directory.models import Service

    with session_scope() as session:
        load_bundled(session)
        external_id = session.query(Service).first().external_id
    in_session(add_caseworker, "root", PASSWORD, "system_admin", "Root")
    urgent = thai_emergency("Uhelp-scan")
    report = gateway.create_case(conversation_id="c-report", priority="high",
                                 source="self-report", language="th", summary="x",
                                 screening={"report": {"documents_taken": "yes",
                                                       "free_to_leave": "no"}}).json()["id"]
    person_mode = gateway.create_case(  # a screening the person answered, with drafts shown
        conversation_id="c-person-mode", priority="high", source="officer screening",
        language="th", screening={"answers": {"dr_job_nature": "yes"}, "answered_by": "person",
                                  "person_language": "my", "drafts_shown": True}).json()["id"]
    page = _page(browser, gateway, "root", 1280, 900)
    with session_scope() as session:
        code = session.query(__import__("agencies.models", fromlist=["Agency"]).Agency
                             ).first().code
    allowed = LATIN_ALLOWED | _names_in_data()
    data_texts = {f"/dashboard/directory/{external_id}": _data_texts_of(str(external_id))}
    values = {"{case_id}": str(urgent), "{code}": code, "{external_id}": str(external_id)}
    paths = []
    for method, path in dashboard_routes(gateway.app):
        if (method != "GET" or path in NOT_PAGES or path.endswith(".csv")
                or path.startswith(NOT_YET)):
            continue
        for key, value in values.items():
            path = path.replace(key, value)
        assert "{" not in path, f"no value for {path}: add it to the scan"
        paths.append(path)
    paths += [f"/dashboard/cases/{report}", f"/dashboard/cases/{person_mode}",
              *(f"/dashboard?show={f}" for f in
                                              ("mine", "unclaimed", "waiting_person"))]
    found: dict[str, set[str]] = {}
    for path in paths:
        response = page.goto(f"{gateway.url}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        shown = page.locator("body").inner_text()
        for data_text in data_texts.get(path, ()):
            shown = shown.replace(data_text, " ")
        words = set(LATIN_WORD.findall(shown)) - allowed
        options = page.eval_on_selector_all(  # closed <select>s: their options count too
            "option", "els => els.map(e => e.textContent).join(' ')")
        words |= set(LATIN_WORD.findall(options)) - allowed
        if words:
            found[path] = words
    page.goto(f"{gateway.url}/dashboard/cases/999999")  # the error page
    words = set(LATIN_WORD.findall(page.locator("body").inner_text())) - allowed
    if words:
        found["error page"] = words
    assert not found, "; ".join(f"{p}: {sorted(w)}" for p, w in found.items())


def test_self_report_answers_are_a_labelled_list_in_the_interface_language(
        gateway: Gateway, alice: int) -> None:
    case_id = gateway.create_case(conversation_id="c-rep", priority="high",
                                  source="self-report", language="my",
                                  screening={"report": {"documents_taken": "yes",
                                                        "free_to_leave": "no"}}).json()["id"]
    client, _ = login(gateway, "alice")
    page = client.get(f"/dashboard/cases/{case_id}").text
    answers = page.split('id="report-answers"')[1].split("</dl>")[0]
    assert text("bot", "q_documents_taken", "th") in answers
    assert text("dashboard", "answer_yes", "th") in answers
    assert '<dd class="flagged">' + text("dashboard", "answer_no", "th") in answers
    assert "documents_taken" not in page and "{&#39;" not in page and "{'" not in page
    why = page.split('id="why-escalated"')[1].split("</ul>")[0]
    assert 'data-reason="self_report"' in why  # the source's reason when none was sent


def test_an_emergency_word_while_waiting_makes_the_case_urgent(gateway: Gateway,
                                                               alice: int) -> None:
    from testsupport.cases import CHANNELS

    user = in_session(users.get_or_create, "public", "Uwaiting",
                      get_settings().pseudonym_key.get_secret_value(), language="th")
    case_id = gateway.create_case(conversation_id=user.conversation_id, priority="normal",
                                  source="request", language="th").json()["id"]
    secret = {c["name"]: c["secret"] for c in CHANNELS}["public"]
    gateway.line.send_webhook(gateway.url, "public", secret,
                              [gateway.line.text_event("Uwaiting", HELP)])
    wait_for(lambda: in_session(service.get_case, case_id).priority == "urgent")
    assert in_session(service.reasons, case_id) == ["request", "keyword"]
    assert [m.body for m in in_session(service.transcript, case_id)] == [HELP]


def test_the_gateway_net_puts_the_refused_emergency_words_into_the_case(
        gateway: Gateway, alice: int) -> None:
    gateway.run(gateway.runtime.delivery_failed("conv-refused", "th", True, "LINE 400",
                                                said=HELP))
    case = in_session(service.open_case_for, "conv-refused")
    assert case is not None and case.priority == "urgent"
    assert in_session(service.reasons, case.id) == ["delivery_failed"]
    lines = [(m.sender, m.body) for m in in_session(service.transcript, case.id)]
    assert lines[0] == ("user", HELP) and lines[1][0] == "system"
    client, _ = login(gateway, "alice")
    page = client.get(f"/dashboard/cases/{case.id}").text
    assert HELP in page.split('id="trigger-message"')[1].split("</div>")[0]


def test_a_bot_line_in_the_persons_language_has_its_meaning_in_the_interface_language(
        gateway: Gateway, alice: int) -> None:
    from content.catalogue import texts

    bot_en, bot_th = texts("bot", "en"), texts("bot", "th")
    key = "safe_no" if bot_en["safe_no"] != bot_th["safe_no"] else next(
        k for k in bot_en if bot_en[k] != bot_th[k])
    case_id = gateway.create_case(
        conversation_id="c-en", language="en", priority="high", source="request",
        transcript=[{"sender": "user", "text": "I need help"},
                    {"sender": "bot", "text": bot_en[key]}]).json()["id"]
    client, _ = login(gateway, "alice")  # Thai interface
    for path in (f"/dashboard/cases/{case_id}", f"/dashboard/cases/{case_id}/transcript"):
        html = client.get(path).text
        line = html.split('class="msg bot')[1].split("</div>")[0]
        assert 'class="meaning" lang="th"' in line, path
        assert bot_th[key].replace("'", "&#39;").replace('"', "&#34;") in line, path
