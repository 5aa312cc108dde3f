"""Standard data: the source text parsed (``parse``), corrected and translated (``curate``) into the curated
dataset (``schema``), which ``dataset`` builds, loads, validates and prints."""

from matcher.standard.curate import statements
from matcher.standard.dataset import build, dump, load, render, summary, validate_data, validate_file
from matcher.standard.parse import parse_file
from matcher.standard.schema import LANGS, Lang, Occupation, Standard, Statement, Text

__all__ = ["LANGS", "Lang", "Occupation", "Standard", "Statement", "Text", "build", "dump", "load", "parse_file",
           "render", "statements", "summary", "validate_data", "validate_file"]
