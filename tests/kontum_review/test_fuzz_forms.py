"""Every form of the app, fed what no browser sends: never a 500, never half a write.

For each page of the app (every route of the URL resolver outside the admin),
a persona who may use it opens it, and Hypothesis fills its forms the way an
attacker or a broken client would: text with any unicode, NUL bytes, markup
and megabytes; numbers such as NaN, Infinity, 1e999 and 10**5000; impossible
dates and times; unknown choices and ids of other objects; fields left out,
repeated or added; any button, with or without the htmx header. The query
string of each page gets the same treatment.

What must hold for every post:

- the answer is never a 5xx (an exception fails the example at once);
- when the answer is a refusal (a 4xx, or the page shown again with its
  errors), no row of the app's tables changed: a form writes everything or
  nothing. Pages that save and then report something (a review saved as a
  draft with what is missing to submit it, an htmx autosave) count as saves;
- after a save, the page it redirects to still opens (no 5xx);
- a GET never writes.

Every route of the URL resolver (outside the admin) is visited, its query
string fuzzed and its forms posted, or listed in `WITHOUT_FORMS` with the
reason: a new route fails the suite until it is one or the other. Each visit
checks that its page still carries the forms it says it posts.

Examples: a CI-sized run by default (a fixed, derandomized set of
`CI_EXAMPLES` examples per form, the whole file well under three minutes on
two cores). For a longer, random run by hand:

    FUZZ_EXAMPLES=500 .venv/bin/pytest tests/kontum_review/test_fuzz_forms.py

A failure prints the smallest input Hypothesis found and the traceback.
"""

import datetime
import functools
import os
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.db import connection, transaction
from django.test import SimpleTestCase
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organizations.models import Restructuring, Role
from reviews import ratings, services
from reviews.models import (
    Assignment,
    CycleJob,
    FocusArea,
    Meeting,
    Notice,
    Rating,
    RemedyAction,
    ReportJob,
    Review,
    ReviewCycle,
    StepExemption,
    Suggestion,
    SuggestionItem,
)

from ..factories import MemberFactory, UserFactory, grant
from ..pages import parse
from ..personas import CyclePersonasTestCase
from ..reviews.test_publish import decide_all

