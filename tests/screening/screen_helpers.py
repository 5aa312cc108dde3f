"""Helpers of the screening tests: a pool of realistic CVs made from the team's eval texts, and a matcher factory
on the deterministic hashing encoder (``conftest.HashingEncoder``) that worker processes and Ray actors can build.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from conftest import HashingEncoder

from matcher.config import Settings
from matcher.engine import Matcher

ROOT = Path(__file__).resolve().parents[2]
EVAL = ROOT / "eval" / "data"

NAMES = ["Айгерім Сәрсенова", "Данияр Оспанов", "Ольга Ким", "Марат Жумабаев", "Anna Petrova", "Гүлнар Әлиева"]


def eval_items(kind: str) -> list[dict]:
    items = []
    for name in ("dev.jsonl", "test.jsonl", "dev_real.jsonl", "test_real.jsonl"):
        items += [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line]
    return [it for it in items if it["kind"] == kind]


def make_cvs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` CVs ``(id, text)``: eval CVs with a name and phone line, sentences reordered, years changed, and now and
    then a sentence of another CV of the same card; unique ids."""
    rng = random.Random(seed)
    cvs = eval_items("cv")
    by_card: dict[int, list[dict]] = {}
    for it in cvs:
        by_card.setdefault(it.get("gold_clause") or 0, []).append(it)
    out = []
    for i in range(n):
        base = cvs[i % len(cvs)]
        sentences = [s for s in re.split(r"(?<=[.!?])\s+|\n+", base["text"]) if s.strip()]
        if len(sentences) > 3:
            head, rest = sentences[:1], sentences[1:]
            rng.shuffle(rest)
            sentences = head + rest
        other = rng.choice(by_card.get(base.get("gold_clause") or 0, cvs))
        extra = [s for s in re.split(r"(?<=[.!?])\s+|\n+", other["text"]) if s.strip()]
        if extra and rng.random() < 0.5:
            sentences.append(rng.choice(extra))
        text = "\n".join(sentences)
        text = re.sub(r"\b(\d{1,2})(\s*(?:лет|года|год|жыл|years?))", lambda m: f"{rng.randint(1, 15)}{m.group(2)}",
                      text)
        name = NAMES[i % len(NAMES)]
        out.append((f"cv-{i:04d}", f"{name}\nТел.: +7 701 {rng.randint(100, 999)} {rng.randint(10, 99)} "
                    f"{rng.randint(10, 99)}\n{text}"))
    return out


def vacancy_text(clause: int = 13) -> str:
    return next(it["text"] for it in eval_items("vacancy") if it.get("gold_clause") == clause)


def hash_matcher(settings: Settings) -> Matcher:
    """The test matcher on the hashing encoder (picklable by reference: worker processes and actors build it)."""
    return Matcher.create(settings, encoder=HashingEncoder())


def cached_hash_matcher(settings: Settings) -> Matcher:
    """``hash_matcher`` behind the segment vector cache of ``settings.vector_cache``."""
    from matcher.engine.screening import CachingEncoder, SegmentVectorCache

    enc = HashingEncoder()
    assert settings.vector_cache is not None
    return Matcher.create(settings, encoder=CachingEncoder(enc, SegmentVectorCache(settings.vector_cache, enc.id,
                                                                                   enc.dim)))
