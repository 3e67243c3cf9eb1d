"""Small pure rules of the review; each returns something a person can read."""

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from members.models import PostKind

from .models import Review


def quorum_reached(present, called, quorum_percent):
    """Whether enough of the members called are present for the meeting to count."""
    if called == 0:
        return False
    return Decimal(present) * 100 >= Decimal(quorum_percent) * called


def proposed_level(levels, votes, present, majority_percent):
    """The highest level that more than the majority voted for, or for a higher one.

    Votes for a higher level count as support for every lower level: 5 votes for
    "excellent" and 10 for "good" out of 20 present propose "good".
    `levels` are ordered best first; `votes` maps a level code to its votes.
    """
    if present <= 0:
        return None
    supporting = 0
    for level in levels:
        supporting += votes.get(level.code, 0)
        if Decimal(supporting) * 100 > Decimal(majority_percent) * present:
            return level
    return None


def vote_errors(votes, present):
    """Reasons the tallies cannot be right, in Vietnamese."""
    errors = []
    if any(count < 0 for count in votes.values()):
        errors.append(_("A number of votes cannot be negative."))
    total = sum(votes.values())
    if total > present:
        errors.append(
            _("%(total)s votes were counted but only %(present)s members are present.")
            % {"total": total, "present": present}
        )
    return errors


def meeting_rank(post_kinds):
    """Order in the meeting from the posts held in the organization reviewing:
    head, deputies, committee members, members."""
    kinds = set(post_kinds)
    if PostKind.SECRETARY in kinds:
        return Review.Rank.HEAD
    if PostKind.DEPUTY in kinds:
        return Review.Rank.DEPUTY
    if kinds & {PostKind.STANDING, PostKind.COMMITTEE}:
        return Review.Rank.COMMITTEE
    return Review.Rank.MEMBER


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


class RegimeIncomplete(Exception):
    """The regime's data lacks what a rule needs; the message says what."""


@dataclass(frozen=True)
class Bands:
    """The points bands of a regime (QĐ 366, §6.3), read from its data."""

    thresholds: dict
    excellent_on_time: Decimal
    excellent_exceeding: Decimal
    excellent_remedied: Decimal
    good_on_time: Decimal
    pass_late: Decimal

    @classmethod
    def of(cls, regime, levels):
        """The bands of `regime` given its levels; RegimeIncomplete if a level
        above KHTNV has no minimum score."""
        missing = [
            level.code
            for level in levels
            if level.min_points is None and level.code != FAIL
        ]
        if missing:
            raise RegimeIncomplete(
                _(
                    "The regime %(regime)s gives no minimum score for %(levels)s; "
                    "set it in the admin (Regimes) before rating."
                )
                % {"regime": regime.name, "levels": ", ".join(missing)}
            )
        return cls(
            thresholds={level.code: level.min_points or 0 for level in levels},
            excellent_on_time=regime.excellent_on_time_percent,
            excellent_exceeding=regime.excellent_exceeding_percent,
            excellent_remedied=regime.excellent_remedied_percent,
            good_on_time=regime.good_on_time_percent,
            pass_late=regime.pass_late_percent,
        )


def points(score, bands, *, on_time, exceeding, remedied):
    """Under QĐ 366 the score and its conditions give the highest level.

    `bands` are the regime's thresholds and conditions. Missing percentages
    count as not met.
    """
    if score is None:
        return Finding(
            "points", FAIL, _("Points: no score was given; the rating is KHTNV.")
        )
    score = Decimal(score)
    on_time = Decimal(on_time) if on_time is not None else Decimal(0)
    exceeding = Decimal(exceeding) if exceeding is not None else Decimal(0)
    remedied = Decimal(remedied) if remedied is not None else Decimal(0)
    values = {
        "score": _number(score),
        "on_time": _number(on_time),
        "exceeding": _number(exceeding),
        "remedied": _number(remedied),
        "excellent": _number(bands.thresholds[EXCELLENT]),
        "good": _number(bands.thresholds[GOOD]),
        "pass": _number(bands.thresholds[PASS]),
        "excellent_on_time": _number(bands.excellent_on_time),
        "excellent_exceeding": _number(bands.excellent_exceeding),
        "excellent_remedied": _number(bands.excellent_remedied),
        "good_on_time": _number(bands.good_on_time),
        "pass_late": _number(bands.pass_late),
    }
    if (
        score >= bands.thresholds[EXCELLENT]
        and on_time >= bands.excellent_on_time
        and exceeding >= bands.excellent_exceeding
        and remedied >= bands.excellent_remedied
    ):
        return None
    if score >= bands.thresholds[GOOD] and on_time >= bands.good_on_time:
        reason = _(
            "Points: %(score)s points, %(on_time)s%% of tasks on time, "
            "%(exceeding)s%% exceeding, %(remedied)s%% of shortcomings remedied; "
            "HTXSNV needs ≥ %(excellent)s points, ≥ %(excellent_on_time)s%% on "
            "time, ≥ %(excellent_exceeding)s%% exceeding and "
            "≥ %(excellent_remedied)s%% remedied."
        )
        return Finding("points", GOOD, reason % values)
    if score >= bands.thresholds[PASS] and 100 - on_time <= bands.pass_late:
        reason = _(
            "Points: %(score)s points with %(on_time)s%% of tasks on time; HTTNV "
            "needs ≥ %(good)s points and ≥ %(good_on_time)s%% of tasks on time."
        )
        return Finding("points", PASS, reason % values)
    reason = _(
        "Points: %(score)s points with %(on_time)s%% of tasks on time; HTNV needs "
        "≥ %(pass)s points and at most %(pass_late)s%% of tasks late."
    )
    return Finding("points", FAIL, reason % values)


def points_verdict(score, bands, *, on_time, exceeding, remedied):
    """The points rule's verdict, always: the highest level `score` allows.

    Where `points` finds nothing to cap, the subject may be rated HTXSNV.
    """
    found = points(
        score, bands, on_time=on_time, exceeding=exceeding, remedied=remedied
    )
    if found is not None:
        return found
    return Finding(
        "points",
        EXCELLENT,
        _(
            "Points: %(score)s points with every condition of HTXSNV met; the "
            "score allows HTXSNV."
        )
        % {"score": _number(score)},
    )


def _number(value):
    value = Decimal(value).normalize()
    text = f"{value:f}"
    return text.replace(".", ",")


def _day(value):
    return value.strftime("%d/%m/%Y")
