"""Where the labelled texts come from: every real-sourced item names its page, no page feeds both splits, and none
of the pages held out to score the product independently (``../shared/eval/held-out-sources.txt``) is used."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from eval.dataset import EvalItem, load_items

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "eval" / "data"
HELD_OUT = REPO.parent / "shared" / "eval" / "held-out-sources.txt"
FILES = ("dev.jsonl", "test.jsonl", "dev_real.jsonl", "test_real.jsonl")


def page_key(url: str) -> str:
    """One key per page, whatever the spelling: no scheme, no ``www.``, no ``amp`` path segment, no trailing slash,
    query parameters sorted, no fragment, lower-case host."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = "/".join(seg for seg in parts.path.split("/") if seg and seg.lower() != "amp")
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{host}/{path}" + (f"?{query}" if query else "")


def _items() -> list[EvalItem]:
    return [it for name in FILES for it in load_items(DATA / name)]


def test_page_key_ignores_spelling_only() -> None:
    assert page_key("https://www.inform.kz/amp/a-b/?y=2&x=1") == page_key("http://inform.kz/a-b?x=1&y=2")
    assert page_key("https://inform.kz/a-b") != page_key("https://inform.kz/a-c")
    assert page_key("https://inform.kz/a?id=1") != page_key("https://inform.kz/a?id=2")


def test_every_real_item_names_its_page_and_no_page_spans_two_splits() -> None:
    """Two items may come from one page (two jobs it describes), but never one in dev and one in test: the held-out
    split would share text with the one the engine is tuned on."""
    real = [it for it in _items() if it.source == "real"]
    assert len(real) >= 140
    missing = [it.id for it in real if not it.source_url.startswith(("http://", "https://"))]
    assert not missing, f"real-sourced items without a source_url: {missing}"
    splits: dict[str, set[str]] = {}
    for it in real:
        splits.setdefault(page_key(it.source_url), set()).add(it.split)
    both = [key for key, found in splits.items() if len(found) > 1]
    assert not both, f"pages restated in both splits: {both}"


@pytest.mark.skipif(not HELD_OUT.is_file(), reason="../shared/eval/held-out-sources.txt is not beside the checkout")
def test_no_held_out_page_is_used() -> None:
    held = {page_key(line) for line in HELD_OUT.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")}
    assert len(held) >= 10
    used = [it.id for it in _items() if it.source_url and page_key(it.source_url) in held]
    assert not used, f"items restated from held-out pages: {used}"
