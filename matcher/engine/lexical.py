"""Char n-gram TF-IDF similarity of a whole text to each card (the lexical signal of the engine).

Each card is one document: its names and every statement, in kk, ru and en. Character 3-5-grams inside word
boundaries survive Kazakh and Russian inflection and typos, which is where the dense encoder is weakest. The
engine fuses this with the dense coverage (``card_lexical_weight``); the evaluation also runs it alone as the
``tfidf`` baseline.
"""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from matcher.standard.schema import Standard


class CardLexical:
    def __init__(self, std: Standard):
        docs = []
        for occ in std.occupations:
            parts = [occ.name.kk, occ.name.ru, occ.name.en]
            for *_, st in occ.walk():
                parts += [st.text.kk, st.text.ru, st.text.en]
            docs.append("\n".join(p for p in parts if p))
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self.cards = self.vectorizer.fit_transform(docs)

    def similarities(self, text: str) -> np.ndarray:
        """Cosine of the text to each card, in the standard's card order."""
        return (self.vectorizer.transform([text]) @ self.cards.T).toarray()[0]
