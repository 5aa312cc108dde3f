"""The ``matcher`` command line. Each command is a thin wrapper over the library."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from matcher import standard
from matcher.config import get_settings
from matcher.curate import CurationError
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
    if args.check_source and not problems:
        if standard.dump(standard.build()) != path.read_text(encoding="utf-8"):
            problems.append(f"{path} differs from re-parsing the source with the overlay; run 'matcher standard "
                            "build' and review the diff")
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{path}: valid ({standard.summary(standard.load() if not args.file else _load_any(path))})")
    return 0


def _load_any(path: Path) -> standard.Standard:
    return standard.Standard.model_validate_json(path.read_text(encoding="utf-8"))


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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, ParseError, CurationError, FileNotFoundError) as exc:
        print(f"matcher: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

