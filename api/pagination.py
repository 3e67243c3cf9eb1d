from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class Cursor(CursorPagination):
    """Pages of a list that stay right while rows are added: no count query.

    Each view names its `ordering`, a field that does not change.
    """

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "pk"

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            # A query string is input: a bad one is a 400 that says which.
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("This page cursor is not valid.")]}
            ) from None

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is not None and not (value.isdigit() and int(value) > 0):
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(most)s.")
                        % {"most": self.max_page_size}
                    ]
                }
            )
        return super().get_page_size(request)
