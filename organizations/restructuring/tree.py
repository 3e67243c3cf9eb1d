"""The tree as a decision leaves it, held in memory while its lines are played."""

from collections import defaultdict
from dataclasses import dataclass, field

from members.models import Member

from ..models import (
    Organization,
    Restructuring,
)

# Members who still belong to a cell move with it; those transferred out or
# deceased stay on the row they left, as history.
BELONGING = (Member.Status.ACTIVE, Member.Status.EXEMPT)


@dataclass(eq=False)
class Node:
    """An organization of the tree as the decision leaves it."""

    key: int  # the row's id, or a negative number for an organization to create
    code: str
    name: str
    kind: str
    org_type_id: int | None
    parent: int | None
    row: Organization | None = None
    lineage: int | None = None
    ended: bool = False
    changed: bool = False  # name, code or parent differ from its row's
    ended_by: int | None = None  # the line that ended it
    members_to: int | None = None  # where its members went when it ended
    editable: bool = True  # inside the staff's own subtrees

    @property
    def is_new(self):
        return self.row is None


@dataclass
class Change:
    """A member who changes organization, for the preview."""

    member: Member
    before: Node
    after: Node
    line: int


@dataclass
class PlannedSuccession:
    predecessor: int
    successor: int
    kind: str


@dataclass
class Plan:
    """The decision played on the current tree, line by line."""

    restructuring: Restructuring
    nodes: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)  # (line number or None, message)
    member_moves: dict = field(default_factory=dict)  # member id → (node key, line)
    members: dict = field(default_factory=dict)  # member id → Member
    belonging: dict = field(default_factory=dict)  # node key → [Member]
    successions: list = field(default_factory=list)
    codes: dict = field(default_factory=dict)  # code → key of the live node
    kids: dict = field(default_factory=lambda: defaultdict(set))
    next_key: int = -1

    def add(self, node):
        self.nodes[node.key] = node
        self.codes[node.code] = node.key
        self.kids[node.parent].add(node.key)

    # Reading the nodes ---------------------------------------------------------------

    def by_code(self, code):
        """The live node with this code (current, or made earlier in the decision)."""
        key = self.codes.get(code)
        return self.nodes[key] if key is not None else None

    def children(self, node):
        return [self.nodes[key] for key in self.kids[node.key]]

    def subtree(self, node):
        found, queue = [], [node]
        while queue:
            current = queue.pop()
            found.append(current)
            queue.extend(self.children(current))
        return found

    def chain(self, node):
        """The node and its ancestors, nearest first."""
        seen = []
        while node is not None:
            seen.append(node)
            node = self.nodes.get(node.parent)
        return seen

    def label(self, node):
        return f"{node.name} ({node.code})"

    def final(self, node):
        """Where members sent to this node end up, after later lines."""
        while node.ended and node.members_to is not None:
            node = self.nodes[node.members_to]
        return node

    @property
    def line_errors(self):
        by_line = defaultdict(list)
        for number, message in self.errors:
            by_line[number].append(message)
        return dict(sorted(by_line.items(), key=lambda item: item[0] or 0))

    def live(self):
        return [node for node in self.nodes.values() if not node.ended]

    # What the preview shows ----------------------------------------------------------

    def touched(self):
        """Keys of nodes that end, change or are created, and everything under them."""
        keys = set()
        for node in self.nodes.values():
            if node.ended or node.changed or node.is_new:
                keys.add(node.key)
                if not node.ended:
                    keys.update(n.key for n in self.subtree(node))
        return keys

    def copies(self):
        """Existing organizations that continue as new rows, parents first.

        A row moves only by being copied, so a row under a new or copied one is
        copied too.
        """
        copied = {}
        for node in sorted(self.live(), key=lambda n: len(self.chain(n))):
            parent = self.nodes.get(node.parent)
            if node.row is not None and (
                node.changed
                or (parent is not None and (parent.is_new or parent.key in copied))
            ):
                copied[node.key] = node
        return copied

    def tree_before(self, keys):
        """The rows that change and their ancestors, in tree order: (depth, row)."""
        shown = {
            node.row.pk: node.row
            for node in self.nodes.values()
            if node.key in keys and node.row is not None
        }
        for row in list(shown.values()):
            for pk in row.ancestor_ids:
                if pk in self.nodes and self.nodes[pk].row is not None:
                    shown.setdefault(pk, self.nodes[pk].row)
                elif pk in self.ended_rows:
                    shown.setdefault(pk, self.ended_rows[pk])
        return [
            (row.depth, row) for row in sorted(shown.values(), key=lambda r: r.path)
        ]

    @property
    def ended_rows(self):
        return {n.key: n.row for n in self.nodes.values() if n.ended and n.row}

    def tree_after(self, keys):
        """The live nodes that change and their ancestors, in tree order."""
        shown = set()
        for key in keys:
            node = self.nodes[key]
            if not node.ended:
                shown.update(n.key for n in self.chain(node))
        ordered = []

        def walk(node, depth):
            ordered.append((depth, node))
            for child in sorted(self.children(node), key=lambda n: n.code):
                if child.key in shown:
                    walk(child, depth + 1)

        roots = [self.nodes[k] for k in shown if self.nodes[k].parent not in shown]
        for node in sorted(roots, key=lambda n: n.code):
            walk(node, len(self.chain(node)) - 1)
        return ordered

    def member_changes(self):
        """Members whose organization changes (not those who follow their cell)."""
        changes = []
        for member_id, (key, number) in self.member_moves.items():
            member = self.members[member_id]
            changes.append(
                Change(
                    member,
                    self.nodes[member.organization_id],
                    self.final(self.nodes[key]),
                    number,
                )
            )
        return sorted(changes, key=lambda c: (c.line, c.after.code, c.member.sort_key))

    def following(self):
        """How many members follow their organization to a new row."""
        rows = [node.row.pk for node in self.copies().values()]
        return (
            Member.objects.filter(organization_id__in=rows, status__in=BELONGING)
            .exclude(pk__in=list(self.member_moves))
            .count()
        )
