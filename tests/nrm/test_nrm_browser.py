"""Headless Chromium on the case page's NRM panel: a caseworker moves the case with the move's
own form (date and choice fields), records an MDT conference with the conference form, and the
timeline and current stage show both."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cases import stages
from content.catalogue import texts
from saphan.db import in_session
from testsupport.cases import Gateway
from testsupport.nrm_world import PASSWORD, World, make_world, new_case

pytestmark = pytest.mark.browser
T = texts("dashboard_nrm", "th")




def test_moving_a_stage_and_recording_an_mdt_in_the_browser(gateway: Gateway, page,  # type: ignore[no-untyped-def]
                                                            tmp_path: Path) -> None:
    world: World = make_world()
    case_id = new_case(world)
    page.goto(f"{gateway.url}/dashboard")
    page.fill("input[name=username]", "somchai")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{gateway.url}/dashboard")
    page.goto(f"{gateway.url}/dashboard/cases/{case_id}")

    move = page.locator('form.nrm-move[data-to="fact_check"]')
    move.locator('input[name="r_fact_check_date"]').fill("2026-12-01")
    move.locator('select[name="r_rescue"]').select_option("yes")
    move.locator("button[type=submit]").click()
    page.locator('.nrm-item[data-title="fact_check"]').wait_for()

    form = page.locator("#mdt-form")
    form.locator('input[name="held_on"]').fill(date.today().isoformat())
    agencies = form.locator('select[name="attendee_agency"]')
    roles = form.locator('input[name="attendee_role"]')
    agencies.nth(0).select_option(str(world.agencies["tak-msdhs"]))
    roles.nth(0).fill("social worker")
    agencies.nth(1).select_option(str(world.agencies["tak-police-atp"]))
    roles.nth(1).fill("investigator")
    form.locator('select[name="decision"]').select_option("not_identified")
    form.locator('textarea[name="basis"]').fill("no indicators in the interview")
    form.locator("button[type=submit]").click()
    page.locator('.nrm-item[data-kind="mdt"]').wait_for()

    current = page.locator('.nrm-current[data-track="main"]')
    assert T["nrm_stage_not_identified"] in current.inner_text()
    titles = page.locator(".nrm-item").evaluate_all("els => els.map(e => e.dataset.title)")
    assert titles == ["report_received", "fact_check", "not_identified", "mdt_interview",
                      "not_identified"]
    assert in_session(stages.current, case_id) == "not_identified"
    page.locator("#nrm").screenshot(path=str(tmp_path / "nrm.png"))
