"""CycleFigures: every figure of one cycle for one subtree, computed once.

It reads the subtree and the grouped review rows (queries.py), counts them
in one pass, and lays the counts out as the tables of tables.py. The quota
(quota.py) and what is read beside the rows (ahead.py) are its mixins.
"""

from collections import Counter, defaultdict

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from organizations.models import PATH_STEP

from ..counting import step_done, subjects_of
from ..models import Review
from .ahead import AheadFigures
from .queries import (
    as_row,
    read_reviews,
    read_tree,
    send,
    send_meetings,
    send_reviews,
    send_sums,
    send_tallies,
    send_tree,
    sums_in_database,
)
from .quota import QuotaFigures
from .tables import (
    STEP_DEADLINES,
    STEP_LABELS,
    SUBJECTS,
    Distribution,
    LevelRow,
    Step,
    Table,
    overall_rows,
)

Kind = Review.Kind
LATE_LISTED = 10  # late organizations named per step; the list behind has them all
OTHER_TYPE = gettext_lazy("Other")


class CycleFigures(QuotaFigures, AheadFigures):
    """Every figure of one cycle for one subtree, computed once, then cached.

    `show_decisions` is False for a reader who may not see decisions before
    publication (results.decisions_shown): decisions then count as not made.
    Given the trend's `cycles`, the queries of the trend, the remedies and
    the flags go out as soon as the review rows are read, to be answered
    while they are counted (see together()).
    """

    def __init__(
        self,
        cycle,
        root,
        org_type=None,
        show_decisions=True,
        today=None,
        top=None,
        cycles=None,
    ):
        self.cycle = cycle
        self.root = root
        self.top = top or root
        self.org_type = org_type
        self.show_decisions = show_decisions
        self.today = today or timezone.localdate()
        self.focus, self.indicator_rows = None, None
        self.whole_tree = root.pk == cycle.superior_id
        self.tree_wide = self.whole_tree and org_type is None
        # On PostgreSQL the tally's rows come summed over the organizations
        # that count alike (representatives), a third as many rows to count
        # here: that takes the tree and the meetings first.
        self.summed = sums_in_database()
        if self.summed:
            # Reading a result waits for every query sent so far: the
            # meetings go once the tree is read, answered while Python lays
            # the tree out.
            tree = send_tree(root).rows()
            meetings = send_meetings(cycle, root)
            self.read_tree(tree)
            self.held = set(meetings.rows())
            sent = send_sums(cycle, self.representatives())
        else:
            # Reading a result waits for every query sent so far, so the
            # tree comes alone; inside together() the server then groups the
            # reviews while Python lays the tree out.
            tree = send_tree(root).rows()
            sent = send_reviews(cycle, root)
            self.read_tree(tree)
        # The dashboard's other queries are made while the server groups the
        # reviews, and sent once they are read: they are answered while the
        # rows are counted.
        ahead = self.prepare_ahead(cycles) if cycles is not None else {}
        # The small query goes after the grouping: reading it waits for it,
        # as reading its rows would.
        self.levels = list(cycle.regime.levels.all())
        if self.summed:
            rows = sent.rows()
        else:
            rows, self.held = read_reviews(sent)
        self.sent = {key: send(query) for key, query in ahead.items()}
        self.rows = self.scoped_rows(rows, filtered=self.summed)
        self.count_rows()

    def read_tree(self, rows):
        self.tree, self.ancestors = read_tree(rows, self.root)
        org_type = self.org_type
        self.in_scope = {
            pk
            for pk, unit in self.tree.items()
            if org_type is None or unit.type_id == org_type.pk
        }

    def scoped_rows(self, rows, filtered=False):
        """Rows of the organizations in scope (unless already `filtered`),
        decisions left out if the reader may not see them."""
        if self.org_type is not None and not filtered:
            rows = [r for r in rows if r[0] in self.in_scope]
        if not self.show_decisions:
            rows = [(*r[:5], "", r[6]) if r[5] else r for r in rows]
        return rows

    def representatives(self):
        """Each organization in scope → the first one in scope that the
        figures cannot tell from it.

        count_rows reads of an organization its kind, its type, the unit below
        the root and the grassroots organization it lies in, and whether its
        collectives' meetings are done: organizations alike in all of these
        add to the same counts, so their rows can be summed.
        """
        tree, unit_ids, held = self.tree, self.unit_ids(), self.held
        ORGANIZATION, LEADERSHIP = Kind.ORGANIZATION, Kind.LEADERSHIP
        first, found = {}, {}
        for pk in self.in_scope:
            unit = tree[pk]
            alike = (
                unit.kind,
                unit.type_code,
                unit.type_name,
                unit_ids[pk],
                unit.grassroots_id,
                (pk, ORGANIZATION) in held,
                (pk, LEADERSHIP) in held,
            )
            found[pk] = first.setdefault(alike, pk)
        return found

    def organization_rows(self):
        """The tally's rows of each organization in scope, not summed."""
        if not self.summed:
            return self.rows
        if not hasattr(self, "_organization_rows"):
            # The meetings are read already.
            rows = send_tallies(self.cycle, self.root).rows()
            self._organization_rows = self.scoped_rows(rows)
        return self._organization_rows

    def count_rows(self):
        """One pass over the grouped rows: every count the figures are built from.

        The rows number in the tens of thousands at province scale, so each is
        visited once and adds to three flat counters; what depends only on its
        organization, kind and leadership is worked out once per such key and
        stands in the counters as a small number, expanded afterwards.
        """
        INDIVIDUAL, ORGANIZATION = Kind.INDIVIDUAL, Kind.ORGANIZATION
        SUBMITTED, RETURNED = Review.Status.SUBMITTED, Review.Status.RETURNED
        tree, unit_ids, quota_key, held = (
            self.tree,
            self.unit_ids(),
            self.quota_keyer(),
            self.held,
        )
        meeting_orgs = {org for org, kind in held if kind == ORGANIZATION}
        # Interned per key: (subjects, meeting held), place, comparison group.
        heads, places_at, groups_at = {}, {}, {}
        per_key = {}

        def count_key(org_id, kind, leader):
            org = tree[org_id]
            subjects = subjects_of(kind, org.kind, leader)
            if kind == INDIVIDUAL:
                met = org_id in meeting_orgs
            else:
                met = (org_id, kind) in held
            head = heads.setdefault((subjects, met), len(heads))
            place = (subjects[0], unit_ids[org_id], org.type_code, org.type_name)
            place = places_at.setdefault(place, len(places_at))
            group = quota_key(org, kind, leader)
            if group is not None:
                group = groups_at.setdefault(group, len(groups_at))
            found = per_key[org_id, kind, leader] = (head, place, group)
            return found

        combos, places, groups = {}, {}, {}
        combos_get, places_get, groups_get = combos.get, places.get, groups.get
        # Rows of one organization, kind and leadership often follow each other
        # (the tally's do; rows summed by PostgreSQL come in any order): the
        # key is looked up only where it changes, from per_key once counted.
        last = (None, None, None)
        for org_id, kind, leader, status, proposed, decided, number in self.rows:
            if org_id != last[0] or kind != last[1] or leader != last[2]:
                last = (org_id, kind, leader)
                head, place, group = per_key.get(last) or count_key(*last)
            key = (head, status, proposed, decided)
            combos[key] = combos_get(key, 0) + number
            key = (place, status == SUBMITTED, decided)
            places[key] = places_get(key, 0) + number
            if group is not None:
                key = (group, decided or proposed, not decided)
                groups[key] = groups_get(key, 0) + number
        heads, places_at, groups_at = list(heads), list(places_at), list(groups_at)
        levels, steps = Counter(), Counter()
        for (head, status, proposed, decided), number in combos.items():
            subjects, met = heads[head]
            proposed, decided = proposed or None, decided or None
            for subject in subjects:
                levels[subject, "proposed", proposed] += number
                levels[subject, "decided", decided] += number
            main = subjects[0]
            if main != "organizations" and main != "members":
                continue
            steps[main, "total"] += number
            if status == SUBMITTED:
                steps[main, "submitted"] += number
            elif status == RETURNED:
                steps[main, "returned"] += number
            steps[main, "meeting"] += number if met else 0
            steps[main, "proposed"] += number if proposed is not None else 0
            steps[main, "decided"] += number if decided is not None else 0
        types, units, forms = {}, {}, {}
        types_get, units_get, forms_get = types.get, units.get, forms.get
        for (place, submitted, decided), number in places.items():
            main, unit, type_code, type_name = places_at[place]
            decided = decided or None
            key = (unit, submitted)
            forms[key] = forms_get(key, 0) + number
            if main == "organizations" or main == "members":
                key = (main, type_code, type_name, decided)
                types[key] = types_get(key, 0) + number
                key = (unit, main, decided)
                units[key] = units_get(key, 0) + number
        quota, quota_open = {}, Counter()
        quota_get = quota.get
        for (group, code, undecided), number in groups.items():
            group = groups_at[group]
            key = (group, code or None)
            quota[key] = quota_get(key, 0) + number
            if undecided:
                quota_open[group] += number
        types, units, forms = Counter(types), Counter(units), Counter(forms)
        quota = Counter(quota)
        self.meeting_orgs = meeting_orgs
        self.levels_count, self.types_count, self.units_count = levels, types, units
        self.units_forms, self.steps_count = forms, steps
        self.quota_count, self.quota_open = quota, quota_open

    def level_row(self, label, counts, key="", organization=None):
        row = LevelRow(label, key=key, organization=organization)
        for code, number in counts:
            row.add(code, number)
        return row

    # Helpers -----------------------------------------------------------------

    def unit_of(self, organization_id):
        """The child of the root the organization lies under (the root itself too)."""
        if not hasattr(self, "_unit_of"):
            depth = len(self.root.path) + PATH_STEP
            by_path = {unit.path: unit for unit in self.tree.values()}
            root = self.tree[self.root.pk]
            self._unit_of = {
                pk: by_path[unit.path[:depth]] if len(unit.path) >= depth else root
                for pk, unit in self.tree.items()
            }
        return self._unit_of[organization_id]

    def unit_ids(self):
        """Each organization's id → the id of unit_of(organization)."""
        if not hasattr(self, "_unit_ids"):
            self.unit_of(self.root.pk)
            self._unit_ids = {pk: unit.pk for pk, unit in self._unit_of.items()}
        return self._unit_ids

    def rows_of(self, subject):
        if not hasattr(self, "by_subject"):
            self.by_subject = defaultdict(list)
            # The late organizations are named: their own rows.
            for row in self.organization_rows():
                row = as_row(row, self.held)
                org_kind = self.tree[row.organization_id].kind
                for name in subjects_of(row.kind, org_kind, row.is_leader):
                    self.by_subject[name].append(row)
        return self.by_subject.get(subject, ())

    # Progress ------------------------------------------------------------------

    def progress(self):
        """Per step, organizations and members done out of all, with the late ones."""
        result = {}
        for subject in ("organizations", "members"):
            total = self.steps_count[subject, "total"]
            steps = []
            for key in STEP_LABELS:
                done = self.steps_count[subject, key]
                deadline = getattr(self.cycle, STEP_DEADLINES.get(key, ""), None)
                step = Step(key, str(STEP_LABELS[key]), done, total, deadline)
                if deadline and deadline < self.today and done < total:
                    missing = Counter()
                    for r in self.rows_of(subject):
                        if not step_done(key, r, self.meeting_orgs):
                            missing[r.organization_id] += r.number
                    late = sorted(
                        ((self.tree[pk], n) for pk, n in missing.items()),
                        key=lambda pair: pair[0].path,
                    )
                    step.late, step.late_count = late[:LATE_LISTED], len(late)
                steps.append(step)
            result[subject] = steps
        return result

    # Ratings ---------------------------------------------------------------------

    def distributions(self):
        result = []
        counted = defaultdict(list)
        for (subject, stage, code), number in self.levels_count.items():
            counted[subject, stage].append((code, number))
        for subject in ("organizations", "members", "leaders", "leadership"):
            label = str(SUBJECTS[subject])
            result.append(
                Distribution(
                    subject,
                    label,
                    self.level_row(label, counted[subject, "proposed"], subject),
                    self.level_row(label, counted[subject, "decided"], subject),
                )
            )
        return result

    def overall_rows(self):
        """The summary's first table: grassroots, cells, members, leaders (decided)."""
        tree = self.tree
        return overall_rows(
            (kind, tree[org_id].kind, leader, decided, number)
            for org_id, kind, leader, _status, _proposed, decided, number in self.rows
        )

    def by_type(self, subject):
        """Decided levels per grassroots type, for organizations or members."""
        rows = {}
        for (counted, type_code, type_name, code), number in self.types_count.items():
            if counted != subject:
                continue
            label = type_name or str(OTHER_TYPE)
            row = rows.get(label)
            if row is None:
                row = rows[label] = LevelRow(label, key=type_code)
            row.add(code, number)
        return sorted(rows.values(), key=lambda row: row.label)

    def by_unit(self):
        """Per organization right below the root: its organizations and members."""
        units = {}

        def entry(pk):
            found = units.get(pk)
            if found is None:
                unit = self.tree[pk]
                found = units[pk] = {
                    "unit": unit,
                    "organizations": LevelRow(unit.name, organization=unit),
                    "members": LevelRow(unit.name, organization=unit),
                    "submitted": 0,
                    "forms": 0,
                }
            return found

        for (pk, submitted), number in self.units_forms.items():
            found = entry(pk)
            found["forms"] += number
            if submitted:
                found["submitted"] += number
        for (pk, subject, code), number in self.units_count.items():
            entry(pk)[subject].add(code, number)
        return sorted(units.values(), key=lambda found: found["unit"].path)

    def tables(self):
        """The tables a committee reports upward, in the order of the summary."""
        units = self.by_unit()
        return [
            Table(
                "levels",
                _("Ratings per level"),
                _("Subjects"),
                self.overall_rows(),
            ),
            Table(
                "organizations-by-type",
                _("Party organizations per organization type"),
                _("Organization type"),
                self.by_type("organizations"),
            ),
            Table(
                "members-by-type",
                _("Party members per organization type"),
                _("Organization type"),
                self.by_type("members"),
            ),
            Table(
                "organizations-by-unit",
                _("Party organizations per unit"),
                _("Unit"),
                [e["organizations"] for e in units if e["organizations"].total],
            ),
            Table(
                "members-by-unit",
                _("Party members per unit"),
                _("Unit"),
                [e["members"] for e in units if e["members"].total],
            ),
        ]
