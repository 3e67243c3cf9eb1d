"""Every form of the admin, fed what no browser sends: never a 500, never half a write.

For each model registered in the admin site, a superuser and the staff of a
lower committee (ward P01 of tests/matrix_world.py) open its add form and the
change form of one of its rows, and Hypothesis posts them the way an attacker
or a broken client would (test_fuzz_forms.py's values): text with any
unicode, NUL bytes and megabytes; NaN, Infinity and 1e999 in number fields;
impossible dates; unknown choices; the ids of other rows, those outside the
ward staff's subtree included; fields left out, repeated or added; inline
formsets whose management form is missing or lies; odd `_popup`, `_to_field`
and `_changelist_filters` in the address. The changelist's query string
(search `q`, its filters, ordering `o`, page `p`) and the history page (with
its object id) get the same treatment, and so does each admin action offered
on the changelist, on a selection of ids of any kind. A model admin with a
spreadsheet import and export has its three forms fuzzed too: the export's
(formats, resources and columns of any kind), the import's (files of random
bytes, or the persona's own export with cells, headers and columns broken, in
either format) and the import confirm's (the hidden fields of a real preview
changed: other formats and resources, paths, names of no file or of another
user's). The admin's own login page (anonymous, with django-axes on, as in
production) and password-change page are posted the same way.

What must hold:

- the answer is never a 5xx (an exception fails the example at once);
- when a post is refused (a 4xx, the form shown again with its errors, or a
  redirect with only a warning, as an action on nothing answers), no row of
  the app's tables changed;
- after a save, the page it redirects to still opens;
- a GET never writes.

Every model of `admin.site._registry` is fuzzed (the row of cell A in the
permission matrix's `ADMIN_MODELS`, or `ROWS`), or listed in `NOT_FUZZED`
with the reason: a newly registered model fails the suite until it is one or
the other.

Examples: a CI-sized run by default (a fixed, derandomized set of
`CI_EXAMPLES` examples per form, fewer per query string and action; the whole
file well under three minutes on two cores). For a longer, random run by hand:

    FUZZ_EXAMPLES=500 .venv/bin/pytest tests/kontum_review/test_fuzz_admin.py

A failure prints the smallest input Hypothesis found and the traceback.
"""

import csv
import io
import shutil
import tempfile
from datetime import timedelta
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import openpyxl
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from members.models import Member
from organizations.import_confirm import keep_previewed_file, kept_path
from organizations.models import OrganizationType
from reviews.models import Discipline, FormTemplate, Regime

from ..matrix_world import build
from ..pages import parse
from .test_fuzz_forms import (
    ANY_TEXT,
    EXAMPLES,
    FUZZ,
    NEW_PASSWORD,
    NUMBERS,
    PASSWORD,
    changes,
    fuzzed,
    nasty_values,
    snapshot,
)
from .test_permission_matrix import ADMIN_MODELS

