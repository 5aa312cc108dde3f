"""The evidence judge: P(this sentence shows this statement), read from the pair, not from two separate vectors.

A cross-encoder on multilingual-e5-small: the sentence and the statement go through the network together
(``<s> query: sentence </s></s> passage: statement </s>``), the mean of the last hidden states goes through one
linear unit, and a sigmoid gives the probability. Its weights are the 4-bit e5 weights as they are plus low-rank
(LoRA) factors and that unit, all in one committed adapter file (``models/adapters/judge-v1.*``, trained by
``python -m eval.judge`` on the statements' paraphrases and the dev split's labels), run by ONNX Runtime through the
adapter's graph that the converter builds into the model cache on first use (``models/convert.py``).

Two cosines say two texts are on the same topic; the engine's quoted sentences are mostly that, and not evidence (the
hand-checked claims: issue 11). The judge decides which covered statements a sentence really shows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import numpy as np

from matcher.config import Settings
from matcher.encoders.e5 import E5Encoder, _E5Tokenizer, _OnnxRunner, import_onnxruntime
from matcher.errors import EncoderError
from models.convert import Adapter, ModelCacheError, ensure_model, load_adapter

log = logging.getLogger(__name__)

JUDGE = "judge-v1"
HEAD = ("head.w", "head.b")  # the adapter's output unit: [hidden], [1]
MAX_SENTENCE_TOKENS = 96
MAX_STATEMENT_TOKENS = 64


def pair_ids(tok: _E5Tokenizer, sentences: Sequence[str], statements: Sequence[str]) -> list[list[int]]:
    """The judge's input ids of each (sentence, statement) pair: the sentence cut to ``MAX_SENTENCE_TOKENS`` and
    the statement to ``MAX_STATEMENT_TOKENS`` content tokens. Training (``eval.judge``) and the runtime both build
    their inputs here, so they cannot drift apart."""
    sent = tok.content_ids(list(sentences), "query: ")
    stmt = tok.content_ids(list(statements), "passage: ")
    return [[tok.bos, *a[:MAX_SENTENCE_TOKENS], tok.eos, tok.eos, *b[:MAX_STATEMENT_TOKENS], tok.eos]
            for a, b in zip(sent, stmt, strict=True)]


def batches(lengths: list[int], max_tokens: int = 4096, max_rows: int = 64) -> list[list[int]]:
    """Row indices per model call, in order of length, at most ``max_rows`` rows and ``max_tokens`` padded
    tokens each."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    out: list[list[int]] = []
    cur: list[int] = []
    for j in order:
        if cur and (len(cur) + 1 > max_rows or lengths[j] * (len(cur) + 1) > max_tokens):
            out.append(cur)
            cur = []
        cur.append(j)
    if cur:
        out.append(cur)
    return out


def padded(rows: list[list[int]], pad: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(r) for r in rows)
    ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


class EvidenceJudge:
    """``probabilities(sentences, statements)``: P(shown) per pair. Built beside an ``E5Encoder`` (it shares its
    tokenizer), or alone from settings. ``id`` names the adapter and its digest (the calibration records it)."""

    def __init__(self, settings: Settings, encoder: E5Encoder | None = None, name: str = JUDGE):
        t0 = time.perf_counter()
        try:
            self.adapter: Adapter = load_adapter(name)
        except ModelCacheError as exc:
            raise EncoderError(f"evidence judge {name!r}: {exc}", "model_cache") from exc
        missing = [k for k in HEAD if k not in self.adapter.factors]
        if missing:
            raise EncoderError(f"evidence judge {name!r}: the adapter has no output unit ({', '.join(missing)})",
                               "model_cache")
        self.w = self.adapter.factors["head.w"].astype(np.float32).ravel()
        self.b = float(self.adapter.factors["head.b"].ravel()[0])
        self.threshold = float(self.adapter.meta.get("threshold", 0.5))
        import_onnxruntime()
        reads = ["tokenizer.json", "normalizer.json", "config.json", self.adapter.onnx_file]
        try:
            folder = ensure_model(settings.model_cache_dir, files=reads)
        except ModelCacheError as exc:
            raise EncoderError(f"evidence judge {name!r}: {exc}", "model_cache") from exc
        if encoder is not None and getattr(encoder, "folder", None) == folder:
            self._tok = encoder._tok
        else:
            self._tok = _E5Tokenizer(folder)
        self._run = _OnnxRunner(folder, settings.threads, self.adapter.onnx_file.removeprefix("onnx/"),
                                settings.e5_spinning is not False)
        self.id = self.adapter.tag
        log.debug("evidence judge %s ready in %.2f s", self.id, time.perf_counter() - t0)

    def logits(self, sentences: Sequence[str], statements: Sequence[str]) -> np.ndarray:
        if len(sentences) != len(statements):
            raise ValueError("one statement per sentence")
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        rows = pair_ids(self._tok, sentences, statements)
        out = np.zeros(len(rows), dtype=np.float32)
        for batch in batches([len(r) for r in rows]):
            ids, mask = padded([rows[j] for j in batch], self._tok.pad)
            hidden = self._run(ids, mask)
            pooled = np.einsum("bld,bl->bd", hidden, mask.astype(np.float32)) / mask.sum(1, keepdims=True)
            out[batch] = pooled @ self.w + self.b
        return out

    def probabilities(self, sentences: Sequence[str], statements: Sequence[str]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(sentences, statements)))


def judge_for(settings: Settings, encoder: object) -> EvidenceJudge | None:
    """The judge for a matcher on ``encoder`` (or on a wrapper of it with ``inner``), or None: when
    ``settings.evidence_judge`` is off, or the encoder is not 'e5' without an adapter (the judge was trained on those
    weights and tokens), or the judge cannot load (logged; the engine then quotes every covered statement)."""
    inner = getattr(encoder, "inner", encoder)
    if not settings.evidence_judge or not isinstance(inner, E5Encoder) or inner.adapter is not None:
        return None
    try:
        return EvidenceJudge(settings, inner)
    except (EncoderError, ImportError, OSError) as exc:
        log.warning("matcher: the evidence judge is off: %s", exc)
        return None
