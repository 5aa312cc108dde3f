"""``lang`` and ``detail`` on ``POST /v1/match`` (JSON and form) and on ``matcher match`` / ``match-batch``.

The app and the command line run on the hashing encoder (a contract test: shapes and languages, not quality), with
the real standard. Without ``lang`` the answer is the full result in three languages, exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from helpers import EN_CV, KK_CV, RU_CV, is_problem

import matcher.cli.commands as commands
from api.app import create_app
from matcher.cli import main
from matcher.config import Settings
from matcher.engine import Matcher
from matcher.engine.views import MatchSummary

KAZAKH_ONLY = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
UNLIMITED = {"client_rate": 0, "client_budget": 0, "client_concurrency": 0}


@pytest.fixture(scope="module")
def client(hash_matcher: Matcher) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(index_dir=hash_matcher.s.index_dir, **UNLIMITED), matcher=hash_matcher)) as c:
        yield c


def texts_left(node: Any) -> int:
    if isinstance(node, dict):
        return 1 if set(node) == {"kk", "ru", "en"} else sum(texts_left(v) for v in node.values())
    return sum(texts_left(v) for v in node) if isinstance(node, list) else 0


def shown_texts(res: dict[str, Any]) -> str:
    """The card names and statement texts of an answer in one language."""
    return "".join([o["name"] for o in res["occupations"]] + [c["text"] for o in res["occupations"]
                                                            for c in o["covered"] + o["missing"]])


def test_without_lang_the_answer_is_unchanged(client: TestClient, hash_matcher: Matcher) -> None:
    res = client.post("/v1/match", json={"text": RU_CV}).json()
    assert res == hash_matcher.match(RU_CV.strip(), "cv", 3).model_dump(mode="json")
    assert isinstance(res["occupations"][0]["name"], dict) and texts_left(res) > 100


@pytest.mark.parametrize(("lang", "text"), [("kk", KK_CV), ("ru", KK_CV), ("en", RU_CV)])
def test_lang_gives_every_text_as_a_string_in_that_language(client: TestClient, hash_matcher: Matcher,
                                                            lang: str, text: str) -> None:
    r = client.post("/v1/match", json={"text": text, "lang": lang, "top": 2})
    assert r.status_code == 200
    res = r.json()
    assert texts_left(res) == 0
    full = hash_matcher.match(text.strip(), "cv", 2)
    assert [o["name"] for o in res["occupations"]] == [o.name.get(lang) for o in full.occupations]  # type: ignore
    assert [c["id"] for c in res["occupations"][0]["missing"]] == [m.id for m in full.occupations[0].missing]
    assert [p["why"] for p in res["occupations"][0]["learning_plan"]] == [
        p.why.get(lang) for p in full.occupations[0].learning_plan]  # type: ignore[arg-type]
    assert res["language"] == full.language  # the text's own language is still reported
    if lang == "kk":
        assert KAZAKH_ONLY & set(shown_texts(res))
    else:
        assert not KAZAKH_ONLY & set(shown_texts(res))


def test_summary_keeps_the_contract_fields_and_is_small(client: TestClient, hash_matcher: Matcher) -> None:
    full = client.post("/v1/match", json={"text": KK_CV, "top": 3})
    r = client.post("/v1/match", json={"text": KK_CV, "top": 3, "detail": "summary"})
    assert r.status_code == 200
    s = r.json()
    assert s["detail"] == "summary" and s["lang"] == s["language"] == "kk"  # no lang: the text's language
    for occ in s["occupations"]:
        assert {"clause", "score", "sbsh_level", "in_scope", "covered", "missing", "learning_plan",
                "career_moves"} <= set(occ)
        assert all(isinstance(c["id"], str) and isinstance(c["text"], str) for c in occ["covered"] + occ["missing"])
    ref = hash_matcher.match(KK_CV.strip(), "cv", 3)
    assert [o["clause"] for o in s["occupations"]] == [o.clause for o in ref.occupations]
    assert [m["id"] for m in s["occupations"][0]["missing"]] == [m.id for m in ref.occupations[0].missing]
    assert len(r.content) * 5 < len(full.content)  # the real sizes: bench/bench_sizes.py


def test_form_fields_lang_and_detail(client: TestClient) -> None:
    files = {"file": ("cv.txt", EN_CV.encode("utf-8"), "text/plain")}
    r = client.post("/v1/match", files=files, data={"lang": "ru", "detail": "summary", "top": "2"})
    assert r.status_code == 200
    s = r.json()
    assert s["lang"] == "ru" and s["language"] == "en" and len(s["occupations"]) == 2
    assert texts_left(s) == 0 and not KAZAKH_ONLY & set(shown_texts(s))
    r = client.post("/v1/match", files=files, data={"lang": "kk"})
    assert r.status_code == 200 and texts_left(r.json()) == 0 and "detail" not in r.json()
    r = client.post("/v1/match", files=files, data={"lang": "", "detail": ""})  # empty fields, as browsers send
    assert r.status_code == 200 and texts_left(r.json()) > 0


def test_bad_lang_or_detail_is_a_validation_problem(client: TestClient) -> None:
    assert is_problem(client.post("/v1/match", json={"text": EN_CV, "detail": "short"}), 422, "validation")
    assert is_problem(client.post("/v1/match", json={"text": EN_CV, "lang": "de", "detail": "summary"}), 422,
                      "validation")
    files = {"file": ("cv.txt", EN_CV.encode("utf-8"), "text/plain")}
    assert is_problem(client.post("/v1/match", files=files, data={"detail": "all"}), 422, "validation")


def test_the_openapi_answer_lists_the_three_shapes_and_they_validate(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    shapes = spec["paths"]["/v1/match"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"]
    refs = {s.get("$ref") for s in shapes}
    assert {"#/components/schemas/MatchResult", "#/components/schemas/MatchSummary"} <= refs
    one_language = next(s for s in shapes if "$ref" not in s)
    answer = client.post("/v1/match", json={"text": RU_CV, "lang": "ru"}).json()
    jsonschema.validate(answer, one_language)
    full = client.post("/v1/match", json={"text": RU_CV}).json()
    with pytest.raises(jsonschema.ValidationError):  # the three-language result is not the one-language shape
        jsonschema.validate(full, one_language)
    summary = client.post("/v1/match", json={"text": RU_CV, "detail": "summary"}).json()
    jsonschema.validate(summary, MatchSummary.model_json_schema(mode="serialization"))


# --- the command line ----------------------------------------------------------------------------------------


@pytest.fixture
def cli_on_hash(monkeypatch: pytest.MonkeyPatch, hash_matcher: Matcher) -> None:
    monkeypatch.setattr(commands, "_matcher", lambda settings, one_shot=False: hash_matcher)


@pytest.mark.usefixtures("cli_on_hash")
def test_cli_match_lang_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str], client: TestClient,
                                    hash_matcher: Matcher) -> None:
    cv = tmp_path / "cv.txt"
    cv.write_text(KK_CV, encoding="utf-8")
    assert main(["match", str(cv), "--json", "--lang", "ru", "--detail", "summary", "--top", "3"]) == 0
    out = json.loads(capsys.readouterr().out)
    api = client.post("/v1/match", json={"text": KK_CV, "lang": "ru", "detail": "summary"}).json()
    assert out == api  # the same answer as the API
    assert main(["match", str(cv), "--lang", "en", "--top", "1"]) == 0  # --lang alone: JSON in English
    one = json.loads(capsys.readouterr().out)
    assert texts_left(one) == 0 and len(one["occupations"]) == 1
    assert one["occupations"][0]["name"] == hash_matcher.match(KK_CV, "cv", 1).occupations[0].name.en
    assert main(["match", str(cv), "--json", "--top", "1"]) == 0  # no --lang: three languages, as before
    assert texts_left(json.loads(capsys.readouterr().out)) > 0


@pytest.mark.usefixtures("cli_on_hash")
def test_cli_match_batch_lang_and_summary(tmp_path: Path, hash_matcher: Matcher) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False)
                             for i, t in (("kk", KK_CV), ("ru", RU_CV))), encoding="utf-8")
    outs = {}
    for name, extra in (("full", []), ("ru", ["--lang", "ru"]), ("summary", ["--detail", "summary"])):
        out = tmp_path / f"{name}.jsonl"
        assert main(["match-batch", str(src), "-o", str(out), "--top", "3", *extra]) == 0
        outs[name] = out.read_bytes()
    lines = {k: [json.loads(x) for x in v.splitlines()] for k, v in outs.items()}
    assert [x["id"] for x in lines["summary"]] == ["kk", "ru"]
    assert [x["lang"] for x in lines["summary"]] == ["kk", "ru"]  # each line in its text's language
    assert all(texts_left(x) == 0 for x in lines["ru"] + lines["summary"])
    assert all(texts_left(x) > 0 for x in lines["full"])
    assert len(outs["summary"]) < len(outs["ru"]) < len(outs["full"])