CI_EXAMPLES = 8
XLSX, CSV = "0", "1"  # the import and export formats' indexes
FUZZ_POST = settings(FUZZ, max_examples=EXAMPLES or CI_EXAMPLES)
# A query string or an action costs a render each: fewer examples.
FUZZ_GET = settings(FUZZ, max_examples=max((EXAMPLES or CI_EXAMPLES) // 3, 3))

PERSONAS = ("superuser", "ward_staff")

# Registered models that are not fuzzed here, and why.
NOT_FUZZED = {}


def own_template(test):
    """A form template of ward P01's own cycle: one its staff change."""
    return FormTemplate.objects.get(code="T-P01")


# The row whose change form is fuzzed, where the permission matrix's row of
# cell A is not the best target.
ROWS = {"reviews.formtemplate": own_template}

# What a browser never puts in an admin address.
OBJECT_IDS = [
    "0", "-1", "abc", "1e999", "NaN", "1.5", " 1", "１", "9" * 40,
    "9223372036854775808", "_5F", "%", "..", "\u202e", "None", "[]",
    "00000000-0000-0000-0000-000000000000",
]  # fmt: skip
ORDERINGS = ["1", "-1", "2.-1", "0", "999", "-999", "1..2", "-", ".", "1.1.1", "a"]
# What an inline's management form may claim. A count in the thousands is
# refused too, but only after Django has built up to 2,000 forms to show the
# refusal: seconds a post, so only the longer runs by hand claim that many.
MANAGEMENT_VALUES = [
    "", "-1", "0", "3", "-0", " 2", "1.0", "NaN", "Infinity", "1e999", "9" * 5000,
    "٣", "１０", "abc",
]  # fmt: skip
if EXAMPLES:
    MANAGEMENT_VALUES += ["1000", "1001", "99999", "2147483648"]
ADDRESS_EXTRAS = ["_popup", "_to_field", "_changelist_filters", "e", "all"]
# What an import's file name or a confirm's hidden file name may be instead of
# the name the preview gave.
FILE_NAMES = [
    "import.csv", "import.xlsx", "x", "", "../../etc/passwd", "/etc/hostname",
    "..", "/", "tmp", "\u202egpj.csv", "a" * 300, f"{'a' * 64}-{'b' * 32}",
]  # fmt: skip
# What an uploaded file may be called (the browser sends no path).
UPLOAD_NAMES = [
    "import.csv", "import.xlsx", "x", "../../etc/passwd", "\u202egpj.csv",
    "Danh sách đảng viên.xlsx", "a" * 300,
]  # fmt: skip
# Where a login may send the browser next.
NEXT_ADDRESSES = [
    "/admin/", "/admin/members/member/", "//evil.example/", "https://evil.example/",
    "javascript:alert(1)", "/\\evil.example", "/accounts/logout/", "",
]  # fmt: skip


def admin_url(model, view, *args):
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def model_label(model):
    return f"{model._meta.app_label}.{model._meta.model_name}"


def registered():
    return {model_label(model): model for model in admin.site._registry}


def refused_with_a_message(response):
    """A redirect whose messages are all warnings or errors: a refusal."""
    levels = [message.level for message in get_messages(response.wsgi_request)]
    return bool(levels) and min(levels) >= messages.WARNING


def saved(response):
    return response.status_code in (301, 302, 303) and not refused_with_a_message(
        response
    )


def fields_of(form):
    fields = {}
    for name, value in form.fields:
        fields.setdefault(name, []).append(value)
    return fields


def management_fields(fields):
    return sorted(name for name in fields if name.endswith("_FORMS"))


@st.composite
def broken_post(draw, fields, options):
    """`fuzzed` fields, and perhaps the management form of an inline lying,
    incomplete or missing."""
    managed = management_fields(fields)
    others = {name: values for name, values in fields.items() if name not in managed}
    data = draw(fuzzed(others, options, list(others)))
    for name in managed:
        operation = draw(st.sampled_from(["keep", "keep", "keep", "change", "drop"]))
        if operation == "keep":
            data[name] = fields[name]
        elif operation == "change":
            data[name] = [draw(st.sampled_from(MANAGEMENT_VALUES) | ANY_TEXT)]
    return {name: values for name, values in data.items() if values}


def csv_bytes(table):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(table):
    workbook = openpyxl.Workbook()
    for row in table:
        workbook.active.append(
            [ILLEGAL_CHARACTERS_RE.sub("", cell) if cell else None for cell in row]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@st.composite
def broken_file(draw, table, options):
    """A file to import: random bytes, or `table` (an export: headers, then
    rows) with cells, headers and columns broken, as a CSV or a workbook;
    or no file."""
    kind = draw(st.sampled_from(["csv", "xlsx", "csv", "xlsx", "bytes", "none"]))
    if kind == "none":
        return None
    name = draw(st.sampled_from([f"import.{kind}", *UPLOAD_NAMES]))
    if kind == "bytes":
        return SimpleUploadedFile(name, draw(st.binary(max_size=300)))
    rows = [list(row) for row in table[: draw(st.integers(1, 4))]]
    width = max(len(row) for row in rows)
    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, width))
        rows[row][column:column] = [draw(nasty_values(options))]
        if draw(st.booleans()):
            del rows[row][column + 1 : column + 2]
    if draw(st.booleans()):
        rows.append([draw(nasty_values(options)) for _ in range(width)])
    encode = csv_bytes if kind == "csv" else xlsx_bytes
    return SimpleUploadedFile(name, encode(rows))


def address_extras(options):
    """What the admin reads from the address of any of its pages."""
    return st.dictionaries(
        st.sampled_from(ADDRESS_EXTRAS),
        nasty_values(options) | st.sampled_from(["1", "id", "pk", "q=x&o=1"]),
        max_size=2,
    )


class AdminFuzzTestCase(TestCase):
    """The permission matrix's world, with a row of every registered model."""

    @classmethod
    def setUpClass(cls):
        media = tempfile.mkdtemp(prefix="fuzz-admin-media-")
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        previews = tempfile.mkdtemp(prefix="fuzz-admin-previews-")
        cls.addClassCleanup(shutil.rmtree, previews, ignore_errors=True)
        folders = override_settings(MEDIA_ROOT=media, IMPORT_PREVIEW_DIR=previews)
        folders.enable()
        cls.addClassCleanup(folders.disable)
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        build(cls)
        if apps.is_installed("axes"):
            login = {"username": "secretary_c", "ip_address": "10.0.0.9"}
            login |= {"user_agent": "Firefox", "http_accept": "*/*"}
            login["path_info"] = "/accounts/login/"
            apps.get_model("axes", "AccessAttempt").objects.create(
                **login, get_data="", post_data="", failures_since_start=3
            )
            apps.get_model("axes", "AccessLog").objects.create(**login)
            apps.get_model("axes", "AccessFailureLog").objects.create(**login)
        FormTemplate.objects.create(
            regime=cls.places["A"].ward_cycle.regime,
            cycle=cls.places["A"].ward_cycle,
            code="T-P01",
            title="Mẫu riêng của phường",
            audience=FormTemplate.Audience.OTHER,
        )
        # The ids of rows of every kind in all four places: a ward's staff
        # may send those outside their subtree.
        ids = set()
        for place in cls.places.values():
            for value in vars(place).values():
                if getattr(value, "pk", None) is not None:
                    ids.add(str(value.pk))
        cls.ids = sorted(ids, key=int)

    def row(self, label):
        if label in ROWS:
            return ROWS[label](self)
        return ADMIN_MODELS[label].obj(self, self.places["A"])

    # Checks ---------------------------------------------------------------------

    def get_writes_nothing(self, what, address, data=None):
        with transaction.atomic():
            before = snapshot()
            response = self.client.get(address, data)
            if response.streaming:
                b"".join(response.streaming_content)
            self.assertLess(response.status_code, 500, what)
            self.assertEqual(changes(before, snapshot()), [], f"GET {what}")
            transaction.set_rollback(True)
        return response

    def post_checked(self, what, address, data, multipart=True):
        """Post; a refusal writes nothing, and a save's next page opens."""
        extra = {}
        if not multipart:
            data = urlencode(data, doseq=True)
            extra["content_type"] = "application/x-www-form-urlencoded"
        with transaction.atomic():
            before = snapshot()
            response = self.client.post(address, data, **extra)
            self.assertLess(response.status_code, 500, what)
            if not saved(response):
                self.assertEqual(
                    changes(before, snapshot()),
                    [],
                    f"{what}: refused ({response.status_code}) yet wrote",
                )
            elif response.status_code in (301, 302, 303):
                shown = self.client.get(response["Location"])
                self.assertLess(shown.status_code, 500, f"after {what}")
            transaction.set_rollback(True)
        return response

    # Forms ----------------------------------------------------------------------

    def options_of(self, form, fields):
        return sorted(
            {
                option["value"] if option["value"] is not None else option["text"]
                for choices in form.options.values()
                for option in choices
            }
            | {value for values in fields.values() for value in values if value}
            | set(self.ids)
        )[:300]

    def fuzz_form(self, what, address, form_id):
        """Fuzz the form `form_id` of the page; a page that refuses the form
        refuses a post too."""
        page = self.get_writes_nothing(what, address)
        forms = [form for form in parse(page).forms if form.id == form_id]
        if page.status_code != 200 or not forms:
            self.post_checked(what, address, {"x": "1"})
            return
        (form,) = forms
        fields = fields_of(form)
        options = self.options_of(form, fields)
        buttons = [button for button in form.buttons if button["name"]] or [None]

        @FUZZ_POST
        @given(
            data=broken_post(fields, options),
            button=st.sampled_from(buttons),
            query=address_extras(options),
            multipart=st.booleans(),
        )
        def post(data, button, query, multipart):
            if button is not None:
                data.setdefault(button["name"], [button["value"]])
            sent = f"{address}?{urlencode(query)}" if query else address
            self.post_checked(what, sent, data, multipart)

        post()

    # Pages ----------------------------------------------------------------------

    def fuzz_changelist(self, what, model):
        """Its query string: search, every filter it links to, order, page."""
        address = admin_url(model, "changelist")
        page = self.get_writes_nothing(what, address)
        names, values = {"q", "o", "p", "e", "_popup", "_to_field"}, set(ORDERINGS)
        if page.status_code == 200:
            for link in parse(page).links:
                if link.startswith("?"):
                    for name, value in parse_qsl(link[1:], keep_blank_values=True):
                        names.add(name)
                        values.add(value)
        options = sorted(values | set(self.ids))

        @FUZZ_GET
        @given(
            data=st.dictionaries(
                st.sampled_from(sorted(names)) | ANY_TEXT,
                st.lists(nasty_values(options), min_size=1, max_size=2),
                max_size=4,
            )
        )
        def get(data):
            self.get_writes_nothing(
                f"{what}?{urlencode(data, doseq=True)}", address, data
            )

        get()
        return page

    def fuzz_history(self, what, model, row):
        """The history page of the row and of any other id, its query string,
        and the page of one of its versions (django-simple-history's)."""
        ids = [str(row.pk), *self.ids, *OBJECT_IDS]
        versions = []
        if getattr(row, "history", None) is not None:
            versions = [str(pk) for pk in row.history.values_list("pk", flat=True)[:3]]
            versions += [*self.ids, *OBJECT_IDS]

        @FUZZ_GET
        @given(
            object_id=st.sampled_from(ids) | ANY_TEXT.filter(bool),
            version_id=st.sampled_from(versions or ["-"]) | ANY_TEXT.filter(bool),
            data=st.dictionaries(
                st.sampled_from(["p", "_popup", "e"]) | ANY_TEXT,
                nasty_values(ids),
                max_size=2,
            ),
        )
        def get(object_id, version_id, data):
            object_id = quote(object_id, safe="")
            address = f"{admin_url(model, 'changelist')}{object_id}/history/"
            self.get_writes_nothing(f"{what}: {address}", address, data)
            if versions:
                address += f"{quote(version_id, safe='')}/"
                self.get_writes_nothing(f"{what}: {address}", address, data)

        get()

    def fuzz_actions(self, what, model, page):
        """Each action the changelist offers, on any selection."""
        address = admin_url(model, "changelist")
        if page.status_code != 200:
            return
        forms = [form for form in parse(page).forms if form.id == "changelist-form"]
        listed = [
            str(pk)
            for pk in page.context["cl"].result_list.values_list("pk", flat=True)
        ]
        actions = [
            option["value"]
            for form in forms
            for option in form.options.get("action", ())
            if option["value"]
        ]
        selections = [*listed, *self.ids, *OBJECT_IDS]
        for action in [*actions, "no_such_action"]:
            self.fuzz_action(f"{what}: {action}", address, action, selections)

    def fuzz_action(self, what, address, action, selections):
        @FUZZ_GET
        @given(
            selected=st.lists(
                st.sampled_from(selections) | nasty_values(selections), max_size=4
            ),
            extra=fuzzed(
                {"index": ["0"], "select_across": ["0"], "post": ["yes"]},
                ["0", "1", "yes", "no", *NUMBERS],
                ["action", "index", "select_across", "post", "_save"],
            ),
            multipart=st.booleans(),
        )
        def post(selected, extra, multipart):
            data = {"action": [action], **extra, "_selected_action": selected}
            self.post_checked(what, address, data, multipart)

        post()

    # Import and export ------------------------------------------------------------

    def posted_forms(self, address, page):
        """The forms of the page that post to it (not the menu's log-out or
        language forms)."""
        if page.status_code != 200:
            return []
        return [
            form
            for form in parse(page).forms
            if form.method == "post"
            and urlsplit(urljoin(address, form.action or "")).path == address
        ]

    def fuzz_page_form(
        self, what, address, baseline=None, upload=None, before_each=None, more=()
    ):
        """Fuzz the one form of the page that posts to it, from its fields as
        the page fills them with `baseline` (name → values) over them, with
        `more` values to try, and `upload` (options → a strategy of files) as
        its `import_file`; `before_each` runs before each post."""
        page = self.get_writes_nothing(what, address)
        forms = self.posted_forms(address, page)
        if not forms:
            self.post_checked(what, address, {"x": "1"})
            return None
        (form,) = forms
        fields = {**fields_of(form), **(baseline or {})}
        options = sorted({*self.options_of(form, fields), *more})

        @FUZZ_POST
        @given(
            data=fuzzed(fields, options, list(fields)),
            file=upload(options) if upload else st.none(),
            query=address_extras(options),
            multipart=st.booleans(),
        )
        def post(data, file, query, multipart):
            if before_each is not None:
                before_each()
            if file is not None:
                data["import_file"] = [file]
                multipart = True
            sent = f"{address}?{urlencode(query)}" if query else address
            self.post_checked(what, sent, data, multipart)

        post()
        return form

    def exported_table(self, model, form):
        """The persona's export of the model as CSV: headers, then rows."""
        if form is None:
            return [["x"]]
        data = {**fields_of(form), "format": [CSV]}
        response = self.client.post(admin_url(model, "export"), data)
        if response.status_code != 200:
            return [["x"]]
        text = response.content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text))) or [["x"]]

    def fuzz_import_export(self, what, model, user):
        """The export's form, the import's (files of any kind) and the
        confirm's (the hidden fields of a real preview, changed)."""
        model_admin = admin.site._registry[model]
        export = None
        if hasattr(model_admin, "export_action"):
            export = self.fuzz_page_form(
                f"export {what}", admin_url(model, "export"), {"format": [CSV]}
            )
        if not hasattr(model_admin, "process_import"):
            return
        table = self.exported_table(model, export)
        self.fuzz_page_form(
            f"import {what}",
            admin_url(model, "import"),
            {"format": [CSV]},
            lambda options: broken_file(table, options),
        )
        self.fuzz_confirm(f"process_import {what}", model, user, table)

    def fuzz_confirm(self, what, model, user, table):
        """Post the confirm of a real preview of the persona's export with its
        hidden fields changed, its kept file put back before each post."""
        data = csv_bytes(table)
        preview = self.client.post(
            admin_url(model, "import"),
            {"import_file": SimpleUploadedFile("export.csv", data), "format": CSV},
        )
        context = preview.context or {}
        if "confirm_form" in context:
            initial = dict(context["confirm_form"].initial)
        else:  # nothing to confirm: the confirm of a made-up preview
            initial = {"import_file_name": FILE_NAMES[-1], "format": CSV}
            initial |= {"resource": "0", "original_file_name": "export.csv"}
        kept = kept_path(user, **self.kept_of(initial))
        other_users = (self.staff if user != self.staff else self.superuser,)
        others = [keep_previewed_file(other, data, CSV, "0") for other in other_users]
        fields = {name: [str(value)] for name, value in initial.items()}
        options = sorted(
            {*fields["import_file_name"], *FILE_NAMES, *others, *OBJECT_IDS}
            | {"0", "1", "2", "-1", "7", "1e999"}
        )

        def put_back():
            if not kept.exists():
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_bytes(data)

        address = admin_url(model, "process_import")

        @FUZZ_POST
        @given(
            data=fuzzed(fields, options, list(fields)),
            multipart=st.booleans(),
        )
        def post(data, multipart):
            put_back()
            self.post_checked(what, address, data, multipart)

        post()

    @staticmethod
    def kept_of(initial):
        return {
            "name": initial["import_file_name"],
            "file_format": initial["format"],
            "resource": initial["resource"] or "0",
        }

    # The test of a model ---------------------------------------------------------

    def fuzz_model(self, label, persona):
        model = registered()[label]
        row = self.row(label)
        self.client.force_login(getattr(self, persona))
        what = f"{label} as {persona}"
        self.fuzz_form(
            f"add {what}", admin_url(model, "add"), f"{model._meta.model_name}_form"
        )
        self.fuzz_form(
            f"change {what}",
            admin_url(model, "change", row.pk),
            f"{model._meta.model_name}_form",
        )
        if label == "auth.user":
            self.fuzz_form(
                f"password {what}",
                admin_url(model, "password_change", row.pk),
                f"{model._meta.model_name}_form",
            )
        page = self.fuzz_changelist(f"changelist {what}", model)
        self.fuzz_history(f"history {what}", model, row)
        self.fuzz_actions(f"actions {what}", model, page)
        self.fuzz_import_export(what, model, getattr(self, persona))


