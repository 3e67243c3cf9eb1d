"""The quota part of CycleFigures: each subject's comparison group, the
leaders' groups by post, and HTXSNV allowed and used per group in scope."""

import functools
from collections import Counter, defaultdict

from django.utils.translation import gettext as _

from organizations.models import GRASSROOTS_KINDS

from .. import ratings, rules
from ..models import CyclePost, Review
from ..results import QuotaUse
from .queries import Prepared, sums_in_database

# leaders_query on PostgreSQL: the leaders counted per highest post held
# and outcome, each leader's posts looked up from the posts' index on their
# review (a lateral subquery the planner keeps apart), where a join read
# every post of every cycle into a hash (3.5 against 7 ms at 31,000
# members). The highest post is ratings.highest_post's: the first of
# POST_ORDER, of two such the one at the higher level (LEVEL_ORDER), then
# the organization created first; a leader without a post counts with none.
# A few dozen rows for thousands of leaders.
LEADERS_SQL = """
SELECT post.kind, post.organization_kind, review.proposed_code,
       review.decided_code, COUNT(*)
FROM {review} AS review
LEFT JOIN LATERAL (
    SELECT cycle_post.kind, organization.kind AS organization_kind
    FROM {post} AS cycle_post
    JOIN {organization} AS organization
         ON organization.id = cycle_post.organization_id
    WHERE cycle_post.review_id = review.id
    ORDER BY array_position(%(order)s::text[], cycle_post.kind::text),
             array_position(%(levels)s::text[], organization.kind::text),
             cycle_post.organization_id
    LIMIT 1
) AS post ON TRUE
WHERE review.cycle_id = %(cycle)s AND review.is_leader
  AND review.kind = %(individual)s
GROUP BY 1, 2, 3, 4
"""

Kind = Review.Kind


