"""The review form's fields rendered once, as crispy-bootstrap5 would: each
section's block, a field's group (label, control, errors and help) and its
control."""

import dataclasses
import html
from dataclasses import dataclass

from django import forms
from django.utils.functional import Promise
from django.utils.safestring import mark_safe

from ..models import (
    FormSection,
)
from .content import TEXT_MAX_LENGTH


@dataclass
class Block:
    """One section of the form as the template shows it.

    The fields are bound fields for the read-only page, and their rendered
    groups (field_group) for the editable one: its templates print them.
    """

    section: FormSection
    field: forms.BoundField | None = None
    rows: list = dataclasses.field(default_factory=list)
    score_groups: list = dataclasses.field(default_factory=list)
    conditions: list = dataclasses.field(default_factory=list)
    civil_servant: forms.BoundField | None = None

    @property
    def kind(self):
        return self.section.kind


# The Bootstrap class of each widget's control, after crispy-bootstrap5.
CONTROL_CLASSES = {forms.Select: "form-select", forms.CheckboxInput: "form-check-input"}


def control_class(widget):
    """The widget's classes as crispy's filter sets them: its own name first."""
    bootstrap = next(
        (css for kind, css in CONTROL_CLASSES.items() if isinstance(widget, kind)),
        "form-control",
    )
    return f"{type(widget).__name__.lower()} {bootstrap}"


def escaped(value):
    """`value` as conditional_escape writes it, as a plain str: without its
    lazy wrapper and SafeString, which cost more than the escaping for the
    twenty-odd values each field writes."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


REQUIRED_CLASS = " requiredField"
ASTERISK = '<span class="asteriskField">*</span>'


def field_group(bound):
    """The label, control, errors and help of a field, as crispy-bootstrap5's
    field.html lays them out, in one pass of Python instead of ten templates.
    """
    widget = bound.field.widget
    if widget.is_hidden:
        return control_html(bound, {})
    errors = bound.errors
    css = widget.attrs.get("class") or control_class(widget)
    if errors and "is-invalid" not in css.split():
        css = f"{css} is-invalid"
    control = control_html(bound, {"class": css})
    required = bound.field.required
    label = (
        f'<label for="{escaped(bound.id_for_label)}" class="form-label'
        f'{REQUIRED_CLASS if required else ""}">{escaped(bound.label)}'
        f"{ASTERISK if required else ''}</label>"
    )
    auto_id = escaped(bound.auto_id)
    shown_errors = ""
    if errors:
        shown_errors = (
            f'<div id="{escaped(errors.field_id)}_error" class="invalid-feedback">'
            + "".join(
                f'<p id="error_{n}_{auto_id}"><strong>{escaped(error)}</strong></p>'
                for n, error in enumerate(errors, 1)
            )
            + "</div>"
        )
    help_text = ""
    if bound.help_text:
        # As crispy shows it: the help text is the form's own, not user input.
        help_text = (
            f'<div id="{auto_id}_helptext" class="form-text">{bound.help_text}</div>'
        )
    classes = bound.css_classes()
    classes = escaped(f" {classes}") if classes else ""
    return mark_safe(
        f'<div id="div_{auto_id}" class="mb-3{classes}">'
        f"{label}{control}{shown_errors}{help_text}</div>"
    )


# The widgets control_html writes as Django's own templates would.
PLAIN_WIDGETS = (
    forms.Textarea,
    forms.Select,
    forms.TextInput,
    forms.NumberInput,
    forms.DateInput,
    forms.TimeInput,
    forms.CheckboxInput,
    forms.HiddenInput,
)


def html_attrs(attrs):
    """Attributes in their order, as django/forms/widgets/attrs.html writes them."""
    return mark_safe(
        "".join(
            f" {escaped(name)}"
            if value is True
            else f' {escaped(name)}="{escaped(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


def control_html(bound, attrs):
    """The field's widget as BoundField.as_widget renders it, without its
    templates (django/forms/widgets/*.html); other widgets go through them."""
    widget = bound.field.widget
    if type(widget) not in PLAIN_WIDGETS:
        return bound.as_widget(attrs=attrs)
    attrs = bound.build_widget_attrs(attrs, widget)
    if bound.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", bound.auto_id)
    shown = widget.get_context(bound.html_name, bound.value(), attrs)["widget"]
    name, value = escaped(shown["name"]), shown["value"]
    if isinstance(widget, forms.Textarea):
        return mark_safe(
            f'<textarea name="{name}"{html_attrs(shown["attrs"])}>\n'
            f"{escaped(value or '')}</textarea>"
        )
    if isinstance(widget, forms.Select):
        options = "".join(
            f'\n  <option value="{escaped(option["value"])}"'
            f"{html_attrs(option['attrs'])}>{escaped(option['label'])}</option>"
            for _group, choices, _index in shown["optgroups"]
            for option in choices
        )
        return mark_safe(
            f'<select name="{name}"{html_attrs(shown["attrs"])}>{options}\n</select>'
        )
    shown_value = f' value="{escaped(value)}"' if value is not None else ""
    return mark_safe(
        f'<input type="{escaped(shown["type"])}" name="{name}"{shown_value}'
        f"{html_attrs(shown['attrs'])}>"
    )


def text_field(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
