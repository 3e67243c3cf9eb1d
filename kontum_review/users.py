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
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Permission
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


# Permission names are stored in English ("Can add historical party member"):
# the pickers show them from the model's translated names instead.
PERMISSION_ACTIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission):
    """ "Đảng viên | Có thể thêm Đảng viên", in the interface's language."""
    model = permission.content_type.model_class()
    action, _sep, model_name = permission.codename.partition("_")
    if model is None:
        return permission.name
    app = apps.get_app_config(model._meta.app_label).verbose_name
    if action not in PERMISSION_ACTIONS or model_name != model._meta.model_name:
        return f"{app} | {_(permission.name)}"
    subject = model._meta.verbose_name
    # django-simple-history's models name their model in `instance_type`.
    instance = getattr(model, "instance_type", None)
    if instance is not None:
        subject = _("history of %(model)s") % {"model": instance._meta.verbose_name}
    return f"{app} | {PERMISSION_ACTIONS[action] % {'model': subject}}"


class PermissionLabels:
    """The admin's permission pickers, labelled by `permission_label`."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["queryset"] = Permission.objects.select_related("content_type")
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


class AccountAdmin(PermissionLabels, ScopedRowsAdmin, UserAdmin):
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


class SuperuserGroupAdmin(PermissionLabels, CheckedKeys, GroupAdmin):
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
