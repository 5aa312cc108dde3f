"""What a person takes away from a match: a learning plan, career moves among the cards, and the gap to each.

* **Learning plan** (``Planner.plan``): the missing statements of a card (one per canonical key, as
  ``OccupationMatch.missing`` lists them), mandatory labour functions first (the card's level requires them), then
  by *gain*: how much the card's coverage (``Matcher._coverage``: the mean over labour functions, weighted 1 for a
  mandatory and ``additional_function_weight`` for an additional one, of the mean over their skills of the
  statement-weighted share covered) grows when the text shows the statement fully. A statement in a small skill, or
  one not shared with other cards (shared statements weigh ``1/sqrt(cards)``), adds more. Ties keep the card's order,
  so the items of one skill stay together.
* **Career moves** (``Planner.moves``), from the cards' ``related`` links and SBSh levels, fixed per card and built
  once: *up*, a card this card links to at a higher level; *lateral*, another card at the same level (linked, or with
  the same range of levels); *feeder*, a card at a lower level that links to this one. A level is compared as
  (lowest, highest) of the card's range, so card 12 (SBSh 3-4) -> 13 (SBSh 4) is a move up. A link to an occupation
  with no card in this standard (card 11 -> sign-language interpreter) is kept as ``beyond_standard``: the path goes
  on, outside this standard.
* **Gap** to a target card (``Planner.gap``): the person's coverage of that card, per distinct statement (by
  canonical key), with the same covered/missing decision as ``OccupationMatch.covered``; its coverage is the
  target's ``_coverage``, and ``top`` its five most important missing statements, ranked as the learning plan.

Per match this costs a few vector operations per card: everything that depends on the standard alone is built in
``Planner.__init__``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from matcher.engine.results import CareerMove, Gap, GapItem, Missing, PlanItem, Ref
from matcher.standard.schema import LabourFunction, Occupation, Related, Skill, Standard, Statement, StatementKind, Text

MoveKind = Literal["up", "lateral", "feeder"]
GAP_TOP = 5  # missing statements named per career move
_MOVE_ORDER: dict[str, int] = {"up": 0, "lateral": 1, "feeder": 2}


@dataclass(frozen=True)
class _Card:
    """The static parts of one card: its distinct statements and the terms of its coverage."""

    distinct: list[tuple[LabourFunction, Skill, StatementKind, Statement]]  # first of each canonical key
    rows: np.ndarray  # every statement row of the card, in card order
    key: np.ndarray  # per row: position of its canonical key in ``keys``
    keys: list[str]
    mandatory: np.ndarray  # per row: its labour function is mandatory
    base: np.ndarray  # per row: weight / (skill's weight x skills in the labour function)
    n_mandatory: int  # labour functions
    n_additional: int


def level_key(occ: Occupation) -> tuple[int, int]:
    return min(occ.sbsh_levels), max(occ.sbsh_levels)


def move_kind(src: Occupation, dst: Occupation) -> MoveKind:
    """'up', 'lateral' or 'feeder' by the cards' (lowest, highest) SBSh levels."""
    a, b = level_key(src), level_key(dst)
    return "up" if b > a else "lateral" if b == a else "feeder"


def _strip(text: str) -> str:
    return text.strip().rstrip(".;:").strip()


def why(lf: Ref, sk: Ref, kind: StatementKind) -> Text:
    """Which labour function and skill a statement serves, and whether it is a practical skill or knowledge."""
    mandatory = lf.mandatory is not False
    t = lf.title  # the skill's own title is on the item (``skill``): the reason names it by number only
    kk = (f"{'Машығы' if kind == 'ability' else 'Білімі'}: {'міндетті' if mandatory else 'қосымша'} "
          f"{lf.number}-еңбек функциясы «{_strip(t.kk)}», {sk.number}-дағды.")
    ru = (f"{'Умение (Машығы)' if kind == 'ability' else 'Знание (Білімі)'} для "
          f"{'обязательной' if mandatory else 'дополнительной'} трудовой функции {lf.number} "
          f"«{_strip(t.get('ru'))}», навык {sk.number}.")
    en = (f"{'A practical skill (Машығы)' if kind == 'ability' else 'Knowledge (Білімі)'} for the "
          f"{'mandatory' if mandatory else 'additional'} labour function {lf.number} “{_strip(t.get('en'))}”, "
          f"skill {sk.number}.")
    return Text(kk=kk, ru=ru, en=en)


