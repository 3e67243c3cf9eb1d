"""A realistic, repeatable demo of Thành ủy Kon Tum (docs/process.md §8).

The same seed always yields the same codes and card numbers, so running the
generator again creates only what is missing. Rows are written in bulk (COPY on
PostgreSQL, see members/bulk/): the province-size run (31,000 members)
finishes in about a minute, ten times the province in under ten.

`seed` builds it in order, each step in its module, each module importing only
those listed after it: the current cycle (`current_year`: its `forms`, its
`meetings` with their `minutes`, and the `timeline` they share), the province's
decision of 2025 (`restructuring`), the past cycles (`history`, with their
`decisions` and the `last_year`'s meetings and plans), the yearly `cycles`, the
members and accounts (`people`), the organization `tree`, and the facts, names
and texts they all draw from (`data`). The names the command, the benches and
the tests use are re-exported here.
"""

import datetime
import random

from django.db import transaction

from organizations.models import Organization
from reviews.models import ReviewCycle

from .. import bulk
from ..models import Member
from .current_year import run_current_cycle
from .cycles import create_cycles, create_indicator_values
from .data import (
    BLOCK_CODE,
    BLOCK_NAME,
    BLOCK_SIZE,
    DECISION,
    DEFAULT_MEMBERS,
    DEMO_CELL,
    DEMO_PASSWORD,
    EXEMPTION_REASONS,
    FIRST_HISTORY_YEAR,
    MOVED_CELLS,
    NEW_WARD_CODE,
    NEW_WARD_NAME,
    ONE_DAY,
    PROVINCE_CODE,
    SUPERIOR_CODE,
)
from .history import create_history, draw_merits, inherit_merits, registered_members
from .people import create_accounts, create_members, create_posts
from .restructuring import restructure
from .tree import build_tree, create_organizations, tree_on

__all__ = [
    "BLOCK_CODE",
    "BLOCK_NAME",
    "BLOCK_SIZE",
    "DECISION",
    "DEFAULT_MEMBERS",
    "DEMO_CELL",
    "DEMO_PASSWORD",
    "EXEMPTION_REASONS",
    "FIRST_HISTORY_YEAR",
    "MOVED_CELLS",
    "NEW_WARD_CODE",
    "NEW_WARD_NAME",
    "ONE_DAY",
    "PROVINCE_CODE",
    "SUPERIOR_CODE",
    "build_tree",
    "seed",
]


@transaction.atomic
def seed(
    members=DEFAULT_MEMBERS,
    grassroots=None,
    cells=None,
    seed_value=2023,
    today=None,
    log=print,
):
    """Build the demo; `grassroots` and `cells` fix the tree's size exactly.

    The province (docs/process.md §8) is about grassroots=650, cells=1900,
    members=31000; without them the tree grows with the members, as the city.
    """
    today = today or datetime.date.today()
    rng = random.Random(seed_value)
    scale = max(members / DEFAULT_MEMBERS, 0.05)
    specs = build_tree(rng, scale, grassroots, cells)
    codes = {spec.code for spec in specs} | {NEW_WARD_CODE}
    with bulk.loading():
        create_organizations(specs)
        # The tree as it was before the decision, also on a second run.
        organizations = tree_on(DECISION["effective_on"] - ONE_DAY, codes)
        created = create_members(rng, specs, organizations, members, today)
        create_posts(organizations)
        cycles = create_cycles(organizations[SUPERIOR_CODE], today)
        # The source article's cycle (2023) carries the recruitment indicator.
        article_cycle = next((c for c in cycles if c.year == 2023), cycles[0])
        create_indicator_values(rng, article_cycle, organizations)
        past = cycles[:-1]
        last = past[-1] if past else None
        before = [c for c in past if c.ends_on < DECISION["effective_on"]]
        registered = registered_members(organizations)
        merits = draw_merits(seed_value, registered, organizations)
        decided = create_history(
            seed_value, before, organizations, registered, merits, last
        )
        accounts = create_accounts(organizations)
        if cycles[-1].ends_on >= DECISION["effective_on"]:
            restructure(organizations, today)
            organizations = tree_on(cycles[-1].ends_on, codes)
            registered = registered_members(organizations)
            inherit_merits(seed_value, merits, organizations)
            decided += create_history(
                seed_value,
                [c for c in past if c not in before],
                organizations,
                registered,
                merits,
                last,
            )
        current = run_current_cycle(seed_value, cycles, organizations, today)
    log(
        f"Tổ chức đảng: {Organization.objects.count()}; "
        f"đảng viên: {Member.objects.count()} (mới tạo {created}); "
        f"kỳ kiểm điểm: {ReviewCycle.objects.count()}; "
        f"xếp loại đã quyết định (mới tạo): {decided}; "
        f"kỳ năm {current.year}: {current.get_status_display()}."
    )
    return accounts
