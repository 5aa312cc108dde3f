"""The commands of ``matcher`` over the core: standard data, index, embeddings, matching and screening.

Each command is a thin wrapper over one library call; ``args.settings`` (read once by ``matcher.cli.main``) is
passed down to it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from matcher import standard
from matcher.config import Settings
from matcher.errors import MatcherError
from matcher.files import write_atomic
from matcher.standard.parse import parse_file
from matcher.standard.schema import Text

if TYPE_CHECKING:
    from matcher.engine import Matcher


class UserError(MatcherError):
    """A command-line mistake the user can fix (a missing file, a bad option); code ``usage``."""

    code = "usage"


def _standard_parse(args: argparse.Namespace) -> int:
    std = parse_file(args.source)
    text = standard.dump(std)
    if args.output:
        write_atomic(Path(args.output), text)
        print(standard.summary(std), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _standard_build(args: argparse.Namespace) -> int:
    std = standard.build(args.settings)
    out = Path(args.output) if args.output else args.settings.dataset_path
    write_atomic(out, standard.dump(std))
    print(f"{standard.summary(std)} -> {out}", file=sys.stderr)
    return 0


def _standard_validate(args: argparse.Namespace) -> int:
    path = Path(args.file) if args.file else args.settings.dataset_path
    problems = standard.validate_file(path)
    rebuilt = standard.dump(standard.build(args.settings)) if args.check_source and not problems else None
    if rebuilt is not None and rebuilt != path.read_text(encoding="utf-8"):
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


def _levels(levels: list[int]) -> str:
    """A card's SBSh range as printed: "4" or "3-4"."""
    return "-".join(map(str, sorted({min(levels), max(levels)})))


def _standard_show(args: argparse.Namespace) -> int:
    std = standard.load(args.settings)
    if args.card is None:
        for occ in std.occupations:
            lv = _levels(occ.sbsh_levels)
            print(f"{occ.clause:>3}  {occ.code}  SBSh {lv:<4} {occ.name.get(args.lang)}")
        return 0
    try:
        occ = std.occupation(args.card)
    except KeyError as exc:
        raise UserError(exc.args[0]) from None
    print(standard.render(occ, args.lang))
    return 0


def _standard_export(args: argparse.Namespace) -> int:
    std = standard.load(args.settings)
    sys.stdout.write(standard.dump(std))
    return 0


@contextlib.contextmanager
def _torch_hidden() -> Iterator[None]:
    """Hide torch while the text pipeline is first imported: thinc, spaCy's machine-learning library, imports torch
    whenever it is installed (about 1 s of a cold start), though the spaCy pipelines of ``matcher.text`` are blank
    tokenizers that never touch it. thinc then records "no torch"; an import of torch afterwards (the torch runtimes
    of ``e5``) loads it as usual."""
    if "torch" in sys.modules or "thinc" in sys.modules:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError meanwhile
    try:
        yield
    finally:
        if "torch" in sys.modules and sys.modules["torch"] is None:
            del sys.modules["torch"]


def _import_text_pipeline() -> None:
    """``matcher.text`` (and so spaCy) imported with torch hidden; only that: scipy, imported by the engine, looks
    torch up in ``sys.modules`` and must find it absent, not hidden."""
    with _torch_hidden():
        import matcher.text  # noqa: F401


def _read_input(path: str, settings: Settings) -> str:
    """Text of a CV/vacancy file (text, PDF or DOCX, by content) or of stdin ('-')."""
    _import_text_pipeline()
    from matcher.errors import DocumentError
    from matcher.text.documents import DocumentLimits, extract

    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        p = Path(path)
        if not p.is_file():
            raise UserError(f"{path}: no such file")
        data = p.read_bytes()
    try:
        limits = DocumentLimits(max_chars=settings.max_chars)
        doc = extract(data, limits, truncate=True)
    except DocumentError as exc:
        raise UserError(f"{path}: {exc}") from None
    if doc.truncated:
        print(f"matcher: warning: {path}: text cut to {limits.max_chars} characters (MATCHER_MAX_CHARS)",
              file=sys.stderr)
    return doc.text


