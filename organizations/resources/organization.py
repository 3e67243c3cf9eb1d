"""OrganizationResource: the Party tree's import and export."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields

from ..models import Organization, OrganizationType
from .cells import CodeForeignKeyWidget
from .spreadsheet import SpreadsheetResource

TOP_KIND_MESSAGE = _(
    "The kind of the organization at the top of your subtree is changed by the "
    "committee above."
)


class OrganizationResource(SpreadsheetResource):
    kept_path = ""
    kept_fields = ["parent"]
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

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        instance.stored_kind = None if new else instance.kind
        instance.stored_path = instance.path

    def after_save_instance(self, instance, row, **kwargs):
        super().after_save_instance(instance, row, **kwargs)
        parents = self.fields["parent"].widget
        if instance.stored_path and instance.path != instance.stored_path:
            # A moved subtree leaves the paths read for the file stale.
            parents.forget()
        else:
            parents.found(instance)

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        if instance.pk is None or instance.kind == instance.stored_kind:
            return
        # The admin shows the kind of the top read-only (organizations/admin.py).
        if not self.keeps(instance.stored_organizations["parent"]):
            raise ValidationError({"kind": TOP_KIND_MESSAGE})

    class Meta:
        model = Organization
        import_id_fields = ["code"]
        fields = [
            "code",
            "name",
            "kind",
            "org_type",
            "parent",
            "active_from",
            "active_until",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
