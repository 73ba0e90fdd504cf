"""Hand-overs in the dashboard over real HTTP, with accounts in three agencies: the sender
refers a case with or without consent, the receiving agency sees the referral on its page
(the shared summary, or only the anonymous notice), accepts and then sees exactly the shared
items; a decline's reason reaches the sender; another agency can neither see nor decide it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from dashboard_helpers import PASSWORD, login

from agencies import store as agencies
from cases import audit, referrals
from cases.accounts import add_caseworker
from cases.vocab import CONSENT_METHODS, CONSENTS, REFERRAL_STATES, SHARE_ITEMS
from dashboard.render import interface_texts
from saphan.db import in_session, session_scope
from testsupport.cases import Gateway

SUMMARY = "Girl of 16 from Myawaddy, employer keeps her passport"
TRANSCRIPT_LINE = "they took my passport and lock the door"
ADDRESS = "behind the fish market, soi 7"


@dataclass(frozen=True)
class Agencies:
    msdhs: int
    police: int
    ngo: int


@pytest.fixture
def three(gateway: Gateway) -> Agencies:
    ids = []
    with session_scope() as session:
        for code, kind in (("tak-msdhs", "msdhs_provincial"),
                           ("tak-police", "anti_trafficking_police"), ("tak-ngo", "ngo")):
            ids.append(agencies.add(session, agencies.AgencyIn(
                code=code, name_th=f"หน่วย {code}", name_en=f"Unit {code}", kind=kind,
                provinces=("Tak",))).id)
    found = Agencies(*ids)
    for username, agency_id in (("social", found.msdhs), ("officer", found.police),
                                ("ngo", found.ngo)):
        in_session(add_caseworker, username, PASSWORD, "caseworker", username.title(),
                   agency_id)
    return found


def new_case(gateway: Gateway, conversation: str) -> int:
    response = gateway.create_case(
        conversation_id=conversation, province="Tak", address=ADDRESS, summary="locked in",
        screening={"documents withheld": "yes"},
        transcript=[{"sender": "user", "text": TRANSCRIPT_LINE}])
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def hand_over(client: httpx.Client, csrf: str, case_id: int, agency_id: int,
              **fields: object) -> httpx.Response:
    data: dict[str, object] = {
        "csrf": csrf, "to_agency_id": str(agency_id), "reason": "AdditionalServicesRequired",
        "summary": SUMMARY, "shares": ["conversation"], "consent": "given",
        "consent_method": "interpreter", "consent_language": "my", **fields}
    return client.post(f"/dashboard/cases/{case_id}/handover", data=data)


def referral_id_on(page: str) -> int:
    found = re.search(r'data-referral-id="(\d+)" data-state="pending"', page)
    assert found, "no pending referral on the page"
    return int(found.group(1))


def test_refer_accept_and_see_exactly_what_was_shared(gateway: Gateway, three: Agencies) -> None:
    case_id = new_case(gateway, "conv-h1")
    social, social_csrf = login(gateway, "social")
    page = social.get(f"/dashboard/cases/{case_id}")
    assert page.status_code == 200
    form = re.search(r'id="handover-form".*?</form>', page.text, re.S)
    assert form, "no hand-over form"
    assert f'<option value="{three.police}"' in form.group(0)  # other agencies, by kind
    assert f'<option value="{three.msdhs}"' not in form.group(0)  # not its own
    response = hand_over(social, social_csrf, case_id, three.police)
    assert response.status_code == 303, response.text
    page = social.get(f"/dashboard/cases/{case_id}").text
    assert 'data-state="pending"' in page and SUMMARY in page  # the sender sees its referral

    officer, officer_csrf = login(gateway, "officer")
    assert officer.get(f"/dashboard/cases/{case_id}").status_code == 404  # not yet
    incoming = officer.get("/dashboard/referrals")
    assert incoming.status_code == 200 and SUMMARY in incoming.text
    assert 'id="pending-referrals">1<' in incoming.text  # the number in the navigation
    assert TRANSCRIPT_LINE not in incoming.text and ADDRESS not in incoming.text
    assert "เมียนมา" in incoming.text  # with consent: the consent record (asked in Burmese)
    referral_id = referral_id_on(incoming.text)

    ngo, ngo_csrf = login(gateway, "ngo")  # an unrelated agency
    assert SUMMARY not in ngo.get("/dashboard/referrals").text
    assert ngo.post(f"/dashboard/referrals/{referral_id}/accept",
                    data={"csrf": ngo_csrf}).status_code == 404
    assert ngo.post(f"/dashboard/referrals/{referral_id}/decline",
                    data={"csrf": ngo_csrf, "reason": "x"}).status_code == 404
    assert officer.post(f"/dashboard/referrals/{referral_id}/accept",
                        data={"csrf": "forged"}).status_code == 403

    accepted = officer.post(f"/dashboard/referrals/{referral_id}/accept",
                            data={"csrf": officer_csrf})
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/dashboard/cases/{case_id}"
    case_page = officer.get(f"/dashboard/cases/{case_id}")
    assert case_page.status_code == 200
    assert TRANSCRIPT_LINE in case_page.text  # "conversation" was shared
    assert SUMMARY in case_page.text  # the summary for the receiver
    assert ADDRESS not in case_page.text and "documents withheld" not in case_page.text
    assert officer.get(f"/dashboard/cases/{case_id}/transcript").status_code == 200
    assert ngo.get(f"/dashboard/cases/{case_id}").status_code == 404
    page = social.get(f"/dashboard/cases/{case_id}").text
    assert 'data-state="accepted"' in page  # the sender sees the outcome
    actions = [e.action for e in in_session(audit.entries, case_id)]
    assert "referral" in actions and "referral_accepted" in actions


def test_without_consent_only_the_notice_and_nothing_after_accepting(
        gateway: Gateway, three: Agencies) -> None:
    case_id = new_case(gateway, "conv-h2")
    social, social_csrf = login(gateway, "social")
    assert hand_over(social, social_csrf, case_id, three.police, consent="refused",
                     shares=["conversation", "location", "screening"]).status_code == 303
    officer, officer_csrf = login(gateway, "officer")
    incoming = officer.get("/dashboard/referrals").text
    assert 'class="anonymous-notice"' in incoming and SUMMARY not in incoming
    assert "Tak" not in incoming  # the province is location: not in the notice
    assert "เมียนมา" not in incoming  # nor the language the person was asked in
    referral_id = referral_id_on(incoming)
    assert officer.post(f"/dashboard/referrals/{referral_id}/accept",
                        data={"csrf": officer_csrf}).status_code == 303
    page = officer.get(f"/dashboard/cases/{case_id}")
    assert page.status_code == 200
    for hidden in (SUMMARY, TRANSCRIPT_LINE, ADDRESS, "documents withheld", "locked in"):
        assert hidden not in page.text, hidden
    assert officer.get(f"/dashboard/cases/{case_id}/transcript").status_code == 403
    (row,) = in_session(referrals.access_rows, case_id)
    assert row.shares == []


def test_decline_reason_reaches_the_sender_and_bad_input_is_explained(
        gateway: Gateway, three: Agencies) -> None:
    case_id = new_case(gateway, "conv-h3")
    social, social_csrf = login(gateway, "social")
    refused = hand_over(social, social_csrf, case_id, three.police, consent="override")
    assert refused.status_code == 422 and "stated reason" in refused.text
    refused = hand_over(social, social_csrf, case_id, three.msdhs)
    assert refused.status_code == 422 and "your agency" in refused.text
    assert in_session(referrals.for_case, case_id) == []
    assert hand_over(social, social_csrf, case_id, three.police).status_code == 303

    officer, officer_csrf = login(gateway, "officer")
    referral_id = referral_id_on(officer.get("/dashboard/referrals").text)
    empty = officer.post(f"/dashboard/referrals/{referral_id}/decline",
                         data={"csrf": officer_csrf, "reason": " "})
    assert empty.status_code == 422 and "give a reason" in empty.text
    declined = officer.post(f"/dashboard/referrals/{referral_id}/decline",
                            data={"csrf": officer_csrf, "reason": "No unit free; ask the DSI"})
    assert declined.status_code == 303
    assert officer.get(f"/dashboard/cases/{case_id}").status_code == 404  # nothing granted
    page = social.get(f"/dashboard/cases/{case_id}").text
    assert 'data-state="declined"' in page and "No unit free; ask the DSI" in page


def test_sender_withdraws_a_pending_referral(gateway: Gateway, three: Agencies) -> None:
    case_id = new_case(gateway, "conv-h4")
    social, social_csrf = login(gateway, "social")
    assert hand_over(social, social_csrf, case_id, three.ngo).status_code == 303
    page = social.get(f"/dashboard/cases/{case_id}").text
    referral_id = referral_id_on(page)
    ngo, ngo_csrf = login(gateway, "ngo")
    assert ngo.post(f"/dashboard/cases/{case_id}/referrals/{referral_id}/withdraw",
                    data={"csrf": ngo_csrf}).status_code == 404  # not on the case
    gone = social.post(f"/dashboard/cases/{case_id}/referrals/{referral_id}/withdraw",
                       data={"csrf": social_csrf})
    assert gone.status_code == 303
    assert 'data-state="withdrawn"' in social.get(f"/dashboard/cases/{case_id}").text
    assert ngo.post(f"/dashboard/referrals/{referral_id}/accept",
                    data={"csrf": ngo_csrf}).status_code == 422
    assert 'id="pending-referrals"' not in ngo.get("/dashboard/referrals").text


def test_referral_templates_use_only_catalogue_texts() -> None:
    """Every `t.key` of the referral templates exists in Thai and English, and so does each
    composed key (`t["ref_state_" ~ state]`...) for every value of its vocabulary."""
    folder = Path(__file__).resolve().parents[2] / "dashboard" / "templates"
    names = ("_case_referrals.html", "referrals.html", "referrals_item.html")
    used = {key for name in names
            for key in re.findall(r"\bt\.(\w+)\b", (folder / name).read_text(encoding="utf-8"))
            if key != "get"}
    composed = {f"ref_{prefix}_{value}" for prefix, values in (
        ("state", REFERRAL_STATES), ("consent", CONSENTS), ("method", CONSENT_METHODS),
        ("share", SHARE_ITEMS)) for value in values}
    for language in ("th", "en"):
        texts = interface_texts(language)
        assert used | composed <= set(texts), sorted((used | composed) - set(texts))
