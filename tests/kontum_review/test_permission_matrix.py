"""Every route of the project × every persona: who gets in, and how the others
are refused.

The routes come from the URL resolver, walked recursively with the admin site's
own patterns, so a route added without a rule here fails
`test_every_route_has_a_rule`. Each rule says, per persona, what a GET (for a
POST-only route, an empty POST) answers:

    200     the page
    302     a redirect that is not to a login page
    login   a redirect to the login page (anonymous on the pages)
    401     no API token: the API (api/) takes tokens, never a session; its
            matrix of tokens is tests/api/test_matrix.py
    admin   a redirect to the admin's login page (anyone who is not staff)
    403     refused: the reader sees the object but may not do this
    404     refused as if it did not exist: the object is outside their scope
    405     the method is not allowed

A route with an object in its address is probed twice per persona, "in/out":
with the object of a place inside the persona's scope and of one outside it
(the world is tests/matrix_world.py):

    persona          in   out
    anonymous        A    C
    member           A    C    a member of cell A: A's objects are their own
    other_secretary  B    A    secretary of cell B: A is the sibling cell
    secretary        A    C    secretary of cell A: C is in the other ward
    leader           A    C    leader of ward P01 (cells A and B)
    ward_staff       A    C    staff of ward P01, a lower committee
    staff            A    D    staff of the city committee TU: D is another root
    superuser        A    D    sees everything

The pages whose object is a cycle are probed with the city's cycle for A and B
(so the other secretary's two probes read the same cycle), the other ward's own
cycle for C and the other root's for D.

A cell "200|403" accepts either answer. A refusal (login, admin, 403, 404, 405)
writes nothing: the request runs no INSERT, UPDATE or DELETE outside the
session; nor does an empty POST, unless the route takes no field (`acts`). An
exception in a view (a 500) fails its row.

The admin rows are issue 13's target: the staff of a lower committee read only
their subtree in /admin/ (any other row answers 404, and a changelist, an
export and an autocomplete list only the subtree), change only the rows they
keep, superusers see and change all, and only superusers see the superuser,
staff, group and permission fields of an account.
"""

import csv
import datetime
import io
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client, TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from api.models import ApiAccessLog, ApiToken
from api.tokens import issue_token
from members.resources import MemberResource
from organizations.resources import OrganizationResource
from reviews.models import FormTemplate, RatingLevel, Regime

from ..matrix_world import build

PERSONAS = (
    "anonymous",
    "member",
    "other_secretary",
    "secretary",
    "leader",
    "ward_staff",
    "staff",
    "superuser",
)
PROBES = {
    "anonymous": ("A", "C"),
    "member": ("A", "C"),
    "other_secretary": ("B", "A"),
    "secretary": ("A", "C"),
    "leader": ("A", "C"),
    "ward_staff": ("A", "C"),
    "staff": ("A", "D"),
    "superuser": ("A", "D"),
}
USERS = {
    "member": "member_user",
    "other_secretary": "other_secretary",
    "secretary": "secretary",
    "leader": "leader",
    "ward_staff": "ward_staff",
    "staff": "staff",
    "superuser": "superuser",
}
STAFF_PERSONAS = ("ward_staff", "staff", "superuser")
REFUSALS = {"login", "admin", "401", "403", "404", "405"}
# What a refused request may still write: its session and the login log.
UNTRACKED_TABLES = ('"django_session"', '"axes_')
# Only superusers see these fields of an account (issue 13).
PRIVILEGE_FIELDS = {"is_superuser", "is_staff", "groups", "user_permissions"}


# The routes -----------------------------------------------------------------


