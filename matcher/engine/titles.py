"""The job a text names in its title lines, per card (the title rules of ``matcher.standard.titles``).

Title lines are where a posting or a CV says what the job is: the first line of the text when it is short (a
posting's heading, "[Name], professor, Astana"), lines with a position label ("Должность: ...", "Лауазымы: ...",
"Position: ..."), and the line of the latest job of a CV ("2019 – по настоящее время — заведующая отделением ...").
On each such line the earliest match decides, since a title starts with its head word ("Руководитель группы
кейс-менеджеров" is a head of a unit, not a case manager), and of matches at one place the first rule (the more
specific one); a rule with no cards ("помощник директора") names a job outside the standard. The cards of every
title line found count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from matcher.engine import level as level_mod
from matcher.standard.titles import TitleLexicon

MAX_TITLE_CHARS = 200  # a first line longer than this is prose, not a title
MAX_LABELLED = 5  # labelled lines read at most
_LABEL = re.compile(
    r"^\s*(?:желаемая\s+должность|должность|позиция|вакансия|требуется|"
    r"қалаған\s+лауазым\w*|лауазым\w*|бос\s+(?:жұмыс\s+)?орын\w*|"
    r"desired\s+(?:position|job|role)|position|job\s+title|role|vacancy|objective)\s*[:\-–—]\s*(?P<title>.+)$",
    re.I | re.M)


@dataclass(frozen=True)
class TitleHit:
    line: str  # the title line
    cards: tuple[int, ...]  # the cards its deciding rule names (none: a job outside the standard)


class TitleReader:
    """Compiled title rules of one standard; ``scores`` is cheap (a few regular expressions on a few lines)."""

    def __init__(self, lexicon: TitleLexicon, clauses: list[int]):
        self.clauses = clauses
        self.rules = [(tuple(rule.cards), re.compile("|".join(f"(?<!\\w)(?:{p})" for p in rule.patterns), re.I))
                      for rule in lexicon.rules]

    def hits(self, text: str, today: date | None = None) -> list[TitleHit]:
        """Every title line that a rule matches, with the cards of its first matching rule."""
        out = []
        for line in title_lines(text, today):
            norm = line.replace("ё", "е").replace("Ё", "Е")
            found = [(m.start(), n) for n, (_, rx) in enumerate(self.rules) if (m := rx.search(norm))]
            if found:
                out.append(TitleHit(line, self.rules[min(found)[1]][0]))
        return out

    def scores(self, hits: list[TitleHit]) -> np.ndarray:
        """(cards,): 1 for every card the title lines name, else 0, in ``clauses`` order."""
        named = {c for hit in hits for c in hit.cards}
        return np.array([1.0 if c in named else 0.0 for c in self.clauses], dtype=np.float32)


def title_of(hits: list[TitleHit], clause: int) -> str | None:
    """The first title line that names the card, if any."""
    return next((hit.line for hit in hits if clause in hit.cards), None)


def title_lines(text: str, today: date | None = None) -> list[str]:
    """The lines of a text that name its job: the first line (when short), labelled lines, the latest job's line."""
    lines: list[str] = []
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if first and len(first) <= MAX_TITLE_CHARS:
        lines.append(first)
    lines += [m.group("title").strip()[:MAX_TITLE_CHARS] for m in _LABEL.finditer(text)][:MAX_LABELLED]
    latest = level_mod.jobs(text, today)
    if latest:
        lines.append(latest[0][2][:MAX_TITLE_CHARS])
    return list(dict.fromkeys(ln for ln in lines if ln))
