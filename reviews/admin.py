"""The admin of the cycles: each ModelAdmin says how its rows reach the tree.

`scope` is what a row is read through, `keeper` the organization whose staff
change it (kontum_review/admin.py): "cycle__superior" for what the cycle's
committee runs (the cycle, its posts, exclusions, suggestions, assignments and
targets), the review's organization for what its managers fill in. Ratings are
read-only here: decisions go through the decide page (`ratings.decide`).
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

from . import guards
from .models import (
    Assignment,
    Attendance,
    CarryOverItem,
    Conclusion,
    CycleExclusion,
    CycleJob,
    CyclePost,
    CycleReopening,
    Discipline,
    FocusArea,
    FocusIndicator,
    FormSection,
    FormTemplate,
    IndicatorValue,
    Meeting,
    MeetingItem,
    Notice,
    Rating,
    RatingLevel,
    Regime,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
    ScoreCriterion,
    Suggestion,
    SuggestionItem,
)


class ClosedCycleReadOnly:
    """Rows of a published or locked cycle are shown read-only; reopen to change.

    The signals in reviews/signals.py refuse the write anyway; this keeps the
    admin from offering it. For an inline, the path starts at the parent row.
    """

    cycle_path = "cycle"

    def in_closed_cycle(self, obj):
        if obj is None:
            return False
        cycle = obj
        for name in filter(None, self.cycle_path.split("__")):
            cycle = getattr(cycle, name)
        return guards.is_closed(cycle)

    def has_change_permission(self, request, obj=None):
        return not self.in_closed_cycle(obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return not self.in_closed_cycle(obj) and super().has_delete_permission(
            request, obj
        )


class ClosedCycleReadOnlyInline(ClosedCycleReadOnly):
    def has_add_permission(self, request, obj=None):
        return not self.in_closed_cycle(obj) and super().has_add_permission(
            request, obj
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


@admin.register(Review)
class ReviewAdmin(SubtreeAdmin, ClosedCycleReadOnly, SimpleHistoryAdmin):
    scope = ""
    keeper = "organization"
    list_display = ["subject_name", "kind", "organization", "status", "cycle"]
    list_filter = ["cycle", "kind", "status"]
    list_select_related = ["organization", "cycle"]
    search_fields = ["subject_name"]
    autocomplete_fields = [
        "cycle",
        "organization",
        "member",
        "leadership_review",
        "template",
        "self_rating",
        "saved_by",
    ]
    readonly_fields = ["public_id", "version", "saved_at", "submitted_at"]


@admin.register(CyclePost)
class CyclePostAdmin(
    SubtreeAdmin, ClosedCycleReadOnly, FoldedSearchMixin, SimpleHistoryAdmin
):
    """The posts a cycle copied when it opened; the rating rules read these."""

    keeper = "cycle__superior"

    list_display = ["organization", "kind", "holder", "cycle"]
    list_filter = ["cycle", "kind"]
    list_select_related = ["organization", "review", "cycle"]
    search_fields = ["review__member__search_text", "organization__search_text"]
    autocomplete_fields = ["cycle", "review", "organization"]

    @admin.display(description=_("holder"), ordering="review__subject_name")
    def holder(self, obj):
        return obj.review.subject_name


@admin.register(CarryOverItem)
class CarryOverItemAdmin(SubtreeAdmin, ClosedCycleReadOnly, SimpleHistoryAdmin):
    scope = "review"
    keeper = "review__organization"
    cycle_path = "review__cycle"
    list_display = ["__str__", "review", "outcome"]
    list_filter = ["outcome", "review__cycle"]
    list_select_related = ["review__cycle"]
    search_fields = ["text", "review__subject_name"]
    autocomplete_fields = ["review"]


class SuggestionItemInline(
    SubtreeInline, ClosedCycleReadOnlyInline, admin.TabularInline
):
    model = SuggestionItem
    extra = 0
    autocomplete_fields = ["focus_area"]


@admin.register(Suggestion)
class SuggestionAdmin(SubtreeAdmin, ClosedCycleReadOnly, SimpleHistoryAdmin):
    scope = ["organization", "member"]
    keeper = "cycle__superior"
    list_display = ["__str__", "cycle", "issued_on", "issued_by"]
    list_filter = ["cycle"]
    list_select_related = ["organization", "member", "cycle", "issued_by"]
    search_fields = ["organization__name", "member__full_name"]
    autocomplete_fields = ["cycle", "organization", "member", "issued_by"]
    readonly_fields = ["public_id"]
    inlines = [SuggestionItemInline]


@admin.register(Assignment)
class AssignmentAdmin(SubtreeAdmin, ClosedCycleReadOnly, SimpleHistoryAdmin):
    keeper = "cycle__superior"
    list_display = ["organization", "assignee", "duty", "cycle"]
    list_filter = ["cycle"]
    list_select_related = ["organization", "assignee", "cycle"]
    search_fields = ["organization__name", "assignee__username", "assignee__last_name"]
    autocomplete_fields = ["cycle", "organization", "assignee"]


class AttendanceInline(SubtreeInline, ClosedCycleReadOnlyInline, admin.TabularInline):
    cycle_path = "review__cycle"
    model = Attendance
    extra = 0
    autocomplete_fields = ["member"]


class MeetingItemInline(SubtreeInline, ClosedCycleReadOnlyInline, admin.TabularInline):
    cycle_path = "review__cycle"
    model = MeetingItem
    extra = 0
    autocomplete_fields = ["review", "proposed_rating"]


@admin.register(Meeting)
class MeetingAdmin(SubtreeAdmin, ClosedCycleReadOnly, SimpleHistoryAdmin):
    scope = "review"
    keeper = "review__organization"
    cycle_path = "review__cycle"
    list_display = ["__str__", "held_on", "status", "place"]
    list_filter = ["status", "review__cycle"]
    list_select_related = ["review"]
    search_fields = ["review__subject_name", "place"]
    autocomplete_fields = ["review"]
    readonly_fields = ["public_id", "version"]
    inlines = [AttendanceInline, MeetingItemInline]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin, SubtreeAdmin, SimpleHistoryAdmin):
    """Read-only, history included: a rating is set only through the pages,
    a decision only by `ratings.decide`, which checks every rule and the quota."""

    scope = "review"
    list_display = ["review", "stage", "level", "score", "set_by", "set_at"]
    list_filter = ["stage", "level__code", "review__cycle"]
    list_select_related = ["review__cycle", "level", "set_by"]
    search_fields = ["review__subject_name"]
    autocomplete_fields = ["review", "level", "set_by"]


@admin.register(Discipline)
class DisciplineAdmin(SubtreeAdmin, FoldedSearchMixin, SimpleHistoryAdmin):
    """Disciplinary decisions, which cap ratings (docs/process.md §6 rules 2 and 4)."""

    scope = ["member", "organization"]
    keeper = ["member__organization", "organization"]

    list_display = ["__str__", "form", "decided_on", "self_detected", "remedied"]
    list_filter = ["form", "self_detected", "remedied", "leadership"]
    list_select_related = ["member", "organization"]
    search_fields = ["member__search_text", "organization__search_text"]
    autocomplete_fields = ["member", "organization"]
    date_hierarchy = "decided_on"


@admin.register(Conclusion)
class ConclusionAdmin(SubtreeAdmin, FoldedSearchMixin, SimpleHistoryAdmin):
    """Conclusions about a member or, for a collective, an organization."""

    scope = ["member", "organization"]
    keeper = ["member__organization", "organization"]

    list_display = ["subject", "kind", "concluded_on", "concluded_by"]
    list_filter = ["kind"]
    list_select_related = ["member", "organization"]
    search_fields = ["member__search_text", "organization__search_text"]
    autocomplete_fields = ["member", "organization"]

    @admin.display(description=_("Member or organization"))
    def subject(self, obj):
        return obj.member or obj.organization


@admin.register(RemedyAction)
class RemedyActionAdmin(SubtreeAdmin, SimpleHistoryAdmin):
    scope = "review"
    keeper = "review__organization"
    list_display = ["__str__", "review", "owner", "deadline", "status"]
    list_filter = ["status", "review__cycle"]
    list_select_related = ["review__cycle"]
    search_fields = ["content", "shortcoming", "review__subject_name"]
    autocomplete_fields = ["review", "carried_from"]
    readonly_fields = ["public_id"]


@admin.register(Notice)
class NoticeAdmin(SubtreeAdmin, admin.ModelAdmin):
    """Notices about a review; one about no review only superusers see."""

    scope = "review"
    keeper = "review__organization"
    list_display = ["user", "text", "created_at", "read_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "text"]
    autocomplete_fields = ["user", "review"]


@admin.register(CycleReopening)
class CycleReopeningAdmin(ReadOnlyAdmin, SubtreeAdmin, admin.ModelAdmin):
    """The audit trail of reopenings: read-only."""

    scope = "cycle"

    list_display = ["cycle", "from_status", "reopened_by", "reopened_at", "reason"]
    list_filter = ["cycle"]
    list_select_related = ["cycle", "reopened_by"]


@admin.register(ReportJob)
class ReportJobAdmin(SubtreeAdmin, admin.ModelAdmin):
    """Requested documents: read-only; the pipeline writes them."""

    scope = ["review", "organization", "cycle__superior"]
    keeper = ["review__organization", "organization", "cycle__superior"]

    list_display = ["kind", "cycle", "status", "requested_by", "created_at"]
    list_filter = ["kind", "status", "cycle"]
    list_select_related = ["cycle", "requested_by"]
    readonly_fields = [field.name for field in ReportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
