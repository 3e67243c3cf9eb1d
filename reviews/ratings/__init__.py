"""The rating chain: recording each stage, checking the rules, deciding a group.

chain.py records and reads one subject's chain, groups.py holds who heads
and leads what in a cycle and the comparison groups of the quota,
rulebook.py the facts the rules read (RuleBook) and the decisions out of
line, deciding.py `decide`. Every name is imported from here (`from reviews
import ratings`), as before the split; a test or caller that replaces a
function here replaces what the views call (`ratings.record_rating`).
"""

from members.models import HEAD_POST, LEADING_POSTS

from .chain import (
    EXPLAINED_STAGES,
    SCORE_OF_FORM,
    STAGES,
    RatingRefused,
    Stage,
    chain_score,
    exempt_refusal,
    previous_rating,
    record_rating,
    refresh_outcomes,
    unrated_exemptions,
)
from .deciding import (
    Checker,
    Decision,
    check_quota,
    decide,
    decided_codes,
    decided_counts,
    lock,
    lock_keys,
)
from .groups import (
    LEVEL_ORDER,
    ORGANIZATION_LEVELS,
    POST_ORDER,
    Group,
    Leadership,
    Subject,
    comparison_groups,
    highest_post,
    leader_group,
    leaders_by_post,
    leadership_of,
    members_group,
)
from .rulebook import (
    RuleBook,
    Scored,
    collective_stages,
    out_of_line,
    quota_excess,
    quota_finding,
    targets_met,
)

__all__ = [
    "HEAD_POST",
    "LEADING_POSTS",
    "Stage",
    "STAGES",
    "EXPLAINED_STAGES",
    "RatingRefused",
    "previous_rating",
    "SCORE_OF_FORM",
    "chain_score",
    "unrated_exemptions",
    "exempt_refusal",
    "record_rating",
    "refresh_outcomes",
    "Leadership",
    "POST_ORDER",
    "leadership_of",
    "members_group",
    "Subject",
    "Group",
    "ORGANIZATION_LEVELS",
    "LEVEL_ORDER",
    "comparison_groups",
    "leaders_by_post",
    "leader_group",
    "highest_post",
    "targets_met",
    "collective_stages",
    "Scored",
    "RuleBook",
    "out_of_line",
    "quota_finding",
    "quota_excess",
    "Decision",
    "lock",
    "lock_keys",
    "decided_counts",
    "decided_codes",
    "Checker",
    "decide",
    "check_quota",
]
