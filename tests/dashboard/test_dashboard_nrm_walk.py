"""The NRM walk of issue 17 point 9 in headless Chromium, with the demo accounts of
`saphan demo seed` in three agencies (docs/walkthrough.md is the same path by hand):
a migrant escalates in Tak, the case is routed to the provincial social-welfare office
(tak-msdhs), whose caseworker claims it, moves the NRM stage and hands it over with the
person's consent to the police anti-trafficking unit (tak-police-atp); the police accept and
see exactly what was shared; the MDT conference is recorded; the timeline shows every step.
At each step the NGO account (tak-ngo, never on the case) and the police account are checked
for what they must not see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page

from agencies import store
from cases import service
from cli.demo import seed
from gateway import users
from saphan.db import in_session, session_scope, utcnow
from saphan.settings import get_settings
from testsupport.browser import new_page
from testsupport.cases import CHANNELS, Gateway
from testsupport.polling import wait_for

pytestmark = pytest.mark.browser
PASSWORD = "walk the nrm path"
#: Texts whose presence or absence on each page the walk checks.
AGENCY_NOTE = "Internal: the informant is the person's cousin, keep this inside MSDHS"
CASE_NOTE = "Speaks Burmese; a Burmese interpreter is booked"
USER_TEXT = "They took my passport, I am at the factory"
LATER_TEXT = "The gate is locked at night"
POLICE_REPLY = "This is the police anti-trafficking unit. We are coming with the social worker."
ADDRESS = "Soi 7, Mae Sot industrial estate"
FOR_POLICE = "Adult woman held at a garment factory in Mae Sot; consented to police contact"
SHELTER = "Tak Home for Children and Families"
MDT_BASIS = "Identification interview with an interpreter; documents withheld, debt bondage"




class Account:
    """One logged-in account in its own browser context (own cookies)."""

    def __init__(self, browser: object, gateway: Gateway, username: str) -> None:
        self.page: Page = new_page(browser, 1280, 900)
        self.base = gateway.url
        self.page.goto(f"{self.base}/dashboard/login?lang=en")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base}/dashboard")

    def status_of(self, path: str) -> int:
        response = self.page.goto(f"{self.base}{path}")
        assert response is not None
        return response.status

    def queue_has(self, case_id: int) -> bool:
        assert self.status_of("/dashboard") == 200
        return self.page.locator(f"#case-{case_id}").count() == 1

    def case_page(self, case_id: int) -> str:
        assert self.status_of(f"/dashboard/cases/{case_id}") == 200
        return self.page.content()

    def timeline(self) -> list[tuple[str, str]]:
        items = self.page.locator("#nrm-timeline li.nrm-item")
        return [(items.nth(i).get_attribute("data-kind") or "",
                 items.nth(i).get_attribute("data-title") or "") for i in range(items.count())]

    def current_stage(self) -> str | None:
        return self.page.locator(".nrm-current[data-track=main]").get_attribute("data-stage")


def assert_off_the_case(account: Account, case_id: int) -> None:
    """An agency not on the case: not in its queue, 404 on the case's pages (as for a case
    that does not exist), no referral of it."""
    assert not account.queue_has(case_id)
    for path in (f"/dashboard/cases/{case_id}", f"/dashboard/cases/{case_id}/transcript"):
        assert account.status_of(path) == 404, path
    assert account.status_of("/dashboard/referrals") == 200
    assert account.page.locator(".referral").count() == 0
    assert USER_TEXT not in account.page.content()


def move(account: Account, to_stage: str, fields: dict[str, str]) -> None:
    """Submit the case page's form for the move to `to_stage` with its record fields."""
    form = account.page.locator(f"form.nrm-move[data-to={to_stage}]")
    for name, value in fields.items():
        field = form.locator(f"[name=r_{name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    account.page.wait_for_load_state()
    assert account.current_stage() == to_stage, account.page.content()[:2000]


def test_three_agencies_walk_the_nrm_path(gateway: Gateway, browser: object) -> None:
    with session_scope() as session:
        seed(session, PASSWORD)
        ids = {code: store.by_code(session, code).id
               for code in ("tak-msdhs", "tak-police-atp", "tak-ngo")}
    msdhs = Account(browser, gateway, "demo-msdhs")
    police = Account(browser, gateway, "demo-police")
    ngo = Account(browser, gateway, "demo-ngo")
    lead = Account(browser, gateway, "demo-msdhs-lead")

    # 1. A migrant in Tak escalates (what the action server posts); routing picks tak-msdhs.
    secret = get_settings().pseudonym_key.get_secret_value()
    user = in_session(users.get_or_create, "public", "Uwalk", secret, language="en")
    msdhs.page.goto(f"{gateway.url}/dashboard")
    case_id = gateway.create_case(
        conversation_id=user.conversation_id, priority="urgent", source="emergency",
        province="Tak", address=ADDRESS, latitude=16.71, longitude=98.57,
        summary="Locked in a garment factory").json()["id"]
    assert in_session(service.get_case, case_id).agency_id == ids["tak-msdhs"]
    msdhs.page.locator(f"#case-{case_id}").wait_for()  # live, no reload
    assert lead.queue_has(case_id)  # the supervisor sees the agency's cases
    assert_off_the_case(ngo, case_id)
    assert_off_the_case(police, case_id)

    # 2. The MSDHS caseworker claims it; the person's next message reaches the transcript.
    msdhs.page.goto(f"{gateway.url}/dashboard")
    msdhs.page.locator(f"#case-{case_id} button.claim").click()
    msdhs.page.wait_for_url(f"{gateway.url}/dashboard/cases/{case_id}")
    secret_of = {c["name"]: c["secret"] for c in CHANNELS}
    gateway.line.send_webhook(gateway.url, "public", secret_of["public"],
                              [gateway.line.text_event("Uwalk", USER_TEXT)])
    msdhs.page.locator("#transcript", has_text=USER_TEXT).wait_for()
    for body, visibility in ((AGENCY_NOTE, "agency"), (CASE_NOTE, "case")):
        msdhs.page.fill("#note-form textarea[name=body]", body)
        msdhs.page.select_option("#note-form select[name=visibility]", visibility)
        msdhs.page.click("#note-form button[type=submit]")
        msdhs.page.locator(f".note[data-visibility={visibility}]", has_text=body).wait_for()

    # 3. It moves the NRM stage: report received -> screening.
    assert msdhs.current_stage() == "report_received"
    move(msdhs, "screening", {"screening_form": "Ror.Bor.1 by phone"})

    # 4. Hand-over to the police anti-trafficking unit with the person's consent, sharing the
    # conversation, the notes meant for the case and a summary; not the location or screening.
    form = msdhs.page.locator("#handover-form")
    police_option = form.locator("#handover-agency option[data-code=tak-police-atp]")
    form.locator("#handover-agency").select_option(police_option.get_attribute("value"))
    form.locator("select[name=reason]").select_option("AdditionalServicesRequired")
    form.locator("textarea[name=summary]").fill(FOR_POLICE)
    for item in ("summary", "conversation", "notes"):
        form.locator(f"#handover-shares input[value={item}]").check()
    form.locator("#handover-consent input[name=consent][value=given]").check()
    form.locator("select[name=consent_method]").select_option("interpreter")
    form.locator("select[name=consent_language]").select_option("my")
    form.locator("#handover-submit").click()
    msdhs.page.wait_for_url(f"{gateway.url}/dashboard/cases/{case_id}#referrals")
    sent = msdhs.page.locator("#referrals .referral[data-state=pending]")
    assert sent.count() == 1
    referral_id = sent.get_attribute("data-referral-id")

    # The police see a pending referral, and nothing of the case before accepting.
    assert police.status_of("/dashboard/referrals") == 200
    assert police.page.locator("#pending-referrals").inner_text().strip() == "1"
    incoming = police.page.locator(f"#incoming .referral[data-referral-id='{referral_id}']")
    assert incoming.get_attribute("data-state") == "pending"
    assert FOR_POLICE in incoming.locator(".referral-summary").inner_text()
    listing = police.page.content()
    for hidden in (USER_TEXT, AGENCY_NOTE, CASE_NOTE, ADDRESS):
        assert hidden not in listing
    assert not police.queue_has(case_id)
    for path in (f"/dashboard/cases/{case_id}", f"/dashboard/cases/{case_id}/transcript"):
        assert police.status_of(path) == 404, path
    assert_off_the_case(ngo, case_id)

    # 5. The police caseworker accepts and lands on the case: exactly what was shared.
    police.status_of("/dashboard/referrals")
    with police.page.expect_navigation():
        incoming.locator("button.accept").click()
    assert police.page.url == f"{gateway.url}/dashboard/cases/{case_id}", \
        police.page.content().split("<main")[-1][:3000]
    page = police.page.content()
    assert USER_TEXT in police.page.locator("#transcript").inner_text()  # conversation
    assert police.page.locator(".note[data-visibility=case]", has_text=CASE_NOTE).count() == 1
    assert AGENCY_NOTE not in page  # an "agency" note never leaves MSDHS
    assert police.page.locator(".note[data-visibility=agency]").count() == 0
    assert FOR_POLICE in police.page.locator("#referrals .referral-summary").inner_text()
    assert ADDRESS not in page and police.page.locator("#map-link").count() == 0  # location
    assert police.page.locator(".not-shared").count() == 2  # location, screening
    assert police.page.locator("#owning-agency").count() == 1
    assert police.queue_has(case_id)
    assert police.page.locator(f"#case-{case_id}").get_attribute("data-shared") == "true"
    assert msdhs.case_page(case_id) and msdhs.page.locator(
        f"#referrals .referral[data-referral-id='{referral_id}']").get_attribute(
        "data-state") == "accepted"
    # The conversation is shared: the person's next message reaches the police page live,
    # and the police can answer the person.
    police.case_page(case_id)
    gateway.line.send_webhook(gateway.url, "public", secret_of["public"],
                              [gateway.line.text_event("Uwalk", LATER_TEXT)])
    police.page.locator("#transcript", has_text=LATER_TEXT).wait_for()
    police.page.fill("#reply-form textarea", POLICE_REPLY)
    police.page.click("#reply-form button[type=submit]")
    wait_for(lambda: ("push", {"type": "text", "text": POLICE_REPLY})
             in gateway.line.messages_to("Uwalk"))
    assert_off_the_case(ngo, case_id)

    # 6. The police fact-check (their stage); MSDHS puts the person in temporary protection.
    police.case_page(case_id)
    today = utcnow().date()
    move(police, "fact_check", {"fact_check_date": today.isoformat(), "rescue": "yes"})
    msdhs.case_page(case_id)
    move(msdhs, "temporary_protection", {"shelter": SHELTER, "start_date": today.isoformat()})
    police.case_page(case_id)
    assert SHELTER not in police.page.content()  # the shelter is location, not shared

    # 7. MSDHS records the MDT conference (both agencies attend): the person is identified.
    msdhs.case_page(case_id)
    mdt = msdhs.page.locator("#mdt-form")
    mdt.locator("input[name=held_on]").fill(today.isoformat())
    for row, (agency, role) in enumerate(((ids["tak-msdhs"], "social worker"),
                                          (ids["tak-police-atp"], "investigator"))):
        mdt.locator("select[name=attendee_agency]").nth(row).select_option(str(agency))
        mdt.locator("input[name=attendee_role]").nth(row).fill(role)
    mdt.locator("select[name=decision]").select_option("identified")
    mdt.locator("textarea[name=basis]").fill(MDT_BASIS)
    mdt.locator("input[name=step_action]").first.fill("Shelter place and legal aid")
    mdt.locator("select[name=step_agency]").first.select_option(str(ids["tak-msdhs"]))
    mdt.locator("input[name=step_due]").first.fill((today + timedelta(days=7)).isoformat())
    mdt.locator("button[type=submit]").click()
    msdhs.page.wait_for_load_state()
    assert msdhs.current_stage() == "identified", msdhs.page.content()[:2000]

    # 8. The timeline shows every step, on both agencies' pages, in order.
    steps = [("stage", "report_received"), ("stage", "screening"), ("referral", "accepted"),
             ("stage", "fact_check"), ("stage", "temporary_protection"), ("mdt", "identified"),
             ("stage", "mdt_interview"), ("stage", "identified")]
    assert msdhs.timeline() == steps
    assert SHELTER in msdhs.page.locator("#nrm-timeline").inner_text()
    police.case_page(case_id)
    assert police.timeline() == steps
    timeline = police.page.locator("#nrm-timeline").inner_text()
    assert MDT_BASIS in timeline  # the police attended the conference
    assert SHELTER not in timeline
    assert AGENCY_NOTE not in police.page.content()
    assert_off_the_case(ngo, case_id)
