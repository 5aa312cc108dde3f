"""Char n-gram TF-IDF similarity of a whole text to each card (the lexical signal of the engine).

Each card is one document: its names and every statement, in kk, ru and en. Character 3-5-grams inside word
boundaries survive Kazakh and Russian inflection and typos, which is where the dense encoder is weakest. The
engine fuses this with the dense coverage (``card_lexical_weight``); the evaluation also runs it alone as the
``tfidf`` baseline.
"""

from __future__ import annotations

import numpy as np

from matcher.engine.frozen import FrozenVectorizer
from matcher.standard.contrast import ContrastLine
from matcher.standard.schema import LANGS, Occupation, Standard
from matcher.text.morphology import Normaliser


def card_document(occ: Occupation) -> str:
    """A card as one document: its names and every statement, in kk, ru and en."""
    parts = [occ.name.kk, occ.name.ru, occ.name.en]
    for *_, st in occ.walk():
        parts += [st.text.kk, st.text.ru, st.text.en]
    return "\n".join(p for p in parts if p)


def _tokens(tokens: list[str]) -> list[str]:
    return tokens


def fit_tfidf(docs: list, **options: object) -> tuple[FrozenVectorizer, object]:
    """A ``TfidfVectorizer(**options)`` fitted on ``docs`` (scikit-learn is imported here, only when fitting), frozen
    for ``transform``, and the documents' matrix."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(**options)
    matrix = vec.fit_transform(docs)
    return FrozenVectorizer.of(vec), matrix


class CardLexical:
    """Char n-gram TF-IDF of a text against each card; with a ``Normaliser``, the mean of that and a word TF-IDF on
    stems and lemmas (each card part normalised in its own language, the text line by line in the language
    detected)."""

    def __init__(self, std: Standard, normaliser: Normaliser | None = None):
        docs = [card_document(occ) for occ in std.occupations]
        self.vectorizer, self.cards = fit_tfidf(docs, analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self.normaliser = normaliser
        if normaliser is not None:
            stems = []
            for occ in std.occupations:
                parts = [(occ.name.get(lang), lang) for lang in LANGS]
                parts += [(st.text.get(lang), lang) for *_, st in occ.walk() for lang in LANGS]
                stems.append([tok for text, lang in parts if text for tok in normaliser.tokens(text, lang)])
            self.words, self.word_cards = fit_tfidf(stems, analyzer=_tokens, sublinear_tf=True)

    def similarities(self, text: str) -> np.ndarray:
        """Cosine of the text to each card, in the standard's card order."""
        char = (self.vectorizer.transform([text]) @ self.cards.T).toarray()[0]
        if self.normaliser is None:
            return char
        words = (self.words.transform([self.normaliser.tokens(text)]) @ self.word_cards.T).toarray()[0]
        return (char + words) / 2


class ContrastLexical:
    """TF-IDF similarity of a whole text to this standard (its best card) and to other professions (their best one,
    from the contrast set), over char 3-5-grams and over words: a text of another trade shares its words with that
    trade's lines, not with the standard's."""

    def __init__(self, std: Standard, contrast: list[ContrastLine]):
        cards = [card_document(occ) for occ in std.occupations]
        trades: dict[str, list[str]] = {}
        for line in contrast:
            trades.setdefault(line.occupation, []).append(line.text)
        others = ["\n".join(lines) for lines in trades.values()]
        self.n_cards = len(cards)
        self.vectorizers: list[FrozenVectorizer] = []
        self.docs = []
        if others:
            for options in ({"analyzer": "char_wb", "ngram_range": (3, 5)}, {"analyzer": "word"}):
                vec, docs = fit_tfidf(cards + others, sublinear_tf=True, **options)
                self.vectorizers.append(vec)
                self.docs.append(docs)

    def similarities(self, text: str) -> np.ndarray | None:
        """[char: standard, other professions, word: standard, other professions]; None without a contrast set."""
        if not self.docs:
            return None
        out = []
        for vec, docs in zip(self.vectorizers, self.docs, strict=True):
            sims = (vec.transform([text]) @ docs.T).toarray()[0]
            out += [float(sims[: self.n_cards].max()), float(sims[self.n_cards :].max())]
        return np.array(out)
