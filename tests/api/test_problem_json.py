"""Every 4xx is RFC 9457 problem+json with a detail a person can act on — unknown paths, wrong methods,
ids past the database's range, unreadable bodies, values PostgreSQL cannot store — and the OpenAPI
document says so. Each case here is one the fuzzer (tests/fuzz) found answering 500 or undocumented."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"
BIG = 6402373705728001  # past PostgreSQL integer (and what the fuzzer sent)


def problem(r, status: int, *words: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM, r.headers["content-type"]
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]
    for w in words:
        assert w in body["detail"], body["detail"]
    return body


def test_an_unknown_path_is_a_404_problem(client):
    problem(client.get("/api/nothing-here"), 404, "/api/nothing-here")
    problem(client.post("/no/such/page"), 404, "/no/such/page")  # not a 405 from the static files


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("GET", "/api/auth/token", "POST"),  # was a 404: the page's static files answered
        ("OPTIONS", "/api/warnings/1", "GET, PATCH, DELETE"),  # was "GET, HEAD"
        ("DELETE", "/api/runs", "GET"),
        ("PUT", "/api/warnings/feed.atom", "GET"),  # was a 422: feed.atom taken for a warning id
        ("POST", "/healthz", "GET"),
        ("OPTIONS", "/ack/some-token", "GET, POST"),
    ],
)
def test_a_wrong_method_is_a_405_problem_with_the_allowed_methods(client, method, path, allowed):
    r = client.request(method, path)
    problem(r, 405, method, allowed)
    assert r.headers["allow"] == allowed


def test_the_page_still_answers_405_for_a_method_it_does_not_take(client):
    r = client.post("/")
    problem(r, 405)
    assert r.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"/api/townships/risk?run={BIG}"),
        ("GET", "/api/shelters?township=000662501498&run=246866873244"),
        ("GET", f"/api/runs/{BIG}"),
        ("GET", f"/api/evacuation/plans/{BIG}"),
        ("GET", f"/api/evacuation/plans/{BIG}.geojson"),
        ("GET", f"/api/evacuation/plans/{BIG}/sheet"),
        ("GET", f"/api/evacuation/plans/1/changes?against={BIG}"),
        ("GET", f"/api/warnings/{BIG}"),
        ("GET", f"/api/warnings/{BIG}/deliveries"),
        ("POST", f"/api/warnings/{BIG}/cancel"),
        ("GET", f"/tiles/onemap/9/420/223.pbf?run={BIG}"),
        ("PATCH", f"/api/shelters/{BIG}"),
    ],
)
def test_ids_past_the_database_range_are_422_not_500(client, auth, method, path):
    body = problem(client.request(method, path, headers=auth("admin"), json={}), 422)
    assert "less than or equal to 2147483647" in body["detail"]


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/evacuation/plans/2147483000/sheet"),
        ("GET", "/api/evacuation/plans/2147483000/changes"),
        ("GET", "/api/warnings/2147483000/deliveries"),
        ("POST", "/api/warnings/2147483000/cancel"),
        ("GET", "/api/runs/2147483647"),
    ],
)
def test_unknown_ids_in_range_are_404(client, auth, method, path):
    problem(client.request(method, path, headers=auth("operator")), 404, "2147483")


def test_validation_errors_say_which_field(client, auth):
    body = problem(client.get("/api/runs/abc"), 422, "run_id")
    assert body["errors"][0]["loc"] == ["path", "run_id"]
    json = {**auth("operator"), "Content-Type": "application/json"}
    r = client.post("/api/warnings", content=b'{"hazard": ', headers=json)
    problem(r, 422, "the body is not valid JSON", "at character 11")
    problem(
        client.post("/api/warnings/1/cancel", content=b"\xff\xfe<\x00", headers=json), 422, "not valid JSON"
    )


def test_a_body_that_cannot_be_read_is_a_400_problem(client, auth):
    r = client.post(
        "/api/warnings/1/cancel",
        content=b"\xff",
        headers={**auth("operator"), "Content-Type": "application/json; charset=latin-1"},
    )
    problem(r, 400, "UTF-8")


def test_a_nul_character_is_a_422_problem_not_a_500(client, auth, published):
    h = auth("admin")
    new = {"code": "NUL-1", "name": "a\u0000b", "role": "county_duty", "phone": "13800000000"}
    problem(client.post("/api/recipients", json=new, headers=h), 422, "NUL")
    problem(client.patch("/api/recipients/a%00b", json={"name": "x"}, headers=h), 422, "NUL")
    problem(client.patch("/api/users/a%00b", json={"active": True}, headers=h), 422, "NUL")


@pytest.mark.parametrize(
    "headline, words",
    [
        ("暴雨\u0000预警", ["headline", "U+0000"]),
        ("暴雨\n预警", ["headline", "line break", "character 3"]),
        ("暴雨\u001b[31m预警", ["headline", "U+001B"]),
    ],
)
def test_warning_texts_refuse_control_characters(client, auth, published, headline, words):
    codes = [t["code"] for t in client.get("/api/townships/risk").json()["townships"]][:1]
    draft = {"hazard": "rain", "level": 2, "township_codes": codes, "headline": headline}
    problem(client.post("/api/warnings", json=draft, headers=auth("operator")), 422, *words)
    # a description may have lines and tabs
    ok = dict(draft, headline="暴雨黄色预警", description="第一行\n\t第二行")
    r = client.post("/api/warnings", json=ok, headers=auth("operator"))
    assert r.status_code == 201, r.text
    client.delete(f"/api/warnings/{r.json()['id']}", headers=auth("operator"))


@pytest.mark.parametrize(
    "options, words",
    [
        ({"walk_km": "far"}, ["options.walk_km", "number", "'far'"]),  # was a 500 (TypeError)
        ({"fleet": 3}, ["options.fleet", "object"]),
        ({"fleet": {"buses": "many"}}, ["options.fleet.buses", "whole number"]),
        ({"fleets": [1]}, ["options.fleets"]),
        ({"nonsense": 1}, ["unknown option", "nonsense", "walk_km"]),
        ({"candidates": 10**20}, ["options.candidates", "1..10000"]),
        ({"flood_level": 7}, ["options.flood_level", "1..4"]),
        ({"policy": "all"}, ["options.policy"]),
    ],
)
def test_evacuation_options_name_the_fault(client, auth, published, options, words):
    body = {"run_id": published.run_id, "options": options}
    problem(client.post("/api/evacuation/plans", json=body, headers=auth("operator")), 422, *words)


def test_a_nan_option_is_refused(client, auth, published):
    """JSON as Python reads it allows NaN; JSONB does not (it was a 500)."""
    raw = f'{{"run_id": {published.run_id}, "options": {{"walk_km": NaN}}}}'.encode()
    r = client.post(
        "/api/evacuation/plans",
        content=raw,
        headers={**auth("operator"), "Content-Type": "application/json"},
    )
    problem(r, 422, "options.walk_km")


def test_the_acknowledgement_page_answers_a_page_even_for_an_unknown_link(client):
    r = client.get("/ack/not-a-real-link-000000000000")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "链接无效" in r.text


def test_openapi_documents_every_4xx_as_problem_json(client):
    doc = client.get("/openapi.json").json()
    assert "Problem" in doc["components"]["schemas"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    pages = {"/ack/{token}"}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if not status.startswith("4") or (path in pages and status in ("404", "410", "429")):
                    continue
                assert list(response["content"]) == [PROBLEM], (method, path, status)
                ref = response["content"][PROBLEM]["schema"]["$ref"]
                assert ref == "#/components/schemas/Problem"
            if any(p["in"] == "path" and p["name"].endswith("_id") for p in op.get("parameters", [])):
                assert "404" in op["responses"], (method, path)
            if "security" in op:
                assert "401" in op["responses"] or path.startswith("/api/warnings"), (method, path)
