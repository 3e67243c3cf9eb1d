"""The current cycle.

This year's cycle is opened by the opening job, as staff open it. Nearly every
form is then written and submitted (forms); a few members could not write
theirs, and staff recorded why before moving the cycle to its meetings. About
half of the collectives have recorded their meeting (meetings); the others, the
demo secretary's cell among them, are planned, so the walkthrough can hold one
and go on from there.
"""

import random
from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction

from reviews import services, statistics
from reviews.models import (
    CarryOverItem,
    CycleJob,
    CyclePost,
    Rating,
    Review,
    ReviewCycle,
)

from .. import bulk
from .forms import write_forms
from .meetings import hold_meetings
from .timeline import current_timeline


def run_current_cycle(seed_value, cycles, organizations, today):
    """Open this year's cycle, write its forms and hold some meetings; each step
    runs only while the cycle is at it, so running again creates nothing twice."""
    cycle = cycles[-1]
    staff = get_user_model().objects.get(username="staff")
    timeline = current_timeline(cycle, today)
    if cycle.status == ReviewCycle.Status.DRAFT:
        open_current_cycle(cycle, staff)
        cycle.refresh_from_db()
    # The planner's figures from before this cycle's reviews would take the
    # cycle for empty and join its reviews row by row.
    bulk.analyze(Review, Rating, CyclePost, CarryOverItem)
    if cycle.status == ReviewCycle.Status.SELF_REVIEW:
        previous = cycles[-2] if len(cycles) > 1 else None
        write_forms(
            random.Random(seed_value + 17),
            cycle,
            previous,
            organizations,
            staff,
            timeline,
        )
        cycle = services.move_cycle(cycle, ReviewCycle.Status.MEETINGS, staff)
    bulk.analyze(Review, Rating)
    if cycle.status == ReviewCycle.Status.MEETINGS:
        hold_meetings(
            random.Random(seed_value + 19), cycle, organizations, staff, timeline
        )
    # Bulk writes send no signals: drop the figures cached before this import.
    transaction.on_commit(partial(statistics.invalidate, cycle.pk))
    return cycle


def open_current_cycle(cycle, staff):
    """Open the cycle as staff do: the opening job, run here in-process."""
    from reviews.tasks import open_cycle_task

    job = CycleJob.objects.create(cycle=cycle, requested_by=staff)
    open_cycle_task(job.pk)
    job.refresh_from_db()
    if job.status != CycleJob.Status.DONE:
        raise RuntimeError(f"Opening {cycle.name} failed: {job.message}")