def _matcher(settings: Settings, one_shot: bool = False) -> Matcher:
    """The engine. ``one_shot``: one or a few documents in this fresh process (``match``, ``screen``), so the
    encoder's automatic runtime choice may prefer the fastest to start (``matcher.encoders.create_encoder``)."""
    _import_text_pipeline()
    from matcher.encoders import get_encoder
    from matcher.engine import Matcher

    return Matcher.create(settings, encoder=get_encoder(settings, one_shot=one_shot))


def _index_build(args: argparse.Namespace) -> int:
    from matcher import index as index_mod
    from matcher.encoders import get_encoder

    s = args.settings
    std = standard.load(s)
    enc = get_encoder(s, args.encoder)
    idx, rebuilt = index_mod.load_or_build(std, s.dataset_path, enc, s.languages(), s, s.contrast_path,
                                           force=args.force)
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
    enc = create_encoder(args.settings, args.encoder)
    if args.verbose:
        describe = getattr(enc, "describe_runtime", None)
        print(f"matcher: encoder {enc.id}: " + (describe() if describe else "one runtime (no choice to make)"),
              file=sys.stderr)
    vectors = enc.queries(lines) if args.side == "query" else enc.passages(lines)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(lines), enc.dim)
    with open(args.output, "wb") as fh:  # exactly this path (np.save on a name would append '.npy')
        np.save(fh, vectors)
    print(f"{len(lines)} lines -> {args.output} ({enc.id}, {args.side}, dim {enc.dim})", file=sys.stderr)
    return 0


_KIND_WORD = {"ability": Text(kk="машығы", ru="умение", en="skill"),
              "knowledge": Text(kk="білімі", ru="знание", en="knowledge")}
_MANDATORY_WORD = {True: Text(kk="міндетті", ru="обязательная", en="mandatory"),
                   False: Text(kk="қосымша", ru="дополнительная", en="additional")}


def _print_result(res, as_json: bool) -> None:  # noqa: ANN001
    if as_json:
        print(res.model_dump_json())
        return
    print(f"{res.kind} · language {res.language} · {res.segments} segments")
    ev = res.level_evidence
    print(f"education: {ev.education} · experience: {ev.years:g} years · managerial: {ev.managerial}")
    if not res.in_scope:
        print("\nThis text does not match any occupation of this standard (social work and the other professions "
              "of the social sphere, Q88100061): no level or learning plan is given for it.")
        return
    for o in res.occupations:
        lv = _levels(o.sbsh_levels)
        print(f"\n{o.score:.2f}  card {o.clause} {o.name.get(res.language)} [{o.code}] "
              f"SBSh {o.sbsh_level} (card {lv}) · covers {len(o.covered)}, misses {len(o.missing)}")
        if o.title:
            print(f"      title: {o.title[:120]}")
    best = res.occupations[0]
    if best.covered:
        print("\ncovered (best card):")
        for c in best.covered[:10]:
            why = c.evidence[:120] if c.source == "text" else \
                "(no sentence says it plainly: suggested by the text as a whole)"
            print(f"  {c.score:.2f} {c.text.get(res.language)}\n       <- {why}")
    lang = res.language
    plan = best.learning_plan
    if plan:  # mandatory labour functions first (*), then by what each adds to the card's coverage
        print(f"\nlearning plan (best card: the first {min(8, len(plan))} of {len(plan)}; * the card's level "
              "requires it):")
        shown = plan[:8]
        for p in shown:
            print(f"  {'*' if p.required else ' '} +{p.gain:.3f} LF{p.labour_function.number}/S{p.skill.number} "
                  f"{_KIND_WORD[p.kind].get(lang)}: {p.text.get(lang)}")
        # each labour function named once, not under every item (its reason, ``why``, is in --json)
        functions = {p.labour_function.number: p.labour_function for p in shown}
        for n, lf in sorted(functions.items()):
            duty = _MANDATORY_WORD[lf.mandatory is not False].get(lang)
            print(f"      LF{n} ({duty}): {lf.title.get(lang)}")
    if best.career_moves or best.beyond_standard:
        print("\ncareer moves (best card):")
        for mv in best.career_moves:
            lv = _levels(mv.sbsh_levels)
            print(f"  {mv.kind:<7} card {mv.clause} {mv.name.get(lang)} (SBSh {lv}): covers {mv.gap.covered} of "
                  f"{mv.gap.total}, {mv.gap.missing} to learn")
        for r in best.beyond_standard:
            lv = _levels(r.sbsh_levels)
            print(f"  onward  {r.name.get(lang)} (SBSh {lv}): an occupation outside this standard")


