from django.utils.translation import gettext_lazy as _
from import_export import fields, resources

from organizations.models import Organization
from organizations.resources import CodeForeignKeyWidget

from .models import Member


class MemberResource(resources.ModelResource):
    organization = fields.Field(
        attribute="organization",
        column_name="organization",
        widget=CodeForeignKeyWidget(
            Organization, _("There is no Party organization with code “%(code)s”.")
        ),
    )

    class Meta:
        model = Member
        import_id_fields = ["card_number"]
        fields = [
            "card_number",
            "full_name",
            "gender",
            "date_of_birth",
            "citizen_id",
            "admitted_on",
            "full_member_on",
            "standing",
            "status",
            "status_note",
            "organization",
            "party_post",
            "government_post",
            "mass_post",
            "is_leader",
            "workplace",
            "email",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