class Planner:
    """Built once per standard (``Matcher.__init__``); ``plan``, ``moves`` and ``gap`` are then cheap per match."""

    def __init__(self, std: Standard, row_of: dict[str, int], weights: np.ndarray) -> None:
        self.occ = {o.clause: o for o in std.occupations}
        self.row_of = row_of
        self.canonical = {st.id: st.canonical for o in std.occupations for *_, st in o.walk()}
        self.cards = {o.clause: self._card(o, weights) for o in std.occupations}
        self.static_moves = {o.clause: self._moves(o, std) for o in std.occupations}
        self.beyond = {o.clause: [r for r in o.related if r.clause is None or r.clause not in self.occ]
                       for o in std.occupations}

    def _card(self, occ: Occupation, weights: np.ndarray) -> _Card:
        distinct, seen = [], set()
        for lf in sorted(occ.labour_functions, key=lambda f: (not f.mandatory, f.number)):  # as _occupation
            for sk in lf.skills:
                for kind, st in sk.statements():
                    if st.canonical not in seen:
                        seen.add(st.canonical)
                        distinct.append((lf, sk, kind, st))
        keys = [st.canonical for *_, st in distinct]
        position = {k: i for i, k in enumerate(keys)}
        rows, key, mandatory, base = [], [], [], []
        for lf in occ.labour_functions:
            for sk in lf.skills:
                idx = [self.row_of[st.id] for _, st in sk.statements()]
                w_skill = float(weights[idx].sum())
                for (_, st), r in zip(sk.statements(), idx, strict=True):
                    rows.append(r)
                    key.append(position[st.canonical])
                    mandatory.append(lf.mandatory)
                    base.append(float(weights[r]) / w_skill / len(lf.skills))
        return _Card(distinct=distinct, rows=np.array(rows, dtype=np.int64), key=np.array(key, dtype=np.int64),
                     keys=keys, mandatory=np.array(mandatory, dtype=bool), base=np.array(base),
                     n_mandatory=sum(lf.mandatory for lf in occ.labour_functions),
                     n_additional=sum(not lf.mandatory for lf in occ.labour_functions))

    def _moves(self, occ: Occupation, std: Standard) -> list[tuple[MoveKind, int]]:
        """(kind, clause) of every move from this card: its links, the cards that link to it, the cards at the
        same level; nearest level first within a kind."""
        linked = {r.clause for r in occ.related if r.clause in self.occ and r.clause != occ.clause}
        linking = {o.clause for o in std.occupations if o.clause != occ.clause
                   and any(r.clause == occ.clause for r in o.related)}
        same = {o.clause for o in std.occupations if o.clause != occ.clause and level_key(o) == level_key(occ)}
        moves: list[tuple[MoveKind, int]] = []
        for clause in sorted(linked | linking | same):
            kind = move_kind(occ, self.occ[clause])
            if kind == "up" and clause not in linked:
                continue  # a card that links *to* this one from above is no career step up from here
            moves.append((kind, clause))
        lo = level_key(occ)

        def distance(move: tuple[MoveKind, int]) -> tuple[int, int, int, int]:
            kk = level_key(self.occ[move[1]])
            return _MOVE_ORDER[move[0]], abs(kk[0] - lo[0]), abs(kk[1] - lo[1]), move[1]
        return sorted(moves, key=distance)

    # -- per match ------------------------------------------------------------------------------------------
    def gains(self, clause: int, cov: np.ndarray, additional_weight: float) -> dict[str, float]:
        """canonical key -> how much the card's coverage grows when every row with that key is fully covered
        (``cov``: coverage per statement row, 0-1, as ``Matcher._coverage`` reads it)."""
        card = self.cards[clause]
        den = card.n_mandatory + additional_weight * card.n_additional
        if den <= 0:
            return dict.fromkeys(card.keys, 0.0)
        lf_weight = np.where(card.mandatory, 1.0, additional_weight) / den
        contrib = lf_weight * card.base * (1.0 - np.clip(cov[card.rows], 0.0, 1.0))
        per_key = np.bincount(card.key, weights=contrib, minlength=len(card.keys))
        return {k: float(g) for k, g in zip(card.keys, per_key, strict=True)}

    def plan(self, clause: int, missing: list[Missing], cov: np.ndarray, additional_weight: float) -> list[PlanItem]:
        """The learning plan: ``missing`` (the card's missing statements) ranked, required first, then by gain."""
        gains = self.gains(clause, cov, additional_weight)
        items = [PlanItem(id=m.id, kind=m.kind, text=m.text, labour_function=m.labour_function, skill=m.skill,
                          why=why(m.labour_function, m.skill, m.kind), gain=round(gains[self.canonical[m.id]], 4),
                          required=m.labour_function.mandatory is not False) for m in missing]
        order = {m.id: i for i, m in enumerate(missing)}
        ranked = sorted(items, key=lambda p: (not p.required, -round(gains[self.canonical[p.id]], 9), order[p.id]))
        return ranked

    def gap(self, clause: int, shown: np.ndarray, cov: np.ndarray, additional_weight: float,
            coverage: Callable[[Occupation, np.ndarray], float]) -> Gap:
        """The person's gap to card ``clause`` (``shown``: the covered decision per statement row)."""
        card = self.cards[clause]
        gains = self.gains(clause, cov, additional_weight)
        missing = [(lf, kind, st) for lf, _, kind, st in card.distinct if not shown[self.row_of[st.id]]]
        missing.sort(key=lambda m: (not m[0].mandatory, -round(gains[m[2].canonical], 9)))  # stable: card order
        total = len(card.distinct)
        return Gap(covered=total - len(missing), total=total, missing=len(missing),
                   coverage=round(coverage(self.occ[clause], cov), 4),
                   top=[GapItem(id=st.id, kind=kind, text=st.text) for _, kind, st in missing[:GAP_TOP]])

    def moves(self, clause: int, shown: np.ndarray, cov: np.ndarray, additional_weight: float,
              coverage: Callable[[Occupation, np.ndarray], float]) -> list[CareerMove]:
        """Career moves from card ``clause``, each with the person's gap to the target card."""
        out = []
        for kind, target in self.static_moves[clause]:
            occ = self.occ[target]
            out.append(CareerMove(kind=kind, clause=target, code=occ.code, name=occ.name,
                                  sbsh_levels=occ.sbsh_levels,
                                  gap=self.gap(target, shown, cov, additional_weight, coverage)))
        return out

    def up(self, clause: int) -> int | None:
        """The nearest card one step up from ``clause`` (``next_level``), or None."""
        return next((c for kind, c in self.static_moves[clause] if kind == "up"), None)

    def beyond_standard(self, clause: int) -> list[Related]:
        return list(self.beyond[clause])
