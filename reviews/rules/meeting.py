"""The rules of a review meeting: quorum, the level the votes propose, the
tallies' errors, and the order subjects come in."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from members.models import PostKind

from ..models import Review

# The share present is compared as the page shows it, to the hundredth of a
# percent the regime's quorum is kept in: two-thirds, kept as 66.67, is met by
# 6 of 9 (66.666…%), as the Party's "2/3" means.
PERCENT_PLACES = Decimal("0.01")


def quorum_reached(present, called, quorum_percent):
    """Whether enough of the members called are present for the meeting to count."""
    if called == 0:
        return False
    share = (Decimal(present) * 100 / called).quantize(PERCENT_PLACES, ROUND_HALF_UP)
    return share >= Decimal(quorum_percent)


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
