"""Programme insights over real HTTP: small cells suppressed (k = 11) in the page and the CSV,
also the one cell that would give a suppressed count away; totals consistent; an agency sees
its own cases' statistics, a system admin the national aggregate; example agencies never
counted; nationality read as codes (never the typed text) and labelled in the interface
language; NRM stage durations from the stage rows; caseworkers are refused."""

from __future__ import annotations

import csv
import io
import random
import re
from collections import Counter
from datetime import timedelta

import httpx
from dashboard_helpers import PASSWORD, login
from sqlalchemy import select, update

from agencies import store
from cases import service, stages
from cases.accounts import add_caseworker
from cases.models import CaseStage
from content.catalogue import text
from saphan.db import in_session, session_scope, utcnow
from screening.nationality import CODES, nationality_code
from testsupport.cases import Gateway

K = 11
#: Tables whose values are counts of cases (the others hold medians in minutes or days).
MEDIANS = ("median_minutes_to_claim", "median_minutes_to_first_reply",
           "nrm_stage_median_days_from_report", "nrm_stage_median_days_in_stage")


def _cases(agency_id: int, province: str, source: str, n: int, tag: str,
           screening: dict | None = None) -> list[int]:
    with session_scope() as session:
        return [service.create_case(session, service.NewCase(
            f"{tag}-{i}", "normal", source, "th", province=province, agency_id=agency_id,
            screening=screening)).case.id for i in range(n)]


def screening_of(sector: str, nationality: str = "Myanmar") -> dict:
    return {"context": {"sector": sector, "exploitation_form": "labour",
                        "nationality": nationality,
                        "employer_name": "free text never counted"},
            "answers": {"dr_job_nature": "yes"},
            "result": {"category": "indicators_present", "positive_dimensions":
                       ["deceptive_recruitment"],
                       "indicators": {"deceptive_recruitment": ["dr_job_nature"]}}}


def _csv_rows(client: httpx.Client, lang: str | None = None) -> list[dict[str, str]]:
    response = client.get("/dashboard/insights.csv", params={"lang": lang} if lang else None)
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def _csv(client: httpx.Client) -> dict[tuple[str, str], str]:
    return {(row["table"], row["group"]): row["value"] for row in _csv_rows(client)}


def _no_small_cell(rows: list[dict[str, str]], page: str) -> None:
    """Every count exported or shown is "<k" or at least k; no table gives away a lone
    suppressed cell (0 or at least 2 suppressed where the total is shown)."""
    for row in rows:
        if row["table"] not in MEDIANS:
            assert row["value"] == f"<{K}" or int(row["value"]) >= K, row
    hidden = Counter(row["table"] for row in rows
                     if row["value"] == f"<{K}" and row["group"] != "total")
    totals = {row["table"]: row["value"] for row in rows if row["group"] == "total"}
    for table, n in hidden.items():
        assert n != 1 or totals.get(table, f"<{K}") == f"<{K}", table
    shown = re.findall(r'<td class="count">([^<]*)</td>', page)
    assert shown, "the page shows counts"
    for value in shown:
        assert value == f"&lt;{K}" or int(value) >= K, value
    for value in re.findall(r'<text x="[\d.]+" y="[\d.]+">(\d+)</text>', page):
        assert int(value) >= K, value  # the bars' numbers


