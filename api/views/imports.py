"""Imports of the registers by file, through the admin's background job.

The file is checked as the admin checks it (organizations/admin.py
SpreadsheetImportForm: size, format, columns), then imported by the same task
(organizations/tasks.py), every row or none, as the token's account: the rows
reach only the token's subtree (organizations/resources/ kept_organizations).
"""

from pathlib import PurePath

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from members.resources import MemberResource
from organizations.models import ImportJob
from organizations.resources import IMPORT_FORMATS_BY_NAME, OrganizationResource
from organizations.spreadsheet_admin import SpreadsheetImportForm
from organizations.tasks import import_task
from reviews import background

from .. import serializers
from ..models import ApiImport
from ..permissions import require_write
from .base import ApiView

RESOURCES = {
    ImportJob.Register.ORGANIZATIONS: OrganizationResource,
    ImportJob.Register.MEMBERS: MemberResource,
}
FORMATS = list(IMPORT_FORMATS_BY_NAME.items())


def checked_file(register, upload):
    """The admin's import form, bound to the file; 400 with its messages."""
    suffix = PurePath(upload.name).suffix.lower().lstrip(".")
    names = [name for name, _format in FORMATS]
    if suffix not in names:
        raise exceptions.ValidationError(
            {"file": [_("Send an .xlsx workbook or a CSV file (.csv).")]}
        )
    form = SpreadsheetImportForm(
        [format_class for _name, format_class in FORMATS],
        [RESOURCES[register]],
        data={"format": str(names.index(suffix)), "resource": "0"},
        files={"import_file": upload},
    )
    if not form.is_valid():
        raise exceptions.ValidationError(
            {
                "file" if field == "import_file" else field: list(errors)
                for field, errors in form.errors.items()
            }
        )
    return form, suffix


def start_import(token, register, form, file_format):
    """Record the job as the admin does, and start it after the commit."""
    job = ImportJob.objects.create(
        user=token.account,
        register=register,
        file_name=form.cleaned_data["import_file"].name[:255],
        file_format=file_format,
        data=form.data_bytes,
        language=translation.get_language() or "",
        total=len(form.dataset),
    )
    sent = ApiImport.objects.create(token=token, job=job)
    transaction.on_commit(lambda: background.start(import_task, job.pk))
    return sent


@extend_schema_view(
    post=extend_schema(
        summary=_("Import a register from a file"),
        description=_(
            "The admin's import, as a background job: every row is imported or "
            "none. The file has the admin's columns; rows reach only the token's "
            "subtree. Needs a read-write token. Follow the job at the address "
            "in the answer's Location header."
        ),
        request={"multipart/form-data": serializers.ImportRequestSerializer},
        responses={202: serializers.ImportSerializer},
    )
)
class ImportCreate(ApiView):
    serializer_class = serializers.ImportSerializer
    parser_classes = [MultiPartParser]

    def post(self, request, *args, **kwargs):
        require_write(request)
        sent = serializers.ImportRequestSerializer(data=request.data)
        sent.is_valid(raise_exception=True)
        register = sent.validated_data["register"]
        form, file_format = checked_file(register, sent.validated_data["file"])
        created = start_import(request.auth, register, form, file_format)
        body = serializers.ImportSerializer(created).data
        location = reverse("api:import", args=[created.public_id])
        return Response(
            body, status=status.HTTP_202_ACCEPTED, headers={"Location": location}
        )


@extend_schema_view(get=extend_schema(summary=_("An import's progress and result")))
class ImportDetail(ApiView):
    serializer_class = serializers.ImportSerializer

    def get(self, request, *args, **kwargs):
        sent = get_object_or_404(
            ApiImport.objects.filter(token=request.auth)
            .select_related("job")
            .defer("job__data"),
            public_id=kwargs["public_id"],
        )
        return Response(self.get_serializer(sent).data)
