"""The review app's models, one module per part of the year; every name is
imported from here (`from reviews.models import Review`), as before the split."""

from .cycles import (
    EDITABLE_STATES,
    MAX_REMINDER_DAYS,
    CycleExclusion,
    CycleJob,
    ReviewCycle,
    ReviewCycleQuerySet,
)
from .exemptions import ExemptionQuerySet, ExemptionTally, StepExemption
from .focus import FocusArea, FocusIndicator, IndicatorValue
from .meetings import Attendance, Meeting, MeetingItem
from .publishing import CycleReopening, Notice, ResultMailing
from .ratings import Discipline, Rating
from .regimes import LEVEL_CODES, RatingLevel, Regime, percent_field
from .remedies import CarryOverItem, Conclusion, RemedyAction, RemedyTally
from .reports import ReportJob
from .reviews import CyclePost, MemberRun, Review, ReviewQuerySet, ReviewTally
from .suggestions import Assignment, Suggestion, SuggestionAnswer, SuggestionItem
from .templates import FormSection, FormTemplate, ScoreCriterion

__all__ = [
    "EDITABLE_STATES",
    "percent_field",
    "Regime",
    "RatingLevel",
    "LEVEL_CODES",
    "ReviewCycleQuerySet",
    "ReviewCycle",
    "CycleJob",
    "CycleExclusion",
    "MAX_REMINDER_DAYS",
    "FocusArea",
    "FocusIndicator",
    "IndicatorValue",
    "FormTemplate",
    "FormSection",
    "ScoreCriterion",
    "ReviewQuerySet",
    "Review",
    "ReviewTally",
    "MemberRun",
    "CyclePost",
    "Suggestion",
    "SuggestionItem",
    "SuggestionAnswer",
    "Assignment",
    "Meeting",
    "Attendance",
    "MeetingItem",
    "Rating",
    "Discipline",
    "Conclusion",
    "RemedyAction",
    "RemedyTally",
    "CarryOverItem",
    "Notice",
    "ResultMailing",
    "CycleReopening",
    "ExemptionQuerySet",
    "StepExemption",
    "ExemptionTally",
    "ReportJob",
]
