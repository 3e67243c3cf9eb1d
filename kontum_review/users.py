"""The accounts in the admin: no one raises their own rights.

Only superusers see and set superuser and staff status, permissions and
groups. Committee staff see the accounts of their subtree and change those
they manage (`kontum_review.admin.manageable_users`): names, e-mail, password
and whether the account is active. The roles that give an account its scope
are granted in the role admin, on organizations the staff keep.

The login records of django-axes are the superusers' (the demo's staff group
holds none of their permissions).

organizations/admin.py registers these in place of Django's and django-axes'.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.handlers.proxy import AxesProxyHandler
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .admin import CheckedKeys, ScopedRowsAdmin, manageable_users, readable_users

STAFF_FIELDSETS = (
    (None, {"fields": ("username", "password")}),
    (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
    (_("Permissions"), {"fields": ("is_active",)}),
    (_("Important dates"), {"fields": ("last_login", "date_joined")}),
)
SUPERUSER_ONLY_COLUMNS = ("is_staff", "is_superuser", "groups", "user_permissions")


class AccountAdmin(ScopedRowsAdmin, UserAdmin):
    def read_condition(self, request):
        return Q(pk__in=readable_users(request.user).values("pk"))

    def kept_condition(self, request):
        return Q(pk__in=manageable_users(request.user).values("pk"))

    def get_fieldsets(self, request, obj=None):
        if obj is None or self.unrestricted(request):
            return super().get_fieldsets(request, obj)
        return STAFF_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is None or self.unrestricted(request):
            return fields
        return [*fields, "last_login", "date_joined"]

    def get_list_display(self, request):
        columns = super().get_list_display(request)
        if self.unrestricted(request):
            return columns
        return [c for c in columns if c not in SUPERUSER_ONLY_COLUMNS]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.unrestricted(request):
            return filters
        return [f for f in filters if f not in SUPERUSER_ONLY_COLUMNS]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not self.unrestricted(request):
            # The fieldsets leave these out; a form built from other fields
            # must not bring them back.
            for name in SUPERUSER_ONLY_COLUMNS:
                form.base_fields.pop(name, None)
        return form


class SuperuserGroupAdmin(CheckedKeys, GroupAdmin):
    """Groups carry permissions: only superusers see or change them."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class LoginAttemptAdmin(CheckedKeys, AccessAttemptAdmin):
    @admin.action(
        description=AccessAttemptAdmin.cleanup_expired_attempts.short_description
    )
    def cleanup_expired_attempts(self, request, queryset):
        # django-axes reads the request's time from an attribute its login
        # handlers set, which an admin request lacks: the action was a 500.
        AxesProxyHandler.update_request(request)
        return super().cleanup_expired_attempts(request, queryset)


class LoginLogAdmin(CheckedKeys, AccessLogAdmin):
    pass


class LoginFailureLogAdmin(CheckedKeys, AccessFailureLogAdmin):
    pass
