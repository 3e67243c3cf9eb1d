"""The admin's spreadsheet import and export: all rows or none, in the
background for large files, with the admin log written as import_export would."""

from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import connections, transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from import_export.admin import ImportExportMixin
from import_export.forms import (
    ConfirmImportForm,
    ImportForm,
    SelectableFieldsExportForm,
)
from import_export.results import RowResult

from reviews import background

from .import_confirm import UNREADABLE, ConfirmOfPreviewMixin
from .models import ImportJob
from .resources import (
    LIMITED_FORMATS,
    TEXT_FORMATS,
    ImportRefused,
    import_limit,
    read_upload,
)

# The admin log's action for each kind of imported row, and its message, as
# import_export writes them (gettext of the message with the kind put in).
LOG_MESSAGE = "%s through import_export"
LOGGED_KINDS = {
    RowResult.IMPORT_TYPE_NEW: ADDITION,
    RowResult.IMPORT_TYPE_UPDATE: CHANGE,
    RowResult.IMPORT_TYPE_DELETE: DELETION,
}


def write_log_entries(user_id, instances, flag, message):
    """The entries LogEntry.objects.log_actions writes for `instances` (more
    than one), in one INSERT on PostgreSQL, in their order, with one time."""
    connection = connections[LogEntry.objects.db]
    quote = connection.ops.quote_name
    types = ContentType.objects
    columns = [
        LogEntry._meta.get_field(name).column
        for name in (
            "action_time",
            "user",
            "content_type",
            "object_id",
            "object_repr",
            "action_flag",
            "change_message",
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(LogEntry._meta.db_table)} "  # noqa: S608 - names quoted
            f"({', '.join(map(quote, columns))}) "
            "SELECT %s, %s, entry.content_type, entry.object_id, entry.object_repr, "
            "%s, %s FROM unnest(%s::integer[], %s::text[], %s::text[]) "
            "WITH ORDINALITY AS entry (content_type, object_id, object_repr, position) "
            "ORDER BY entry.position",
            [
                timezone.now(),
                user_id,
                flag,
                str(message),
                [
                    types.get_for_model(obj, for_concrete_model=False).id
                    for obj in instances
                ],
                [str(obj.pk) for obj in instances],
                [str(obj)[:200] for obj in instances],
            ],
        )


class SpreadsheetImportForm(ImportForm):
    """Refuse a file past the limits, unreadable, or with unknown columns,
    before any row is imported. Keeps the rows read in `dataset`."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.formats = formats
        self.resource_classes = resources
        self.dataset = self.data_bytes = None

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("import_file")
        # A format or resource not offered is refused already: read nothing.
        if upload and cleaned_data.get("format") and "resource" in cleaned_data:
            input_format = self.formats[int(cleaned_data["format"])]()
            resource = self.resource_classes[int(cleaned_data["resource"] or 0)]()
            try:
                data = read_upload(upload)
                dataset = input_format.create_dataset(data)
            except ImportRefused as refusal:
                self.add_error("import_file", refusal.message)
            # A file in another format fails deep inside tablib or openpyxl, with
            # anything from BadZipFile to UnicodeDecodeError.
            except Exception:
                values = {"name": upload.name, "format": input_format.get_title()}
                self.add_error("import_file", UNREADABLE % values)
            else:
                self.check_columns(dataset.headers or [], resource)
                self.dataset, self.data_bytes = dataset, data
        return cleaned_data

    def check_columns(self, headers, resource):
        written = [str(header).strip() for header in headers if header is not None]
        named = resource.columns_of_headers(written)
        fields = {field.column_name: field for field in resource.get_import_fields()}
        unknown = [
            header
            for header, column in zip(written, named, strict=True)
            if header and column not in fields
        ]
        missing = [key for key in resource.get_import_id_fields() if key not in named]
        if unknown or missing:
            message = _(
                "The first row must name the columns. Unknown columns: %(unknown)s. "
                "Missing columns: %(missing)s. Allowed columns: %(columns)s."
            )
            headers = {
                column: force_str(resource.header_of(field))
                for column, field in fields.items()
            }
            values = {
                "unknown": ", ".join(unknown) or "–",
                "missing": ", ".join(headers.get(key, key) for key in missing) or "–",
                "columns": ", ".join(headers.values()),
            }
            self.add_error("import_file", message % values)


def name_columns(response, resource_classes):
    """List a page's columns ("This importer will import the following fields")
    by their headers, as the files carry them."""
    context = getattr(response, "context_data", None)
    if not context or "fields_list" not in context:
        return
    context["fields_list"] = [
        (
            resource.get_display_name(),
            [
                force_str(resource.header_of(field))
                for field in resource().get_user_visible_fields()
            ],
        )
        for resource in resource_classes
    ]


class SpreadsheetExportForm(SelectableFieldsExportForm):
    """The columns to export, named as the file's headers will be."""

    def _get_field_label(self, resource, field_name):
        field = resource.fields.get(field_name)
        if field is None:
            return super()._get_field_label(resource, field_name)
        return resource.header_of(field)