def test_small_cells_are_suppressed_and_each_agency_sees_its_own(
        gateway: Gateway, agency_ids: dict[str, int]) -> None:
    default, police = agency_ids["default"], agency_ids["police-nan"]
    _cases(default, "Chiang Mai", "request", 13, "cm")
    _cases(default, "Tak", "request", 12, "tak")
    _cases(default, "Nan", "emergency", 3, "nan")  # a small group
    _cases(police, "Nan", "officer screening", 11, "pol", screening_of("fishing"))
    _cases(police, "Nan", "officer screening", 1, "pol1", screening_of("factory", "Cambodia"))
    example = in_session(store.add, store.AgencyIn(code="demo-x", name_th="ตัวอย่าง",
                                                   name_en="Example", kind="ngo",
                                                   example=True)).id
    _cases(example, "Nan", "request", 20, "ex")
    in_session(add_caseworker, "sue", PASSWORD, "supervisor", "Sue", default)
    in_session(add_caseworker, "root", PASSWORD, "system_admin", "Root", police)
    in_session(add_caseworker, "carl", PASSWORD, "caseworker", "Carl", default)

    sue, _ = login(gateway, "sue")
    mine = _csv(sue)
    page = sue.get("/dashboard/insights").text
    _no_small_cell(_csv_rows(sue), page)
    assert mine[("province", "Chiang Mai")] == "13"
    assert mine[("province", "Nan")] == f"<{K}"  # 3 cases
    assert mine[("province", "Tak")] == f"<{K}"  # else 28 - 13 - 12 gives the 3 away
    assert mine[("province", "total")] == "28"  # the agency's own cases only, no examples
    assert mine[("source", "emergency")] == mine[("source", "request")] == f"<{K}"
    assert ("nationality", "mm") not in mine  # the police's screenings are not the shelter's
    assert 'id="insights-province"' in page and "<svg" in page
    assert ">3<" not in page and ">12<" not in page  # never shown on the page either

    root, _ = login(gateway, "root")
    national = _csv(root)
    assert national[("province", "total")] == "40"  # every agency, examples never
    assert national[("province", "Nan")] == "15" and national[("province", "Tak")] == "12"
    assert national[("sector", "fishing")] == f"<{K}"  # 11, but with the lone factory (1)
    assert national[("sector", "factory")] == f"<{K}" and national[("sector", "total")] == "12"
    assert national[("nationality", "mm")] == national[("nationality", "kh")] == f"<{K}"
    assert national[("nationality", "total")] == "12"
    assert national[("exploitation_form", "labour")] == "12"
    assert national[("indicators", "deceptive_recruitment")] == "12"
    assert not any("free text" in key for _, key in national)  # free text is never read
    page = root.get("/dashboard/insights").text
    assert 'id="insights-sector"' in page and 'id="insights-stages"' in page
    assert 'id="insights-nationality"' in page

    carl, _ = login(gateway, "carl")
    assert carl.get("/dashboard/insights").status_code == 403
    assert carl.get("/dashboard/insights.csv").status_code == 403


NATIONALITIES = ("Myanmar", "พม่า", "Cambodia", "เขมร", "Lao PDR", "คนลาว", "Thai",
                 "Viet Nam", "ไม่ทราบ", "Nepal")


def test_on_generated_data_no_cell_is_small_totals_agree_and_agencies_see_their_own(
        gateway: Gateway, agency_ids: dict[str, int]) -> None:
    """Many groups of 1-15 cases over two agencies; each agency's numbers are exactly its own
    cases' where shown, and every table's total is the number of cases counted."""
    rng = random.Random(23)
    agencies = {"default": agency_ids["default"], "police-nan": agency_ids["police-nan"]}
    truth: dict[str, dict[str, Counter[str]]] = {a: {"province": Counter(),
                                                     "nationality": Counter()}
                                                 for a in agencies}
    for i in range(24):
        agency = rng.choice(list(agencies))
        province = rng.choice(("Tak", "Nan", "Chiang Mai", "Ranong", "Songkhla"))
        n = rng.randint(1, 15)
        nationality = rng.choice(NATIONALITIES)
        _cases(agencies[agency], province, "officer screening", n, f"g{i}",
               screening_of(rng.choice(("fishing", "factory", "construction")), nationality))
        truth[agency]["province"][province] += n
        truth[agency]["nationality"][nationality_code(nationality)] += n
    in_session(add_caseworker, "lead", PASSWORD, "supervisor", "Lead", agencies["default"])
    in_session(add_caseworker, "plead", PASSWORD, "supervisor", "PLead",
               agencies["police-nan"])
    in_session(add_caseworker, "root", PASSWORD, "system_admin", "Root", None)

    for username, agency in (("lead", "default"), ("plead", "police-nan"), ("root", None)):
        client, _ = login(gateway, username)
        rows = _csv_rows(client)
        page = client.get("/dashboard/insights").text
        _no_small_cell(rows, page)
        values = {(r["table"], r["group"]): r["value"] for r in rows}
        for table in ("province", "nationality"):
            expected: Counter[str] = Counter()
            for name in ([agency] if agency else list(agencies)):
                expected.update(truth[name][table])
            for key, n in expected.items():
                shown = values[(table, key)]
                assert shown == f"<{K}" or int(shown) == n, (username, table, key)
                if n < K:
                    assert shown == f"<{K}", (username, table, key)
            assert {k for t, k in values if t == table} == {*expected, "total"}
            total = sum(expected.values())
            assert values[(table, "total")] == (str(total) if total >= K else f"<{K}")
        totals = {values[(t, "total")] for t in ("province", "month", "source", "priority",
                                                 "nationality", "sector",
                                                 "exploitation_form")}
        assert len(totals) == 1, (username, totals)  # every case counted once per table


