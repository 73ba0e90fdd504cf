"""Programme insights over real HTTP: small cells suppressed (k = 11) in the page and the CSV,
also the one cell that would give a suppressed count away; totals consistent; an agency sees
its own cases' statistics, a system admin the national aggregate; example agencies never
counted; caseworkers are refused."""

from __future__ import annotations

import csv
import io

from dashboard_helpers import PASSWORD, login

from agencies import store
from cases import service
from cases.accounts import add_caseworker
from saphan.db import in_session, session_scope
from testsupport.cases import Gateway

K = 11


def _cases(agency_id: int, province: str, source: str, n: int, tag: str,
           screening: dict | None = None) -> None:
    with session_scope() as session:
        for i in range(n):
            service.create_case(session, service.NewCase(
                f"{tag}-{i}", "normal", source, "th", province=province, agency_id=agency_id,
                screening=screening))


def screening_of(sector: str) -> dict:
    return {"context": {"sector": sector, "exploitation_form": "labour",
                        "employer_name": "free text never counted"},
            "answers": {"dr_job_nature": "yes"},
            "result": {"category": "indicators_present", "positive_dimensions":
                       ["deceptive_recruitment"],
                       "indicators": {"deceptive_recruitment": ["dr_job_nature"]}}}


def _csv(client) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    response = client.get("/dashboard/insights.csv")
    assert response.status_code == 200, response.text
    return {(row["table"], row["group"]): row["count"]
            for row in csv.DictReader(io.StringIO(response.text))}


def test_small_cells_are_suppressed_and_each_agency_sees_its_own(
        gateway: Gateway, agency_ids: dict[str, int]) -> None:
    default, police = agency_ids["default"], agency_ids["police-nan"]
    _cases(default, "Chiang Mai", "request", 13, "cm")
    _cases(default, "Tak", "request", 12, "tak")
    _cases(default, "Nan", "emergency", 3, "nan")  # a small group
    _cases(police, "Nan", "officer screening", 11, "pol", screening_of("fishing"))
    _cases(police, "Nan", "officer screening", 1, "pol1", screening_of("factory"))
    example = in_session(store.add, store.AgencyIn(code="demo-x", name_th="ตัวอย่าง",
                                                   name_en="Example", kind="ngo",
                                                   example=True)).id
    _cases(example, "Nan", "request", 20, "ex")
    in_session(add_caseworker, "sue", PASSWORD, "supervisor", "Sue", default)
    in_session(add_caseworker, "root", PASSWORD, "system_admin", "Root", police)
    in_session(add_caseworker, "carl", PASSWORD, "caseworker", "Carl", default)

    sue, _ = login(gateway, "sue")
    mine = _csv(sue)
    for (table, group), count in mine.items():
        assert count == f"<{K}" or int(count) >= K, (table, group, count)
    assert mine[("province", "Chiang Mai")] == "13"
    assert mine[("province", "Nan")] == f"<{K}"  # 3 cases
    assert mine[("province", "Tak")] == f"<{K}"  # else 28 - 13 - 12 gives the 3 away
    assert mine[("province", "total")] == "28"  # the agency's own cases only, no examples
    assert mine[("source", "emergency")] == mine[("source", "request")] == f"<{K}"
    page = sue.get("/dashboard/insights").text
    assert 'id="insights-province"' in page and "<svg" in page
    assert ">3<" not in page and ">12<" not in page  # never shown on the page either

    root, _ = login(gateway, "root")
    national = _csv(root)
    assert national[("province", "total")] == "40"  # every agency, examples never
    assert national[("province", "Nan")] == "15" and national[("province", "Tak")] == "12"
    assert national[("sector", "fishing")] == f"<{K}"  # 11, but with the lone factory (1)
    assert national[("sector", "factory")] == f"<{K}" and national[("sector", "total")] == "12"
    assert national[("exploitation_form", "labour")] == "12"
    assert national[("indicators", "deceptive_recruitment")] == "12"
    assert not any("free text" in key for _, key in national)  # free text is never read
    page = root.get("/dashboard/insights").text
    assert 'id="insights-sector"' in page and 'id="insights-stages"' in page

    carl, _ = login(gateway, "carl")
    assert carl.get("/dashboard/insights").status_code == 403
    assert carl.get("/dashboard/insights.csv").status_code == 403
