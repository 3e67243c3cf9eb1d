"""What a token may do: read its subtree; write only with a read-write token."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from .models import ApiToken


class TokenScope(permissions.BasePermission):
    """A usable token reads; a write also needs the read-write scope.

    The write check is made on the object, after the scoped lookup, so that a
    row outside the subtree answers 404 to every token, as on the pages.
    Views that write without an object call `require_write` themselves.
    """

    message = _("This token may only read.")

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiToken)

    def has_object_permission(self, request, view, obj):
        return request.method in permissions.SAFE_METHODS or request.auth.writes


def require_write(request):
    if not request.auth.writes:
        raise exceptions.PermissionDenied(TokenScope.message)
