"""``POST /v1/checklist``: ticked statement ids in, the result of ``/v1/match`` out (no encoder call), and every
mistake a 4xx problem with its code. On the hashing-encoder matcher (conftest.py): the checklist reads no text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from helpers import is_problem

from api.app import create_app
from matcher.config import Settings
from matcher.engine import Matcher, MatchResult

UNLIMITED = {"client_rate": 0, "client_budget": 0, "client_concurrency": 0}


@pytest.fixture(scope="module")
def client(hash_matcher: Matcher) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(**UNLIMITED), matcher=hash_matcher, static_dir=None)) as c:
        yield c


def _ids(m: Matcher, clause: int) -> list[str]:
    return [st.id for *_, st in m.occupation(clause).walk()]


def test_ticks_give_the_match_json_with_the_card_first(client: TestClient, hash_matcher: Matcher) -> None:
    ticks = _ids(hash_matcher, 12)
    r = client.post("/v1/checklist", json={"statements": ticks})
    assert r.status_code == 200, r.text
    res = MatchResult.model_validate(r.json())
    assert res.kind == "checklist" and res.in_scope and len(res.occupations) == 3  # top: 3, as /v1/match
    best = res.occupations[0]
    assert best.clause == 12 and best.missing == [] and best.learning_plan == []
    assert all(c.source == "checklist" for c in best.covered)
    assert {mv.clause for mv in best.career_moves if mv.kind == "up"} == {13}
    # the same as the engine's own answer
    assert res == hash_matcher.checklist(ticks, None, 3)


def test_a_named_card_and_top(client: TestClient, hash_matcher: Matcher) -> None:
    ticks = _ids(hash_matcher, 13)[:4]
    r = client.post("/v1/checklist", json={"statements": ticks, "clause": 9, "top": 2})
    assert r.status_code == 200, r.text
    occs = r.json()["occupations"]
    assert occs[0]["clause"] == 9 and len(occs) == 2 and occs[1]["coverage"] > occs[0]["coverage"]
    assert occs[1]["learning_plan"] and {p["id"] for p in occs[1]["learning_plan"]} == {m["id"] for m in
                                                                                     occs[1]["missing"]}


def test_lang_gives_texts_in_one_language(client: TestClient, hash_matcher: Matcher) -> None:
    ticks = _ids(hash_matcher, 11)[:6]
    r = client.post("/v1/checklist", json={"statements": ticks, "lang": "ru", "top": 1})
    assert r.status_code == 200, r.text
    best = r.json()["occupations"][0]
    assert best["clause"] == 11 and best["name"] == hash_matcher.occupation(11).name.ru
    assert all(isinstance(p["why"], str) and "трудовой функции" in p["why"] for p in best["learning_plan"])


def test_summary_is_compact(client: TestClient, hash_matcher: Matcher) -> None:
    ticks = _ids(hash_matcher, 15)[::2]
    full = client.post("/v1/checklist", json={"statements": ticks, "top": 3})
    summary = client.post("/v1/checklist", json={"statements": ticks, "top": 3, "detail": "summary", "lang": "en"})
    assert full.status_code == summary.status_code == 200
    body = summary.json()
    assert body["occupations"][0]["clause"] == 15 and len(body["occupations"][0]["learning_plan"]) <= 8
    assert len(summary.content) < len(full.content) / 3


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"statements": []}, 422, "empty"),
    ({"statements": ["Q88100061/13/LF1/S1/A1", "nope"]}, 422, "unknown_statement"),
    ({"statements": ["Q88100061/13/LF1/S1/A1"], "clause": 7}, 422, "unknown_occupation"),
    ({"statements": ["Q88100061/13/LF1/S1/A1"], "top": 0}, 422, "validation"),
    ({"statements": "Q88100061/13/LF1/S1/A1"}, 422, "validation"),
    ({"clause": 13}, 422, "validation"),
])
def test_mistakes_are_problems_with_a_code(client: TestClient, body: dict, status: int, code: str) -> None:
    assert is_problem(client.post("/v1/checklist", json=body), status, code)


def test_too_many_ticks_and_other_bodies(client: TestClient, hash_matcher: Matcher) -> None:
    every = [st.id for st in hash_matcher.rows]
    assert client.post("/v1/checklist", json={"statements": every}).status_code == 200  # all of them: fine
    assert is_problem(client.post("/v1/checklist", json={"statements": every + every[:1]}), 422, "validation")
    assert is_problem(client.post("/v1/checklist", content=b"{not json", headers={"content-type": "application/json"}),
                      400, "invalid_json")
    assert is_problem(client.post("/v1/checklist", files={"statements": ("a.txt", b"x")}), 415,
                      "unsupported_media_type")


def test_the_openapi_document_lists_the_checklist(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    op = spec["paths"]["/v1/checklist"]["post"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ChecklistRequest") and "ChecklistRequest" in spec["components"]["schemas"]
    assert "statements" in spec["components"]["schemas"]["ChecklistRequest"]["properties"]
