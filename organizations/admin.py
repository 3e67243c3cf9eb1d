from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm
from simple_history.admin import SimpleHistoryAdmin

from kontum_review.admin import FoldedSearchMixin

from .models import Organization, OrganizationType, Role
from .resources import OrganizationResource


def read_dataset(upload, input_format):
    data = b"".join(upload.chunks())
    if not input_format.is_binary():
        data = data.decode("utf-8-sig")
    return input_format.create_dataset(data)


class SpreadsheetImportForm(ImportForm):
    """Refuse an unreadable file or unknown columns before any row is imported."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.resource_classes = resources

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("import_file")
        if upload and cleaned_data.get("format"):
            input_format = self.formats[int(cleaned_data["format"])]()
            resource = self.resource_classes[int(cleaned_data["resource"] or 0)]()
            try:
                dataset = read_dataset(upload, input_format)
            # A file in another format fails deep inside tablib or openpyxl, with
            # anything from BadZipFile to UnicodeDecodeError.
            except Exception:
                message = _(
                    "“%(name)s” cannot be read as %(format)s. Save it from Excel as "
                    "an .xlsx workbook or as CSV UTF-8, and choose the matching format."
                )
                values = {"name": upload.name, "format": input_format.get_title()}
                self.add_error("import_file", message % values)
            else:
                self.check_columns(dataset.headers or [], resource)
        return cleaned_data

    def check_columns(self, headers, resource):
        headers = [str(header).strip() for header in headers if header is not None]
        columns = [field.column_name for field in resource.get_import_fields()]
        unknown = [header for header in headers if header and header not in columns]
        missing = [key for key in resource.get_import_id_fields() if key not in headers]
        if unknown or missing:
            message = _(
                "The first row must name the columns. Unknown columns: %(unknown)s. "
                "Missing columns: %(missing)s. Allowed columns: %(columns)s."
            )
            values = {
                "unknown": ", ".join(unknown) or "–",
                "missing": ", ".join(missing) or "–",
                "columns": ", ".join(columns),
            }
            self.add_error("import_file", message % values)


class SpreadsheetImportExportMixin(ImportExportMixin):
    """Import every row of a file or none of them, for staff with the permissions."""

    import_form_class = SpreadsheetImportForm
    import_error_display = ("message", "row")
    # Excel reads a CSV without the byte-order mark as ANSI and garbles Vietnamese.
    to_encoding = "utf-8-sig"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_import_data_kwargs(self, **kwargs):
        # The preview always rolls back, but the confirm step keeps the valid rows
        # unless told otherwise, and rows can turn invalid in between.
        kwargs = super().get_import_data_kwargs(**kwargs)
        return {**kwargs, "rollback_on_validation_errors": True}

    def process_result(self, result, request):
        if not (result.has_errors() or result.has_validation_errors()):
            return super().process_result(result, request)
        rows = sorted(
            {row.number for row in result.invalid_rows}
            | {row.number for row in result.error_rows}
        )
        message = ngettext_lazy(
            "Nothing was imported: row %(rows)s failed when the import was "
            "confirmed. Upload the file again to see why.",
            "Nothing was imported: rows %(rows)s failed when the import was "
            "confirmed. Upload the file again to see why.",
            len(rows),
        )
        messages.error(request, message % {"rows": ", ".join(map(str, rows)) or "–"})
        app_label, model_name = self.get_model_info()
        url = reverse(
            f"admin:{app_label}_{model_name}_import", current_app=self.admin_site.name
        )
        return HttpResponseRedirect(url)


@admin.register(OrganizationType)
class OrganizationTypeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "position"]
    list_editable = ["position"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Organization)
class OrganizationAdmin(
    FoldedSearchMixin, SpreadsheetImportExportMixin, SimpleHistoryAdmin
):
    resource_classes = [OrganizationResource]
    list_display = [
        "code",
        "name",
        "kind",
        "org_type",
        "parent",
        "active_from",
        "active_until",
    ]
    list_filter = ["kind", "org_type", "depth"]
    list_select_related = ["org_type", "parent"]
    search_fields = ["search_text"]
    autocomplete_fields = ["org_type", "parent"]
    ordering = ["path"]
    readonly_fields = ["public_id"]
    fields = [
        "code",
        "name",
        "kind",
        "org_type",
        "parent",
        "active_from",
        "active_until",
        "public_id",
    ]


@admin.register(Role)
class RoleAdmin(SimpleHistoryAdmin):
    list_display = ["user", "kind", "organization"]
    list_filter = ["kind"]
    list_select_related = ["user", "organization"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "organization__search_text",
    ]
    autocomplete_fields = ["user", "organization"]
