from django.contrib import admin
from import_export.admin import ImportExportMixin
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import FoldedSearchMixin

from .models import Organization, OrganizationType, Role
from .resources import OrganizationResource


@admin.register(OrganizationType)
class OrganizationTypeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "position"]
    list_editable = ["position"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Organization)
class OrganizationAdmin(FoldedSearchMixin, ImportExportMixin, SimpleHistoryAdmin):
    resource_classes = [OrganizationResource]
    list_display = ["code", "name", "kind", "org_type", "parent", "active_from", "active_until"]
    list_filter = ["kind", "org_type", "depth"]
    list_select_related = ["org_type", "parent"]
    search_fields = ["search_text"]
    autocomplete_fields = ["org_type", "parent"]
    ordering = ["path"]
    readonly_fields = ["public_id"]
    fields = ["code", "name", "kind", "org_type", "parent", "active_from", "active_until", "public_id"]


@admin.register(Role)
class RoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "kind", "organization"]
    list_filter = ["kind"]
    list_select_related = ["user", "organization"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "organization__search_text"]
    autocomplete_fields = ["user", "organization"]
