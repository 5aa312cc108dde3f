"""Systems the engine is compared with in every evaluation run.

* ``tfidf``: char n-gram TF-IDF only (``matcher.lexical``): each card is one document (its names and every
  statement, in kk, ru and en); the text's cosine to each card ranks them. The level uses the engine's rules on the
  top card.
* ``dense``: the engine with the dense encoder only (no lexical signals, no level prior): ``Matcher.with_settings``.
* ``hybrid``: the engine as configured.
* ``majority``: the most frequent gold card and level of the evaluated items for every text, and every statement
  reported missing (the trivial answer for a missing-skills list).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from eval.dataset import EvalItem
from matcher.engine import level as level_mod
from matcher.engine.lexical import CardLexical
from matcher.standard.schema import Standard

# the encoder's own signal: no lexical fusion, no level rules, no title rules (matcher.engine.titles)
DENSE_ONLY = {"lexical_weight": 0.0, "card_lexical_weight": 0.0, "level_penalty": 0.0,
              "overqualification_penalty": 0.0, "title_weight": 0.0}
# the engine without its title rules: what the titles of the texts add
NO_TITLES = {"title_weight": 0.0}


class TfidfBaseline:
    """The engine's card-level char n-gram TF-IDF alone (``matcher.lexical.CardLexical``)."""

    def __init__(self, std: Standard):
        self.std = std
        self.lexical = CardLexical(std)

    def predict(self, text: str) -> tuple[list[int], list[float], int]:
        """(clauses best first, their scores, level of the top card)."""
        sims = self.lexical.similarities(text)
        order = sorted(range(len(sims)), key=lambda i: (-sims[i], self.std.occupations[i].clause))
        top = self.std.occupations[order[0]]
        level = level_mod.estimate(top, level_mod.evidence(text))
        return ([self.std.occupations[i].clause for i in order], [round(float(sims[i]), 4) for i in order], level)


class MajorityBaseline:
    """The trivial guess: always the most frequent card (then the next most frequent ...) and level."""

    def __init__(self, std: Standard, items: Sequence[EvalItem]):
        freq = Counter(it.gold_clause for it in items)
        self.ranking = sorted((o.clause for o in std.occupations), key=lambda c: (-freq[c], c))
        self.scores = [round(freq[c] / len(items), 4) for c in self.ranking]
        levels = Counter(it.gold_level for it in items)
        self.level = min(levels, key=lambda lv: (-levels[lv], lv))
