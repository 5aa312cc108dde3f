"""The engine: a scored text -> ranked occupations, SBSh level (``level``), covered and missing statements;
screening of many CVs (``screening``) and vacancy analysis (``vacancy``)."""

from matcher.engine.matcher import Matcher
from matcher.engine.results import (
    Covered,
    Kind,
    MatchResult,
    Missing,
    NextLevel,
    OccupationMatch,
    Ref,
    Scored,
    ScreenedCV,
    ScreenResult,
)
from matcher.engine.screening import screen

__all__ = ["Covered", "Kind", "MatchResult", "Matcher", "Missing", "NextLevel", "OccupationMatch", "Ref", "Scored",
           "ScreenResult", "ScreenedCV", "screen"]