def with_models(cls):
    """A test method per registered model and persona."""
    for label in sorted(set(registered()) - set(NOT_FUZZED)):
        for persona in PERSONAS:

            def test(self, label=label, persona=persona):
                self.fuzz_model(label, persona)

            test.__name__ = f"test_{label.replace('.', '_')}_as_{persona}"
            test.__doc__ = f"Fuzz the admin of {label} as {persona}."
            setattr(cls, test.__name__, test)
    return cls


@with_models
class AdminFuzzTests(AdminFuzzTestCase):
    @override_settings(AXES_ENABLED=True)
    def test_the_admin_login(self):
        """Anonymous, with any name, password and next address, from a login
        that succeeds: a refusal or a lock-out writes nothing, a log-in's next
        page opens."""
        self.client.logout()
        self.fuzz_page_form(
            "admin login",
            reverse("admin:login"),
            {
                "username": [self.superuser.username],
                "password": [PASSWORD],
                "next": NEXT_ADDRESSES[:1],
            },
            before_each=self.client.logout,
            more=[self.ward_staff.username, "nobody", *NEXT_ADDRESSES],
        )

    def test_the_admin_password_change(self):
        """Each persona's own password, from a change that succeeds: a refusal
        writes nothing, a change's next page opens."""
        for persona in PERSONAS:
            user = getattr(self, persona)
            with self.subTest(persona=persona):
                self.client.force_login(user)
                self.fuzz_page_form(
                    f"password change as {persona}",
                    reverse("admin:password_change"),
                    {
                        "old_password": [PASSWORD],
                        "new_password1": [NEW_PASSWORD],
                        "new_password2": [NEW_PASSWORD],
                    },
                    before_each=lambda user=user: self.client.force_login(user),
                    more=["kontum", "1", PASSWORD.upper(), user.username],
                )

    def test_an_autocomplete_value_that_is_no_id_is_refused_next_to_the_field(self):
        self.client.force_login(self.superuser)
        member = self.places["A"].member
        response = self.client.post(
            admin_url(Member, "change", member.pk),
            {"full_name": member.full_name, "organization": "abc", "user": "1e999"},
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.errors
        self.assertIn("organization", errors)
        self.assertIn("user", errors)

    def test_an_id_beyond_any_integer_column_is_refused_as_no_row(self):
        """Twenty digits, more than SQLite can bind (make run's database), in
        an autocomplete, a multiple choice and a changelist's rows: the form
        again with the error, never a 500, and nothing written."""
        self.client.force_login(self.superuser)
        too_big = "9" * 20
        member = self.places["A"].member
        response = self.client.post(
            admin_url(Member, "change", member.pk),
            {"full_name": member.full_name, "organization": too_big},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("organization", response.context["adminform"].form.errors)

        response = self.client.post(
            admin_url(Group, "add"), {"name": "Nhóm thử", "permissions": [too_big]}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("permissions", response.context["adminform"].form.errors)
        self.assertFalse(Group.objects.filter(name="Nhóm thử").exists())

        positions = list(OrganizationType.objects.values_list("pk", "position"))
        response = self.client.post(
            admin_url(OrganizationType, "changelist"),
            {
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-0-id": too_big,
                "form-0-position": "7",
                "_save": "1",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["cl"].formset.errors)
        self.assertEqual(
            list(OrganizationType.objects.values_list("pk", "position")), positions
        )

        # A post claiming billions of rows builds no more than a page shows.
        response = self.client.post(
            admin_url(OrganizationType, "changelist"),
            {
                "form-TOTAL_FORMS": too_big,
                "form-INITIAL_FORMS": "0",
                "_save": "1",
            },
        )
        self.assertEqual(response.status_code, 200)
        formset = response.context["cl"].formset
        self.assertEqual(len(formset.forms), 200)
        self.assertEqual(formset.non_form_errors().as_data()[0].code, "too_many_forms")
        self.assertEqual(
            list(OrganizationType.objects.values_list("pk", "position")), positions
        )

    def test_a_number_too_long_to_read_in_json_is_refused_next_to_the_field(self):
        self.client.force_login(self.superuser)
        regime = Regime.objects.get(code="qd366")
        response = self.client.post(
            admin_url(Regime, "change", regime.pk),
            {"code": regime.code, "overridable_rules": "[" + "9" * 5000 + "]"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("overridable_rules", response.context["adminform"].form.errors)

    def test_an_empty_to_field_looks_the_row_up_by_its_key(self):
        self.client.force_login(self.superuser)
        member = self.places["A"].member
        response = self.client.get(
            admin_url(Member, "change", member.pk), {"_to_field": ""}
        )
        self.assertEqual(response.status_code, 200)

    def test_the_history_of_an_id_that_is_no_key_is_a_404(self):
        self.client.force_login(self.superuser)
        member = self.places["A"].member
        for address in (
            admin_url(Member, "history", "abc"),
            admin_url(Member, "simple_history", member.pk, "abc"),
            admin_url(Member, "simple_history", "abc", 1),
        ):
            with self.subTest(address=address):
                self.assertEqual(self.client.get(address).status_code, 404)

    def test_a_selection_of_ids_that_are_no_keys_changes_nothing(self):
        self.client.force_login(self.superuser)
        discipline = self.places["A"].discipline
        response = self.client.post(
            admin_url(Discipline, "changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [discipline.pk, "abc"],
                "post": "yes",
            },
            follow=True,
        )
        with translation.override("vi"):
            refusal = translation.gettext(
                "The selection names items that are not in this list. No items "
                "have been changed."
            )
        self.assertContains(response, refusal)
        self.assertTrue(Discipline.objects.filter(pk=discipline.pk).exists())

    def test_expired_login_attempts_are_cleaned_up_from_the_admin(self):
        self.client.force_login(self.superuser)
        attempts = apps.get_model("axes", "AccessAttempt")
        attempts.objects.update(attempt_time=timezone.now() - timedelta(days=1))
        response = self.client.post(
            admin_url(attempts, "changelist"),
            {
                "action": "cleanup_expired_attempts",
                "_selected_action": list(attempts.objects.values_list("pk", flat=True)),
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(attempts.objects.exists())


class RegistryCoverageTests(SimpleTestCase):
    def test_every_registered_model_is_fuzzed_or_said_not_to_be(self):
        missing = {
            label
            for label in set(registered()) - set(NOT_FUZZED)
            if label not in ROWS and label not in ADMIN_MODELS
        }
        self.assertEqual(
            missing,
            set(),
            "Give these models a row to fuzz in ADMIN_MODELS "
            "(test_permission_matrix.py) or ROWS, or list them in NOT_FUZZED "
            "with the reason.",
        )
        self.assertEqual(set(NOT_FUZZED) - set(registered()), set(), "gone models")
