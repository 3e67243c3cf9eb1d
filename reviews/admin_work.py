"""The admin of the cycle's work: reviews and their posts and carried items,
suggestions and assignments, meetings, ratings, disciplines, conclusions and
remedy actions, notices, reopenings and report jobs (registered on import by
reviews/admin.py, which says how each row reaches the tree); and the read-only
state of a closed cycle's rows.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import (
    FoldedSearchMixin,
    ReadOnlyAdmin,
    SubtreeAdmin,
    SubtreeInline,
)

from . import guards
from .models import (
    Assignment,
    Attendance,
    CarryOverItem,
    Conclusion,
    CyclePost,
    CycleReopening,
    Discipline,
    Meeting,
    MeetingItem,
    Notice,
    Rating,
    RemedyAction,
    ReportJob,
    Review,
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