class SpreadsheetImportExportMixin(ConfirmOfPreviewMixin, ImportExportMixin):
    """Import every row of a file or none of them, for staff with the permissions."""

    import_form_class = SpreadsheetImportForm
    export_form_class = SpreadsheetExportForm
    import_error_display = ("message", "row")
    # Excel reads a CSV without the byte-order mark as ANSI and garbles Vietnamese.
    to_encoding = "utf-8-sig"

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    # The register an import job of this admin fills (ImportJob.Register).
    import_register = None

    def get_import_formats(self):
        # Files are read within the import limits (organizations/resources/).
        return [LIMITED_FORMATS.get(f, f) for f in super().get_import_formats()]

    def create_import_form(self, request):
        # import_action below has read the file already: read it once.
        form = getattr(request, "spreadsheet_import_form", None)
        return form if form is not None else super().create_import_form(request)

    def import_action(self, request, **kwargs):
        """Preview and confirm a small file here; import a large one as a job.

        A file with more than IMPORT_BACKGROUND_ROWS rows would outlast the
        request twice (the preview, then the confirm): a worker imports it at
        once, every row or none, and the job's page shows how far it is.
        """
        if request.method == "POST" and self.has_import_permission(request):
            form = self.create_import_form(request)
            request.spreadsheet_import_form = form
            background_rows = import_limit("IMPORT_BACKGROUND_ROWS")
            if form.is_valid() and len(form.dataset) > background_rows:
                return self.start_import_job(request, form)
        response = super().import_action(request, **kwargs)
        name_columns(response, self.get_import_resource_classes(request))
        return response

    def export_action(self, request):
        response = super().export_action(request)
        name_columns(response, self.get_export_resource_classes(request))
        return response

    def start_import_job(self, request, form):
        from .tasks import import_task

        input_format = self.get_import_formats()[int(form.cleaned_data["format"])]
        job = ImportJob.objects.create(
            user=request.user,
            register=self.import_register,
            file_name=form.cleaned_data["import_file"].name[:255],
            file_format=input_format().get_title(),
            data=form.data_bytes,
            language=translation.get_language() or "",
            total=len(form.dataset),
        )
        transaction.on_commit(lambda: background.start(import_task, job.pk))
        return HttpResponseRedirect(self.import_job_url(job))

    def import_job_url(self, job):
        app_label, model_name = self.get_model_info()
        return reverse(
            f"admin:{app_label}_{model_name}_import_job",
            args=[job.pk],
            current_app=self.admin_site.name,
        )

    def get_urls(self):
        app_label, model_name = self.get_model_info()
        job_url = path(
            "import/jobs/<int:job_id>/",
            self.admin_site.admin_view(self.import_job_view),
            name=f"{app_label}_{model_name}_import_job",
        )
        return [job_url, *super().get_urls()]

    def import_job_view(self, request, job_id):
        """An import job's progress, then its result or its rows' errors.

        Each user sees their own jobs (superusers all); htmx asks for the
        job's section again every second until it ends.
        """
        if not self.has_import_permission(request):
            raise PermissionDenied
        jobs = ImportJob.objects.filter(register=self.import_register).defer("data")
        if not request.user.is_superuser:
            jobs = jobs.filter(user=request.user)
        job = get_object_or_404(jobs, pk=job_id)
        app_label, model_name = self.get_model_info()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import of “%(name)s”") % {"name": job.file_name},
            "job": job,
            "job_url": self.import_job_url(job),
            "changelist_url": reverse(
                f"admin:{app_label}_{model_name}_changelist",
                current_app=self.admin_site.name,
            ),
            "import_url": reverse(
                f"admin:{app_label}_{model_name}_import",
                current_app=self.admin_site.name,
            ),
        }
        template = "admin/organizations/import_job.html"
        if getattr(request, "htmx", False):
            template = "admin/organizations/_import_job.html"
        return TemplateResponse(request, template, context)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_export_formats(self):
        # Text that looks like a formula goes out as text (kontum_review/cells.py).
        return [TEXT_FORMATS.get(f, f) for f in super().get_export_formats()]

    def get_import_data_kwargs(self, **kwargs):
        # The preview always rolls back, but the confirm step keeps the valid rows
        # unless told otherwise, and rows can turn invalid in between.
        form = kwargs.get("form")
        kwargs = {
            **super().get_import_data_kwargs(**kwargs),
            "rollback_on_validation_errors": True,
        }
        # A resource that can keeps what the preview checked, for the confirm
        # of the same bytes by the same user (members/resources.py).
        if isinstance(form, ConfirmImportForm):
            kwargs["use_preview"] = True
        elif isinstance(form, SpreadsheetImportForm):
            kwargs["keep_preview"] = True
        return kwargs

    def generate_log_entries(self, result, request):
        """import_export's admin log of an import, one statement for each kind
        of row: LogEntry.objects.log_actions builds an entry a row and has
        Django compile its values (0.25 s of CPU for 5,000 rows)."""
        if self.get_skip_admin_log():
            return
        if connections[LogEntry.objects.db].vendor != "postgresql":
            super().generate_log_entries(result, request)
            return
        by_kind = {}
        for row in result:
            by_kind.setdefault(row.import_type, []).append(row.instance)
        for kind, instances in by_kind.items():
            flag = LOGGED_KINDS.get(kind)
            if flag is None:
                continue
            message = _(LOG_MESSAGE % kind)
            if len(instances) == 1:
                LogEntry.objects.log_actions(
                    request.user.pk, instances, flag, message, single_object=True
                )
            else:
                write_log_entries(request.user.pk, instances, flag, message)

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
