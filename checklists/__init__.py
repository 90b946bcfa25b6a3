"""Checklist templates, the answers people give to them, and how those answers are judged.

Also when recurring work is due (`occurrences_for`, `status`, `month_plan`) by a site's
school calendar. Pure: no database, no web, no clock. `evaluate` is given `today`.
"""

from checklists.calendar import Holiday, SchoolCalendar, Term
from checklists.consistency import check_template
from checklists.decoding import parse_template
from checklists.evaluation import Evaluation, ItemResult, evaluate
from checklists.library import library_template, load_library
from checklists.problems import InvalidAnswers, InvalidTemplate, Problem, UnknownTemplate
from checklists.recurrence import (
    CalendarRequired,
    DailyRule,
    MonthlyRule,
    Occurrence,
    PerTermRule,
    PlannedWork,
    Rule,
    Schedule,
    ScheduleVersion,
    Status,
    TimeWindow,
    WeeklyRule,
    YearlyRule,
    month_plan,
    occurrences,
    occurrences_for,
    status,
    statuses,
)
from checklists.templates import Template
from checklists.validation import validate

__all__ = [
    "CalendarRequired",
    "DailyRule",
    "Evaluation",
    "Holiday",
    "InvalidAnswers",
    "InvalidTemplate",
    "ItemResult",
    "MonthlyRule",
    "Occurrence",
    "PerTermRule",
    "PlannedWork",
    "Problem",
    "Rule",
    "Schedule",
    "ScheduleVersion",
    "SchoolCalendar",
    "Status",
    "Template",
    "Term",
    "TimeWindow",
    "UnknownTemplate",
    "WeeklyRule",
    "YearlyRule",
    "check_template",
    "evaluate",
    "library_template",
    "load_library",
    "month_plan",
    "occurrences",
    "occurrences_for",
    "parse_template",
    "status",
    "statuses",
    "validate",
]