def walk(patterns, prefix="", namespaces=()):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = (
                (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            )
            yield from walk(pattern.url_patterns, route, inner)
        elif pattern.name:
            yield ":".join([*namespaces, pattern.name]), route
        else:
            yield route, route


def resolver_routes():
    """{key: route} of every URL pattern: its namespaced name, or for an unnamed
    pattern the whole route."""
    return dict(walk(get_resolver().url_patterns))


# Rules ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How to reach a route, and what each persona gets.

    `url(test, place)` builds the address (`place` is None for a route without
    an object). `expect[persona]` is (in scope, out of scope), each the set of
    accepted outcomes. `check(test, response, persona)` adds assertions to a
    200: what a changelist lists, which fields a form offers.
    """

    url: Callable
    expect: dict
    has_object: bool
    method: str = "get"
    fresh_client: bool = False  # the request logs out or sets the language
    check: Callable = None
    acts: bool = False  # an empty POST is the whole request: it may write


def rule(url, cells, has_object=None, **options):
    """A rule from its cells: one per persona, in PERSONAS order, apart."""
    cells = cells.split()
    assert len(cells) == len(PERSONAS), cells
    if has_object is None:
        has_object = any("/" in cell for cell in cells)
    expect = {}
    for persona, cell in zip(PERSONAS, cells, strict=True):
        inside, _, outside = cell.partition("/")
        expect[persona] = (
            frozenset(inside.split("|")),
            frozenset((outside or inside).split("|")),
        )
    return Rule(url=url, expect=expect, has_object=has_object, **options)


def read(test, place, path):
    """A dotted path read from the place ("org.public_id") or the test
    ("t.cycle.public_id"); any other value is a literal."""
    if not isinstance(path, str) or "." not in path:
        return path
    head, *rest = path.split(".")
    value = test if head == "t" else getattr(place, head)
    for name in rest:
        value = getattr(value, name)
    return value


def to(name, query=None, **kwargs):
    """An address by route name, its kwargs and query read by `read`."""

    def url(test, place):
        address = reverse(
            name, kwargs={key: read(test, place, v) for key, v in kwargs.items()}
        )
        if query:
            params = {key: read(test, place, v) for key, v in query.items()}
            address += "?" + urlencode(params)
        return address

    return url


def fixed(address):
    return lambda test, place: address


def post(url, cells, **options):
    """A POST-only route, probed with an empty POST."""
    return rule(url, cells, method="post", **options)


# The pages ------------------------------------------------------------------

CYCLE = {"public_id": "probe_cycle.public_id"}
REVIEW = {"public_id": "review.public_id"}
COLLECTIVE = {"public_id": "collective.public_id"}
IN_CYCLE = {"public_id": "cycle.public_id", "organization_id": "org.public_id"}
DASHBOARD = {"cycle": "cycle.public_id", "org": "org.public_id"}
JOB = {"public_id": "report_job.public_id"}
ALL_200 = "200 200 200 200 200 200 200 200"
LOGGED_IN_200 = "login 200 200 200 200 200 200 200"

# Cells: anonymous member other_secretary secretary leader ward_staff staff superuser
PAGES = {
    "home": rule(fixed("/"), "login 302 302 302 302 302 302 302"),
    "healthz": rule(to("healthz"), ALL_200),
    "favicon.ico": rule(fixed("/favicon.ico"), "302 302 302 302 302 302 302 302"),
    "javascript-catalog": rule(to("javascript-catalog"), ALL_200),
    "set_language": post(
        to("set_language"), "302 302 302 302 302 302 302 302", fresh_client=True
    ),
    # Accounts.
    "login": rule(to("login"), ALL_200),
    "logout": post(
        to("logout"),
        "login login login login login login login login",
        fresh_client=True,
    ),
    "password_change": rule(to("password_change"), LOGGED_IN_200),
    "password_change_done": rule(to("password_change_done"), LOGGED_IN_200),
    "password_reset": rule(to("password_reset"), ALL_200),
    "password_reset_done": rule(to("password_reset_done"), ALL_200),
    "password_reset_confirm": rule(
        to("password_reset_confirm", uidb64="MQ", token="set-password"), ALL_200
    ),
    "password_reset_complete": rule(to("password_reset_complete"), ALL_200),
    "locked_accounts": rule(to("locked_accounts"), "login 403 403 403 403 200 200 200"),
    # The register.
    "organizations:list": rule(to("organizations:list"), LOGGED_IN_200),
    "organizations:detail": rule(
        to("organizations:detail", public_id="org.public_id"),
        "login 404/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    # Restructuring the tree: the staff who keep a subtree enter decisions;
    # only those who keep the deciding committee read, change or apply one.
    "organizations:restructurings": rule(
        to("organizations:restructurings"), "login 403 403 403 403 200 200 200"
    ),
    "organizations:restructuring_create": rule(
        to("organizations:restructuring_create"), "login 403 403 403 403 200 200 200"
    ),
    "organizations:restructuring": rule(
        to("organizations:restructuring", public_id="t.restructuring.public_id"),
        "login 404 404 404 404 404 200 200",
    ),
    "organizations:restructuring_edit": rule(
        to("organizations:restructuring_edit", public_id="t.restructuring.public_id"),
        "login 403 403 403 403 404 200 200",
    ),
    "organizations:restructuring_apply": post(
        to(
            "organizations:restructuring_apply",
            public_id="t.restructuring.public_id",
        ),
        "login 404 404 404 404 404 302 302",
    ),
    "organizations:restructuring_delete": post(
        to(
            "organizations:restructuring_delete",
            public_id="t.doomed_restructuring.public_id",
        ),
        "login 404 404 404 404 404 302 302",
        acts=True,
    ),
    "members:list": rule(to("members:list"), LOGGED_IN_200),
    "members:detail": rule(
        to("members:detail", public_id="member.public_id"),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    # The cycle: the staff of its committee run it, the leaders in its tree read
    # it; the staff of a lower committee do neither.
    "reviews:cycle_list": rule(to("reviews:cycle_list"), LOGGED_IN_200),
    "reviews:cycle_create": rule(
        to("reviews:cycle_create"), "login 403 403 403 403 200 200 200"
    ),
    "reviews:cycle": rule(
        to("reviews:cycle", **CYCLE),
        "login 403/404 403/403 403/404 200/404 403/404 200/404 200/200",
    ),
    "reviews:cycle_move": rule(
        to("reviews:cycle_move", target="meetings", **CYCLE),
        "login 403/404 403/403 403/404 403/404 403/404 200/404 200/200",
    ),
    "reviews:cycle_opening": rule(
        to("reviews:cycle_opening", **CYCLE),
        "login 403/404 403/403 403/404 200/404 403/404 200/404 200/200",
    ),
    "reviews:cycle_exclusions": rule(
        to("reviews:cycle_exclusions", **CYCLE),
        "login 403/404 403/403 403/404 403/404 403/404 200/404 200/200",
    ),
    "reviews:cycle_reopen": rule(
        to("reviews:cycle_reopen", **CYCLE),
        "login 403/404 403/403 403/404 403/404 403/404 200/404 200/200",
    ),
    "reviews:checklist": rule(
        to("reviews:checklist", **IN_CYCLE),
        "login 404/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    # Work closed undone: members never see the reasons.
    "reviews:exemptions": rule(
        to("reviews:exemptions", **CYCLE),
        "login 404/404 200/200 200/404 200/404 200/404 200/404 200/200",
    ),
    # Withdrawing takes no field: it answers a redirect, having withdrawn the
    # exemption; a leader, who only reads, is refused as in recording one.
    "reviews:exemption_withdraw": post(
        to("reviews:exemption_withdraw", public_id="exemption.public_id"),
        "login 404/404 302/404 302/404 403/404 302/404 302/404 302/302",
        acts=True,
    ),
    # Review forms.
    "reviews:review": rule(
        to("reviews:review", **REVIEW),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:review_return": rule(
        to("reviews:review_return", **REVIEW),
        "login 403/404 200/404 200/404 403/404 200/404 200/404 200/200",
    ),
    # Suggestions and assignments: the committee's staff run them, its leaders
    # read them; to anyone else they do not exist.
    "reviews:suggestion_list": rule(
        to("reviews:suggestion_list", **CYCLE),
        "login 404/404 404/404 404/404 200/404 404/404 200/404 200/200",
    ),
    "reviews:suggestion_create": rule(
        to("reviews:suggestion_create", **CYCLE),
        "login 404/404 404/404 404/404 403/404 404/404 200/404 200/200",
    ),
    "reviews:suggestion_bulk": rule(
        to("reviews:suggestion_bulk", **CYCLE),
        "login 404/404 404/404 404/404 403/404 404/404 200/404 200/200",
    ),
    "reviews:suggestion_edit": rule(
        to("reviews:suggestion_edit", public_id="suggestion.public_id"),
        "login 404/404 404/404 404/404 403/404 404/404 200/404 200/200",
    ),
    "reviews:assignment_list": rule(
        to("reviews:assignment_list", **CYCLE),
        "login 404/404 404/404 404/404 200/404 404/404 200/404 200/200",
    ),
    "reviews:my_assignments": rule(to("reviews:my_assignments"), LOGGED_IN_200),
    # Meetings, keyed by the collective reviewed (a subject's GET redirects to
    # its place on the meeting's page).
    "reviews:meeting": rule(
        to("reviews:meeting", **COLLECTIVE),
        "login 404/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:meeting_item": rule(
        to("reviews:meeting_item", order=0, **COLLECTIVE),
        "login 404/404 302/404 302/404 302/404 302/404 302/404 302/302",
    ),
    # Appraisal (readers see their part) and decision (leaders read it).
    "reviews:appraise": rule(
        to("reviews:appraise", **CYCLE),
        "login 403/404 200/200 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:decide": rule(
        to("reviews:decide", **CYCLE),
        "login 403/404 403/403 403/404 200/404 403/404 200/404 200/200",
    ),
    "reviews:notices": rule(to("reviews:notices"), LOGGED_IN_200),
    # Remedies and results.
    "reviews:remedy_plan": rule(
        to("reviews:remedy_plan", **REVIEW),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:remedy_action": rule(
        to("reviews:remedy_action", public_id="remedy.public_id"),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:remedies_overdue": rule(
        to("reviews:remedies_overdue", **CYCLE),
        "login 404/404 200/200 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:organization_results": rule(
        to("reviews:organization_results", **IN_CYCLE),
        "login 404/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:person_results": rule(
        to("reviews:person_results", member_id="member.public_id"),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:flags": rule(
        to("reviews:flags", **CYCLE),
        "login 403/404 200/200 200/404 200/404 200/404 200/404 200/200",
    ),
    # Documents: an empty request names no document; a job is its subject's.
    "reviews:report_request": post(
        to("reviews:report_request"), "login 404 404 404 404 404 404 404"
    ),
    "reviews:report_job": rule(
        to("reviews:report_job", **JOB),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    "reviews:report_download": rule(
        to("reviews:report_download", **JOB),
        "login 200/404 200/404 200/404 200/404 200/404 200/404 200/200",
    ),
    # The dashboard: staff and leaders, for their subtree.
    **{
        name: rule(
            to(name, query=DASHBOARD),
            "login 404/404 404/404 404/404 200/404 200/404 200/404 200/200",
        )
        for name in (
            "dashboard",
            "dashboard_list",
            "dashboard_statistics",
            "dashboard_statistics_xlsx",
        )
    },
}


# The API: a session is no token, so every persona gets 401 (tokens × places
# are tests/api/test_matrix.py); the schema and its docs page are public.
NO_TOKEN = "401 401 401 401 401 401 401 401"
NO_TOKEN_OBJECT = "401/401 401/401 401/401 401/401 401/401 401/401 401/401 401/401"
PAGES.update(
    {
        "api:schema": rule(to("api:schema"), ALL_200),
        "api:docs": rule(to("api:docs"), ALL_200),
        **{
            f"api:{name}": rule(to(f"api:{name}"), NO_TOKEN)
            for name in (
                "organizations",
                "cycles",
                "members",
                "results",
                "remedy_plans",
                "statistics",
                "imports",
            )
        },
        "api:organization": rule(
            to("api:organization", public_id="org.public_id"), NO_TOKEN_OBJECT
        ),
        "api:member": rule(
            to("api:member", public_id="member.public_id"), NO_TOKEN_OBJECT
        ),
        "api:cycle": rule(to("api:cycle", **CYCLE), NO_TOKEN_OBJECT),
        "api:cycle_organizations": rule(
            to("api:cycle_organizations", **CYCLE), NO_TOKEN_OBJECT
        ),
        "api:remedy_action": rule(
            to("api:remedy_action", public_id="remedy.public_id"), NO_TOKEN_OBJECT
        ),
        "api:import": rule(
            to("api:import", public_id="review.public_id"), NO_TOKEN_OBJECT
        ),
    }
)


# The admin site -------------------------------------------------------------

AUTOCOMPLETE = {
    "app_label": "members",
    "model_name": "member",
    "field_name": "organization",
}


def view_on_site(test, place):
    content_type = ContentType.objects.get_for_model(place.member)
    return reverse("admin:view_on_site", args=[content_type.pk, place.member.pk])


def autocomplete_check(test, response, persona):
    """The organizations offered are those the reader's admin lists."""
    offered = {int(result["id"]) for result in response.json()["results"]}
    inside, outside = (test.places[key] for key in PROBES[persona])
    test.assertIn(inside.org.pk, offered)
    if persona == "superuser":
        test.assertIn(outside.org.pk, offered)
    else:
        test.assertNotIn(outside.org.pk, offered, "an organization outside")


# Cells: anonymous member other_secretary secretary leader ward_staff staff superuser
STAFF_200 = "admin admin admin admin admin 200 200 200"

ADMIN_SITE = {
    "admin:index": rule(to("admin:index"), STAFF_200),
    "admin:login": rule(to("admin:login"), "200 200 200 200 200 302 302 302"),
    # Logging out of the admin sends anyone who is not staff back to it.
    "admin:logout": post(
        to("admin:logout"),
        "302 302 302 302 302 login login login",
        fresh_client=True,
    ),
    "admin_password_reset": rule(
        to("admin_password_reset"), "302 302 302 302 302 302 302 302"
    ),
    "admin:password_change": rule(to("admin:password_change"), STAFF_200),
    "admin:password_change_done": rule(to("admin:password_change_done"), STAFF_200),
    "admin:autocomplete": rule(
        to("admin:autocomplete", query=AUTOCOMPLETE),
        STAFF_200,
        check=autocomplete_check,
    ),
    "admin:jsi18n": rule(to("admin:jsi18n"), STAFF_200),
    # No model has a page of its own to send the reader to.
    "admin:view_on_site": rule(
        view_on_site,
        "admin/admin admin/admin admin/admin admin/admin admin/admin "
        "404/404 404/404 404/404",
    ),
    "admin:app_list": rule(to("admin:app_list", app_label="members"), STAFF_200),
    "admin/(?P<url>.*)$": rule(
        fixed("/admin/no-such-page/"), "admin admin admin admin admin 404 404 404"
    ),
    "admin:organizations_organization_import_job": rule(
        fixed("/admin/organizations/organization/import/jobs/999999999/"),
        "admin admin admin admin admin 404 404 404",
    ),
    "admin:members_member_import_job": rule(
        fixed("/admin/members/member/import/jobs/999999999/"),
        "admin admin admin admin admin 404 404 404",
    ),
}


# The admin's models ---------------------------------------------------------

EVERY_STAFF = frozenset(STAFF_PERSONAS)
# Committee staff of a superior committee (the city), and superusers.
SUPERIOR_STAFF = frozenset({"staff", "superuser"})
SUPERUSERS = frozenset({"superuser"})
NO_ONE = frozenset()


@dataclass(frozen=True)
class AdminModel:
    """A model in the admin: its place's row, and who may write it.

    `obj(test, place)` is the row of a place; `shared` reference data has one
    row for every place, which every staff persona reads. `add` and `delete`
    are the staff personas who may add rows and delete a row they read
    (others get 403). Every staff persona with the demo staff group's
    permissions reads the rows of their subtree; `staff_perms` off means the
    group holds none of the model's permissions.
    """

    obj: Callable
    shared: bool = False
    add: frozenset = EVERY_STAFF
    delete: frozenset = EVERY_STAFF
    staff_perms: bool = True


def scoped(attribute, **options):
    return AdminModel(obj=lambda test, place: getattr(place, attribute), **options)


def shared(getter, **options):
    return AdminModel(obj=lambda test, place: getter(test), shared=True, **options)


# Rows of a cycle whose committee a lower committee's staff do not run: they
# read their subtree's rows and add rows to their own cycles, and only the
# cycle's committee deletes the city cycle's.
OF_THE_CYCLE = {"delete": SUPERIOR_STAFF}
# Written by a job or an audit trail: read-only for everyone.
WRITTEN_BY_THE_APP = {"add": NO_ONE, "delete": NO_ONE}

ADMIN_MODELS = {
    "auth.group": shared(
        lambda t: Group.objects.get(name="Ban Tổ chức"), staff_perms=False
    ),
    # Staff manage the accounts of their subtree and nothing above.
    "auth.user": scoped("user"),
    # Lists committees extend: superusers and superior committees' staff.
    "organizations.organizationtype": shared(
        lambda t: t.ward.org_type, add=SUPERIOR_STAFF, delete=SUPERIOR_STAFF
    ),
    "organizations.organization": scoped("org"),
    "organizations.role": scoped("role"),
    "members.member": scoped("member"),
    "members.post": scoped("post"),
    # The rules every rating reads: superusers only.
    "reviews.regime": shared(
        lambda t: Regime.objects.get(code="qd366"), add=SUPERUSERS, delete=SUPERUSERS
    ),
    "reviews.ratinglevel": shared(
        lambda t: RatingLevel.objects.get(regime__code="qd366", code="HTTNV"),
        add=SUPERUSERS,
        delete=SUPERUSERS,
    ),
    "reviews.reviewcycle": scoped("ward_cycle"),
    "reviews.focusarea": shared(
        lambda t: t.area, add=SUPERIOR_STAFF, delete=SUPERIOR_STAFF
    ),
    "reviews.focusindicator": shared(
        lambda t: t.indicator, add=SUPERIOR_STAFF, delete=SUPERIOR_STAFF
    ),
    "reviews.indicatorvalue": scoped("indicator_value", **OF_THE_CYCLE),
    # A template of no cycle is the regulation's, shared by all; staff add
    # templates to their own cycles.
    "reviews.formtemplate": shared(
        lambda t: FormTemplate.objects.filter(cycle=None).order_by("pk").first(),
        delete=SUPERUSERS,
    ),
    "reviews.cyclejob": scoped("cycle_job", **WRITTEN_BY_THE_APP),
    "reviews.cycleexclusion": scoped("exclusion", **OF_THE_CYCLE),
    "reviews.review": scoped("review"),
    "reviews.cyclepost": scoped("cycle_post", **OF_THE_CYCLE),
    "reviews.carryoveritem": scoped("carry_over"),
    "reviews.suggestion": scoped("suggestion", **OF_THE_CYCLE),
    "reviews.assignment": scoped("assignment", **OF_THE_CYCLE),
    "reviews.meeting": scoped("meeting"),
    # Ratings are read-only in the admin: only the pages' decision writes them.
    "reviews.rating": scoped("rating", **WRITTEN_BY_THE_APP),
    "reviews.discipline": scoped("discipline"),
    "reviews.conclusion": scoped("conclusion"),
    "reviews.remedyaction": scoped("remedy"),
    "reviews.notice": scoped("notice"),
    "reviews.cyclereopening": scoped("reopening", **WRITTEN_BY_THE_APP),
    "reviews.reportjob": scoped("report_job", add=NO_ONE),
    # django-axes' login records: superusers only (staff lift a lockout of their
    # subtree's accounts at /accounts/locked/).
    **{
        f"axes.{name.lower()}": shared(
            lambda t, name=name: apps.get_model("axes", name).objects.get(),
            staff_perms=False,
            add=NO_ONE,
        )
        for name in ("AccessAttempt", "AccessLog", "AccessFailureLog")
    },
    # API tokens and their log: the demo's staff group holds no permission of
    # the api app (superusers grant it); tokens are revoked, never deleted.
    "api.apitoken": AdminModel(
        obj=lambda test, place: api_rows(place)[0], staff_perms=False, delete=NO_ONE
    ),
    "api.apiaccesslog": AdminModel(
        obj=lambda test, place: api_rows(place)[1],
        staff_perms=False,
        **WRITTEN_BY_THE_APP,
    ),
}


def api_rows(place):
    """A token for the place's cell and one access of it, made once."""
    if getattr(place, "api_token", None) is None:
        token = ApiToken(
            name=f"Hệ thống {place.key}",
            organization=place.org,
            expires_at=timezone.now() + datetime.timedelta(days=30),
        )
        issue_token(token, None)
        place.api_token = token
        place.api_access = ApiAccessLog.objects.create(
            token=token, method="GET", path="/api/v1/members/", status=200
        )
    return place.api_token, place.api_access


# The views a ModelAdmin may have (Django's, SimpleHistoryAdmin's
# simple_history, the import and export mixin's, the user admin's password
# form) and what each needs: reading the row, or the right to add, delete or
# import. A GET of a change form only reads: the form is then read-only.
ADMIN_VIEWS = {
    "changelist": "read",
    "add": "add",
    "change": "read",
    "delete": "delete",
    "history": "read",
    "redirect": None,  # /admin/<app>/<model>/<id>/, a redirect to the change form
    "simple_history": "read",
    "import": "import",
    "process_import": "import",
    "export": "read",
    "password_change": "read",
}
WITHOUT_OBJECT = ("changelist", "add", "import", "process_import", "export")


def admin_answer(model, view, persona):
    """What a staff persona gets for a row they read (or a view with no row)."""
    need = ADMIN_VIEWS[view]
    if need is None:
        return "302"
    if persona != "superuser" and not model.staff_perms:
        return "403"
    if need == "import":
        need = "add"  # importing adds and changes rows
    if need in ("add", "delete") and persona not in getattr(model, need):
        return "403"
    return "200"


def admin_cell(model, view, persona):
    has_object = view not in WITHOUT_OBJECT
    if persona not in STAFF_PERSONAS:
        return "admin/admin" if has_object else "admin"
    inside = admin_answer(model, view, persona)
    if not has_object:
        return inside
    if persona == "superuser" or model.shared or view == "redirect":
        outside = inside
    elif inside == "200":
        outside = "404"  # outside the subtree, as the pages answer
    else:
        outside = "403|404"  # refused for every row: may refuse before looking
    return f"{inside}/{outside}"


def admin_url(label, view):
    app, model_name = label.split(".")
    name = f"admin:{app}_{model_name}_{view}"

    def url(test, place):
        if view in WITHOUT_OBJECT:
            return reverse(name)
        obj = ADMIN_MODELS[label].obj(test, place)
        if view == "redirect":
            return f"/admin/{app}/{model_name}/{obj.pk}/"
        if view == "simple_history":
            # A model the admin keeps history for but that has none (organization
            # types) has no version to show.
            history = getattr(obj, "history", None)
            version = history.first().pk if history is not None else 1
            return reverse(name, args=[obj.pk, version])
        return reverse(name, args=[obj.pk])

    return url


def admin_key(label, view):
    app, model_name = label.split(".")
    if view == "redirect":
        return f"admin/{app}/{model_name}/<path:object_id>/"
    return f"admin:{app}_{model_name}_{view}"


def changelist_check(label):
    """A changelist lists the rows of the reader's subtree and no other."""
    model = ADMIN_MODELS[label]

    def check(test, response, persona):
        if model.shared:
            return
        listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
        inside, outside = (model.obj(test, test.places[p]) for p in PROBES[persona])
        test.assertIn(inside.pk, listed, f"{label}: a row of the subtree")
        if persona == "superuser":
            test.assertIn(outside.pk, listed, f"{label}: superusers list all")
        else:
            test.assertNotIn(outside.pk, listed, f"{label}: a row outside the subtree")

    return check


def account_form_check(test, response, persona):
    """Only superusers are offered the fields that give rights (an account is
    created with a name and password, then changed)."""
    offered = set(response.context["adminform"].form.fields)
    if persona == "superuser":
        if response.context.get("change"):
            test.assertTrue(offered & PRIVILEGE_FIELDS, "superusers grant rights")
    else:
        test.assertEqual(offered & PRIVILEGE_FIELDS, set(), "a field that gives rights")


def admin_check(label, view):
    if view == "changelist":
        return changelist_check(label)
    if label == "auth.user" and view in ("add", "change"):
        return account_form_check
    return None


def admin_rules():
    """A rule for every view a registered model may have; the resolver says
    which views it has."""
    return {
        admin_key(label, view): rule(
            admin_url(label, view),
            " ".join(admin_cell(model, view, persona) for persona in PERSONAS),
            has_object=view not in WITHOUT_OBJECT,
            method="post" if view == "process_import" else "get",
            check=admin_check(label, view),
        )
        for label, model in ADMIN_MODELS.items()
        for view in ADMIN_VIEWS
    }


RULES = {**PAGES, **ADMIN_SITE, **admin_rules()}


# The tests ------------------------------------------------------------------


def outcome(response):
    if response.status_code in (301, 302):
        path = urlsplit(response["Location"]).path
        if path == reverse("login"):
            return "login"
        if path == reverse("admin:login"):
            return "admin"
        return "302"
    return str(response.status_code)


def writes(queries):
    """The statements of `queries` that write, but for the untracked tables."""
    found = []
    for query in queries:
        sql = query["sql"].lstrip()
        if sql.split(None, 1)[0].upper() not in ("INSERT", "UPDATE", "DELETE"):
            continue
        if not any(table in sql for table in UNTRACKED_TABLES):
            found.append(sql[:120])
    return found


class PermissionMatrixTests(TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        media = tempfile.mkdtemp(prefix="matrix-media-")
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        media_root = override_settings(MEDIA_ROOT=media)
        media_root.enable()
        cls.addClassCleanup(media_root.disable)
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
        # Rows seeded by migrations or written in bulk (the reviews of a cycle's
        # opening) have no history: give each a version for the admin to show.
        for model in ADMIN_MODELS.values():
            for place in cls.places.values():
                obj = model.obj(cls, place)
                history = getattr(type(obj), "history", None)
                if history is not None and not obj.history.exists():
                    history.bulk_history_create([obj])

    def client_for(self, persona):
        client = Client()
        if persona != "anonymous":
            client.force_login(getattr(self, USERS[persona]))
        return client

    def probe(self, client, persona, key, rule, url, where, expected):
        if rule.fresh_client:
            client = self.client_for(persona)
        request = f"{rule.method.upper()} {url} ({key}) as {persona}, {where}"
        with CaptureQueriesContext(connection) as queries:
            try:
                response = getattr(client, rule.method)(url)
            except Exception as error:
                raise AssertionError(f"{request}: raised {error!r} (a 500)") from error
        if response.streaming:
            # Read to the end, so that the test client closes the file; closing
            # the response here would close the test's database connection.
            b"".join(response.streaming_content)
        got = outcome(response)
        accepted = "|".join(sorted(expected))
        self.assertIn(got, expected, f"{request}: got {got}, expected {accepted}")
        if got in REFUSALS or rule.method == "post" and not rule.acts:
            self.assertEqual(writes(queries), [], f"{request}: wrote")
        if got == "200" and rule.check:
            rule.check(self, response, persona)

    def check_persona(self, persona):
        client = self.client_for(persona)
        known = resolver_routes()
        for key, found in sorted(RULES.items()):
            if key not in known:
                continue  # a view this model's admin does not have
            if found.has_object:
                places = [self.places[place] for place in PROBES[persona]]
            else:
                places = [None]
            done = set()
            for place, expected in zip(places, found.expect[persona], strict=False):
                url = found.url(self, place)
                if (url, expected) in done:
                    continue  # the same object in and out: shared reference data
                done.add((url, expected))
                where = f"place {place.key}" if place else "no object"
                with self.subTest(
                    route=key, persona=persona, place=place and place.key
                ):
                    self.probe(client, persona, key, found, url, where, expected)

    def test_every_route_has_a_rule(self):
        missing = sorted(set(resolver_routes()) - set(RULES))
        self.assertEqual(
            missing,
            [],
            "Routes without a rule: add each to PAGES or ADMIN_SITE in "
            "tests/kontum_review/test_permission_matrix.py (or its model to "
            "ADMIN_MODELS), saying what every persona gets.",
        )

    def test_no_rule_outlives_its_route(self):
        known = resolver_routes()
        stale = sorted(key for key in {**PAGES, **ADMIN_SITE} if key not in known)
        self.assertEqual(stale, [], "Rules for routes the resolver no longer has.")
        registered = {
            f"{model._meta.app_label}.{model._meta.model_name}"
            for model in admin.site._registry
        }
        self.assertEqual(sorted(set(ADMIN_MODELS) - registered), [])

    def test_anonymous(self):
        self.check_persona("anonymous")

    def test_member(self):
        self.check_persona("member")

    def test_another_cells_secretary(self):
        self.check_persona("other_secretary")

    def test_secretary(self):
        self.check_persona("secretary")

    def test_leader_of_one_unit(self):
        self.check_persona("leader")

    def test_staff_of_a_lower_committee(self):
        self.check_persona("ward_staff")

    def test_staff(self):
        self.check_persona("staff")

    def test_superuser(self):
        self.check_persona("superuser")

    # What the rows' status codes cannot say.

    def export(self, persona, url, resource_class):
        data = {"format": "1", "resource": "0"}  # CSV, the only resource
        for field_name in resource_class().get_export_order():
            data[f"{resource_class.__name__.lower()}_{field_name}"] = "on"
        response = self.client_for(persona).post(url, data)
        self.assertEqual(response.status_code, 200, f"{url} as {persona}")
        reader = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        # The headers are the columns' names as staff read them.
        columns = resource_class().columns_of_headers(next(reader))
        return [dict(zip(columns, row, strict=True)) for row in reader]

    def test_exports_hold_only_the_subtree(self):
        for persona in STAFF_PERSONAS:
            inside, outside = (self.places[key] for key in PROBES[persona])
            with self.subTest(persona=persona, model="members"):
                rows = self.export(
                    persona, reverse("admin:members_member_export"), MemberResource
                )
                cards = {row["card_number"] for row in rows}
                self.assertIn(inside.member.card_number, cards)
                if persona == "superuser":
                    self.assertIn(outside.member.card_number, cards)
                else:
                    self.assertNotIn(outside.member.card_number, cards)
            with self.subTest(persona=persona, model="organizations"):
                rows = self.export(
                    persona,
                    reverse("admin:organizations_organization_export"),
                    OrganizationResource,
                )
                codes = {row["code"] for row in rows}
                self.assertIn(inside.org.code, codes)
                if persona == "superuser":
                    self.assertIn(outside.org.code, codes)
                else:
                    self.assertNotIn(outside.org.code, codes)

    def test_no_staff_opens_an_account_above_them(self):
        above = {
            "ward_staff": [self.staff, self.superuser],
            "staff": [self.superuser],
        }
        for persona, accounts in above.items():
            client = self.client_for(persona)
            for account in accounts:
                for view in ("change", "password_change", "history"):
                    url = reverse(f"admin:auth_user_{view}", args=[account.pk])
                    with self.subTest(persona=persona, account=account.username):
                        self.assertEqual(client.get(url).status_code, 404, url)