def _match(args: argparse.Namespace) -> int:
    from matcher.errors import InputError

    text = _read_input(args.file, args.settings)
    try:
        res = _matcher(args.settings, one_shot=True).match(text, args.kind, args.top)
    except InputError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    if args.lang or args.detail == "summary":  # one language, or the summary: always JSON
        from matcher.engine.views import render

        print(render(res, args.lang, args.detail))
    else:
        _print_result(res, args.json)
    return 0


def jsonl_item(path: str | Path, n: int, line: str) -> dict:
    """One line of a JSONL input (match-batch, screening pools): a JSON object with a 'text' string
    (``UserError`` naming the line)."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}:{n}: not JSON ({exc.msg})") from None
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise UserError(f"{path}:{n}: each line needs a 'text' string")
    return item


def _read_jsonl(path: str) -> list[dict]:
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
    return [jsonl_item(path, n, line) for n, line in enumerate(lines, start=1) if line.strip()]


def _match_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from matcher.engine.views import view

    if args.stream:
        return _match_stream(args)
    items = _read_jsonl(args.input)
    m = _matcher(args.settings)
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
                    line = {"id": it.get("id")} | view(res, args.lang, args.detail)
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


def _match_stream(args: argparse.Namespace) -> int:
    """``match-batch --stream``: the engine loads once, then each input line is answered (and flushed) as soon as
    it is read, so a script can keep one warm process instead of paying the start-up per document. A line that is
    not a JSON object with 'text', or a text that cannot be matched, gets an 'error' line; the stream goes on."""
    from matcher.engine.views import view

    if args.input == "-":
        source = sys.stdin
    elif Path(args.input).is_file():
        source = open(args.input, encoding="utf-8")  # noqa: SIM115 - closed below
    else:
        raise UserError(f"{args.input}: no such file")
    m = _matcher(args.settings)
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout  # noqa: SIM115
    try:
        for n, raw in enumerate(source, start=1):
            if not raw.strip():
                continue
            try:
                item = jsonl_item(args.input, n, raw)
            except UserError as exc:
                line: dict = {"id": None, "error": str(exc)}
            else:
                kind = item.get("kind") if item.get("kind") in ("cv", "vacancy") else "cv"
                res = m.match_many([item["text"]], [kind], args.top)[0]
                line = {"id": item.get("id")} | ({"error": res} if isinstance(res, str)
                                                 else view(res, args.lang, args.detail))
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
    finally:
        if args.output:
            out.close()
        if source is not sys.stdin:
            source.close()
    return 0


def _report(args: argparse.Namespace) -> int:
    """``matcher report FILE``: the PDF report of one CV or vacancy (``api.report``, as ``POST /v1/report``)."""
    from matcher.errors import InputError

    try:
        from api import report
    except ImportError as exc:
        raise UserError(f"the PDF report needs fpdf2: pip install -e '.[api]' ({exc})") from None
    try:
        report.require_font()
    except report.ReportUnavailable as exc:
        raise UserError(str(exc)) from None
    text = _read_input(args.file, args.settings)
    try:
        res = _matcher(args.settings, one_shot=True).match(text, args.kind, args.top)
    except InputError as exc:
        raise UserError(f"{args.file}: {exc}") from None
    lang = args.lang or res.language
    out = Path(args.out)
    write_atomic(out, report.render(res, lang))
    best = res.occupations[0]
    what = f"card {best.clause} {best.name.get(lang)}" if res.in_scope else "outside this standard"
    print(f"report ({lang}, {what}) -> {out}", file=sys.stderr)
    return 0
