"""Whose dashboard it is: the reader's cycle, subtree, type and decisions.

Staff and leaders read the subtree of their role within a cycle's tree: a
role at or above the cycle's committee reads the whole tree. Everyone else
gets 404. Filters come from the query string through a form; a bad value is
reported and the scope falls back to the defaults. The API's statistics read
the same scope (api/views/results.py).
"""

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote_plus

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property

from kontum_review.compiled import Compiled
from organizations.models import (
    DASHBOARD_ROLE_KINDS,
    Organization,
    OrganizationType,
    Role,
)

from .. import results
from ..access import UserLookup
from ..models import ReviewCycle
from .forms import DashboardFilterForm

READER_KINDS = DASHBOARD_ROLE_KINDS


@dataclass
class Scope:
    """What a reader asked for and may see: cycle, subtree, type, decisions."""

    form: DashboardFilterForm
    cycles: list
    cycle: ReviewCycle
    top: Organization
    root: Organization
    org_type: OrganizationType | None
    show_decisions: bool

    def query(self, **extra):
        """The query string that keeps these filters (and adds `extra`)."""
        extra = {k: v for k, v in extra.items() if v not in (None, "")}
        base = self.base_params
        if not extra:
            return self.base_query
        if base.keys().isdisjoint(extra):
            # The filters' pairs, written once, then the new ones: what
            # encode_pairs writes of the two merged (a page builds hundreds).
            return f"{self.base_query}&{encode_pairs(extra)}"
        return encode_pairs({**base, **extra})

    @cached_property
    def base_query(self):
        return encode_pairs(self.base_params)

    @cached_property
    def base_params(self):
        params = {"cycle": self.cycle.public_id}
        if self.root.pk != self.top.pk:
            params["org"] = self.root.public_id
        if self.org_type is not None:
            params["type"] = self.org_type.code
        return params

    @cached_property
    def list_path(self):
        return reverse("dashboard_list")

    @cached_property
    def dashboard_path(self):
        return reverse("dashboard")


# Codes, keys and ids: nothing to escape, and a page builds hundreds of links.
PLAIN = re.compile(r"[A-Za-z0-9_.-]+")


# "key=value" as encode_pairs writes it, by (key, value): a page's links repeat
# the same cycle, organizations, headings and levels hundreds of times.
PAIRS = {}
PAIRS_KEPT = 20000


def encode_pair(key, value):
    text = str(value)
    if not PLAIN.fullmatch(text):
        text = quote_plus(text)
    found = f"{key}={text}"
    if len(PAIRS) >= PAIRS_KEPT:
        PAIRS.clear()
    PAIRS[key, value] = found
    return found


def encode_pairs(params):
    """urlencode for the link parameters, skipping the quoting of plain values."""
    known = PAIRS.get
    return "&".join(
        known((key, value)) or encode_pair(key, value) for key, value in params.items()
    )


def top_of(cycle, roles):
    """The highest organization of the cycle's tree the roles read, or None."""
    top = cycle.superior
    if any(top.path.startswith(o.path) for o in roles):
        return top
    inside = [o for o in roles if o.path.startswith(top.path)]
    return min(inside, key=lambda o: o.path) if inside else None


def reader_roles(user):
    return Role.objects.filter(user=user, kind__in=READER_KINDS).select_related(
        "organization"
    )


def readable_cycles(user):
    return (
        ReviewCycle.objects.visible_to(user)
        .select_related("superior", "regime")
        .order_by("-starts_on", "-pk")
    )


@functools.cache
def scope_lookups():
    """read_scope's lookups of the reader's roles and the cycles they see
    (UserLookup), and of the organization types, compiled once per process
    (kontum_review/compiled.py)."""
    return (
        UserLookup(reader_roles),
        UserLookup(readable_cycles),
        Compiled(lambda: OrganizationType.objects.all()),
    )


def read_scope(request, form_class=DashboardFilterForm):
    """The reader's scope from the query string; 404 for anyone without one."""
    user = request.user
    roles_lookup, cycles_lookup, types_lookup = scope_lookups()
    if user.is_superuser:
        roles = []
    else:
        roles = [role.organization for role in roles_lookup.all(user)]
        if not roles:
            raise Http404
    visible = cycles_lookup.all(user)
    cycles = [cycle for cycle in visible if user.is_superuser or top_of(cycle, roles)]
    if not cycles:
        raise Http404
    types = types_lookup.all()
    form = form_class(request.GET, cycles=cycles, types=types)
    # The fields that are valid still count when another one is not.
    form.is_valid()
    data = form.cleaned_data
    cycle = next(
        (c for c in cycles if str(c.public_id) == data.get("cycle")),
        default_cycle(cycles),
    )
    top = cycle.superior if user.is_superuser else top_of(cycle, roles)
    root = top
    if data.get("org"):
        root = get_object_or_404(
            Organization.objects.subtree_of(top), public_id=data["org"]
        )
    org_type = next((t for t in types if t.code == data.get("type")), None)
    return Scope(
        form=form,
        cycles=cycles,
        cycle=cycle,
        top=top,
        root=root,
        org_type=org_type,
        show_decisions=cycle.pk in results.decisions_shown(user, [cycle]),
    )


def default_cycle(cycles):
    """The newest cycle under way or done; a draft only if there is nothing else."""
    return next((c for c in cycles if c.status != ReviewCycle.Status.DRAFT), cycles[0])