class QuotaFigures:
    """CycleFigures' comparison groups and the quota used in each (quota_groups).

    Reads what CycleFigures counted: the tree, the scope and `quota_count`.
    """

    def quota_key(self, org, kind, leader):
        """The comparison group of a subject, if the whole group lies in the scope.

        Groups that span the whole tree (grassroots organizations of a type,
        leaders, leadership collectives) are complete only from the cycle's
        committee down, so they count only there; the groups of a grassroots
        organization only from that organization down.
        """
        return self.quota_keyer()(org, kind, leader)

    def quota_keyer(self):
        """quota_key as a function of (org, kind, leader) holding what it reads
        of the figures: count_rows calls it for thousands of keys."""
        whole_tree, tree_wide, tree = self.whole_tree, self.tree_wide, self.tree
        by_level, leaders_apart = self.grouping
        LEADERSHIP, ORGANIZATION = Kind.LEADERSHIP, Kind.ORGANIZATION
        leadership = "leadership" if tree_wide else None
        cells = "cells" if tree_wide else None
        members = "members" if tree_wide else None

        def quota_key(org, kind, leader):
            if kind == LEADERSHIP:
                return leadership
            if kind == ORGANIZATION:
                if org.kind in GRASSROOTS_KINDS:
                    if whole_tree:
                        return ("type", org.type_code, org.type_name)
                    return None
                if by_level:
                    return cells
                # Below a grassroots organization its groups are only partly
                # in view.
                if org.grassroots_id in tree:
                    return ("cells", org.grassroots_id)
                return None
            if leader and leaders_apart:
                # Grouped by their posts, which these rows do not carry:
                # counted apart (leader_quota).
                return None
            if by_level:
                return members
            if org.grassroots_id in tree:
                return ("members", org.grassroots_id)
            return None

        return quota_key

    @functools.cached_property
    def grouping(self):
        """(members and cells compared by post level, leaders by post)."""
        regime = self.cycle.regime
        return (
            regime.quota_grouping == regime.QuotaGrouping.POST_LEVEL,
            ratings.leaders_by_post(regime),
        )

    def leaders_apart(self):
        """Whether the leaders' groups are counted here, by their posts: only
        from the cycle's committee down, and where the regime compares them so."""
        return self.tree_wide and self.grouping[1]

    def leaders_query(self):
        """The leaders' outcomes and posts, for leader_quota: on PostgreSQL
        counted per highest post and outcome (LEADERS_SQL), elsewhere one row
        per post held, or one with no post (a left join); None where leaders
        are not counted apart."""
        if not self.leaders_apart():
            return None
        if sums_in_database(Review.objects.db):
            sql = LEADERS_SQL.format(
                review=Review._meta.db_table,
                post=CyclePost._meta.db_table,
                organization=CyclePost.organization.field.related_model._meta.db_table,
            )
            params = {
                "cycle": self.cycle.pk,
                "individual": Kind.INDIVIDUAL.value,
                "order": list(ratings.POST_ORDER),
                "levels": [str(kind) for kind in ratings.LEVEL_ORDER],
            }
            return Prepared(Review.objects.db, sql, params)
        return self.cycle.reviews.filter(
            kind=Kind.INDIVIDUAL, is_leader=True
        ).values_list(
            "pk",
            "proposed_code",
            "decided_code",
            "posts__kind",
            "posts__organization__kind",
        )

    def leader_outcomes(self):
        """(highest post or None, proposed code, decided code, leaders) of the
        cycle's leaders, from the query sent ahead (leaders_query)."""
        rows = self.read("leaders", self.leaders_query)
        if sums_in_database(Review.objects.db):
            return [
                ((kind, organization_kind) if kind else None, proposed, decided, n)
                for kind, organization_kind, proposed, decided, n in rows
            ]
        posts, codes = defaultdict(list), {}
        for pk, proposed, decided, kind, organization_kind in rows:
            codes[pk] = (proposed, decided)
            if kind:
                posts[pk].append((kind, organization_kind))
        outcomes = Counter(
            (ratings.highest_post(posts[pk]), proposed, decided)
            for pk, (proposed, decided) in codes.items()
        )
        return [(*outcome, number) for outcome, number in outcomes.items()]

    def leader_quota(self):
        """Leaders' levels per comparison group (by post and level), from the
        cycle's posts: {(key, name): Counter of (code, undecided)}.

        The dashboard sends the query ahead (AheadFigures.prepare_ahead)."""
        if not self.leaders_apart():
            return {}
        counts = defaultdict(Counter)
        # A few dozen groups for thousands of leaders: each named once.
        group_of = functools.cache(ratings.leader_group)
        for post, proposed, decided, number in self.leader_outcomes():
            if not self.show_decisions:
                decided = ""
            counts[group_of(post)][decided or proposed or None, not decided] += number
        return counts

    # Quota ---------------------------------------------------------------------

    def quota_groups(self):
        """HTXSNV allowed and used per comparison group lying inside the scope.

        Groups that span the whole tree (grassroots organizations of a type,
        leaders, leadership collectives) are complete only from the cycle's
        committee down, so they are shown only there; the groups of a
        grassroots organization only from that organization down.
        """
        EXCELLENT, GOOD = rules.EXCELLENT, rules.GOOD
        # Per group: [HTXSNV, HTTNV, subjects], in the order the groups come.
        groups = {}
        for (key, code), number in self.quota_count.items():
            found = groups.get(key)
            if found is None:
                found = groups[key] = [0, 0, 0]
            if code == EXCELLENT:
                found[0] += number
            elif code == GOOD:
                found[1] += number
            found[2] += number
        open_counts = dict(self.quota_open)
        for (key, name), counted in self.leader_quota().items():
            key = ("leaders", key, name)
            found = groups.setdefault(key, [0, 0, 0])
            for (code, undecided), number in counted.items():
                if code == EXCELLENT:
                    found[0] += number
                elif code == GOOD:
                    found[1] += number
                found[2] += number
                if undecided:
                    open_counts[key] = open_counts.get(key, 0) + number
        # Hundreds of groups, a few dozen shown: each is built with what it
        # reads looked up once for all.
        percent, tree = self.cycle.regime.quota_percent, self.tree
        group_name = self.group_name
        uses, order = [], []
        for key, (excellent, good, total) in groups.items():
            use = QuotaUse(
                group=group_name(key),
                excellent=excellent,
                good=good,
                total=total,
                percent=percent,
                provisional=open_counts.get(key, 0) > 0,
            )
            if isinstance(key, str):
                use.subjects, use.partial, use.place, use.type_code = (
                    key,
                    False,
                    None,
                    "",
                )
            else:
                subjects = use.subjects = key[0]
                # A post's leaders are a part of the leaders no list holds alone.
                use.partial = subjects == "leaders"
                use.place = (
                    tree.get(key[1]) if subjects in ("cells", "members") else None
                )
                use.type_code = key[1] if subjects == "type" else ""
            uses.append(use)
            # Over quota first, then the fullest (QuotaUse.over and .scale).
            allowed = use.allowed
            scale = max(allowed, excellent, 1)
            order.append((excellent <= allowed, -excellent / scale, use.group))
        ranked = sorted(range(len(uses)), key=order.__getitem__)
        return [uses[index] for index in ranked]

    def group_name(self, key):
        """The comparison group's name as the decision page gives it."""
        if not hasattr(self, "_group_formats"):
            # Translated once: a province has over a thousand groups.
            self._group_formats = {
                "leadership": _("Leadership collectives"),
                "leaders": _("Leaders and managers"),
                "type": _("Grassroots organizations: %(type)s"),
                "cells": _("Cells of %(name)s"),
                "members": _("Members of %(name)s"),
                # The groups of the whole cycle, when the regime compares by
                # post level (ratings.comparison_groups).
                "all-cells": _("Cells and partial committees"),
                "all-members": _("Members without a leadership post"),
            }
        formats = self._group_formats
        if key in ("cells", "members"):
            return formats[f"all-{key}"]
        if isinstance(key, str):
            return formats[key]
        if key[0] == "leaders":
            return str(key[2])
        if key[0] == "type":
            return formats["type"] % {"type": key[2] or "—"}
        return formats[key[0]] % {"name": self.tree[key[1]].name}
