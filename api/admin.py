"""Tokens issued by committee staff, and the log of what each one did.

Scoped like the rest of the admin (kontum_review/admin/): staff read the
tokens of the subtree they read, and issue, change and revoke tokens only for
organizations they keep. A token is never deleted, so its log stays: it is
revoked instead.
"""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kontum_review.admin import ReadOnlyAdmin, SubtreeAdmin

from .models import ApiAccessLog, ApiToken
from .tokens import issue_token, revoke

# A token lasts a year unless staff say otherwise.
DEFAULT_LIFETIME_DAYS = 365


@admin.register(ApiToken)
class ApiTokenAdmin(SubtreeAdmin, admin.ModelAdmin):
    scope = "organization"
    keeper = "organization"
    list_display = [
        "name",
        "organization",
        "scope",
        "personal_identifiers",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["scope", "personal_identifiers"]
    search_fields = ["name", "prefix"]
    list_select_related = ["organization"]
    autocomplete_fields = ["organization"]
    actions = ["revoke_tokens"]
    readonly_fields = [
        "prefix",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        # The subtree and the rights are the token's account's role: a token
        # for another subtree or scope is a new token.
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["organization", "scope", "personal_identifiers"]
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault(
            "expires_at",
            timezone.now() + datetime.timedelta(days=DEFAULT_LIFETIME_DAYS),
        )
        return initial

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj._issued_key = issue_token(obj, request.user)
        # SubtreeAdmin.save_model's check, for the row issue_token saved: the
        # request's transaction rolls it back.
        if not self.is_kept(request, obj):
            raise PermissionDenied

    def response_add(self, request, obj, post_url_continue=None):
        """Show the key once, on this page; it is stored only as a hash."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("API token issued"),
            "token": obj,
            "key": obj._issued_key,
        }
        response = TemplateResponse(request, "admin/api/apitoken/issued.html", context)
        response.headers["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        if not self.unrestricted(request):
            queryset = self.kept(request, queryset)
        count = revoke(queryset)
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ApiAccessLog)
class ApiAccessLogAdmin(ReadOnlyAdmin, SubtreeAdmin, admin.ModelAdmin):
    scope = "token__organization"
    keeper = None
    list_display = ["at", "token", "method", "path", "status"]
    list_filter = ["method", "status"]
    list_select_related = ["token"]
    search_fields = ["path", "token__name"]
    date_hierarchy = "at"
