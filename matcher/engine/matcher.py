"""The matching engine: CV or vacancy text -> ranked occupations, SBSh level, covered and missing statements.

Flow: text -> segments (``matcher.text``) -> segment embeddings (query side) -> nearest statements in the FAISS
index (passage side, every statement in kk and, as configured, its ru/en translations) -> per-statement support
(best segment, with a char n-gram TF-IDF boost for Kazakh segments only) -> coverage per skill, labour function
and occupation -> level (``matcher.level``) -> missing statements and the next-level occupation -> the learning plan
and career moves with their gaps (``matcher.engine.plan``). ``checklist`` is the reverse flow: ticked statements
instead of a text.
"""

from __future__ import annotations

import copy
import math
import threading
from collections import Counter
from collections.abc import Callable

import numpy as np

from matcher import index as index_mod
from matcher import standard
from matcher.config import Settings
from matcher.encoders import Encoder, get_encoder
from matcher.encoders.judge import EvidenceJudge, judge_for
from matcher.engine import calibration as calib
from matcher.engine import coverage as coverage_mod
from matcher.engine import level as level_mod
from matcher.engine import lexical_cache
from matcher.engine.frozen import FrozenVectorizer
from matcher.engine.lexical import CardLexical, ContrastLexical
from matcher.engine.plan import Planner
from matcher.engine.results import Covered, Kind, MatchResult, Missing, NextLevel, OccupationMatch, Ref, Scored
from matcher.engine.titles import TitleReader, title_of
from matcher.errors import InputError
from matcher.standard.contrast import ContrastLine, load_contrast
from matcher.standard.curate import statements
from matcher.standard.schema import Occupation, Standard, Statement
from matcher.standard.titles import TitleLexicon, load_titles
from matcher.text import Segment, is_evidence, prepare_segments, quote, strip_pii
from matcher.text.morphology import default_normaliser

__all__ = ["Kind", "Matcher"]


