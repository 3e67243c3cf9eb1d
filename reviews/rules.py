"""Small pure rules of the review; each returns something a person can read."""

import functools
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

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


def meeting_rank(party_post):
    """Order in the meeting from the Party post: head, deputies, committee, members."""
    post = (party_post or "").lower()
    if not post:
        return Review.Rank.MEMBER
    if "phó bí thư" in post:
        return Review.Rank.DEPUTY
    if "bí thư" in post:
        return Review.Rank.HEAD
    if "ủy viên" in post or "cấp ủy" in post:
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
    leadership_disciplined,
    disciplined_leaders,
    disciplined_units,
    units,
    self_remedied_exempt,
):
    """Rule 4: discipline in a collective caps it at HTTNV, or KHTNV when broad.

    `disciplined_leaders` and `disciplined_units` are discipline records of the
    leadership's members and of subordinate organizations in the year.
    """

    def counts(record):
        return not (self_remedied_exempt and record.self_detected and record.remedied)

    if leadership_disciplined:
        return Finding(
            "collective_discipline",
            FAIL,
            _("Collective discipline: the leadership collective was disciplined."),
        )
    units_hit = {r.organization_id for r in disciplined_units if counts(r)}
    if units and len(units_hit) * 100 > 20 * units:
        return Finding(
            "collective_discipline",
            FAIL,
            _(
                "Collective discipline: %(hit)s of %(units)s subordinate "
                "organizations were disciplined, more than 20%%."
            )
            % {"hit": len(units_hit), "units": units},
        )
    leaders_hit = [r for r in disciplined_leaders if counts(r)]
    if units_hit or leaders_hit:
        return Finding(
            "collective_discipline",
            GOOD,
            _(
                "Collective discipline: %(leaders)s member(s) of the leadership and "
                "%(units)s subordinate organization(s) were disciplined; the "
                "collective cannot be rated HTXSNV."
            )
            % {"leaders": len(leaders_hit), "units": len(units_hit)},
        )
    return None


def leader_unit(unit_code, unit_name, targets_met, targets):
    """Rule 5: a leader whose unit is KHTNV or met under half its targets is KHTNV."""
    if unit_code == FAIL:
        return Finding(
            "leader_unit",
            FAIL,
            _("Leader's unit: %(unit)s is rated KHTNV.") % {"unit": unit_name},
        )
    if targets and targets_met * 2 < targets:
        return Finding(
            "leader_unit",
            FAIL,
            _(
                "Leader's unit: %(unit)s met %(met)s of %(targets)s targets, less "
                "than 50%%."
            )
            % {"unit": unit_name, "met": targets_met, "targets": targets},
        )
    return None


def conclusion(conclusions):
    """Rule 6: degeneration, a prohibited act or a failed example duty → KHTNV."""
    if not conclusions:
        return None
    first = min(conclusions, key=lambda c: c.concluded_on)
    return Finding(
        "conclusion",
        FAIL,
        _("Conclusion: %(kind)s (%(date)s); the rating is KHTNV.")
        % {"kind": first.get_kind_display(), "date": _day(first.concluded_on)},
    )


# QĐ 366: the extra conditions of each points band (HD 43-HD/BTCTW).
EXCEEDING_FOR_EXCELLENT = Decimal(30)
LATE_AT_MOST_FOR_PASS = Decimal(20)


def points(score, thresholds, *, on_time, exceeding, remedied):
    """Under QĐ 366 the score and its conditions give the highest level.

    `thresholds` maps level codes to their minimum points (90, 70, 50, 0).
    Missing percentages count as not met.
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
    }
    if (
        score >= thresholds[EXCELLENT]
        and on_time == 100
        and exceeding >= EXCEEDING_FOR_EXCELLENT
        and remedied == 100
    ):
        return None
    if score >= thresholds[GOOD] and on_time == 100:
        reason = _(
            "Points: %(score)s points, %(on_time)s%% of tasks on time, "
            "%(exceeding)s%% exceeding, %(remedied)s%% of shortcomings remedied; "
            "HTXSNV needs ≥ 90 points, 100%% on time, ≥ 30%% exceeding and 100%% "
            "remedied."
        )
        return Finding("points", GOOD, reason % values)
    if score >= thresholds[PASS] and 100 - on_time <= LATE_AT_MOST_FOR_PASS:
        reason = _(
            "Points: %(score)s points with %(on_time)s%% of tasks on time; HTTNV "
            "needs ≥ 70 points and 100%% of tasks on time."
        )
        return Finding("points", PASS, reason % values)
    reason = _(
        "Points: %(score)s points with %(on_time)s%% of tasks on time; HTNV needs "
        "≥ 50 points and at most 20%% of tasks late."
    )
    return Finding("points", FAIL, reason % values)


def points_verdict(score, thresholds, *, on_time, exceeding, remedied):
    """The points rule's verdict, always: the highest level `score` allows.

    Where `points` finds nothing to cap, the subject may be rated HTXSNV.
    """
    found = points(
        score, thresholds, on_time=on_time, exceeding=exceeding, remedied=remedied
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
