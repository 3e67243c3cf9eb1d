"""The review form's fields rendered once, as crispy-bootstrap5 would: each
section's block, a field's group (label, control, errors and help) and its
control."""

import dataclasses
from dataclasses import dataclass

from django import forms
from django.utils.html import conditional_escape, format_html, format_html_join
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
    label = format_html(
        '<label for="{}" class="form-label{}">{}{}</label>',
        bound.id_for_label,
        " requiredField" if required else "",
        bound.label,
        mark_safe('<span class="asteriskField">*</span>') if required else "",
    )
    shown_errors = ""
    if errors:
        shown_errors = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>',
            errors.field_id,
            format_html_join(
                "",
                '<p id="error_{}_{}"><strong>{}</strong></p>',
                ((n, bound.auto_id, error) for n, error in enumerate(errors, 1)),
            ),
        )
    help_text = ""
    if bound.help_text:
        # As crispy shows it: the help text is the form's own, not user input.
        help_text = format_html(
            '<div id="{}_helptext" class="form-text">{}</div>',
            bound.auto_id,
            mark_safe(bound.help_text),
        )
    classes = bound.css_classes()
    return format_html(
        '<div id="div_{}" class="mb-3{}">{}{}{}{}</div>',
        bound.auto_id,
        f" {classes}" if classes else "",
        label,
        control,
        shown_errors,
        help_text,
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
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(value)}"'
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
    name, value = shown["name"], shown["value"]
    if isinstance(widget, forms.Textarea):
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            name,
            html_attrs(shown["attrs"]),
            value or "",
        )
    if isinstance(widget, forms.Select):
        options = format_html_join(
            "",
            '\n  <option value="{}"{}>{}</option>',
            (
                (option["value"], html_attrs(option["attrs"]), option["label"])
                for _group, choices, _index in shown["optgroups"]
                for option in choices
            ),
        )
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            name,
            html_attrs(shown["attrs"]),
            options,
        )
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        shown["type"],
        name,
        format_html(' value="{}"', value) if value is not None else "",
        html_attrs(shown["attrs"]),
    )


def text_field(label, help_text=""):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
