from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from .models import Organization, OrganizationType


class CodeForeignKeyWidget(widgets.ForeignKeyWidget):
    """Look a row up by its code and say in Vietnamese when it is missing."""

    def __init__(self, model, missing_message):
        super().__init__(model, field="code")
        self.missing_message = missing_message

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except self.model.DoesNotExist:
            raise ValueError(self.missing_message % {"code": value}) from None


class OrganizationResource(resources.ModelResource):
    org_type = fields.Field(
        attribute="org_type",
        column_name="org_type",
        widget=CodeForeignKeyWidget(
            OrganizationType, _("There is no organization type with code “%(code)s”.")
        ),
    )
    parent = fields.Field(
        attribute="parent",
        column_name="parent",
        widget=CodeForeignKeyWidget(
            Organization, _("There is no parent organization with code “%(code)s”.")
        ),
    )

    class Meta:
        model = Organization
        import_id_fields = ["code"]
        fields = ["code", "name", "kind", "org_type", "parent", "active_from", "active_until"]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
