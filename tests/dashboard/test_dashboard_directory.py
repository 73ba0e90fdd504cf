"""The directory pages over real HTTP (issue 20 pt 6): agencies keep their own services (403 on
another agency's), edits are validated by the directory's one record validation (422 naming
the field, nothing written), "verified today" sets the date and who, every change is in the
history shown on the service's page, retired services leave every search, stale entries are
flagged, and the gaps report (page and CSV) counts a known data set. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from dashboard_helpers import PASSWORD, login

from agencies import store as agencies
from cases import audit
from cases.accounts import add_caseworker
from referral_directory import history
from referral_directory.gaps import gaps
from referral_directory.records import ServiceRecord
from referral_directory.search import ServiceQuery, search_services
from referral_directory.staleness import today
from referral_directory.store import by_external_id, to_record, upsert_records
from saphan.db import in_session, session_scope
from testsupport.cases import Gateway

URL = "/dashboard/directory"
FRESH = date.today().isoformat()
OLD = (date.today() - timedelta(days=400)).isoformat()


def _record(external_id: str, service_type: str, province: str | None, **more: object
            ) -> ServiceRecord:
    return ServiceRecord.model_validate({
        "id": external_id, "type": service_type, "name_en": f"{external_id} name",
        "province": province, "source": "test data", "confidence": "medium",
        "sample": False, **more})


#: The known data set: two agencies' services, one sample, one national hotline.
RECORDS = [
    _record("nan-shelter", "shelter", "Nan", phones=["+6654000001"], languages=["th", "my"],
            last_verified=FRESH),
    _record("nan-police", "legal_aid", "Nan", phones=["+6654000002"], languages=["th"],
            last_verified=OLD),
    _record("tak-medical", "medical", "Tak", needs_phone=True, languages=["th", "en"]),
    _record("tak-sample-shelter", "shelter", "Tak", sample=True, languages=["km"]),
    _record("test-hotline", "hotline", None, national=True, phones=["1300"], languages=["th"],
            last_verified=FRESH),
]


@pytest.fixture
def directory(app_env: str) -> dict[str, int]:
    """The known services, two agencies keeping some of them, and accounts of each role."""
    in_session(upsert_records, RECORDS)
    ids = {}
    for code, kind, kept in (("shelter-nan", "shelter", ("nan-shelter", "tak-medical")),
                             ("police-nan", "anti_trafficking_police", ("nan-police",))):
        row = in_session(agencies.add, agencies.AgencyIn(
            code=code, name_th=f"{code} th", name_en=f"{code} en", kind=kind,
            provinces=("Nan",), directory_services=kept))
        ids[code] = row.id
    for username, role, agency in [
        ("shelter_admin", "agency_admin", "shelter-nan"),
        ("shelter_lead", "supervisor", "shelter-nan"),
        ("shelter_worker", "caseworker", "shelter-nan"),
        ("police_admin", "agency_admin", "police-nan"),
        ("root", "system_admin", None),
    ]:
        in_session(add_caseworker, username, PASSWORD, role, None,
                   ids[agency] if agency else None)
    return ids


def _form(external_id: str, **changes: str) -> dict[str, str]:
    """The edit form of a stored service with `changes`, as the page would post it."""
    flat = in_session(lambda s: to_record(by_external_id(s, external_id))).to_flat()
    flat.pop("last_verified")
    return {k: v for k, v in {**flat, **changes}.items() if v != "false"}


def _post(client: httpx.Client, token: str, path: str, data: dict[str, Any]) -> httpx.Response:
    return client.post(path, data={"csrf": token, **data})


def _name(external_id: str) -> str:
    return in_session(lambda s: by_external_id(s, external_id).name_en)


def test_agencies_change_only_their_own_services(gateway: Gateway,
                                                 directory: dict[str, int]) -> None:
    edit = _form("nan-police", name_en="Renamed by the wrong agency")
    for username in ("shelter_admin", "shelter_lead"):
        client, token = login(gateway, username)
        page = client.get(f"{URL}/nan-police")
        assert page.status_code == 200 and 'id="dir-read-only"' in page.text
        assert 'id="dir-edit"' not in page.text
        assert _post(client, token, f"{URL}/nan-police", edit).status_code == 403
        assert _post(client, token, f"{URL}/nan-police/verify", {}).status_code == 403
        assert _post(client, token, f"{URL}/nan-police/retire",
                     {"retired": "true"}).status_code == 403
        own = client.get(f"{URL}/nan-shelter")
        assert 'id="dir-edit"' in own.text and 'id="dir-verify"' in own.text
    client, token = login(gateway, "shelter_worker")  # caseworkers read
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}/no-such-service").status_code == 404
    assert client.get(URL, params={"province": "Atlantis"}).status_code == 422
    page = client.get(f"{URL}/nan-shelter")
    assert 'id="dir-read-only"' in page.text and 'id="dir-edit"' not in page.text
    assert _post(client, token, f"{URL}/nan-shelter",
                 _form("nan-shelter", name_en="x")).status_code == 403
    assert client.get(f"{URL}/new").status_code == 403
    assert _name("nan-police") == "nan-police name" and _name("nan-shelter") == "nan-shelter name"
    client, token = login(gateway, "police_admin")  # the keeping agency may
    assert client.post(f"{URL}/nan-police", data=edit).status_code == 403  # no CSRF token
    assert _post(client, token, f"{URL}/nan-police", edit).status_code == 303
    assert _name("nan-police") == "Renamed by the wrong agency"
    client, token = login(gateway, "root")  # a system admin may change every service
    assert _post(client, token, f"{URL}/nan-shelter",
                 _form("nan-shelter", district="Mueang Nan")).status_code == 303
    assert in_session(lambda s: by_external_id(s, "nan-shelter").district) == "Mueang Nan"


def test_a_bad_edit_names_the_field_and_changes_nothing(gateway: Gateway,
                                                        directory: dict[str, int]) -> None:
    client, token = login(gateway, "shelter_admin")
    response = _post(client, token, f"{URL}/nan-shelter",
                     _form("nan-shelter", phones="+6654000001; 12345678", name_en="New name"))
    assert response.status_code == 422
    assert 'id="dir-errors"' in response.text and '<li data-field="phones">' in response.text
    assert "neither E.164" in response.text
    assert 'value="New name"' in response.text  # the values given are shown again
    response = _post(client, token, f"{URL}/nan-shelter",
                     _form("nan-shelter", national="false", province=""))
    assert response.status_code == 422 and "needs a province" in response.text
    response = _post(client, token, f"{URL}/nan-shelter",
                     _form("nan-shelter", province="Atlantis"))
    assert response.status_code == 422 and '<li data-field="province">' in response.text
    assert _name("nan-shelter") == "nan-shelter name"
    service_id = in_session(lambda s: by_external_id(s, "nan-shelter").id)
    assert in_session(history.changes_of, service_id) == []


def test_verify_edit_and_history_on_the_page(gateway: Gateway,
                                             directory: dict[str, int]) -> None:
    client, token = login(gateway, "shelter_lead")
    listing = client.get(URL).text
    assert 'id="dir-tak-medical" class="dir-row" data-stale="true"' in listing  # never verified
    assert 'id="dir-nan-shelter" class="dir-row" data-stale="false"' in listing
    assert 'id="dir-nan-police" class="dir-row" data-stale="true"' in listing  # 400 days
    assert 'id="dir-own-stale"' in listing  # tak-medical, kept by the shelter
    assert "?agency=shelter-nan&amp;stale=true" in listing
    stale_only = client.get(URL, params={"stale": "true"}).text
    assert "dir-tak-medical" in stale_only and "dir-nan-shelter" not in stale_only
    response = _post(client, token, f"{URL}/tak-medical/verify", {"how": "phoned the office"})
    assert response.status_code == 303
    assert 'id="dir-own-stale"' not in client.get(URL).text  # both of its services are fresh
    service = in_session(by_external_id, "tak-medical")
    assert service.last_verified == today() and service.verified_by == "shelter_lead"
    response = _post(client, token, f"{URL}/tak-medical",
                     _form("tak-medical", name_en="Nan hospital", languages="th; en; my"))
    assert response.status_code == 303
    page = client.get(response.headers["location"]).text
    assert 'id="dir-verification" data-stale="false"' in page
    assert "shelter_lead" in page
    changes = in_session(history.changes_of, service.id)
    assert [c.action for c in changes] == ["edited", "verified"]
    assert {(c["field"], c["old"], c["new"]) for c in changes[0].changes} == {
        ("name_en", "tak-medical name", "Nan hospital"), ("languages", "th; en", "th; en; my")}
    assert changes[1].note == "phoned the office"
    assert '<tr class="dir-change" data-action="edited">' in page
    assert '<del class="old">tak-medical name</del> → <ins class="new">Nan hospital</ins>' in page
    assert "phoned the office" in page
    assert _post(client, token, f"{URL}/tak-medical",  # the same values: nothing recorded
                 _form("tak-medical")).headers["location"].endswith("done=unchanged")
    assert len(in_session(history.changes_of, service.id)) == 2
    actions = [(e.username, e.action) for e in in_session(audit.entries)]
    assert ("shelter_lead", "directory_verified") in actions
    assert ("shelter_lead", "directory_edited") in actions


def test_retired_services_leave_every_search(gateway: Gateway,
                                             directory: dict[str, int]) -> None:
    def found() -> list[str]:
        result = in_session(search_services, ServiceQuery(province="Nan", limit=20))
        return [s.external_id for s in result.services]

    assert "nan-shelter" in found()
    service_id = in_session(lambda s: by_external_id(s, "nan-shelter").id)
    client, token = login(gateway, "shelter_admin")
    assert _post(client, token, f"{URL}/nan-shelter/retire",
                 {"retired": "true", "note": "closed down"}).status_code == 303
    assert "nan-shelter" not in found()
    assert client.get(f"/api/services/{service_id}").status_code == 404
    assert "dir-nan-shelter" not in client.get(URL).text
    page = client.get(f"{URL}/nan-shelter")  # kept, with its history
    assert page.status_code == 200 and 'id="dir-retired"' in page.text
    assert "closed down" in page.text
    assert "dir-nan-shelter" in client.get(URL, params={"retired": "true"}).text
    assert _post(client, token, f"{URL}/nan-shelter/retire",
                 {"retired": "false"}).status_code == 303
    assert "nan-shelter" in found()
    actions = [c.action for c in in_session(history.changes_of, service_id)]
    assert actions == ["restored", "retired"]


def test_an_agency_adds_a_service_it_then_keeps(gateway: Gateway,
                                                directory: dict[str, int]) -> None:
    client, token = login(gateway, "shelter_admin")
    assert client.get(f"{URL}/new").status_code == 200
    new = {"id": "nan-legal-clinic", "type": "legal_aid", "name_en": "Nan legal clinic",
           "province": "น่าน", "phones": "+6654000003", "source": "phoned", "confidence": "high",
           "languages": ["th", "my"]}  # one checkbox per language
    bad = _post(client, token, f"{URL}/new", {**new, "id": "Bad Id!"})
    assert bad.status_code == 422 and '<li data-field="id">' in bad.text
    dup = _post(client, token, f"{URL}/new", {**new, "id": "nan-police"})
    assert dup.status_code == 422 and "exists already" in dup.text
    response = _post(client, token, f"{URL}/new", new)
    assert response.status_code == 303
    service = in_session(by_external_id, "nan-legal-clinic")
    assert service.province == "Nan" and service.sample is False
    assert service.languages == ["th", "my"]
    kept = in_session(lambda s: agencies.by_code(s, "shelter-nan").directory_services)
    assert "nan-legal-clinic" in kept
    assert [c.action for c in in_session(history.changes_of, service.id)] == ["created"]
    page = client.get(response.headers["location"]).text
    assert 'id="dir-edit"' in page and 'data-action="created"' in page
    assert 'value="my" checked' in page  # the edit form shows the languages chosen
    assert ">th;my<" not in page  # language names, never codes


def test_gaps_report_counts_the_known_data(gateway: Gateway,
                                          directory: dict[str, int]) -> None:
    report = in_session(gaps)
    assert report.cell("Nan", "shelter").real == 1 and report.cell("Nan", "shelter").verified == 1
    assert report.cell("Nan", "legal_aid").real == 1
    assert report.cell("Nan", "legal_aid").verified == 0  # 400 days old
    assert report.cell("Tak", "shelter").gap  # only a sample there
    assert report.cell("Tak", "medical").real == 1
    assert report.national["hotline"].real == 1
    total = len(report.provinces) * len(report.types)
    assert len(report.provinces) == 77 and len(report.type_gaps) == total - 3
    assert report.unspoken == ["km", "lo"]  # the sample speaks km: samples do not count
    assert report.spoken("Nan", "my").real == 1 and report.spoken("Tak", "my").gap
    client, _ = login(gateway, "shelter_worker")
    page = client.get(f"{URL}/gaps")
    assert page.status_code == 200
    assert f"{total - 3} " in page.text  # dir_gaps_cells
    assert '<tr data-language="km" data-gap="true">' in page.text
    assert '<tr data-language="my" data-gap="false">' in page.text
    download = client.get(f"{URL}/gaps.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    by_key = {(r["kind"], r["province"], r["item"]): r for r in rows}
    assert by_key[("service_type", "Nan", "shelter")] == {
        "kind": "service_type", "province": "Nan", "item": "shelter", "real_services": "1",
        "verified_services": "1", "gap": "false"}
    assert by_key[("service_type", "Tak", "shelter")]["gap"] == "true"
    assert by_key[("service_type", "(national)", "hotline")]["real_services"] == "1"
    assert by_key[("language", "(all)", "km")]["gap"] == "true"
    assert by_key[("language", "(all)", "th")]["real_services"] == "4"
    gaps_rows = [r for r in rows if r["kind"] == "service_type" and r["province"] != "(national)"]
    assert sum(r["gap"] == "true" for r in gaps_rows) == total - 3


def test_a_service_page_in_thai_shows_the_data_in_thai_and_reads_hours_in_thai_words(
        gateway: Gateway, directory: dict[str, int]) -> None:
    from content.catalogue import text

    in_session(upsert_records, [_record(
        "nan-clinic", "medical", "Nan", name_th="คลินิกน่าน", description_en="A clinic.",
        description_th="คลินิก", opening_hours="Mon-Fri 08:30-16:30",  # as imported
        source_url=["https://example.org/nan"], phones=["+6654000009"])])
    client, token = login(gateway, "root")  # the Thai interface
    page = client.get(f"{URL}/nan-clinic").text
    assert "<title>คลินิกน่าน</title>" in page
    details = page.split('id="dir-details"')[1].split("</table>")[0]
    assert 'data-field="description_th"' in details and "A clinic." not in details
    assert text("dashboard_directory", "dir_type_medical", "th") in details
    assert "น่าน" in details and ">Nan<" not in details  # the province in Thai
    assert '<a href="https://example.org/nan"' in details
    thai_hours = "จันทร์–ศุกร์ 08:30–16:30"
    assert thai_hours in details
    assert f'name="opening_hours" value="{thai_hours}"' in page  # the form, in words too
    assert "mon-fri" not in page.split('id="dir-edit"')[1].lower()
    assert _post(client, token, f"{URL}/nan-clinic", _form(
        "nan-clinic", opening_hours=thai_hours)).headers["location"].endswith("done=unchanged")
    assert _post(client, token, f"{URL}/nan-clinic", _form(
        "nan-clinic", opening_hours="จันทร์–เสาร์ 08:00–12:00, อาทิตย์ 09:00–10:00",
        confidence="high")).status_code == 303
    stored = in_session(by_external_id, "nan-clinic")
    assert stored.opening_hours == "mon-sat 08:00-12:00, sun 09:00-10:00"
    history_html = client.get(f"{URL}/nan-clinic").text.split('id="dir-history"')[1]
    assert "จันทร์–เสาร์ 08:00–12:00" in history_html  # old and new values in the reader's words
    assert text("dashboard_directory", "dir_confidence_high", "th") in history_html
    assert ">high<" not in history_html and "mon-" not in history_html


def test_a_sample_card_in_thai_says_sample_once(app_env: str) -> None:
    """The bundled samples are labelled by every surface (the card's label); their names do not
    carry a second "(ตัวอย่าง)"."""
    from sqlalchemy import select

    from referral_directory.bundled import load_bundled
    from referral_directory.cards import service_card
    from referral_directory.models import Service

    with session_scope() as session:
        load_bundled(session, include_samples=True)
        samples = list(session.scalars(select(Service).where(Service.sample.is_(True))))
        assert len(samples) > 100
        for service in samples:
            for language, word in (("th", "ตัวอย่าง"), ("en", "sample")):
                name = service_card(service, language)["name"]
                assert name.lower().count(word) == 1, name


def test_a_sample_suggested_on_a_thai_case_page_is_labelled_once(gateway: Gateway,
                                                                  app_env: str) -> None:
    from referral_directory.bundled import load_bundled

    with session_scope() as session:
        load_bundled(session, include_samples=True)
    in_session(add_caseworker, "worker", PASSWORD, "caseworker", None)
    thai = gateway.create_case(conversation_id="c-rayong", priority="high", source="request",
                               language="th", province="Rayong").json()["id"]
    lao = gateway.create_case(conversation_id="c-rayong-lo", priority="high", source="request",
                              language="lo", province="Rayong").json()["id"]
    client, _ = login(gateway, "worker")
    for case_id, words in ((thai, ("ตัวอย่าง",)), (lao, ("ຕົວຢ່າງ", "ตัวอย่าง"))):
        page = client.get(f"/dashboard/cases/{case_id}").text
        cards = page.split('class="service" data-service-id=')[1:]
        assert cards, "Rayong has only samples: they are suggested"
        for card in cards:
            shown = card.split("<small>")[0]
            for word in words:  # the person's label; the interface's word when it differs
                assert shown.count(word) == 1, shown
