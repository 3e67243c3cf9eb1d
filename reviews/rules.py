"""Small pure rules of the review; each returns something a person can read."""

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
