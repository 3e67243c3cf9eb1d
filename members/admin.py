from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import FoldedSearchMixin, SubtreeAdmin, SubtreeInline
from organizations.models import ImportJob
from organizations.spreadsheet_admin import SpreadsheetImportExportMixin

from .models import Member, Post
from .resources import MemberResource


class PostInline(SubtreeInline, admin.TabularInline):
    """The member's posts in Party leaderships, which the rating rules read.

    Only the posts in leaderships the user keeps are listed: a post in a
    committee above is that committee's to change.
    """

    keeper = "organization"
    model = Post
    extra = 0
    fields = ["organization", "kind", "started_on", "ended_on"]
    autocomplete_fields = ["organization"]


@admin.register(Member)
class MemberAdmin(
    SubtreeAdmin, FoldedSearchMixin, SpreadsheetImportExportMixin, SimpleHistoryAdmin
):
    scope = ""
    keeper = "organization"
    account_fields = ["user"]
    resource_classes = [MemberResource]
    import_register = ImportJob.Register.MEMBERS
    list_display = [
        "full_name",
        "card_number",
        "date_of_birth",
        "organization",
        "standing",
        "status",
        "is_leader",
    ]
    list_filter = [
        "status",
        "standing",
        "is_leader",
        "gender",
        "organization__org_type",
    ]
    list_select_related = ["organization"]
    search_fields = ["search_text"]
    autocomplete_fields = ["organization", "user"]
    ordering = ["sort_key", "card_number"]
    readonly_fields = ["public_id"]
    inlines = [PostInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "full_name",
                    "gender",
                    "date_of_birth",
                    "card_number",
                    "citizen_id",
                ]
            },
        ),
        (
            None,
            {
                "fields": [
                    "admitted_on",
                    "full_member_on",
                    "standing",
                    "status",
                    "status_note",
                ]
            },
        ),
        (
            None,
            {
                "fields": [
                    "organization",
                    "party_post",
                    "government_post",
                    "mass_post",
                    "is_leader",
                    "workplace",
                    "email",
                    "user",
                    "public_id",
                ]
            },
        ),
    ]


@admin.register(Post)
class PostAdmin(SubtreeAdmin, FoldedSearchMixin, SimpleHistoryAdmin):
    """Who holds which post in which leadership; opening a cycle copies them.

    A post is read with its holder or its leadership, and changed by the staff
    who keep the leadership.
    """

    scope = ["organization", "member"]
    keeper = "organization"

    list_display = ["member", "organization", "kind", "started_on", "ended_on"]
    list_filter = ["kind"]
    list_select_related = ["member", "organization"]
    # Both keys are stored folded: name and card number, name and code.
    search_fields = ["member__search_text", "organization__search_text"]
    autocomplete_fields = ["member", "organization"]