def test_nationality_is_a_code_labelled_in_the_interface_language() -> None:
    assert [nationality_code(a) for a in NATIONALITIES] == [
        "mm", "mm", "kh", "kh", "la", "la", "th", "vn", "unknown", "other"]
    assert nationality_code(None) == nationality_code("  ") == "unknown"
    assert nationality_code("สัญชาติพม่า") == "mm" and nationality_code("Myanmar (Shan)") == "mm"
    assert nationality_code("ไร้สัญชาติ") == "stateless"
    assert nationality_code("Myanmar or Thai?") == "other"  # two named: not guessed
    for code in CODES:
        assert text("dashboard", f"nationality_{code}", "th") != text(
            "dashboard", f"nationality_{code}", "en")


def test_the_csv_labels_follow_the_interface_or_the_asked_language(
        gateway: Gateway, agency_ids: dict[str, int]) -> None:
    _cases(agency_ids["default"], "Tak", "officer screening", K, "mm",
           screening_of("fishing", "พม่า"))
    _cases(agency_ids["default"], "Tak", "officer screening", K, "kh",
           screening_of("fishing", "Cambodian"))
    in_session(add_caseworker, "lead", PASSWORD, "supervisor", "Lead", agency_ids["default"])
    client, _ = login(gateway, "lead")  # the Thai interface
    labels = {(r["table"], r["group"]): r["label"] for r in _csv_rows(client)}
    assert labels[("nationality", "mm")] == "เมียนมา"
    assert labels[("province", "Tak")] == "ตาก"
    english = {(r["table"], r["group"]): (r["label"], r["value"])
               for r in _csv_rows(client, "en")}
    assert english[("nationality", "kh")] == ("Cambodian", str(K))
    page = client.get("/dashboard/insights").text
    section = page.split('id="insights-nationality"')[1].split("</div>")[0]
    assert "เมียนมา" in section and "กัมพูชา" in section and "พม่า</td>" not in section


def _stage_rows(case_ids: list[int], days: dict[str, int]) -> None:
    """Stage rows as the pathway writes them: the report (the row each case starts with)
    and then each stage `days` after it, in order."""
    report = utcnow() - timedelta(days=30)
    with session_scope() as session:
        session.execute(update(CaseStage).where(CaseStage.case_id.in_(case_ids))
                        .values(at=report))
        for case_id in case_ids:
            previous = "report_received"
            for stage, day in days.items():
                session.add(CaseStage(case_id=case_id, stage=stage, from_stage=previous,
                                      agency_id=None, actor_id=None, record=None,
                                      at=report + timedelta(days=day), due_at=None))
                previous = stage


def test_stage_durations_show_the_median_days_in_each_stage(
        gateway: Gateway, agency_ids: dict[str, int]) -> None:
    stayed = 3  # days in temporary protection
    path = {"screening": 0, "fact_check": 1, "temporary_protection": 2,
            "mdt_interview": 2 + stayed}
    _stage_rows(_cases(agency_ids["default"], "Tak", "request", K, "long"), path)
    _stage_rows(_cases(agency_ids["default"], "Tak", "request", 4, "ident"),
                {**path, "identified": 9})  # only 4 left the interview: too few
    in_session(add_caseworker, "lead", PASSWORD, "supervisor", "Lead", agency_ids["default"])
    client, _ = login(gateway, "lead")
    values = _csv(client)
    assert values[("nrm_stage_cases", "temporary_protection")] == str(K + 4)
    assert values[("nrm_stage_median_days_in_stage", "temporary_protection")] == str(stayed)
    assert values[("nrm_stage_median_days_from_report", "temporary_protection")] == "2"
    assert values[("nrm_stage_median_days_in_stage", "fact_check")] == "1"
    assert values[("nrm_stage_median_days_in_stage", "report_received")] == "0"
    assert ("nrm_stage_median_days_in_stage", "mdt_interview") not in values  # 4 left it
    assert values[("nrm_stage_cases", "identified")] == f"<{K}"
    assert ("nrm_stage_median_days_from_report", "identified") not in values
    page = client.get("/dashboard/insights").text
    row = page.split('<tr data-key="temporary_protection">')[1].split("</tr>")[0]
    assert text("dashboard_nrm", "nrm_stage_temporary_protection", "th") in row
    assert f'<td class="in-stage">{stayed}</td>' in row
    assert '<td class="from-report">2</td>' in row
    interview = page.split('<tr data-key="mdt_interview">')[1].split("</tr>")[0]
    assert text("dashboard", "insights_suppressed", "th") in interview
    first = in_session(lambda s: s.scalar(select(CaseStage.case_id).limit(1)))
    assert in_session(stages.stage_stays, [first]) == {first: [
        ("report_received", 0), ("screening", 1), ("fact_check", 1),
        ("temporary_protection", stayed), ("mdt_interview", None)]}
