"""The quota part of CycleFigures: each subject's comparison group, the
leaders' groups by post, and HTXSNV allowed and used per group in scope."""

import functools
from collections import Counter, defaultdict

from django.utils.translation import gettext as _

from .. import ratings, rules
from ..models import Review
from ..results import QuotaUse

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
        whole_tree, tree_wide = self.whole_tree, self.tree_wide
        by_level, leaders_apart = self.grouping
        # Below a grassroots organization its groups are only partly in view.
        inside = org.grassroots_id in self.tree
        if kind == Kind.LEADERSHIP:
            return "leadership" if tree_wide else None
        if kind == Kind.ORGANIZATION and org.is_grassroots:
            return ("type", org.type_code, org.type_name) if whole_tree else None
        if kind == Kind.ORGANIZATION and by_level:
            return "cells" if tree_wide else None
        if kind == Kind.ORGANIZATION:
            return ("cells", org.grassroots_id) if inside else None
        if leader and leaders_apart:
            # Grouped by their posts, which these rows do not carry: counted
            # apart (leader_quota).
            return None
        if by_level:
            return "members" if tree_wide else None
        return ("members", org.grassroots_id) if inside else None

    @functools.cached_property
    def grouping(self):
        """(members and cells compared by post level, leaders by post)."""
        regime = self.cycle.regime
        return (
            regime.quota_grouping == regime.QuotaGrouping.POST_LEVEL,
            ratings.leaders_by_post(regime),
        )

    def leader_quota(self):
        """Leaders' levels per comparison group (by post and level), from the
        cycle's posts: {(key, name): Counter of (code, undecided)}."""
        if not self.tree_wide or not ratings.leaders_by_post(self.cycle.regime):
            return {}
        posts, codes = defaultdict(list), {}
        # One row per post held, or one with no post (a left join).
        rows = self.cycle.reviews.filter(
            kind=Kind.INDIVIDUAL, is_leader=True
        ).values_list(
            "pk",
            "proposed_code",
            "decided_code",
            "posts__kind",
            "posts__organization__kind",
        )
        for pk, proposed, decided, kind, organization_kind in rows:
            codes[pk] = (proposed, decided if self.show_decisions else "")
            if kind:
                posts[pk].append((kind, organization_kind))
        counts = defaultdict(Counter)
        # A few dozen groups for thousands of leaders: each named once.
        group_of = functools.cache(ratings.leader_group)
        for pk, (proposed, decided) in codes.items():
            key = group_of(ratings.highest_post(posts[pk]))
            counts[key][decided or proposed or None, not decided] += 1
        return counts

    # Quota ---------------------------------------------------------------------

    def quota_groups(self):
        """HTXSNV allowed and used per comparison group lying inside the scope.

        Groups that span the whole tree (grassroots organizations of a type,
        leaders, leadership collectives) are complete only from the cycle's
        committee down, so they are shown only there; the groups of a
        grassroots organization only from that organization down.
        """
        groups = defaultdict(Counter)
        for (key, code), number in self.quota_count.items():
            groups[key][code] += number
        open_counts = Counter(self.quota_open)
        for (key, name), found in self.leader_quota().items():
            key = ("leaders", key, name)
            for (code, undecided), number in found.items():
                groups[key][code] += number
                open_counts[key] += number if undecided else 0
        uses = []
        for key, counts in groups.items():
            use = QuotaUse(
                group=self.group_name(key),
                excellent=counts[rules.EXCELLENT],
                good=counts[rules.GOOD],
                total=sum(counts.values()),
                percent=self.cycle.regime.quota_percent,
                provisional=open_counts[key] > 0,
            )
            use.subjects = key if isinstance(key, str) else key[0]
            # A post's leaders are a part of the leaders no list holds alone.
            use.partial = use.subjects == "leaders" and not isinstance(key, str)
            use.place = (
                self.tree.get(key[1]) if use.subjects in ("cells", "members") else None
            )
            use.type_code = key[1] if use.subjects == "type" else ""
            uses.append(use)
        # Over quota first, then the fullest.
        uses.sort(key=lambda u: (not u.over, -u.excellent / u.scale, u.group))
        return uses

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
