"""The admin of the cycles: each ModelAdmin says how its rows reach the tree.

`scope` is what a row is read through, `keeper` the organization whose staff
change it (kontum_review/admin/): "cycle__superior" for what the cycle's
committee runs (the cycle, its posts, exclusions, suggestions, assignments and
targets), the review's organization for what its managers fill in. Ratings are
read-only here: decisions go through the decide page (`ratings.decide`).

This module registers the year's setup (regimes, cycles, focus areas, form
templates, opening jobs); importing admin_work registers the work done in it.
"""

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import (
    COMMITTEE_STAFF,
    FoldedSearchMixin,
    ReadOnlyAdmin,
    ReferenceDataAdmin,
    SubtreeAdmin,
    SubtreeInline,
    plain_year,
)

from .admin_work import ClosedCycleReadOnly
from .models import (
    CycleExclusion,
    CycleJob,
    FocusArea,
    FocusIndicator,
    FormSection,
    FormTemplate,
    IndicatorValue,
    RatingLevel,
    Regime,
    ReviewCycle,
    ScoreCriterion,
)


class RatingLevelInline(SubtreeInline, admin.TabularInline):
    model = RatingLevel
    extra = 0


@admin.register(Regime)
class RegimeAdmin(ReferenceDataAdmin, SimpleHistoryAdmin):
    """Every rule reads the regime: only superusers change it and its levels."""

    list_display = [
        "code",
        "name",
        plain_year(Regime, "first_year"),
        plain_year(Regime, "last_year"),
        "scoring_model",
        "quota_percent",
    ]
    list_filter = ["scoring_model", "history_only"]
    search_fields = ["code", "name", "regulation", "guidance"]
    inlines = [RatingLevelInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "regulation",
                    "guidance",
                    "first_year",
                    "last_year",
                    "history_only",
                ]
            },
        ),
        (
            _("Scoring and quota"),
            {
                "fields": [
                    "scoring_model",
                    "general_criteria_max",
                    "task_results_max",
                    "quota_percent",
                    "quota_grouping",
                ]
            },
        ),
        (
            _("Conditions of the points bands"),
            {
                "fields": [
                    "excellent_on_time_percent",
                    "excellent_exceeding_percent",
                    "excellent_remedied_percent",
                    "good_on_time_percent",
                    "pass_late_percent",
                ]
            },
        ),
        (
            _("Rating conditions"),
            {
                "fields": [
                    "subordinate_discipline_percent",
                    "unit_targets_percent",
                    "leader_unit_minimums",
                    "self_remedied_discipline_exempt",
                    "overridable_rules",
                ]
            },
        ),
        (
            _("Review meeting"),
            {"fields": ["quorum_percent", "vote_majority_percent"]},
        ),
    ]


@admin.register(RatingLevel)
class RatingLevelAdmin(ReferenceDataAdmin, SimpleHistoryAdmin):
    list_display = ["code", "name", "rank", "min_points", "regime"]
    list_filter = ["regime"]
    list_select_related = ["regime"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["regime"]


@admin.register(ReviewCycle)
class ReviewCycleAdmin(SubtreeAdmin, ClosedCycleReadOnly, SimpleHistoryAdmin):
    """The status moves through the cycle's pages, which check each step.

    Read by everyone the pages show it to; changed by its committee's staff.
    """

    scope = ""
    keeper = "superior"
    cycle_path = ""
    list_display = [
        "name",
        plain_year(ReviewCycle, "year"),
        "period",
        "regime",
        "superior",
        "status",
    ]
    list_filter = ["status", "period", "regime", "year"]
    list_select_related = ["regime", "superior"]
    search_fields = ["name", "superior__search_text"]
    autocomplete_fields = ["regime", "superior"]
    readonly_fields = ["public_id"]

    def get_readonly_fields(self, request, obj=None):
        # A cycle is created in any state (history is imported locked), but only
        # its pages move it on, and only an audited reopening moves it back.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "status"] if obj is not None else fields


class FocusIndicatorInline(SubtreeInline, admin.TabularInline):
    model = FocusIndicator
    extra = 0


@admin.register(FocusArea)
class FocusAreaAdmin(ReferenceDataAdmin, SimpleHistoryAdmin):
    changed_by = COMMITTEE_STAFF
    list_display = ["code", "name", "is_default", "active", "position"]
    list_filter = ["is_default", "active"]
    search_fields = ["code", "name"]
    inlines = [FocusIndicatorInline]


@admin.register(FocusIndicator)
class FocusIndicatorAdmin(ReferenceDataAdmin, SimpleHistoryAdmin):
    changed_by = COMMITTEE_STAFF
    list_display = ["code", "name", "unit", "focus_area", "higher_is_better"]
    list_filter = ["focus_area", "higher_is_better"]
    list_select_related = ["focus_area"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["focus_area"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(
    SubtreeAdmin, ClosedCycleReadOnly, FoldedSearchMixin, SimpleHistoryAdmin
):
    keeper = "cycle__superior"
    list_display = ["indicator", "organization", "cycle", "target", "actual"]
    list_filter = ["cycle", "indicator"]
    list_select_related = ["indicator", "organization", "cycle"]
    search_fields = ["organization__search_text"]
    autocomplete_fields = ["indicator", "organization", "cycle"]


class FormSectionInline(SubtreeInline, admin.TabularInline):
    model = FormSection
    extra = 0


class ScoreCriterionInline(SubtreeInline, admin.TabularInline):
    model = ScoreCriterion
    extra = 0


@admin.register(FormTemplate)
class FormTemplateAdmin(SubtreeAdmin, SimpleHistoryAdmin):
    """A regime's templates are read by all and changed by superusers; a
    cycle's own templates by the staff who run that cycle."""

    scope = "cycle"
    keeper = "cycle__superior"
    list_display = [
        "code",
        "title",
        "audience",
        "regime",
        "cycle",
        "criteria_provisional",
    ]
    list_filter = ["regime", "audience", "criteria_provisional"]
    list_select_related = ["regime", "cycle"]
    search_fields = ["code", "title"]
    autocomplete_fields = ["regime", "cycle"]
    inlines = [FormSectionInline, ScoreCriterionInline]

    def read_condition(self, request):
        return super().read_condition(request) | Q(cycle__isnull=True)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self.unrestricted(request) and "cycle" in form.base_fields:
            form.base_fields["cycle"].required = True
        return form


@admin.register(CycleJob)
class CycleJobAdmin(ReadOnlyAdmin, SubtreeAdmin, admin.ModelAdmin):
    """Jobs are written by the opening task only; staff follow them here."""

    scope = "cycle"
    keeper = "cycle__superior"

    list_display = ["cycle", "status", "progress", "total", "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["cycle"]


@admin.register(CycleExclusion)
class CycleExclusionAdmin(
    SubtreeAdmin, ClosedCycleReadOnly, FoldedSearchMixin, admin.ModelAdmin
):
    keeper = "cycle__superior"
    list_display = ["member", "organization", "reason", "note", "cycle"]
    list_filter = ["cycle", "reason"]
    list_select_related = ["member", "organization", "cycle"]
    search_fields = ["member__search_text"]
    autocomplete_fields = ["cycle", "member", "organization"]
