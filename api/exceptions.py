"""Errors as JSON with Vietnamese messages, whatever went wrong in the input."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler


def handler(exc, context):
    """DRF's handler, with the errors it leaves in English or unhandled mended.

    A JSON body that does not parse carries Python's English reason; a Django
    ValidationError raised by the app's own rules would be a 500.
    """
    if isinstance(exc, exceptions.ParseError):
        exc = exceptions.ParseError(
            _("The request body cannot be read: send valid JSON or a form.")
        )
    elif isinstance(exc, Http404):
        # DRF would keep Django's English "No Member matches the given query."
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail)
    response = exception_handler(exc, context)
    if response is not None:
        response.headers.setdefault("Cache-Control", "no-store")
    return response
