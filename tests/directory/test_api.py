"""Directory HTTP API on the real app database (TestClient, SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from referral_directory import api, history
from referral_directory.bundled import load_bundled
from referral_directory.vocab import SAMPLE_NOTICE
from saphan.db import reset_caches, session_scope

TOKEN = "test-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
NEW = {
    "id": "api-1",
    "type": "interpreter",
    "name_en": "Interpreter desk",
    "province": "Ranong",
    "latitude": 9.96,
    "longitude": 98.64,
    "languages": ["my", "th"],
    "phones": ["+66 77 123 456"],
    "source": "api test",
    "confidence": "medium",
    "sample": False,
}


@pytest.fixture
def client(app_env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SAPHAN_ADMIN_API_TOKEN", TOKEN)
    reset_caches()
    with session_scope() as session:
        load_bundled(session)
    app = FastAPI()
    app.include_router(api.router)
    with TestClient(app) as c:
        yield c


def test_search_by_type_and_province(client: TestClient) -> None:
    body = client.get("/api/services", params={"type": "shelter", "province": "ตาก"}).json()
    assert (body["scope"], body["widened"], body["count"]) == ("local", False, 2)
    real, item = body["items"]  # the sourced Mae Sot centre, then the sample
    assert (real["province"], real["sample"], real["notice"]) == ("Tak", False, None)
    assert item["province"] == "Tak" and item["sample"] is True
    assert item["notice"] == SAMPLE_NOTICE  # samples say so


def test_search_nearest_and_widening(client: TestClient) -> None:
    body = client.get(
        "/api/services", params={"type": "medical", "lat": 7.9, "lon": 98.4, "limit": 3}
    ).json()
    assert body["items"][0]["province"] == "Phuket"
    assert [i["distance_km"] for i in body["items"]] == sorted(
        i["distance_km"] for i in body["items"]
    )
    body = client.get("/api/services", params={"type": "hotline", "province": "Nan"}).json()
    assert (body["scope"], body["widened"]) == ("national", True)
    assert any(i["phones"] == ["1300"] and i["notice"] is None for i in body["items"])


@pytest.mark.parametrize(
    "params",
    [{"type": "spa"}, {"province": "Atlantis"}, {"lat": 13.7}, {"lang": "xx"}, {"limit": 0}],
)
def test_bad_queries_are_422(client: TestClient, params: dict) -> None:
    assert client.get("/api/services", params=params).status_code == 422


def test_get_one_and_404(client: TestClient) -> None:
    first = client.get("/api/services", params={"type": "embassy", "province": "Bangkok"}).json()
    sid = first["items"][0]["id"]
    assert client.get(f"/api/services/{sid}").json()["id"] == sid
    assert client.get("/api/services/999999").status_code == 404


def test_admin_needs_token(client: TestClient) -> None:
    assert client.post("/api/services", json=NEW).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.post("/api/services", json=NEW, headers=bad).status_code == 401
    assert client.delete("/api/services/1", headers=bad).status_code == 401


def test_admin_create_update_delete(client: TestClient) -> None:
    created = client.post("/api/services", json=NEW, headers=AUTH)
    assert created.status_code == 201, created.text
    item = created.json()
    assert item["phones"] == ["+6677123456"] and item["notice"] is None
    assert client.post("/api/services", json=NEW, headers=AUTH).status_code == 409
    bad = client.post("/api/services", json={**NEW, "id": "api-2", "province": "X"}, headers=AUTH)
    assert bad.status_code == 422 and "province" in bad.text
    sid = item["id"]
    updated = client.put(f"/api/services/{sid}", json={**NEW, "name_en": "Desk 2"}, headers=AUTH)
    assert updated.status_code == 200 and updated.json()["name_en"] == "Desk 2"
    assert client.get(f"/api/services/{sid}").json()["name_en"] == "Desk 2"
    moved = client.put(f"/api/services/{sid}", json={**NEW, "id": "other"}, headers=AUTH)
    assert moved.status_code == 422
    with session_scope() as session:  # API writes are in the history too (who: "api")
        assert [(c.username, c.action) for c in history.changes_of(session, sid)] == [
            ("api", "edited"), ("api", "created")]
    assert client.delete(f"/api/services/{sid}", headers=AUTH).status_code == 204
    assert client.get(f"/api/services/{sid}").status_code == 404


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/api/services"])
    assert {"get", "put", "delete"} <= set(spec["paths"]["/api/services/{service_id}"])
    params = {p["name"] for p in spec["paths"]["/api/services"]["get"]["parameters"]}
    assert params == {"type", "province", "lat", "lon", "lang", "open_now", "limit"}


def test_gateway_app_serves_the_directory(app_env: str) -> None:
    from gateway.app import create_app

    paths = create_app().openapi()["paths"]
    assert "/api/services" in paths and "/api/services/{service_id}" in paths


def test_search_near_a_town_shows_sources_and_flags(client: TestClient) -> None:
    body = client.get("/api/services", params={"type": "shelter", "province": "แม่สอด"}).json()
    first = body["items"][0]  # by distance from Mae Sot, not from the province seat
    assert first["external_id"] == "police-screening-centre-mae-sot"
    assert first["distance_km"] == 0.0 and body["scope"] == "local"
    assert first["source_url"] and first["source_note"]
    assert (first["needs_phone"], first["sample"], first["last_verified"]) == (
        True, False, "2026-12-01")
    assert first["open_now"] is False  # no hours known
    one = client.get(f"/api/services/{first['id']}").json()
    assert one["source_url"] == first["source_url"] and one["open_now"] is None
    assert client.get("/api/services", params={"province": "Atlantis"}).status_code == 422
