"""The OpenAPI description of the query strings, read from the forms that check
them (api/filters.py), so the two cannot drift apart."""

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

TYPES = {
    forms.UUIDField: OpenApiTypes.UUID,
    forms.IntegerField: OpenApiTypes.INT,
}


def parameter(name, field):
    kind = next((t for c, t in TYPES.items() if isinstance(field, c)), None)
    enum = None
    if isinstance(field, forms.ChoiceField):
        enum = [value for value, _label in field.choices if value != ""]
    description = field.help_text or field.label or ""
    return OpenApiParameter(
        name,
        kind or OpenApiTypes.STR,
        OpenApiParameter.QUERY,
        required=field.required,
        description=description,
        enum=enum,
    )


def parameters(form_class, exclude=()):
    fields = form_class.base_fields
    return [parameter(name, f) for name, f in fields.items() if name not in exclude]
