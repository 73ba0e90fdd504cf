"""The trainer's view of practice runs over real HTTP and in headless Chromium: a supervisor
sees the runs of their agency's officers for the chosen cohort, per practice case and per
indicator with the most missed first, marked as practice, and downloads them; another agency's
runs and other cohorts stay out; caseworkers are refused."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from dashboard_helpers import PASSWORD, browser_login, login
from test_dashboard_workspace import LATIN_ALLOWED, LATIN_WORD

from cases.accounts import add_caseworker
from saphan.db import in_session
from screening import enrollment
from screening.loader import default_screening
from screening.practice import Feedback, default_practice
from screening.practice_runs import record_run
from testsupport.cases import Gateway

BOAT = default_practice().case("fishing_boat")


def _officer(agency: str, user: str) -> int:
    code, _ = in_session(enrollment.issue_code, agency, "investigator", timedelta(days=1))
    return in_session(enrollment.redeem_code, user, code).id


def _runs(officer: int, agency: str, cohort: str | None, missed: list[tuple[str, ...]],
          wrong: tuple[str, ...] = ()) -> None:
    """One practice run of the fishing-boat case per entry of `missed`."""
    for found in missed:
        result = "likely_victim" if not found else "indicators_present"
        in_session(record_run, officer, agency, cohort, Feedback(
            case_id=BOAT.id, result=result, expected=BOAT.expected, missed=found, wrong=wrong,
            not_asked=(), context_errors=(), interactions=12, seconds=360,
            expected_steps=()))


@pytest.fixture
def cohort(agency_ids: dict[str, int]) -> dict[str, Any]:
    """Runs of cohort TOT-1 by officers of the Nan police (enrolled by its English name and
    by its code), one run of another cohort, and runs of TOT-1 in another agency."""
    ours = _officer("police-nan en", "conv-officer-1")
    also_ours = _officer("POLICE-NAN", "conv-officer-2")
    theirs = _officer("ngo-nan en", "conv-officer-3")
    _runs(ours, "police-nan en", "TOT-1", [("cd_debt",), ("cd_debt", "ex_hours"), ()])
    _runs(also_ours, "POLICE-NAN", "TOT-1", [("cd_debt",)], wrong=("ex_education",))
    _runs(ours, "police-nan en", "OTHER-9", [("dr_wages",)])
    _runs(theirs, "ngo-nan en", "TOT-1", [("ex_pay",)] * 5)
    in_session(add_caseworker, "sue", PASSWORD, "supervisor", "Sue", agency_ids["police-nan"])
    in_session(add_caseworker, "carl", PASSWORD, "caseworker", "Carl", agency_ids["police-nan"])
    return {"missed_most": "cd_debt", "runs": 4}


def test_the_supervisor_sees_the_cohort_of_their_agency_and_downloads_it(
        gateway: Gateway, cohort: dict[str, Any]) -> None:
    sue, _ = login(gateway, "sue")
    page = sue.get("/dashboard/training", params={"cohort": "TOT-1"})
    assert page.status_code == 200
    html = page.text
    assert 'value="TOT-1" selected' in html and 'value="OTHER-9"' in html
    assert html.index('data-indicator="cd_debt"') < html.index('data-indicator="ex_hours"')
    assert 'data-indicator="ex_pay"' not in html  # the other agency's runs
    assert 'data-indicator="dr_wages"' not in html  # the other cohort

    exported = sue.get("/dashboard/training.csv", params={"cohort": "TOT-1"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith(
        "text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["practice"] for r in rows} == {"practice"} and {r["cohort"] for r in rows} == {
        "TOT-1"}
    (case,) = [r for r in rows if r["table"] == "case"]
    assert (case["id"], case["runs"], case["right_percent"]) == ("fishing_boat", "4", "25")
    assert (case["median_interactions"], case["median_minutes"]) == ("12.0", "6.0")
    indicators = [r for r in rows if r["table"] == "indicator"]
    assert [r["id"] for r in indicators] == ["cd_debt", "ex_hours", "ex_education"]
    assert (indicators[0]["missed"], indicators[0]["runs_with_indicator"]) == ("3", "4")
    assert indicators[2]["wrong"] == "1"

    other = sue.get("/dashboard/training", params={"cohort": "OTHER-9"}).text
    assert 'data-indicator="dr_wages"' in other and 'data-indicator="cd_debt"' not in other
    unknown = sue.get("/dashboard/training", params={"cohort": "NOPE"}).text  # the latest one
    assert 'value="OTHER-9" selected' in unknown


def test_caseworkers_are_refused_and_an_agency_without_runs_sees_none(
        gateway: Gateway, cohort: dict[str, Any], agency_ids: dict[str, int]) -> None:
    carl, _ = login(gateway, "carl")
    assert carl.get("/dashboard/training").status_code == 403
    assert carl.get("/dashboard/training.csv").status_code == 403
    in_session(add_caseworker, "shelly", PASSWORD, "agency_admin", "Shelly",
               agency_ids["shelter-nan"])
    shelly, _ = login(gateway, "shelly")
    page = shelly.get("/dashboard/training").text
    assert 'id="training-empty"' in page and "data-indicator" not in page
    assert 'id="nav-training"' in page


@pytest.mark.browser
def test_the_trainer_sees_the_most_missed_indicator_in_the_browser(
        gateway: Gateway, cohort: dict[str, Any], page: Any) -> None:
    browser_login(page, gateway, "sue")
    page.click("#nav-training")
    page.wait_for_url(f"{gateway.url}/dashboard/training")
    lang = page.locator("html").get_attribute("lang")
    assert lang == "th"  # the dashboard's default
    # The latest cohort is shown first; the trainer picks TOT-1.
    page.select_option("#training-cohort select[name=cohort]", "TOT-1")
    page.click("#training-cohort button[type=submit]")
    page.wait_for_url("**/dashboard/training?cohort=TOT-1")
    first = page.locator("#training-indicators tr[data-indicator]").first
    label = default_screening().questionnaire.item(cohort["missed_most"]).label.get(lang)
    assert first.get_attribute("data-indicator") == "cd_debt"
    assert label in first.inner_text() and "3" in first.inner_text()
    case_row = page.locator("#training-cases tr[data-case=fishing_boat]")
    assert BOAT.title.get(lang) in case_row.inner_text() and "25%" in case_row.inner_text()
    assert page.locator("#training-practice").is_visible()  # marked as practice
    # Thai throughout, with the data: only the cohort codes are in Latin letters.
    words = set(LATIN_WORD.findall(page.locator("main").inner_text())) - LATIN_ALLOWED
    options = page.eval_on_selector_all("option", "els => els.map(e => e.textContent)")
    assert words == {"TOT", "OTHER"} and {"TOT-1 (4)", "OTHER-9 (1)"} <= set(options)