class Matcher:
    """Loads the dataset, encoder and index once; ``match`` is then cheap and thread-safe for reads."""

    def __init__(self, std: Standard, encoder: Encoder, idx: index_mod.StatementIndex, settings: Settings,
                 calibration: calib.Calibration | None = None, contrast: list[ContrastLine] | None = None,
                 titles: TitleLexicon | None = None,
                 judge: Callable[[], EvidenceJudge | None] | None = None):
        self.std, self.encoder, self.idx, self.s = std, encoder, idx, settings
        self.calibration = calibration
        # which covered statements a sentence really shows (None: every one is quoted): ``judge`` loads it, on the
        # first result that needs it (not the CVs of a screening, judge_cards=0), once for this matcher and its
        # with_settings copies
        self._judge = _Once(judge or (lambda: None))
        # one row per statement of every card, in card order; a statement shared by n cards weighs 1/sqrt(n)
        self.rows: list[Statement] = [st for _, st in statements(std)]
        shared = Counter(key for occ in std.occupations for key in {st.canonical for *_, st in occ.walk()})
        self.row_of = {st.id: i for i, st in enumerate(self.rows)}
        self.weights = np.array([1.0 / math.sqrt(shared[st.canonical]) for st in self.rows])
        clauses = [o.clause for o in std.occupations]
        entries = idx.manifest.entries
        # each index entry is a statement (its row) or one of a card's names (its position in `clauses`)
        self.entry_row = np.array([self.row_of.get(e.statement, -1) for e in entries], dtype=np.int64)
        self.entry_card = np.array([clauses.index(int(e.statement[len(index_mod.CARD_PREFIX):]))
                                    if e.statement.startswith(index_mod.CARD_PREFIX) else -1 for e in entries],
                                   dtype=np.int64)
        # lines of other professions (the contrast set): what a sentence is nearer to when it is not social work
        self.entry_contrast = np.array([e.statement.startswith(index_mod.CONTRAST_PREFIX) for e in entries])
        self.occ = {o.clause: o for o in std.occupations}
        self.planner = Planner(std, self.row_of, self.weights)  # learning plans and career moves (static parts)
        self.next_levels = {o.clause: self._next_level(o) for o in std.occupations}  # static: once, not per match
        # the fitted lexical models depend only on the dataset, the contrast set and settings: loaded from the index
        # folder when a cold start has fitted them before (matcher.engine.lexical_cache)
        lex = lexical_cache.load_or_fit(std, contrast or [], settings,
                                        default_normaliser() if settings.card_lexical_stems else None)
        self.lexical: FrozenVectorizer = lex.statements  # char n-grams of each statement row's Kazakh text
        self.lex_matrix = lex.statement_matrix
        self.card_lexical: CardLexical = lex.cards
        self.contrast_lexical: ContrastLexical = lex.contrast
        self.stems: coverage_mod.StatementStems = lex.stems
        self.title_reader = TitleReader(titles if titles is not None else
                                        load_titles(settings.titles_path, set(clauses)), clauses)

    @classmethod
    def create(cls, settings: Settings, encoder: Encoder | None = None) -> Matcher:
        """The dataset, the encoder (built from ``settings``: its runtime, threads, batch and cache folder), the
        index (loaded, or built on a first run) and the evidence judge (``matcher.encoders.judge.judge_for``)."""
        s = settings
        std = standard.load(s)
        enc = encoder or get_encoder(s)
        idx, _ = index_mod.load_or_build(std, s.dataset_path, enc, s.languages(), s, s.contrast_path)
        cal = calib.load(s.calibration_path(enc.id))
        # the encoder's own thresholds (its calibration's settings) unless these settings name them explicitly
        return cls(std, enc, idx, calib.encoder_settings(s, cal), cal, load_contrast(s.contrast_path),
                   judge=lambda: judge_for(s, enc))

    @property
    def settings(self) -> Settings:
        return self.s

    @property
    def judge(self) -> EvidenceJudge | None:
        return self._judge.get()

    @judge.setter
    def judge(self, value: EvidenceJudge | None) -> None:
        """Replace the judge of this matcher only (its with_settings copies made before keep theirs)."""
        self._judge = _Once(lambda: value)

    @property
    def index_size(self) -> int:
        """Entries in the FAISS index (statements in every indexed language, and card names)."""
        return int(self.idx.index.ntotal)

    def occupation(self, clause: int) -> Occupation:
        return self.occ[clause]

    def with_settings(self, **overrides: object) -> Matcher:
        """The same dataset, encoder and index under other settings (evaluation variants, tuning runs).

        Nothing built in ``__init__`` depends on settings, so the copy shares it all instead of rebuilding it."""
        clone = copy.copy(self)
        clone.s = self.s.model_copy(update=overrides)
        return clone

    # -- scoring ------------------------------------------------------------------------------------------
    def _similarities(self, segs: list[Segment], q: np.ndarray) -> Scored:
        """Dense similarity per (segment, statement), lexical similarity of Kazakh segments, card-name similarity.

        Nothing here depends on thresholds or weights, so one ``Scored`` serves any settings (see ``result``).
        """
        n_rows = len(self.rows)
        k = self.idx.index.ntotal
        sims, ids = self.idx.search(q, k)
        dense = np.full((len(segs), n_rows), -1.0, dtype=np.float32)
        card_sim = np.full(len(self.occ), -1.0, dtype=np.float32)
        contrast = np.full(len(segs), -1.0, dtype=np.float32)
        for s in range(len(segs)):
            rows, cards = self.entry_row[ids[s]], self.entry_card[ids[s]]
            is_stmt, is_card = (ids[s] >= 0) & (rows >= 0), (ids[s] >= 0) & (cards >= 0)
            np.maximum.at(dense[s], rows[is_stmt], sims[s][is_stmt])
            np.maximum.at(card_sim, cards[is_card], sims[s][is_card])
            is_contrast = (ids[s] >= 0) & self.entry_contrast[np.maximum(ids[s], 0)]
            if is_contrast.any():
                contrast[s] = sims[s][is_contrast].max()
        lexical = np.zeros_like(dense)
        kk = [i for i, seg in enumerate(segs) if seg.lang == "kk"]
        if kk:
            lexical[kk] = (self.lexical.transform([segs[i].text for i in kk]) @ self.lex_matrix.T).toarray()
        quotable = np.array([is_evidence(seg.text) for seg in segs])  # headings, languages ...: never evidence
        return Scored(segments=segs, dense=dense, lexical=lexical, names=card_sim, contrast=contrast,
                      quotable=quotable)

    def _masked(self, sc: Scored) -> tuple[np.ndarray, np.ndarray]:
        """(dense, lexical) with the segments that may not be quoted (headings, languages ...) masked out."""
        quotable = sc.quotable
        if not self.s.evidence_filter or quotable is None or quotable.all():
            return sc.dense, sc.lexical
        return (np.where(quotable[:, None], sc.dense, -1.0).astype(np.float32),
                np.where(quotable[:, None], sc.lexical, 0.0).astype(np.float32))

    def _support(self, sc: Scored) -> tuple[np.ndarray, np.ndarray]:
        """(support per statement, best segment per statement): dense plus the lexical boost, best segment wins."""
        seg_stmt, lexical = self._masked(sc)
        if self.s.lexical_weight > 0:
            lex = np.where(lexical > self.s.lexical_min, lexical, 0.0)  # never fuse near-zero lexical hits
            seg_stmt = seg_stmt + self.s.lexical_weight * lex.astype(np.float32)
        best = seg_stmt.argmax(axis=0)
        return seg_stmt[best, np.arange(seg_stmt.shape[1])], best

    def coverage_features(self, sc: Scored) -> np.ndarray:
        """(statement rows, ``coverage.COVERAGE_FEATURES``): what the coverage classifier reads of a scored text
        (``python -m eval.calibrate`` fits on these)."""
        dense, lexical = self._masked(sc)
        return coverage_mod.features(sc.segments, dense, lexical, self.stems)

    def covered_probability(self, sc: Scored) -> np.ndarray | None:
        """P(the text shows the statement) per statement row, from the calibrated coverage classifier; None
        without one (then coverage is support >= ``cover_threshold``)."""
        cal = self.calibration
        if cal is None or cal.coverage is None or not self.s.coverage_classifier:
            return None
        return cal.coverage.predict(self.coverage_features(sc))

    def support(self, sc: Scored) -> np.ndarray:
        """Support per statement row (best segment's similarity plus the lexical boost) under these settings."""
        return self._support(sc)[0]

    def _soft(self, x: np.ndarray | float, lo: float, hi: float) -> np.ndarray:
        return np.clip((np.asarray(x) - lo) / (hi - lo), 0.0, 1.0)

    def _coverage(self, occ: Occupation, cov: np.ndarray) -> float:
        num = den = 0.0
        for lf in occ.labour_functions:
            skills = []
            for sk in lf.skills:
                idx = [self.row_of[st.id] for _, st in sk.statements()]
                w = self.weights[idx]
                skills.append(float((cov[idx] * w).sum() / w.sum()))
            weight = 1.0 if lf.mandatory else self.s.additional_function_weight
            num += weight * float(np.mean(skills))
            den += weight
        return num / den if den else 0.0

    def segments(self, text: str) -> tuple[list[Segment], bool]:
        if not isinstance(text, str) or not text.strip():
            raise InputError("The text is empty.", "empty")
        if "\x00" in text:
            raise InputError("The text contains NUL characters: it looks like binary data, not text.", "binary")
        truncated = len(text) > self.s.max_chars
        # a segment longer than max_segment_chars (a run-on line, a "word" of 50,000 letters) is cut: the encoder's
        # cost grows with tokens, and no statement of the standard needs more than a few hundred characters
        segs = [seg if len(seg.text) <= self.s.max_segment_chars
                else seg.model_copy(update={"text": seg.text[: self.s.max_segment_chars]})
                for seg in prepare_segments(text[: self.s.max_chars]) if sum(ch.isalpha() for ch in seg.text) >= 3]
        if not segs:
            raise InputError("No words were found in the text. It needs at least one sentence in Kazakh, Russian "
                             "or English.", "no_words")
        if len(segs) > self.s.max_segments:
            segs, truncated = segs[: self.s.max_segments], True
        return segs, truncated

    def score(self, text: str) -> Scored:
        """Segment and embed one text and compare it with every statement (the expensive, settings-free part)."""
        return self.score_many([text], strict=True)[0]  # type: ignore[return-value]

    def score_many(self, texts: list[str], strict: bool = False) -> list[Scored | str]:
        """``score`` for many texts with one encoder call; an unreadable text gives its error message
        (or raises ``InputError`` when ``strict``)."""
        prepared: list[tuple[list[Segment], bool] | str] = []
        for t in texts:
            try:
                prepared.append(self.segments(t))
            except InputError as exc:
                if strict:
                    raise
                prepared.append(str(exc))
        flat = [s.text for p in prepared if not isinstance(p, str) for s in p[0]]
        q_all = self.encoder.queries(flat) if flat else np.zeros((0, self.encoder.dim), np.float32)
        out: list[Scored | str] = []
        pos = 0
        for t, p in zip(texts, prepared, strict=True):
            if isinstance(p, str):
                out.append(p)
                continue
            segs, truncated = p
            sc = self._similarities(segs, q_all[pos : pos + len(segs)])
            sc.text, sc.truncated = t, truncated
            sc.card_lexical = self.card_lexical.similarities(t[: self.s.max_chars])
            sc.scope_lexical = self.contrast_lexical.similarities(t[: self.s.max_chars])
            sc.title_hits = self.title_reader.hits(t[: self.s.max_chars], self.s.reference_date)
            sc.titles = self.title_reader.scores(sc.title_hits)
            pos += len(segs)
            out.append(sc)
        return out

    def match(self, text: str, kind: Kind = "cv", top: int | None = None) -> MatchResult:
        return self.result(self.score(text), kind, top)

    def match_many(self, texts: list[str], kinds: list[Kind], top: int | None = None) -> list[MatchResult | str]:
        """Batch mode: one encoder call for all segments of all texts. An unreadable text gives its error."""
        return [sc if isinstance(sc, str) else self.result(sc, kind, top)
                for sc, kind in zip(self.score_many(texts), kinds, strict=True)]

    def checklist(self, statements: list[str], clause: int | None = None, top: int | None = None) -> MatchResult:
        """The reverse flow: the person ticked these statement ids (no text). A ticked statement covers every
        card's statement with the same canonical key; the cards are ranked by that coverage (``clause`` given:
        that card first), and each gets its covered (``source="checklist"``, no evidence, offsets 0) and missing
        statements, learning plan and career moves.

        No text means no education, experience or managerial evidence, so each card's SBSh level is what
        ``level.estimate`` gives without evidence: the lowest level of its range (within a card the same statements
        hold at both levels; the upper one needs a category, experience or education the ticks do not show). No
        calibrated text score applies either: ``score`` and ``probability`` are the card's coverage by the ticks,
        ``band`` is "review" (a self-assessment, for the person or a counsellor to check) for a card with any
        tick and "unlikely" for a card with none, and the result is in scope (something was ticked).
        """
        if not statements:
            raise InputError("Tick at least one statement of an occupation card.", "empty")
        unknown = [i for i, x in enumerate(statements) if not isinstance(x, str) or x not in self.row_of]
        if unknown:  # positions, not the values: the message is shown and logged, the input is the client's
            where = ", ".join(str(i) for i in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            raise InputError(f"{len(unknown)} of the ticked ids are not statements of this standard (positions "
                             f"{where}, from 0). Ids look like 'Q88100061/13/LF1/S1/A1' (see /v1/occupations/13).",
                             "unknown_statement")
        if clause is not None and clause not in self.occ:
            known = ", ".join(str(c) for c in self.occ)
            raise InputError(f"There is no occupation card {clause}; the cards are {known}.", "unknown_occupation")
        keys = {self.rows[self.row_of[x]].canonical for x in statements}
        ticked = np.array([st.canonical in keys for st in self.rows])
        cov = ticked.astype(np.float64)
        ranked = sorted(((self._coverage(occ, cov), occ) for occ in self.std.occupations),
                        key=lambda x: (x[1].clause != clause, -x[0], x[1].clause))
        ev = level_mod.LevelEvidence()
        occupations = []
        for coverage, occ in ranked[: top or len(ranked)]:
            covered, missing = [], []
            for lf, sk, kind, st in self.planner.cards[occ.clause].distinct:
                if ticked[self.row_of[st.id]]:
                    covered.append(Covered(id=st.id, kind=kind, text=st.text, score=1.0, probability=1.0,
                                           evidence="", start=0, end=0, source="checklist"))
                else:
                    missing.append(self._missing(lf, sk, kind, st))
            score = round(coverage, 4)
            occupations.append(OccupationMatch(
                clause=occ.clause, code=occ.code, name=occ.name, score=score, sbsh_level=level_mod.estimate(occ, ev),
                sbsh_levels=occ.sbsh_levels, coverage=score, probability=score, in_scope=coverage > 0,
                band="review" if coverage > 0 else "unlikely", covered=covered, missing=missing,
                next_level=self.next_levels[occ.clause], **self._takeaways(occ, missing, ticked, cov, True)))
        return MatchResult(kind="checklist", language="kk", languages={}, segments=0, in_scope=True,
                           band=occupations[0].band if occupations else "unlikely", scope_probability=None,
                           calibration=None, level_evidence=ev, occupations=occupations)

    def _rank(self, sc: Scored, support: np.ndarray,
              ev: level_mod.LevelEvidence) -> list[tuple[float, float, Occupation]]:
        """(score clipped to 0-1, coverage, card) for every card, best first."""
        s = self.s
        cov = self._soft(support, s.soft_lo, s.soft_hi)
        name_score = self._soft(sc.names, s.name_lo, s.name_hi)
        lex = sc.card_lexical if sc.card_lexical is not None else np.zeros(len(self.occ))
        lex_score = lex / lex.max() if lex.max() > 0 else lex  # relative: the best card of this text gets 1
        ranked = []
        for i, occ in enumerate(self.std.occupations):
            coverage = self._coverage(occ, cov)
            score = ((1 - s.name_weight - s.card_lexical_weight) * coverage + s.name_weight * float(name_score[i])
                     + s.card_lexical_weight * float(lex_score[i]))
            if s.title_weight and sc.titles is not None:
                score += s.title_weight * float(sc.titles[i])
            score -= s.level_penalty * level_mod.mismatch(occ, ev)
            score -= s.overqualification_penalty * level_mod.overqualification(occ, ev)
            ranked.append((score, coverage, occ))
        ranked.sort(key=lambda x: (-x[0], x[2].clause))
        return [(min(max(score, 0.0), 1.0), coverage, occ) for score, coverage, occ in ranked]

    def _scope_features(self, sc: Scored, support: np.ndarray,
                        ranked: list[tuple[float, float, Occupation]]) -> dict[str, float]:
        covered_top = len({st.canonical for *_, st in ranked[0][2].walk()
                           if support[self.row_of[st.id]] >= self.s.cover_threshold})
        quotable = sc.quotable if sc.quotable is not None and sc.quotable.any() else np.ones(len(sc.segments), bool)
        # (a text of headings only is judged by all of them)
        weights = np.array([len(seg.text) for seg in sc.segments], dtype=np.float64)[quotable]
        contrast = None if sc.contrast is None or (sc.contrast < -0.5).all() else sc.contrast[quotable]
        return calib.scope_features([x for x, _, _ in ranked], ranked[0][1], covered_top, sc.card_lexical, sc.names,
                                    support, sc.dense.max(axis=1)[quotable], contrast, weights, sc.scope_lexical)

    def calibration_inputs(self, sc: Scored) -> tuple[dict[str, float], list[tuple[int, float]]]:
        """What the calibration reads of a scored text, exactly as ``result`` computes it: the scope features, and
        (clause, score) of every card, best first (``python -m eval.calibrate`` fits on these)."""
        support = self.support(sc)
        ranked = self._rank(sc, support, level_mod.evidence(sc.text[: self.s.max_chars], self.s.reference_date))
        return self._scope_features(sc, support, ranked), [(occ.clause, x) for x, _, occ in ranked]

    def result(self, sc: Scored, kind: Kind = "cv", top: int | None = None) -> MatchResult:
        """Rank the cards for a scored text under this matcher's settings."""
        s, segs, text = self.s, sc.segments, sc.text
        support, best = self._support(sc)
        ev = level_mod.evidence(text[: s.max_chars], s.reference_date)
        ranked = self._rank(sc, support, ev)
        p_cov = self.covered_probability(sc)
        shown = self.shown(support, p_cov)
        cov = self._soft(support, s.soft_lo, s.soft_hi)
        langs = Counter()
        for seg in segs:
            langs[seg.lang] += len(seg.text)
        language = max(("kk", "ru", "en"), key=lambda lang: langs.get(lang, 0))
        # evidence is quoted as the person wrote it (PII still removed), not as expanded for the encoder
        quotes = [quote(text, g) for g in segs]
        scores = [x for x, _, _ in ranked]
        cal = self.calibration
        in_scope, p_scope = cal.in_scope(self._scope_features(sc, support, ranked)) if cal else (True, None)
        occupations = []
        shown_by = self._judged(sc, ranked[: min(top or len(ranked), s.judge_cards)], shown, best, quotes)
        for i, (_, coverage, occ) in enumerate(ranked[: top or len(ranked)]):
            margin = scores[i] - max(x for j, x in enumerate(scores) if j != i)
            if cal is None:
                prob, card_in_scope, band = scores[i], True, "review"
            else:
                # P(card right | in scope); a text judged out of scope is discounted by its (balanced) scope odds
                prob = cal.probability(scores[i], margin) * (1.0 if in_scope else (p_scope or 0.0))
                card_in_scope = in_scope and (i == 0 or prob >= 0.5 * cal.confident)
                band = cal.band(card_in_scope, prob)
            title = title_of(sc.title_hits, occ.clause)
            occupations.append(self._occupation(occ, scores[i], coverage, support, best, quotes, segs, ev,
                                                round(prob, 4), card_in_scope, band, p_cov, shown, cov, in_scope,
                                                strip_pii(title) if title else None, shown_by))
        return MatchResult(kind=kind, language=language, languages={k: v for k, v in langs.items()},
                           segments=len(segs), truncated=sc.truncated, in_scope=in_scope,
                           band=occupations[0].band if occupations else "unlikely",
                           scope_probability=None if p_scope is None else round(p_scope, 4),
                           calibration=cal.run if cal else None, level_evidence=ev, occupations=occupations)

    def _judged(self, sc: Scored, ranked: list[tuple[float, float, Occupation]], shown: np.ndarray,
                best: np.ndarray, quotes: list[str]) -> dict[int, float]:
        """P(the quoted sentence shows the statement) per covered statement row of the cards to be returned, from
        the evidence judge in one call (each row once, however many cards share it; a pair judged before for the
        same scored text is not judged again); empty without a judge."""
        if not ranked or self.judge is None:
            return {}
        rows = sorted({self.row_of[st.id] for _, _, occ in ranked for *_, st in occ.walk()
                       if shown[self.row_of[st.id]]})
        todo = [i for i in rows if (i, int(best[i])) not in sc.judged]
        if todo:
            langs = [sc.segments[int(best[i])].lang for i in todo]
            texts = [self.rows[i].text.get(lang if lang in ("kk", "ru", "en") else "kk")
                     for i, lang in zip(todo, langs, strict=True)]
            p = self.judge.probabilities([quotes[int(best[i])] for i in todo], texts)
            sc.judged.update({(i, int(best[i])): float(x) for i, x in zip(todo, p, strict=True)})
        return {i: sc.judged[(i, int(best[i]))] for i in rows}

    def shown(self, support: np.ndarray, p_cov: np.ndarray | None) -> np.ndarray:
        """The covered decision per statement row: the calibrated P(covered) at its threshold, else support at
        ``cover_threshold`` (what ``covered`` lists, and what the gaps of the career moves count)."""
        if p_cov is None:
            return support >= self.s.cover_threshold
        return p_cov >= self.calibration.coverage.threshold

    def _occupation(self, occ: Occupation, score: float, coverage: float, support: np.ndarray, best: np.ndarray,
                    quotes: list[str], segs: list[Segment], ev: level_mod.LevelEvidence, probability: float,
                    in_scope: bool, band: calib.Band, p_cov: np.ndarray | None, shown_rows: np.ndarray,
                    cov: np.ndarray, result_in_scope: bool, title: str | None = None,
                    shown_by: dict[int, float] | None = None) -> OccupationMatch:
        """One card of a result; ``shown_rows`` is ``shown(support, p_cov)`` and ``cov`` the soft coverage per row,
        computed once per text by ``result``; ``shown_by`` the judge's P(shown) of the covered rows (``_judged``):
        a row below the judge's threshold is covered but ``inferred``, with no quote; a row it has not read (a card
        after ``judge_cards``) is quoted as before."""
        shown_by = shown_by or {}
        threshold = 0.0
        if shown_by:  # then the judge is loaded
            threshold = self.s.judge_threshold if self.s.judge_threshold is not None else self.judge.threshold
        covered, missing = [], []
        seen: set[str] = set()  # a statement the card repeats (a law in several skills) is listed once
        for lf in sorted(occ.labour_functions, key=lambda f: (not f.mandatory, f.number)):
            for sk in lf.skills:
                for kind, st in sk.statements():
                    if st.canonical in seen:
                        continue
                    seen.add(st.canonical)
                    i = self.row_of[st.id]
                    shown, prob = bool(shown_rows[i]), None if p_cov is None else round(float(p_cov[i]), 4)
                    if shown:
                        g, judged = int(best[i]), shown_by.get(i)
                        quoted = judged is None or judged >= threshold
                        covered.append(Covered(id=st.id, kind=kind, text=st.text, score=round(float(support[i]), 4),
                                               probability=prob, evidence=quotes[g] if quoted else "",
                                               start=segs[g].start if quoted else 0, end=segs[g].end if quoted else 0,
                                               source="text" if quoted else "inferred",
                                               evidence_probability=None if judged is None else round(judged, 4)))
                    else:
                        missing.append(self._missing(lf, sk, kind, st))
        # quoted first, then by P(covered)
        covered.sort(key=lambda c: (c.source != "text",
                                    -(c.probability if c.probability is not None else c.score), -c.score))
        return OccupationMatch(
            clause=occ.clause, code=occ.code, name=occ.name, score=round(score, 4),
            sbsh_level=level_mod.estimate(occ, ev), sbsh_levels=occ.sbsh_levels, coverage=round(coverage, 4),
            probability=probability, in_scope=in_scope, band=band, title=title,
            covered=covered, missing=missing, next_level=self.next_levels[occ.clause],
            **self._takeaways(occ, missing, shown_rows, cov, result_in_scope),
        )

    def _takeaways(self, occ: Occupation, missing: list[Missing], shown: np.ndarray, cov: np.ndarray,
                   in_scope: bool) -> dict[str, object]:
        """The learning plan, career moves and onward links of a card (none of them for a text out of scope)."""
        if not in_scope:
            return {"learning_plan": [], "career_moves": [], "beyond_standard": []}
        w = self.s.additional_function_weight
        return {"learning_plan": self.planner.plan(occ.clause, missing, cov, w),
                "career_moves": self.planner.moves(occ.clause, shown, cov, w, self._coverage),
                "beyond_standard": self.planner.beyond_standard(occ.clause)}

    @staticmethod
    def _missing(lf, sk, kind, st) -> Missing:  # noqa: ANN001 - schema objects
        return Missing(id=st.id, kind=kind, text=st.text,
                       labour_function=Ref(number=lf.number, title=lf.title, mandatory=lf.mandatory),
                       skill=Ref(number=sk.number, title=sk.title))

    def _next_level(self, occ: Occupation) -> NextLevel | None:
        """The related card one step up (the nearest ``up`` career move: a higher (lowest, highest) SBSh level, so
        card 12, SBSh 3-4, leads to card 13, SBSh 4), with the statements it adds (by canonical key)."""
        up = self.planner.up(occ.clause)
        if up is None:
            return None
        nxt = self.occ[up]
        have = {st.canonical for *_, st in occ.walk()}
        adds = [self._missing(lf, sk, kind, st) for lf, sk, kind, st in nxt.walk() if st.canonical not in have]
        return NextLevel(clause=nxt.clause, code=nxt.code, name=nxt.name, sbsh_levels=nxt.sbsh_levels, adds=adds)

    def required(self, vac: OccupationMatch) -> list[str]:
        """Ids of the statements a vacancy (matched as ``kind="vacancy"``) requires of a candidate: those it names,
        or the card's mandatory labour functions when it names fewer than ``min_required``."""
        if len(vac.covered) >= self.s.min_required:
            return [c.id for c in vac.covered]
        return [st.id for lf, _, _, st in self.occ[vac.clause].walk() if lf.mandatory]


class _Once:
    """The value of ``load()``, computed on first use, once, under a lock (API threads share the matcher)."""

    def __init__(self, load: Callable[[], object]):
        self._load: Callable[[], object] | None = load
        self._value: object = None
        self._lock = threading.Lock()

    def get(self):  # noqa: ANN201 - whatever load returns
        if self._load is not None:
            with self._lock:
                if self._load is not None:
                    self._value, self._load = self._load(), None
        return self._value
