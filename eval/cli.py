"""``matcher eval``: the evaluation harness from the command line (the command line calls ``run``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from matcher.config import Settings
from matcher.errors import MatcherError


class ConfigError(MatcherError):
    """A ``--config`` that is not a setting; code ``usage``."""

    code = "usage"


def eval_settings(pairs: list[str]):  # noqa: ANN202 - Settings, imported lazily
    """Settings from the environment, overridden by ``--config KEY=VALUE`` pairs or JSON files of such pairs."""


    overrides: dict[str, object] = {}
    for pair in pairs:
        if "=" in pair:
            key, value = pair.split("=", 1)
            overrides[key.strip()] = value.strip()
        else:
            try:
                loaded = json.loads(Path(pair).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ConfigError(f"--config {pair}: not KEY=VALUE and not a readable JSON file ({exc})") from None
            if not isinstance(loaded, dict):
                raise ConfigError(f"--config {pair}: the JSON file must hold an object of settings")
            overrides |= loaded
    unknown = sorted(set(overrides) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(f"--config: unknown setting(s) {', '.join(unknown)}; see matcher/config.py")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(f"--config: {exc}") from None


def run(args: argparse.Namespace) -> int:
    from eval.report import headline
    from eval.run import evaluate

    settings = eval_settings(args.config)
    datasets = [Path(d) for d in args.dataset] if args.dataset else None
    for d in datasets or []:
        if not d.is_file():
            raise ConfigError(f"{d}: no such dataset file")
    out = Path(args.out)
    doc = evaluate(datasets, out, settings, resamples=args.resamples, progress=not args.quiet)
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
