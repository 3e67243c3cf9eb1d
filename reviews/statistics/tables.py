"""The shapes the figures come in: the headings counted, a line of subjects
per level (LevelRow), the tables reported upward, a step of the cycle's
progress, a distribution and a point of the trend; and share(), the
percentage as the committee's tables print it."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext_lazy

from ..counting import subjects_of
from ..models import Review
from .queries import Unit

Kind = Review.Kind

# Who is counted under each heading of the dashboard and the tables.
SUBJECTS = {
    "organizations": gettext_lazy("Party organizations"),
    "grassroots": gettext_lazy("Grassroots Party organizations"),
    "cells": gettext_lazy("Subordinate Party cells"),
    "leadership": gettext_lazy("Leadership collectives"),
    "members": gettext_lazy("Party members"),
    "leaders": gettext_lazy("Of whom leaders and managers"),
}


def share(count, total):
    """A whole percentage, halves rounded up, as the committee's tables print it."""
    return (200 * count + total) // (2 * total) if total else 0


# Tables --------------------------------------------------------------------------


@dataclass
class LevelRow:
    """One line of a statistics table: subjects per level, and those not decided."""

    label: str
    counts: dict = field(default_factory=dict)
    undecided: int = 0
    organization: Unit | None = None
    key: str = ""

    @property
    def total(self):
        return sum(self.counts.values()) + self.undecided

    def add(self, code, number):
        if code:
            self.counts[code] = self.counts.get(code, 0) + number
        else:
            self.undecided += number

    def cells(self, levels):
        """(count, percentage) per level, in the regime's order."""
        total = self.total
        return [
            (
                self.counts.get(level.code, 0),
                share(self.counts.get(level.code, 0), total),
            )
            for level in levels
        ]


OVERALL = ("grassroots", "cells", "members", "leaders")


def overall_rows(entries):
    """Decided levels per heading from (kind, organization kind, leader, code, n)."""
    rows = {
        subject: LevelRow(str(SUBJECTS[subject]), key=subject) for subject in OVERALL
    }
    for kind, org_kind, leader, code, number in entries:
        for subject in subjects_of(kind, org_kind, leader):
            if subject in rows:
                rows[subject].add(code or None, number)
    return list(rows.values())


def overall_history(cycles, root):
    """overall_rows for each of the cycles under `root`, from one grouped query."""
    grouped = (
        Review.objects.filter(
            cycle__in=cycles, organization__path__startswith=root.path
        )
        .exclude(kind=Kind.LEADERSHIP)
        .order_by()
        .values_list(
            "cycle_id", "kind", "organization__kind", "is_leader", "decided_code"
        )
        .annotate(number=Count("pk"))
    )
    by_cycle = defaultdict(list)
    for cycle_id, *entry in grouped:
        by_cycle[cycle_id].append(entry)
    return {cycle.pk: overall_rows(by_cycle[cycle.pk]) for cycle in cycles}


@dataclass
class Table:
    """A statistics table: a title, what its rows are, and the rows."""

    key: str
    title: str
    row_heading: str
    rows: list


@dataclass
class Step:
    """One step of the cycle's progress for organizations or members."""

    key: str
    label: str
    done: int
    total: int
    deadline: datetime.date | None = None
    late: list = field(default_factory=list)  # (Unit, missing): the first ones
    late_count: int = 0  # organizations late in all

    @property
    def share(self):
        return share(self.done, self.total)

    @property
    def missing(self):
        return self.total - self.done

    @property
    def overdue(self):
        return bool(self.late)


STEP_LABELS = {
    "submitted": gettext_lazy("Forms submitted"),
    "returned": gettext_lazy("Forms returned for rework"),
    "meeting": gettext_lazy("Review meetings held"),
    "proposed": gettext_lazy("Ratings proposed"),
    "decided": gettext_lazy("Ratings decided"),
}
STEP_DEADLINES = {
    "submitted": "self_review_due",
    "meeting": "meetings_due",
    "proposed": "appraisal_due",
    "decided": "decision_due",
}


@dataclass
class Distribution:
    """One heading's subjects per level: latest proposal and decision."""

    key: str
    label: str
    proposed: LevelRow
    decided: LevelRow


@dataclass
class TrendPoint:
    cycle_name: str
    year: int
    public_id: object
    rows: dict  # subject key → LevelRow (decided)
