from django.utils.translation import gettext_lazy as _
from import_export import fields

from organizations.models import Organization
from organizations.resources import (
    CodeForeignKeyWidget,
    SpreadsheetResource,
    TextWidget,
)

from .models import Member
from .posts import add_posts_from_text

CITIZEN_ID_LENGTH = 12


class CitizenIdWidget(TextWidget):
    """Put back the leading zero Excel drops from an ID typed in as a number."""

    def clean(self, value, row=None, **kwargs):
        text = super().clean(value, row, **kwargs)
        # Every citizen ID starts with a zero-padded province code (001–096).
        if isinstance(value, int | float) and text.isdigit():
            return text.zfill(CITIZEN_ID_LENGTH)
        return text


class MemberResource(SpreadsheetResource):
    kept_path = "organization"
    kept_fields = ["organization"]
    citizen_id = fields.Field(
        attribute="citizen_id",
        column_name="citizen_id",
        widget=CitizenIdWidget(),
        default="",
    )
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

    def after_init_instance(self, instance, new, row, **kwargs):
        super().after_init_instance(instance, new, row, **kwargs)
        # The Party post as stored, before the row's values are set.
        instance.stored_party_post = "" if new else instance.party_post

    def after_save_instance(self, instance, row, **kwargs):
        """Read a new or changed Party post into posts, unless some are held.

        Posts staff entered or checked stay as they are; a secretary post is
        left out when the organization already has a current secretary, which
        staff settle in the admin. The posts are written in the import's
        transaction, so a refused file leaves none behind.
        """
        super().after_save_instance(instance, row, **kwargs)
        if kwargs.get("dry_run") and not kwargs.get("using_transactions"):
            return  # nothing was saved, and nothing would be rolled back
        if instance.party_post != getattr(instance, "stored_party_post", ""):
            add_posts_from_text(instance)
