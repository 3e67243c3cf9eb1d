from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import FoldedSearchMixin

from .models import (
    FocusArea,
    FocusIndicator,
    IndicatorValue,
    RatingLevel,
    Regime,
    ReviewCycle,
)


class RatingLevelInline(admin.TabularInline):
    model = RatingLevel
    extra = 0


@admin.register(Regime)
class RegimeAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "first_year",
        "last_year",
        "scoring_model",
        "quota_percent",
    ]
    list_filter = ["scoring_model", "history_only"]
    search_fields = ["code", "name", "regulation", "guidance"]
    inlines = [RatingLevelInline]


@admin.register(RatingLevel)
class RatingLevelAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "rank", "min_points", "regime"]
    list_filter = ["regime"]
    list_select_related = ["regime"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["regime"]


@admin.register(ReviewCycle)
class ReviewCycleAdmin(SimpleHistoryAdmin):
    list_display = ["name", "year", "period", "regime", "superior", "status"]
    list_filter = ["status", "period", "regime", "year"]
    list_select_related = ["regime", "superior"]
    search_fields = ["name", "superior__search_text"]
    autocomplete_fields = ["regime", "superior"]
    readonly_fields = ["public_id"]


class FocusIndicatorInline(admin.TabularInline):
    model = FocusIndicator
    extra = 0


@admin.register(FocusArea)
class FocusAreaAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "is_default", "active", "position"]
    list_filter = ["is_default", "active"]
    search_fields = ["code", "name"]
    inlines = [FocusIndicatorInline]


@admin.register(FocusIndicator)
class FocusIndicatorAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "unit", "focus_area", "higher_is_better"]
    list_filter = ["focus_area", "higher_is_better"]
    list_select_related = ["focus_area"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["focus_area"]


@admin.register(IndicatorValue)
class IndicatorValueAdmin(FoldedSearchMixin, SimpleHistoryAdmin):
    list_display = ["indicator", "organization", "cycle", "target", "actual"]
    list_filter = ["cycle", "indicator"]
    list_select_related = ["indicator", "organization", "cycle"]
    search_fields = ["organization__search_text"]
    autocomplete_fields = ["indicator", "organization", "cycle"]
