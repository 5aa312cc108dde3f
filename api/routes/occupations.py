"""The occupation cards of the standard, in one language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.errors import ApiError, problems
from api.routes.deps import service
from api.schemas import OccupationCard, OccupationList, card, occupation_list
from api.service import Service
from matcher.standard.schema import Lang

router = APIRouter(prefix="/v1", tags=["occupations"])

LangQuery = Annotated[Lang, Query(description="language of the texts: kk (the source), ru or en (unofficial "
                                              "translations)")]


@router.get("/occupations", response_model=OccupationList, summary="The occupation cards, in one language",
            responses=problems(422))
async def list_occupations(svc: Annotated[Service, Depends(service)], lang: LangQuery = "kk") -> OccupationList:
    return occupation_list(svc.standard, lang)


@router.get("/occupations/{key}", response_model=OccupationCard, summary="One card by clause number or code",
            responses=problems(404, 422))
async def get_occupation(svc: Annotated[Service, Depends(service)],
                         key: Annotated[str, Path(max_length=64, description="clause number (13) or code "
                                                                             "(3412-0-008)")],
                         lang: LangQuery = "kk") -> OccupationCard:
    try:
        occ = svc.standard.occupation(key)
    except KeyError:
        known = ", ".join(f"{o.clause} ({o.code})" for o in svc.standard.occupations)
        raise ApiError(404, "not_found", f"There is no occupation card with this clause number or code. "
                       f"The cards are: {known}.") from None
    return card(occ, lang)
