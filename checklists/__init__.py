"""Checklist templates, the answers people give to them, and how those answers are judged.

Pure: no database, no web, no clock. `evaluate` is given `today`.
"""

from checklists.consistency import check_template
from checklists.decoding import parse_template
from checklists.evaluation import Evaluation, ItemResult, evaluate
from checklists.library import library_template, load_library
from checklists.problems import InvalidAnswers, InvalidTemplate, Problem, UnknownTemplate
from checklists.templates import Template
from checklists.validation import validate

__all__ = [
    "Evaluation",
    "InvalidAnswers",
    "InvalidTemplate",
    "ItemResult",
    "Problem",
    "Template",
    "UnknownTemplate",
    "check_template",
    "evaluate",
    "library_template",
    "load_library",
    "parse_template",
    "validate",
]
