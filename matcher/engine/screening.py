"""Screening: many CVs ranked against one vacancy, by fit to its card and to the statements it requires."""

from __future__ import annotations

from matcher.engine.matcher import Matcher
from matcher.engine.results import ScreenedCV, ScreenResult


def screen(m: Matcher, vacancy: str, cvs: list[tuple[str, str]]) -> ScreenResult:
    """Rank CVs by fit to the vacancy's occupation and the statements it requires, with reasons."""
    vac = m.match(vacancy, "vacancy", top=1).occupations[0]
    required = m.required(vac)
    results = m.match_many([t for _, t in cvs], ["cv"] * len(cvs))
    screened = []
    for (cv_id, _), res in zip(cvs, results, strict=True):
        if isinstance(res, str):
            screened.append(ScreenedCV(id=cv_id, rank=0, fit=0.0, occupation_score=0.0, required_covered=0,
                                       required_total=len(required), sbsh_level=0,
                                       reasons=[f"not matched: {res}"]))
            continue
        mine = next(o for o in res.occupations if o.clause == vac.clause)
        got = {c.id: c for c in mine.covered}
        hits = [got[r] for r in required if r in got]
        share = len(hits) / len(required) if required else 0.0
        level_gap = max(0, vac.sbsh_level - mine.sbsh_level)
        fit = max(0.0, 0.5 * mine.score + 0.5 * share - 0.1 * level_gap)
        top_card = res.occupations[0]
        reasons = [f"covers {len(hits)} of {len(required)} statements the vacancy requires"]
        reasons += [f"'{h.evidence[:90]}' -> {h.text.kk[:80]}" for h in sorted(hits, key=lambda h: -h.score)[:3]]
        reasons.append(f"fit to card {vac.clause}: {mine.score:.2f}; estimated level {mine.sbsh_level} "
                       f"(vacancy asks {vac.sbsh_level})")
        if top_card.clause != vac.clause:
            reasons.append(f"this CV fits card {top_card.clause} ({top_card.name.en}) better")
        screened.append(ScreenedCV(id=cv_id, rank=0, fit=round(fit, 4), occupation_score=mine.score,
                                   required_covered=len(hits), required_total=len(required),
                                   sbsh_level=mine.sbsh_level, reasons=reasons))
    screened.sort(key=lambda c: (not c.in_scope, -c.fit, c.id))
    for rank, c in enumerate(screened, start=1):
        c.rank = rank
    return ScreenResult(vacancy=vac, required=required, cvs=screened)


