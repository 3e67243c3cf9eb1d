"""A held meeting as the demo records it: who was absent and why, when and
where it met, and each subject's comments, votes and proposed level."""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from django.utils import timezone

from organizations.models import Organization, OrganizationKind
from reviews import rules
from reviews.models import Meeting, Review

from .data import ABSENCE_REASONS, MEETING_COMMENTS, RESIDENTIAL_TYPES

ABSENT_SHARE = 0.04


class SubjectItem:
    """A meeting's item as hold_meetings reads and writes it (a MeetingItem's
    columns, without the instance)."""

    __slots__ = (
        "pk",
        "meeting_id",
        "review_id",
        "comments",
        "votes",
        "proposed_rating_id",
        "recorded_at",
    )

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @property
    def proposed_rating(self):
        raise AttributeError("proposed_rating_id holds the level's key")

    @proposed_rating.setter
    def proposed_rating(self, level):
        self.proposed_rating_id = level.pk


class Invited(NamedTuple):
    sort_key: str
    card_number: str
    full_name: str


class Attendee:
    """An attendance row with what the meeting reads of its member."""

    __slots__ = ("pk", "meeting_id", "member_id", "present", "absence_reason", "member")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


@dataclass
class MeetingContext:
    meeting: Meeting
    items: list
    rows: list
    reviews: dict
    by_member: dict
    exempted: dict
    organization: Organization
    organizations: dict
    types: dict

    def rank(self, row):
        review = self.by_member.get(row.member_id)
        rank = review.meeting_rank if review else Review.Rank.MEMBER
        return (rank, row.member.sort_key, row.member.card_number)

    def attend(self, rng, quorum_percent):
        """Mark who was absent and why; None if the meeting has no quorum."""
        absent = {}
        for row in self.rows:
            review = self.by_member.get(row.member_id)
            if review is not None and review.pk in self.exempted:
                absent[row.pk] = self.exempted[review.pk]
        called = len(self.rows)
        if not rules.quorum_reached(called - len(absent), called, quorum_percent):
            return None
        for row in self.rows:
            if row.pk in absent or rng.random() >= ABSENT_SHARE:
                continue
            if rules.quorum_reached(called - len(absent) - 1, called, quorum_percent):
                absent[row.pk] = rng.choice(ABSENCE_REASONS)
        changed = []
        for row in self.rows:
            if row.pk in absent:
                row.present, row.absence_reason = False, absent[row.pk]
                changed.append(row)
        self.present = called - len(absent)
        return changed

    def describe(self, rng, day):
        """The details the secretary enters before recording the subjects."""
        organization = self.organization
        type_code = self.types.get(organization.org_type_id)
        name = organization.name
        if organization.kind == OrganizationKind.GRASSROOTS_COMMITTEE:
            place = f"Hội trường {name.replace('Đảng bộ ', 'Đảng ủy ', 1)}"
        elif (
            type_code in RESIDENTIAL_TYPES
            and organization.kind == OrganizationKind.CELL
        ):
            place = f"Nhà văn hóa {name.removeprefix('Chi bộ ')}"
        elif organization.kind == OrganizationKind.CELL:
            parent = self.organizations[organization.parent_id]
            place = f"Phòng họp {parent.name.removeprefix('Đảng bộ ')}"
        else:
            place = f"Phòng họp {name.removeprefix('Chi bộ ')}"
        subjects = sum(1 for item in self.items if item.review_id not in self.exempted)
        minutes = 45 + 5 * subjects
        starts = rng.choice(
            [(19, 30), (7, 30), (14, 0)]
            if type_code in RESIDENTIAL_TYPES
            else [(8, 0), (14, 0), (7, 30)]
        )
        if starts[0] * 60 + starts[1] + minutes > 22 * 60 + 30:
            starts = (7, 30)
        start = datetime.datetime.combine(day, datetime.time(*starts))
        self.start, self.minutes = start, minutes
        present = sorted((row for row in self.rows if row.present), key=self.rank)
        meeting = self.meeting
        meeting.held_on = day
        meeting.starts_at = start.time()
        meeting.ends_at = (start + datetime.timedelta(minutes=minutes)).time()
        meeting.place = place
        meeting.chair = present[0].member.full_name
        meeting.recorder = (
            present[1] if len(present) > 1 else present[0]
        ).member.full_name
        parent = self.organizations.get(organization.parent_id)
        meeting.superior_attendee = f"Đại diện {parent.name}" if parent else ""
        # Saved once with its details (held), once when finished (done).
        meeting.status = Meeting.Status.DONE
        meeting.version += 2

    def record(self, rng, levels, by_level, majority, proposals):
        """Comments and votes of each subject in order, but those not submitted."""
        recorded = []
        collective_code = None
        waiting = [item for item in self.items if item.review_id not in self.exempted]
        for number, item in enumerate(waiting, 1):
            review = self.reviews[item.review_id]
            code = proposals.get(review.pk)
            if code is None:
                code = meeting_level(rng, review, by_level, collective_code)
                proposals[review.pk] = code
            if review.kind == Review.Kind.ORGANIZATION:
                collective_code = code
            comments = MEETING_COMMENTS[
                "collective" if review.member_id is None else code
            ]
            item.comments = rng.choice(comments)
            item.votes = meeting_votes(rng, levels, code, self.present, majority)
            item.proposed_rating = next(level for level in levels if level.code == code)
            spent = 30 + (self.minutes - 45) * number // len(waiting)
            item.recorded_at = timezone.make_aware(
                self.start + datetime.timedelta(minutes=spent)
            )
            recorded.append(item)
        return recorded


def meeting_level(rng, review, by_level, collective_code):
    """The meeting mostly keeps the self-rating, often cuts an HTXSNV, and rates
    a head no higher than the cell they head."""
    code = by_level.get(review.self_rating_id, rules.GOOD)
    if review.member_id is not None:
        if code == rules.EXCELLENT and rng.random() < 0.3:
            code = rules.GOOD
        elif code != rules.FAIL and rng.random() < 0.03:
            code = rules.ORDER[rules.ORDER.index(code) + 1]
        if review.meeting_rank == Review.Rank.HEAD and collective_code:
            code = max(code, collective_code, key=rules.ORDER.index)
    return code


def meeting_votes(rng, levels, code, present, majority):
    """Everyone present votes; more than the majority for `code`."""
    codes = [level.code for level in levels]
    index = codes.index(code)
    higher = rng.randint(0, present // 10) if index > 0 else 0
    lower = rng.randint(0, present // 8) if index < len(codes) - 1 else 0
    votes = dict.fromkeys(codes, 0)
    votes[code] = present - higher - lower
    if higher:
        votes[codes[index - 1]] = higher
    if lower:
        votes[codes[index + 1]] = lower
    proposed = rules.proposed_level(levels, votes, present, majority)
    if proposed is None or proposed.code != code:
        votes = dict.fromkeys(codes, 0) | {code: present}
    return votes
