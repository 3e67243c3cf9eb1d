from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import (
    COMMITTEE_STAFF,
    FoldedSearchMixin,
    ReferenceDataAdmin,
    SubtreeAdmin,
    autocomplete_source,
    manageable_users,
)
from kontum_review.users import (
    AccountAdmin,
    LoginAttemptAdmin,
    LoginFailureLogAdmin,
    LoginLogAdmin,
    SuperuserGroupAdmin,
)

from .models import ImportJob, Organization, OrganizationType, Role
from .resources import (
    OrganizationResource,
)
from .spreadsheet_admin import (
    SpreadsheetImportExportMixin,
)

# Accounts and groups: only superusers grant rights (kontum_review/users.py).
admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), AccountAdmin)
admin.site.unregister(Group)
admin.site.register(Group, SuperuserGroupAdmin)
# django-axes' login records, with ids checked (kontum_review/users.py).
for model, model_admin in [
    (AccessAttempt, LoginAttemptAdmin),
    (AccessLog, LoginLogAdmin),
    (AccessFailureLog, LoginFailureLogAdmin),
]:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)


@admin.register(OrganizationType)
class OrganizationTypeAdmin(ReferenceDataAdmin, SimpleHistoryAdmin):
    changed_by = COMMITTEE_STAFF
    list_display = ["name", "code", "position"]
    list_editable = ["position"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class StandingFilter(admin.SimpleListFilter):
    """Organizations as the tree stands, or those a restructuring ended."""

    title = _("standing")
    parameter_name = "standing"

    def lookups(self, request, model_admin):
        return [("current", _("In the tree now")), ("ended", _("Ended"))]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.current()
        if self.value() == "ended":
            return queryset.exclude(superseded_by=None)
        return queryset


@admin.register(Organization)
class OrganizationAdmin(
    SubtreeAdmin, FoldedSearchMixin, SpreadsheetImportExportMixin, SimpleHistoryAdmin
):
    scope = keeper = ""
    resource_classes = [OrganizationResource]
    import_register = ImportJob.Register.ORGANIZATIONS
    list_display = [
        "code",
        "name",
        "kind",
        "org_type",
        "parent",
        "active_from",
        "active_until",
    ]
    list_filter = [StandingFilter, "kind", "org_type", "depth"]
    list_select_related = ["org_type", "parent"]
    search_fields = ["search_text"]
    autocomplete_fields = ["org_type", "parent"]
    ordering = ["path"]
    readonly_fields = ["public_id"]
    fields = [
        "code",
        "name",
        "kind",
        "org_type",
        "parent",
        "active_from",
        "active_until",
        "public_id",
    ]

    def heads_subtree(self, request, obj):
        """Whether `obj` is the top of what the user keeps: where it sits and
        what kind it is are for the committee above to change, and to delete."""
        if obj is None or self.unrestricted(request):
            return False
        kept = Organization.objects.kept_by(request.user)
        return not kept.filter(pk=obj.parent_id).exists()

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and not obj.is_current:
            # Kept as the cycles that reviewed it saw it: never changed again.
            return self.fields
        if self.heads_subtree(request, obj):
            return [*fields, "parent", "kind"]
        return fields

    def has_delete_permission(self, request, obj=None):
        return (
            super().has_delete_permission(request, obj)
            and not self.heads_subtree(request, obj)
            and (obj is None or obj.is_current)
        )

    def get_search_results(self, request, queryset, search_term):
        """A form's organization picker offers the tree as it stands."""
        queryset, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        if autocomplete_source(request, self.admin_site) is not None:
            queryset = queryset.current()
        return queryset, may_have_duplicates


@admin.register(Role)
class RoleAdmin(SubtreeAdmin, SimpleHistoryAdmin):
    """Staff grant roles on the organizations they keep, to accounts they manage;
    so no one's role reaches past the granter's own subtree."""

    keeper = "organization"
    account_fields = ["user"]
    list_display = ["user", "kind", "organization"]
    list_filter = ["kind"]
    list_select_related = ["user", "organization"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "organization__search_text",
    ]
    autocomplete_fields = ["user", "organization"]

    def kept_condition(self, request):
        managed = manageable_users(request.user).values("pk")
        return super().kept_condition(request) & Q(user__in=managed)
