"""The capping rules of docs/process.md §6: each looks at plain facts and
returns a Finding, the highest level the subject may receive and the reason.

The level codes, their order and Finding live here; the points rule
(scoring.py) builds on them.
"""

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

# Rating caps (docs/process.md §6) ------------------------------------------------
#
# Each rule looks at plain facts and returns a Finding: the highest level the
# subject may receive under that rule and a reason that names the rule and the
# numbers. A rating breaks the rule when it is better than that level.

EXCELLENT, GOOD, PASS, FAIL = "HTXSNV", "HTTNV", "HTNV", "KHTNV"
ORDER = (EXCELLENT, GOOD, PASS, FAIL)


@dataclass(frozen=True)
class Finding:
    rule: str
    highest: str
    reason: str

    def broken_by(self, level_code):
        return ORDER.index(level_code) < ORDER.index(self.highest)


@functools.lru_cache(maxsize=4096)
def quota_allowed(good, percent):
    """How many HTXSNV a group may have: the share of its HTTNV, rounded down."""
    return int(Decimal(good) * Decimal(percent) / 100)


def quota(group_name, excellent, total, good, percent):
    """Rule 1: HTXSNV at most `percent` of the number rated HTTNV in the group."""
    allowed = quota_allowed(good, percent)
    if excellent <= allowed:
        return None
    return Finding(
        "quota",
        GOOD,
        _(
            "Quota: %(group)s has %(excellent)s/%(total)s rated HTXSNV; at most "
            "%(percent)s%% of %(good)s rated HTTNV is %(allowed)s."
        )
        % {
            "group": group_name,
            "excellent": excellent,
            "total": total,
            "percent": _number(percent),
            "good": good,
            "allowed": allowed,
        },
    )


def discipline(records, self_remedied_exempt):
    """Rule 2: disciplined during the year → KHTNV; one violation counts once."""
    counted = [
        record
        for record in records
        if not (self_remedied_exempt and record.self_detected and record.remedied)
    ]
    if not counted:
        return None
    first = min(counted, key=lambda record: record.decided_on)
    return Finding(
        "discipline",
        FAIL,
        _(
            "Discipline: disciplined during the year (%(form)s, %(date)s); the "
            "rating is KHTNV."
        )
        % {"form": first.get_form_display(), "date": _day(first.decided_on)},
    )


def head(collective_code, collective_name):
    """Rule 3: the head is rated no higher than the collective they head."""
    if collective_code is None:
        return None
    return Finding(
        "head",
        collective_code,
        _(
            "Head ≤ collective: %(collective)s is rated %(level)s; its head cannot "
            "be rated higher."
        )
        % {"collective": collective_name, "level": collective_code},
    )


def collective_discipline(
    *,
    own,
    disciplined_leaders,
    disciplined_units,
    units,
    percent,
    self_remedied_exempt,
):
    """Rule 4: discipline in a collective caps it at HTTNV, or KHTNV when broad.

    `own` are the records against the organization or its leadership collective,
    `disciplined_leaders` those of the members of its leadership, and
    `disciplined_units` those of the organizations directly under it, of which
    there are `units`: counted and divided over the same set.
    """

    def counts(record):
        return not (self_remedied_exempt and record.self_detected and record.remedied)

    if any(counts(record) for record in own):
        return Finding(
            "collective_discipline",
            FAIL,
            _(
                "Collective discipline: the organization or its leadership "
                "collective was disciplined."
            ),
        )
    units_hit = {r.organization_id for r in disciplined_units if counts(r)}
    if units and Decimal(len(units_hit)) * 100 > Decimal(percent) * units:
        return Finding(
            "collective_discipline",
            FAIL,
            _(
                "Collective discipline: %(hit)s of the %(units)s organizations "
                "directly under it were disciplined, more than %(percent)s%%."
            )
            % {"hit": len(units_hit), "units": units, "percent": _number(percent)},
        )
    leaders_hit = {r.member_id for r in disciplined_leaders if counts(r)}
    if units_hit or leaders_hit:
        return Finding(
            "collective_discipline",
            GOOD,
            _(
                "Collective discipline: %(leaders)s member(s) of the leadership and "
                "%(units)s organization(s) directly under it were disciplined; the "
                "collective cannot be rated HTXSNV."
            )
            % {"leaders": len(leaders_hit), "units": len(units_hit)},
        )
    return None


def unit_targets(unit_name, met, total, percent):
    """Rule 5: a leader whose unit met fewer than `percent` of its indicator
    targets is rated KHTNV."""
    if not total or Decimal(met) * 100 >= Decimal(percent) * total:
        return None
    return Finding(
        "leader_unit",
        FAIL,
        _(
            "Leader's unit: %(unit)s met %(met)s of %(targets)s targets, fewer "
            "than %(percent)s%%."
        )
        % {
            "unit": unit_name,
            "met": met,
            "targets": total,
            "percent": _number(percent),
        },
    )


def leader_unit(unit_code, unit_name, minimums):
    """Rule 5: a leader is rated no better than the unit they lead allows.

    A unit rated KHTNV makes its leader KHTNV; `minimums` (regime data) map a
    leader's level to the lowest level of the unit it needs, e.g. HTXSNV needs
    the unit at HTTNV or better.
    """
    if unit_code is None:
        return None
    if unit_code == FAIL:
        return Finding(
            "leader_unit",
            FAIL,
            _("Leader's unit: %(unit)s is rated KHTNV.") % {"unit": unit_name},
        )
    minimums = monotone_minimums(minimums)
    for level in ORDER:
        needed = minimums.get(level)
        if needed is None or ORDER.index(unit_code) <= ORDER.index(needed):
            if level == EXCELLENT:
                return None
            return Finding(
                "leader_unit",
                level,
                _(
                    "Leader's unit: %(unit)s is rated %(unit_level)s; a leader is "
                    "rated %(above)s only if the unit they lead is rated "
                    "%(needed)s or better."
                )
                % {
                    "unit": unit_name,
                    "unit_level": unit_code,
                    "above": ORDER[ORDER.index(level) - 1],
                    "needed": minimums[ORDER[ORDER.index(level) - 1]],
                },
            )
    return None


def monotone_minimums(minimums):
    """Each level's minimum of the unit, at least the strictest of the levels
    below it: a map that names HTTNV's minimum but not HTXSNV's does not let
    a leader be rated HTXSNV where HTTNV would be capped."""
    found, strictest = {}, None
    for level in reversed(ORDER):
        needed = minimums.get(level)
        if needed in ORDER and (
            strictest is None or ORDER.index(needed) < ORDER.index(strictest)
        ):
            strictest = needed
        if strictest is not None:
            found[level] = strictest
    return found


def conclusion(conclusions):
    """Rule 6: degeneration, a prohibited act or a failed example duty → KHTNV;
    for a collective, under half its targets met or internal disunity."""
    if not conclusions:
        return None
    first = min(conclusions, key=lambda c: c.concluded_on)
    return Finding(
        "conclusion",
        FAIL,
        _("Conclusion: %(kind)s (%(date)s); the rating is KHTNV.")
        % {"kind": first.get_kind_display(), "date": _day(first.concluded_on)},
    )


def _number(value):
    value = Decimal(value).normalize()
    text = f"{value:f}"
    return text.replace(".", ",")


def _day(value):
    return value.strftime("%d/%m/%Y")