CI_EXAMPLES = 25
PASSWORD = "kontum-demo"  # every factory user's
NEW_PASSWORD = "Mật-khẩu-mới-2026"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or 0)
FUZZ = settings(
    max_examples=EXAMPLES or CI_EXAMPLES,
    # In CI the same examples every run: the suite fails on a change of the
    # code, never on the luck of the draw.
    derandomize=not EXAMPLES,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
# GET pages are cheaper to break and cost a render each: fewer examples.
FUZZ_GET = settings(FUZZ, max_examples=max((EXAMPLES or CI_EXAMPLES) // 3, 3))

# Routes with no form and no query string to fuzz, and why.
WITHOUT_FORMS = {
    None: "the favicon redirect",
    "healthz": "the load balancer's probe; no input",
    "javascript-catalog": "Django's translation catalogue for scripts",
    "reviews:report_download": "a file download of a finished job; no input",
    "admin_password_reset": "a redirect to password_reset",
    "organizations:restructuring_apply": (
        "a button with no field, shown only when the decision can be applied; "
        "its refusals are tests/organizations/test_restructuring.py's"
    ),
    # The token API answers JSON to tokens, never to a session: its query
    # strings, bodies and files are probed in tests/api (test_conventions.py,
    # test_writes.py, test_matrix.py).
    **{
        f"api:{name}": "the token API; see tests/api"
        for name in (
            "schema",
            "docs",
            "organizations",
            "organization",
            "cycles",
            "cycle",
            "cycle_organizations",
            "members",
            "member",
            "results",
            "remedy_plans",
            "remedy_action",
            "statistics",
            "imports",
            "import",
        )
    },
}

# Values -----------------------------------------------------------------------

NUMBERS = [
    "NaN", "-NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf", "-inf",
    "1e999", "-1e999", "1e-999", "1E999999999", "-1e-999999999", "9" * 5000,
    "-1", "-0", "0", "0.001", "12.345", "1,5", "+7", " 7 ", "7.", ".5", "0x1A",
    "1_000", "²", "٣", "１０", "2147483648", "9223372036854775808",
    "-9223372036854775809", "99999",
]  # fmt: skip
DATES = [
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-00-00", "0001-01-01",
    "9999-12-31", "10000-01-01", "2026-1-1", "31/12/2026", "30/02/2026",
    "12/31/2026", "2026-12-31T08:00", "-2026-01-01", "2026/12/31", "hôm nay",
    "2026-12-31\n",
]  # fmt: skip
TIMES = ["25:00", "23:60", "24:00", "-1:00", "7:5", "07:30:61", "noon", "8 PM"]
TEXTS = [
    "\x00", "a\x00b", "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>",
    "' OR '1'='1", "%s %(name)s {0} {{ x }}", '=HYPERLINK("http://x.invalid")',
    "\u202e\u200b\ufeff", "🙂" * 50, " ", "\r\n\t", "None", "[]", "{}", "true",
    "../../etc/passwd", "\\", "\x7f\x1b[31m", "x" * 10_000, "Ư" * 100_000,
]  # fmt: skip
# Long text; the last is past Django's 2.5 MB limit on a request body: a 400.
# (Hypothesis shrinks towards the first of a list, so short values come first.)
SIZES = [101, 4001, 20_001, 300_000, 3_000_000]

ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
MUTATIONS = ["change", "drop", "repeat", "empty"]
OPERATIONS = ["keep", "keep", *MUTATIONS]


def nasty_values(options):
    """What goes into a field: its options, wrong numbers, dates, text, ids."""
    return st.one_of(
        st.sampled_from(options) if options else st.nothing(),
        st.sampled_from(NUMBERS),
        st.sampled_from(DATES),
        st.sampled_from(TIMES),
        st.sampled_from(TEXTS),
        ANY_TEXT,
        st.sampled_from(SIZES).map(lambda size: "y" * size),
        st.uuids().map(str),
        st.integers().map(str),
    )


@st.composite
def fuzzed(draw, fields, options, extra_names=()):
    """A form's fields (name → [values]) with a few of them, or any of them,
    changed, dropped, repeated or emptied, and perhaps some the form lacks.

    Starting from a post that succeeds and breaking one or two fields reaches
    the checks behind the first one; breaking many at once reaches the rest.
    """
    sent = {name: list(values) for name, values in fields.items()}
    names = sorted(fields)
    if names and draw(st.booleans()):
        operations = {name: draw(st.sampled_from(OPERATIONS)) for name in names}
    else:
        chosen = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
        operations = {name: draw(st.sampled_from(MUTATIONS)) for name in chosen}
    for name, operation in operations.items():
        if operation == "change":
            sent[name] = [draw(nasty_values(options))]
        elif operation == "drop":
            del sent[name]
        elif operation == "repeat":
            sent[name] = sent[name] + [draw(nasty_values(options))]
        elif operation == "empty":
            sent[name] = [""]
    extra = list(extra_names) or ["x"]
    for name in draw(st.lists(st.sampled_from(extra) | ANY_TEXT, max_size=2)):
        sent.setdefault(name, []).append(draw(nasty_values(options)))
    return sent


# What the database holds ----------------------------------------------------


@functools.cache
def watched_models():
    """Every table of the app (history tables follow their rows), and users."""
    models = [
        model
        for model in apps.get_models()
        if model._meta.app_label in ("organizations", "members", "reviews")
        and not model.__name__.startswith("Historical")
    ]
    return [*models, get_user_model()]


def snapshot():
    """A fingerprint of every watched table: one query on PostgreSQL."""
    models = watched_models()
    if connection.vendor == "postgresql":
        tables = [model._meta.db_table for model in models]
        sql = " UNION ALL ".join(
            f"SELECT '{table}', md5(coalesce(string_agg(t::text, '|' ORDER BY "
            f"t::text), '')) FROM {connection.ops.quote_name(table)} t"
            for table in tables
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return dict(cursor.fetchall())
    return {
        model._meta.db_table: list(model._base_manager.order_by("pk").values_list())
        for model in models
    }


def changes(before, after):
    """The tables whose rows differ."""
    return sorted(table for table, rows in before.items() if rows != after[table])


# Responses ----------------------------------------------------------------------

# Pages that answer 200 after saving: an autosave, an htmx record.
SAVED_TEMPLATES = {
    "reviews/_meeting_item_response.html",
    "reviews/_remedy_saved.html",
}


def saved(response):
    """Whether the response reports a save (so rows may have changed)."""
    if response.status_code in (301, 302, 303):
        return True
    if response.status_code != 200:
        return False
    names = {template.name for template in response.templates}
    if names & SAVED_TEMPLATES:
        return True
    context = response.context
    if "reviews/_review_autosave.html" in names:
        return context.get("saved") is not None
    if "reviews/review_form.html" in names:
        # Submitting an incomplete form saves it as a draft and lists what
        # is missing.
        return bool(context.get("missing") or context.get("refused"))
    return False


def route_of(url):
    path = urlsplit(url).path
    match = resolve(path)
    return match.view_name if match.url_name else None


def app_routes():
    """Every named route outside the admin, as 'namespace:name'."""
    found = set()

    def walk(resolver, namespace):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = pattern.name
                found.add(f"{namespace}:{name}" if namespace and name else name)

    walk(get_resolver(), None)
    return found


# Visits ---------------------------------------------------------------------------


@dataclass
class Visit:
    """A page a persona opens: the forms on it that post to `posts` are fuzzed,
    and so is its query string (`params` and the fields of its GET forms).

    `args` name attributes of the test case (their public id is used) or are
    taken as they are; `query` and the values of `valid` are formatted with
    the case. `valid` fills in what the page leaves empty so that the post
    as shown succeeds; the fuzzing starts from there.
    """

    name: str
    persona: str | None
    route: str
    args: tuple = ()
    query: str = ""
    posts: tuple = ()
    params: tuple = ()
    valid: dict = field(default_factory=dict)

    def valid_fields(self, case):
        return {
            name: [str(value).format(case=case) for value in values]
            if isinstance(values, list)
            else [str(values).format(case=case)]
            for name, values in self.valid.items()
        }

    def url(self, case):
        args = []
        for arg in self.args:
            value = getattr(case, arg, arg) if isinstance(arg, str) else arg
            args.append(getattr(value, "public_id", value))
        address = reverse(self.route, args=args)
        return f"{address}?{self.query.format(case=case)}" if self.query else address


# A decision that moves cell B under the committee: the running cycle refuses it.
RESTRUCTURING = {
    "number": "Số 5-QĐ/TU",
    "signed_on": "2026-12-01",
    "issued_by": "Ban Thường vụ",
    "effective_on": "2026-12-01",
    "lines-0-operation": "move",
    "lines-0-code": "{case.cell_b.code}",
    "lines-0-parent_code": "{case.committee.code}",
}

# Read or guessed by every page that lists or filters.
QUERY_PARAMS = ("page", "org", "q", "next")


class FuzzTestCase(CyclePersonasTestCase):
    """Fuzz the visits of a world; each visit is a test of its own."""

    visits = ()

    def login(self, persona):
        if persona is not None:
            self.client.force_login(getattr(self, persona))

    def open(self, visit):
        self.client.logout()
        self.login(visit.persona)
        address = visit.url(self)
        page = self.client.get(address, follow=True)
        self.assertEqual(page.status_code, 200, f"{visit.name}: {address}")
        return address, page

    def run_visit(self, visit):
        address, page = self.open(visit)
        shown = page.request["PATH_INFO"]
        if page.request.get("QUERY_STRING"):
            shown += "?" + page.request["QUERY_STRING"]
        forms = []
        if page["Content-Type"].startswith("text/html"):
            forms = [
                form
                for form in parse(page).forms
                if form.method == "post"
                and route_of(target(shown, form)) in visit.posts
            ]
        found = {route_of(target(shown, form)) for form in forms}
        self.assertEqual(found, set(visit.posts), f"the forms of {visit.name}")
        for form in forms:
            self.fuzz_post(visit, target(shown, form), form)
        self.fuzz_get(visit, address, page)

    def fuzz_post(self, visit, address, form):
        fields = {}
        for name, value in form.fields:
            fields.setdefault(name, []).append(value)
        # Every form of the page gets them; a form ignores what it lacks.
        fields |= visit.valid_fields(self)
        options = sorted(
            {
                option["value"] if option["value"] is not None else option["text"]
                for choices in form.options.values()
                for option in choices
            }
            | {value for values in fields.values() for value in values if value}
        )[:200]
        buttons = [button for button in form.buttons if button["name"]] or [None]

        @FUZZ
        @given(
            data=fuzzed(fields, options, list(fields)),
            button=st.sampled_from(buttons),
            htmx=st.booleans(),
            multipart=st.booleans(),
        )
        def post(data, button, htmx, multipart):
            if button is not None:
                data.setdefault(button["name"], [button["value"]])
            extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            if not multipart:
                data = urlencode(data, doseq=True)
                extra["content_type"] = "application/x-www-form-urlencoded"
            with transaction.atomic():
                self.login(visit.persona)
                before = snapshot()
                response = self.client.post(address, data, **extra)
                self.assertLess(response.status_code, 500, visit.name)
                if not saved(response):
                    self.assertEqual(
                        changes(before, snapshot()),
                        [],
                        f"{visit.name}: refused ({response.status_code}) yet wrote",
                    )
                elif response.status_code in (301, 302, 303):
                    # What was saved must not break the page shown next.
                    shown = self.client.get(response["Location"])
                    self.assertLess(shown.status_code, 500, f"after {visit.name}")
                transaction.set_rollback(True)

        post()

    def fuzz_get(self, visit, address, page):
        path, query = urlsplit(address).path, urlsplit(address).query
        names, options = set(visit.params) | set(QUERY_PARAMS), set()
        if page["Content-Type"].startswith("text/html"):
            for form in parse(page).forms:
                if form.method == "get" and urlsplit(target(path, form)).path == path:
                    names |= {name for name, _value in form.fields}
                    names |= set(form.options)
                    options |= {
                        option["value"] or option["text"]
                        for choices in form.options.values()
                        for option in choices
                    }
        fields = {name: [""] for name in sorted(names)}
        for name, value in parse_qsl(query):
            fields[name] = [value]
        options = sorted(options | {values[0] for values in fields.values()})

        @FUZZ_GET
        @given(data=fuzzed(fields, options, sorted(fields)), htmx=st.booleans())
        def get(data, htmx):
            extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
            with transaction.atomic():
                self.login(visit.persona)
                before = snapshot()
                response = self.client.get(path, data, **extra)
                self.assertLess(response.status_code, 500, visit.name)
                self.assertEqual(changes(before, snapshot()), [], f"GET {visit.name}")
                transaction.set_rollback(True)

        get()


def target(address, form):
    """Where the form posts: its action, or the page it is on."""
    return urljoin(address, form.action) if form.action else address


def with_visits(cls):
    """A test method per visit of the class."""
    for visit in cls.visits:

        def test(self, visit=visit):
            self.run_visit(visit)

        test.__name__ = f"test_{visit.name}"
        test.__doc__ = f"Fuzz {visit.route} as {visit.persona or 'anonymous'}."
        setattr(cls, test.__name__, test)
    return cls


# Worlds -------------------------------------------------------------------------


@with_visits
class SelfReviewFuzzTests(FuzzTestCase):
    """QĐ 366 (points) during self-review: member A's form and cell B's report
    drafts, the others submitted, cell A's meeting held with everyone present,
    a suggestion, an assignment, an exemption, an unread notice, a report job."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.head = MemberFactory(
            full_name="Phạm Văn Hải", organization=cls.cell_a, party_post="Bí thư"
        )
        cls.late = MemberFactory(full_name="Đỗ Văn Muộn", organization=cls.cell_b)
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        late_review = cls.cycle.reviews.get(member=cls.late)
        cls.collective_b = cls.cycle.reviews.get(
            organization=cls.cell_b, kind=Review.Kind.ORGANIZATION
        )
        drafts = [cls.review_a.pk, cls.collective_b.pk, late_review.pk]
        cls.cycle.reviews.exclude(pk__in=drafts).update(
            status=Review.Status.SUBMITTED, submitted_at=timezone.now()
        )
        cls.review_other_a = cls.cycle.reviews.get(member=cls.other_member_a)
        meeting = services.ensure_meeting(cls.collective_a)
        Meeting.objects.filter(pk=meeting.pk).update(
            held_on=datetime.date(2026, 12, 5),
            status=Meeting.Status.HELD,
            chair="Phạm Văn Hải",
            recorder="Trần Thị Bình",
        )
        cls.suggestion = Suggestion.objects.create(
            cycle=cls.cycle, member=cls.member_a, issued_on=datetime.date(2026, 11, 1)
        )
        SuggestionItem.objects.create(
            suggestion=cls.suggestion,
            number=1,
            focus_area=FocusArea.objects.order_by("position").first(),
            text="Chậm nộp đảng phí",
        )
        cls.btv = UserFactory(username="btv", first_name="Hùng", last_name="Trần")
        grant(cls.btv, cls.committee, Role.Kind.LEADER)
        Assignment.objects.create(
            cycle=cls.cycle, organization=cls.cell_a, assignee=cls.btv
        )
        services.record_exemptions(
            cls.cycle,
            [late_review],
            StepExemption.Kind.NOT_SUBMITTED,
            "Ốm dài ngày",
            cls.staff,
        )
        cls.present = meeting.attendance.count()
        cls.focus_area = FocusArea.objects.filter(active=True).order_by("position")[0]
        Notice.objects.create(user=cls.member_user, text="Kết quả mới")
        cls.job = ReportJob.objects.create(
            kind=ReportJob.Kind.SUMMARY,
            cycle=cls.cycle,
            requested_by=cls.staff,
            input_hash="0" * 64,
        )
        # The address of the e-mailed link that resets cell B's secretary's
        # password.
        cls.secretary_b.email = "bi-thu-b@example.org"
        cls.secretary_b.save()
        cls.reset_uid = urlsafe_base64_encode(force_bytes(cls.secretary_b.pk))
        cls.reset_token = default_token_generator.make_token(cls.secretary_b)
        cls.restructuring = Restructuring.objects.create(
            number="Số 4-QĐ/TU",
            signed_on=datetime.date(2026, 12, 1),
            issued_by="Ban Thường vụ",
            effective_on=datetime.date(2026, 12, 1),
            committee=cls.committee,
            created_by=cls.staff,
        )
        cls.restructuring.lines.create(
            number=1, operation="close", code=cls.cell_b.code, target_code="X"
        )

    visits = [
        Visit("home", "staff", "home", posts=("logout", "set_language")),
        Visit(
            "login",
            None,
            "login",
            posts=("login",),
            valid={"username": "staff", "password": PASSWORD},
        ),
        Visit(
            "password_change",
            "member_user",
            "password_change",
            posts=("password_change",),
            valid={
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        ),
        Visit("password_change_done", "member_user", "password_change_done"),
        Visit(
            "password_reset",
            None,
            "password_reset",
            posts=("password_reset",),
            valid={"email": "{case.secretary_b.email}"},
        ),
        Visit("password_reset_done", None, "password_reset_done"),
        Visit(
            "password_reset_confirm",
            None,
            "password_reset_confirm",
            args=("reset_uid", "reset_token"),
            posts=("password_reset_confirm",),
            valid={"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        ),
        Visit("password_reset_complete", None, "password_reset_complete"),
        Visit("locked_accounts", "staff", "locked_accounts", params=("username",)),
        Visit("organization_list", "staff", "organizations:list"),
        Visit(
            "organization_detail", "secretary_a", "organizations:detail", ("cell_a",)
        ),
        Visit("member_list", "staff", "members:list"),
        Visit("member_detail", "secretary_a", "members:detail", ("member_a",)),
        Visit("cycle_list", "staff", "reviews:cycle_list"),
        Visit(
            "cycle_create",
            "staff",
            "reviews:cycle_create",
            posts=("reviews:cycle_create",),
        ),
        Visit(
            "cycle_overview",
            "staff",
            "reviews:cycle",
            ("cycle",),
            posts=("reviews:report_request",),
        ),
        Visit("cycle_opening", "staff", "reviews:cycle_opening", ("cycle",)),
        Visit("cycle_exclusions", "staff", "reviews:cycle_exclusions", ("cycle",)),
        Visit(
            "exemptions",
            "staff",
            "reviews:exemptions",
            ("cycle",),
            posts=("reviews:exemptions", "reviews:exemption_withdraw"),
            valid={"reason": "Ốm dài ngày", "all_waiting": "on"},
        ),
        Visit(
            "checklist",
            "secretary_a",
            "reviews:checklist",
            ("cycle", "cell_a"),
            posts=("reviews:report_request",),
        ),
        Visit(
            "review_form",
            "member_user",
            "reviews:review",
            ("review_a",),
            posts=("reviews:review",),
        ),
        Visit(
            "collective_report",
            "secretary_b",
            "reviews:review",
            ("collective_b",),
            posts=("reviews:review",),
        ),
        Visit(
            "review_return",
            "secretary_a",
            "reviews:review_return",
            ("review_other_a",),
            posts=("reviews:review_return",),
            valid={"comment": "Bổ sung mục II"},
        ),
        Visit(
            "suggestion_list",
            "staff",
            "reviews:suggestion_list",
            ("cycle",),
            posts=("reviews:suggestion_list",),
            valid={"focus-code": "chuyen-doi-so", "focus-name": "Chuyển đổi số"},
        ),
        Visit(
            "suggestion_create",
            "staff",
            "reviews:suggestion_create",
            ("cycle",),
            posts=("reviews:suggestion_create",),
            params=("member_search", "member", "organization", "issued_on"),
            valid={
                "organization": "{case.cell_b.public_id}",
                "issued_on": "2026-11-02",
                "items-0-focus_area": "{case.focus_area.pk}",
                "items-0-text": "Chậm triển khai nghị quyết",
            },
        ),
        Visit(
            "suggestion_bulk",
            "staff",
            "reviews:suggestion_bulk",
            ("cycle",),
            posts=("reviews:suggestion_bulk",),
            valid={
                "focus_area": "{case.focus_area.pk}",
                "text": "Chậm triển khai nghị quyết",
                "issued_on": "2026-11-02",
                "organizations": "{case.ward.public_id}",
            },
        ),
        Visit(
            "suggestion_edit",
            "staff",
            "reviews:suggestion_edit",
            ("suggestion",),
            posts=("reviews:suggestion_edit",),
        ),
        Visit(
            "assignment_list",
            "staff",
            "reviews:assignment_list",
            ("cycle",),
            posts=("reviews:assignment_list",),
            valid={
                "assignee": "{case.btv.pk}",
                "organizations": "{case.cell_b.public_id}",
            },
        ),
        Visit("my_assignments", "btv", "reviews:my_assignments"),
        Visit(
            "meeting",
            "secretary_a",
            "reviews:meeting",
            ("collective_a",),
            posts=("reviews:meeting", "reviews:meeting_item"),
            params=("edit",),
            # Everyone present votes HTTNV for the first subject.
            valid={"subject-0-votes_HTTNV": "{case.present}"},
        ),
        Visit(
            "meeting_item",
            "secretary_a",
            "reviews:meeting_item",
            ("collective_a", 0),
            params=("edit",),
        ),
        Visit("notices", "member_user", "reviews:notices", posts=("reviews:notices",)),
        Visit("report_job", "staff", "reviews:report_job", ("job",)),
        Visit("dashboard", "leader", "dashboard", params=("units",)),
        Visit(
            "dashboard_list",
            "staff",
            "dashboard_list",
            params=("subjects", "level", "stage", "step", "missing"),
        ),
        Visit("dashboard_statistics", "staff", "dashboard_statistics"),
        Visit(
            "dashboard_statistics_xlsx",
            "staff",
            "dashboard_statistics_xlsx",
            params=("cycle", "type", "org"),
        ),
        Visit(
            "remedies_overdue", "secretary_a", "reviews:remedies_overdue", ("cycle",)
        ),
        Visit("restructurings", "staff", "organizations:restructurings"),
        Visit(
            "restructuring_create",
            "staff",
            "organizations:restructuring_create",
            posts=("organizations:restructuring_create",),
            valid=RESTRUCTURING,
        ),
        Visit(
            "restructuring_edit",
            "staff",
            "organizations:restructuring_edit",
            ("restructuring",),
            posts=("organizations:restructuring_edit",),
            valid=RESTRUCTURING,
        ),
        Visit(
            "restructuring",
            "staff",
            "organizations:restructuring",
            ("restructuring",),
            posts=("organizations:restructuring_delete",),
        ),
    ]

    def test_nul_characters_are_stopped_after_the_language_and_before_csrf(self):
        middleware = list(django_settings.MIDDLEWARE)
        name = "kontum_review.nul_characters.NulCharacterMiddleware"
        self.assertIn(name, middleware, "register it in settings/base.py MIDDLEWARE")
        position = middleware.index(name)
        language = middleware.index("kontum_review.middleware.LanguageMiddleware")
        csrf = middleware.index("django.middleware.csrf.CsrfViewMiddleware")
        self.assertTrue(language < position < csrf, middleware)

    def test_nul_in_a_search_is_refused_with_a_400_not_a_500(self):
        self.client.force_login(self.staff)
        page = reverse("reviews:suggestion_create", args=[self.cycle.public_id])
        for extra in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = self.client.get(page, {"member_search": "Ân\x00"}, **extra)
            self.assertEqual(response.status_code, 400)
            self.assertIn("NUL", response.content.decode())
        response = self.client.get(reverse("members:list"), {"q": "\x00"})
        self.assertEqual(response.status_code, 400)

    def test_nul_in_posted_text_is_dropped_and_the_rest_saved(self):
        self.client.force_login(self.member_user)
        section = self.review_a.template.sections.filter(kind="text").first()
        data = {
            "version": self.review_a.version,
            "action": "save",
            f"text_{section.key}": "Tốt\x00",
        }
        response = self.client.post(
            reverse("reviews:review", args=[self.review_a.public_id]), data
        )
        self.assertEqual(response.status_code, 302)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.answers[section.key], "Tốt")

    def test_a_score_that_is_not_a_number_is_refused_next_to_the_field(self):
        self.client.force_login(self.member_user)
        page = reverse("reviews:review", args=[self.review_a.public_id])
        for value in ("NaN", "Infinity", "-Infinity", "sNaN", "1e999"):
            for name in ("score_A1", "cond_tasks_on_time_percent"):
                response = self.client.post(
                    page, {"version": self.review_a.version, name: value}
                )
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["form"].errors[name], value)
        self.review_a.refresh_from_db()
        self.assertEqual(self.review_a.scores, {})


@with_visits
class AppraisalFuzzTests(FuzzTestCase):
    """QĐ 366 at the appraisal: the ward's members proposed by the meetings."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for given_name in ("Bảy", "Chín", "Dũng"):
            MemberFactory(full_name=f"Phạm Văn {given_name}", organization=cls.cell_a)
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.cycle.status = ReviewCycle.Status.APPRAISAL
        cls.cycle.save()
        level = cls.cycle.regime.levels.get(code="HTTNV")
        for review in cls.cycle.reviews.individuals():
            ratings.record_rating(
                review, Rating.Stage.MEETING, level, cls.secretary_a, votes={"HTTNV": 3}
            )
        cls.members_key = f"members-{cls.ward.public_id}"

    visits = [
        Visit(
            "appraise",
            "staff",
            "reviews:appraise",
            ("cycle",),
            query="group={case.members_key}",
            posts=("reviews:appraise",),
            params=("subject",),
        ),
        Visit(
            "decide",
            "staff",
            "reviews:decide",
            ("cycle",),
            query="group={case.members_key}",
            posts=("reviews:decide",),
            params=("subject",),
        ),
        Visit("flags", "staff", "reviews:flags", ("cycle",)),
    ]

    def test_a_typed_appraisal_score_that_is_not_a_number_is_refused(self):
        self.client.force_login(self.staff)
        page = reverse("reviews:appraise", args=[self.cycle.public_id])
        page += f"?group={self.members_key}"
        prefix = f"r{self.review_a.public_id.hex}"
        for value in ("NaN", "Infinity", "-Infinity", "1e999", "sNaN"):
            data = {
                "action": "save",
                f"{prefix}-level": "HTTNV",
                f"{prefix}-score": value,
            }
            response = self.client.post(page, data)
            self.assertEqual(response.status_code, 200, value)
            self.assertTrue(response.context["has_row_errors"], value)
        appraised = self.review_a.ratings.filter(stage=Rating.Stage.APPRAISAL)
        self.assertFalse(appraised.exists())


@with_visits
class DecidedFuzzTests(FuzzTestCase):
    """The cycle decided ten days ago: remedy plans and the results."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.cycle.status = ReviewCycle.Status.DECIDED
        cls.cycle.save()
        decided_at = timezone.now() - datetime.timedelta(days=10)
        level = cls.cycle.regime.levels.get(code="HTNV")
        for review in cls.cycle.reviews.all():
            Rating.objects.create(
                review=review,
                stage=Rating.Stage.DECISION,
                level=level,
                set_at=decided_at,
            )
        cls.action = RemedyAction.objects.create(
            review=cls.review_a,
            number=1,
            shortcoming="Chậm nộp đảng phí",
            content="Nộp đúng hạn",
            owner="Bí thư chi bộ",
            deadline=timezone.localdate() + datetime.timedelta(days=60),
        )

    visits = [
        Visit(
            "remedy_plan",
            "secretary_a",
            "reviews:remedy_plan",
            ("review_a",),
            posts=("reviews:remedy_plan",),
            valid={
                "shortcoming": "Chậm nộp đảng phí",
                "content": "Nộp đúng hạn hằng tháng",
                "owner": "Đồng chí Ân",
                "deadline": "{case.action.deadline:%Y-%m-%d}",
            },
        ),
        Visit(
            "remedy_action",
            "secretary_a",
            "reviews:remedy_action",
            ("action",),
            posts=("reviews:remedy_action",),
        ),
        Visit(
            "organization_results",
            "staff",
            "reviews:organization_results",
            ("cycle", "cell_a"),
            posts=("reviews:report_request",),
        ),
        Visit("person_results", "secretary_a", "reviews:person_results", ("member_a",)),
    ]


@with_visits
class PublishedFuzzTests(FuzzTestCase):
    """The cycle decided and published: locking it, or reopening it with a reason."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        decide_all(cls.cycle, cls.staff)
        services.move_cycle(cls.cycle, ReviewCycle.Status.PUBLISHED, cls.staff)

    visits = [
        Visit(
            "reopen",
            "staff",
            "reviews:cycle_reopen",
            ("cycle",),
            posts=("reviews:cycle_reopen",),
            valid={"reason": "Kết luận của Ủy ban Kiểm tra; xếp loại lại."},
        ),
        Visit(
            "cycle_move",
            "staff",
            "reviews:cycle_move",
            ("cycle", "locked"),
            posts=("reviews:cycle_move",),
            valid={"confirm": "on"},
        ),
    ]


WORLDS = [SelfReviewFuzzTests, AppraisalFuzzTests, DecidedFuzzTests, PublishedFuzzTests]


class RouteCoverageTests(SimpleTestCase):
    def test_every_route_is_fuzzed_or_said_to_have_no_form(self):
        fuzzed_routes = set()
        for world in WORLDS:
            for visit in world.visits:
                fuzzed_routes |= {visit.route, *visit.posts}
        missing = app_routes() - fuzzed_routes - set(WITHOUT_FORMS)
        self.assertEqual(
            missing,
            set(),
            "Fuzz these routes in tests/kontum_review/test_fuzz_forms.py, or list "
            "them in WITHOUT_FORMS with the reason.",
        )
        self.assertEqual(set(WITHOUT_FORMS) - app_routes(), set(), "gone routes")
