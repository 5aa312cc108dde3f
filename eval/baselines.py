"""Systems the engine is compared with in every evaluation run.

* ``tfidf``: char n-gram TF-IDF only. Each card is one document (its names and every statement, in kk, ru and en);
  the text's cosine to each card ranks them. The level uses the engine's rules on the top card.
* ``dense``: the engine with the dense encoder only (no lexical boost, no level prior): ``Matcher.with_settings``.
* ``hybrid``: the engine as configured.
* ``majority``: the most frequent gold card and level of the evaluated items for every text, and every statement
  reported missing (the trivial answer for a missing-skills list).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction.text import TfidfVectorizer

from eval.dataset import EvalItem
from matcher import level as level_mod
from matcher.schema import Standard

DENSE_ONLY = {"lexical_weight": 0.0, "level_penalty": 0.0}


class TfidfBaseline:
    """Card documents in all three languages, char 3-5-grams inside word boundaries, sublinear tf."""

    def __init__(self, std: Standard):
        self.std = std
        docs = []
        for occ in std.occupations:
            parts = [occ.name.kk, occ.name.ru, occ.name.en]
            for *_, st in occ.walk():
                parts += [st.text.kk, st.text.ru, st.text.en]
            docs.append("\n".join(p for p in parts if p))
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self.cards = self.vectorizer.fit_transform(docs)

    def predict(self, text: str) -> tuple[list[int], list[float], int]:
        """(clauses best first, their scores, level of the top card)."""
        sims = (self.vectorizer.transform([text]) @ self.cards.T).toarray()[0]
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
