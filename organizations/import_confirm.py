"""The confirm of an admin import, bound to the preview that checked its file.

django-import-export's confirm step posts back, in hidden fields, the name of
a file in the temp folder and the indexes of its format and resource; a post
may name anything there (a format or resource past the list, a file that was
never written or another user's), and import_export then fails with a 500 or
imports a file nobody previewed. Here the preview keeps nothing until its
file has passed (`keep_previewed_file`, from the admin's confirm form): then
its bytes are kept under the importer and the file's SHA-256 (the hash its
parsed rows and a member preview are kept under: resources/formats.py,
members/previews.py), with a random token, the format and the resource. The
confirm (`take_previewed_file`) reads back only such a file of the user who
posts it, once; any other post is refused with a message before a row is read.
"""

import hashlib
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from import_export.forms import ConfirmImportForm

from .resources import ImportRefused

# A kept file's name, as the confirm form carries it: the file's SHA-256 and a
# token only its preview page was given.
KEPT_NAME = re.compile(r"[0-9a-f]{64}-[0-9a-f]{32}")

# A preview never confirmed keeps its file this long (import_export keeps a
# cached one a day too); each new preview of the user removes their older ones.
KEPT_SECONDS = 24 * 60 * 60

NOT_A_PREVIEW = _(
    "This confirmation does not match a file you previewed: the page sent "
    "was changed or is incomplete. Nothing was imported. Upload the file again."
)
NO_PREVIEW = _(
    "The preview of this file is not kept any more: it was confirmed already, "
    "it expired, or another user made it. Nothing was imported. Upload the "
    "file again."
)
UNREADABLE = _(
    "“%(name)s” cannot be read as %(format)s. Save it from Excel as "
    "an .xlsx workbook or as CSV UTF-8, and choose the matching format."
)


def kept_folder(user):
    """The folder of a user's kept files (IMPORT_PREVIEW_DIR, or one in the
    temp folder), that only the app's own account may read."""
    root = Path(
        getattr(settings, "IMPORT_PREVIEW_DIR", None)
        or Path(tempfile.gettempdir()) / "kontum-import-previews"
    )
    return root / str(user.pk)


def kept_path(user, name, file_format, resource):
    """Where the file `name` a user previewed in that format, for that
    resource, is kept; `name` is a KEPT_NAME, the indexes numbers."""
    return kept_folder(user) / f"{name}.{int(file_format)}.{int(resource)}"


class PreviewedFile:
    """An upload's bytes as import_export's temp storage holds them for the
    preview, in memory: nothing is written for a preview that fails."""

    def __init__(self, data):
        self.data = data
        self.name = hashlib.sha256(data).hexdigest()

    def read(self):
        return self.data

    def remove(self):
        pass


def keep_previewed_file(user, data, file_format, resource):
    """Keep the bytes of a file that passed its preview; the name its confirm
    sends back."""
    folder = kept_folder(user)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    forget_old_files(folder)
    name = f"{hashlib.sha256(data).hexdigest()}-{secrets.token_hex(16)}"
    path = kept_path(user, name, file_format, resource)
    partial = path.with_name(f"{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)  # the confirm never reads half a file
    return name


def take_previewed_file(user, name, file_format, resource):
    """The bytes kept for this user's confirm of `name`, or None. They are
    taken away as they are read: a second confirm finds nothing."""
    if not KEPT_NAME.fullmatch(name):
        return None
    path = kept_path(user, name, file_format, resource)
    taken = path.with_name(f"{path.name}.taken-{secrets.token_hex(8)}")
    try:
        os.rename(path, taken)  # of two confirms at once, one takes it
    except OSError:
        return None
    try:
        return taken.read_bytes()
    finally:
        taken.unlink(missing_ok=True)


def forget_old_files(folder):
    too_old = time.time() - KEPT_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < too_old:
                path.unlink()
        except OSError:
            pass  # taken or removed meanwhile


class SpreadsheetConfirmForm(ConfirmImportForm):
    """The confirm's hidden fields, refused unless they can name a kept file:
    a format and a resource of the admin's lists, a KEPT_NAME."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(**kwargs)
        hidden = forms.HiddenInput
        self.fields["format"] = forms.ChoiceField(
            choices=[(str(index), str(index)) for index in range(len(formats))],
            widget=hidden,
        )
        self.fields["resource"] = forms.ChoiceField(
            choices=[("", "")]
            + [(str(index), str(index)) for index in range(len(resources))],
            required=False,
            widget=hidden,
        )
        self.fields["original_file_name"].max_length = 255

    def clean_import_file_name(self):
        name = self.cleaned_data["import_file_name"]
        if not KEPT_NAME.fullmatch(name):
            raise forms.ValidationError(NOT_A_PREVIEW, code="invalid")
        return name

    def clean_resource(self):
        return self.cleaned_data["resource"] or "0"

    def kept_file(self):
        """What names the kept file: take_previewed_file's arguments but the user."""
        return {
            "name": self.cleaned_data["import_file_name"],
            "file_format": self.cleaned_data["format"],
            "resource": self.cleaned_data["resource"],
        }


class ConfirmOfPreviewMixin:
    """An import_export admin whose confirm imports only a file its user
    previewed. Mixed into SpreadsheetImportExportMixin (spreadsheet_admin.py),
    whose import form holds the bytes it read (`data_bytes`) and whose
    import_action shows the form left in `request.spreadsheet_import_form`."""

    confirm_form_class = SpreadsheetConfirmForm

    def write_to_tmp_storage(self, import_file, input_format):
        # Held in memory for the preview; kept only once it passed (below).
        return PreviewedFile(b"".join(import_file.chunks()))

    def get_confirm_form_kwargs(self, request, import_form=None):
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        return {
            **kwargs,
            "formats": self.get_import_formats(),
            "resources": self.get_import_resource_classes(request),
        }

    def get_confirm_form_initial(self, request, import_form):
        """The preview passed: keep its file for this user's confirm, under
        the name the confirm sends back."""
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["resource"] = initial["resource"] or "0"
            initial["import_file_name"] = keep_previewed_file(
                request.user,
                import_form.data_bytes,
                initial["format"],
                initial["resource"],
            )
        return initial

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        """Import the file this user previewed, as the confirm names it; a
        confirm that names no such file is refused, nothing read or written."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            return self.refuse_confirm(request, NOT_A_PREVIEW)
        data = take_previewed_file(request.user, **form.kept_file())
        if data is None:
            return self.refuse_confirm(request, NO_PREVIEW)
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])]()
        try:
            dataset = input_format.create_dataset(data)
        except ImportRefused as refusal:
            return self.refuse_confirm(request, refusal.message)
        except Exception:  # the preview read it: the limits or the code changed
            values = {
                "name": form.cleaned_data["original_file_name"],
                "format": input_format.get_title(),
            }
            return self.refuse_confirm(request, UNREADABLE % values)
        result = self.process_dataset(dataset, form, request, **kwargs)
        return self.process_result(result, request)

    def refuse_confirm(self, request, message):
        """The import page again, empty, with why the confirm was refused."""
        messages.error(request, message)
        request.spreadsheet_import_form = self.get_import_form_class(request)(
            self.get_import_formats(),
            self.get_import_resource_classes(request),
            initial=self.get_import_form_initial(request),
        )
        return self.import_action(request)
