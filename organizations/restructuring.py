"""Restructuring the tree by decision: read the annex, preview, apply at once.

A decision's lines (merge, split, move, rename, close) are played on a copy of
the current tree held in memory (`Plan`), line after line, so every error is
found and named by its line before anything is written, and the preview shows
the tree and the members as they will be. Applying writes the plan in one
transaction.

The past is never rewritten. Cycles read the tree through the rows their
reviews point at (paths, names, kinds), so a row a cycle reviewed keeps its
place and name for ever: an organization that moves or is renamed, or sits
under one that does, continues as a new row (sharing the old row's lineage,
which the multi-year flags follow), and the old row is marked superseded and
closed the day before the decision takes effect. Members, posts and roles move
to the new rows; roles in organizations that end are removed and listed for
staff to re-assign.
"""

import csv
import datetime
import io
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from kontum_review.vietnamese import fold
from members.models import Member

from .models import (
    ALLOWED_PARENT_KINDS,
    EndedRole,
    Operation,
    Organization,
    OrganizationKind,
    Restructuring,
    RestructuringLine,
    Role,
    Succession,
)
from .resources import ImportRefused, cell_text, read_csv, read_workbook

# Members who still belong to a cell move with it; those transferred out or
# deceased stay on the row they left, as history.
BELONGING = (Member.Status.ACTIVE, Member.Status.EXEMPT)

# The annex's columns: the field, then the headers accepted for it (compared
# without accents or case; spaces and underscores alike).
COLUMNS = {
    "operation": ("operation", "thao tac", "nghiep vu", "hinh thuc"),
    "code": ("code", "ma", "ma to chuc"),
    "target_code": ("target_code", "ma dich", "ma to chuc nhan", "to chuc nhan"),
    "new_name": ("new_name", "ten moi"),
    "new_code": ("new_code", "ma moi"),
    "parent_code": ("parent_code", "ma cap tren", "ma to chuc cap tren"),
    "member_card": ("member_card", "so the", "so the dang vien", "so the dang"),
    "keeps_flags": ("keeps_flags", "ke thua xep loai", "giu xep loai"),
}
REQUIRED_COLUMNS = ("operation", "code")
OPERATION_WORDS = {
    Operation.MERGE: ("merge", "hop nhat", "sap nhap"),
    Operation.SPLIT: ("split", "chia tach", "tach"),
    Operation.MOVE: ("move", "chuyen", "dieu chuyen"),
    Operation.RENAME: ("rename", "doi ten"),
    Operation.CLOSE: ("close", "giai the"),
}
YES_WORDS = ("1", "x", "yes", "true", "co", "y")
NO_WORDS = ("", "0", "no", "false", "khong", "n")


def header_key(text):
    return fold(str(text or "")).replace("_", " ").strip()


HEADER_FIELDS = {
    header_key(header): name for name, headers in COLUMNS.items() for header in headers
}
OPERATIONS = {
    header_key(word): operation
    for operation, words in OPERATION_WORDS.items()
    for word in words
}


class AnnexError(Exception):
    """An annex that cannot be read at all (not a line's mistake)."""


# Reading the annex ------------------------------------------------------------------


def read_annex(name, data):
    """The lines of an annex file (.xlsx or .csv) as unsaved RestructuringLines.

    Returns (lines, errors): errors are (line number, message) for cells that
    cannot be read; line numbers are the spreadsheet's row numbers.
    """
    try:
        rows = annex_rows(name, data)
    except ImportRefused as refused:
        raise AnnexError(refused.message) from None
    headers = [header_key(header) for header in rows.headers or []]
    columns = {}
    for index, header in enumerate(headers):
        if header in HEADER_FIELDS:
            columns.setdefault(HEADER_FIELDS[header], index)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise AnnexError(
            _(
                "The annex has no column %(columns)s. The first row names the "
                "columns: operation, code, target_code, new_name, new_code, "
                "parent_code, member_card (Vietnamese names are accepted too)."
            )
            % {"columns": ", ".join(missing)}
        )
    lines, errors = [], []
    for offset, row in enumerate(rows, start=2):
        values = {name: cell_text(row[index]) for name, index in columns.items()}
        if not any(values.values()):
            continue
        line, problems = line_from(offset, values)
        lines.append(line)
        errors.extend((offset, problem) for problem in problems)
    if not lines:
        raise AnnexError(_("The annex has no lines."))
    return lines, errors


def annex_rows(name, data):
    if name.lower().endswith(".xlsx"):
        try:
            return read_workbook(data)
        except ImportRefused:
            raise
        except Exception:
            raise AnnexError(
                _("The file could not be read as an Excel workbook (.xlsx).")
            ) from None
    if name.lower().endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AnnexError(
                _("The CSV file is not in UTF-8; save it as CSV UTF-8.")
            ) from None
        try:
            return read_csv(text)
        except (csv.Error, ValueError):
            raise AnnexError(_("The file could not be read as CSV.")) from None
    raise AnnexError(_("Upload the annex as an Excel workbook (.xlsx) or CSV file."))


def line_from(number, values):
    """An unsaved line from a row's texts, and what could not be read."""
    problems = []
    operation = OPERATIONS.get(header_key(values.get("operation")))
    if operation is None:
        problems.append(
            _("Unknown operation “%(value)s”: use merge, split, move, rename or close.")
            % {"value": values.get("operation", "")}
        )
    keeps = header_key(values.get("keeps_flags"))
    if keeps not in YES_WORDS + NO_WORDS:
        problems.append(
            _("“%(value)s” is not yes or no.") % {"value": values["keeps_flags"]}
        )
    line = RestructuringLine(
        number=number,
        operation=operation or "",
        keeps_flags=keeps in YES_WORDS,
        **{
            name: values.get(name, "")[
                : RestructuringLine._meta.get_field(name).max_length
            ]
            for name in (
                "code",
                "target_code",
                "new_name",
                "new_code",
                "parent_code",
                "member_card",
            )
        },
    )
    return line, problems


def write_annex(lines):
    """The lines as a CSV annex, as read_annex reads it (for the example file)."""
    output = io.StringIO()
    writer = csv.writer(output)
    names = list(COLUMNS)
    writer.writerow(names)
    for line in lines:
        writer.writerow(
            [
                ("x" if line.keeps_flags else "")
                if name == "keeps_flags"
                else getattr(line, name)
                for name in names
            ]
        )
    return output.getvalue()


# The plan -----------------------------------------------------------------------------


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


# Playing the lines ------------------------------------------------------------------


def plan(restructuring, lines=None, *, scope=None):
    """Play the decision's lines on the current tree; nothing is written.

    `scope` is the queryset of organizations the person may change (their
    staff subtrees); codes outside it are unknown, as on the pages.
    """
    lines = list(restructuring.lines.all() if lines is None else lines)
    result = Plan(restructuring)
    editable = None if scope is None else set(scope.values_list("pk", flat=True))
    for row in Organization.objects.current().order_by("path"):
        result.add(
            Node(
                key=row.pk,
                code=row.code,
                name=row.name,
                kind=row.kind,
                org_type_id=row.org_type_id,
                parent=row.parent_id,
                row=row,
                lineage=row.line,
                editable=editable is None or row.pk in editable,
            )
        )
    if not lines:
        result.errors.append((None, _("The decision has no lines.")))
        return result
    for group in grouped(lines):
        PLAYERS[group[0].operation](result, group)
    check_kinds(result)
    return result


def grouped(lines):
    """Lines in order, a merge's lines by target and a split's by source together."""
    groups, index = [], {}
    for line in sorted(lines, key=lambda line: line.number):
        if line.operation == Operation.MERGE:
            key = ("merge", line.target_code or line.new_code)
        elif line.operation == Operation.SPLIT:
            key = ("split", line.code)
        else:
            key = None
        if key is None or key not in index:
            groups.append([line])
            if key is not None:
                index[key] = groups[-1]
        else:
            index[key].append(line)
    return [group for group in groups if group[0].operation in PLAYERS] + [
        [line] for line in lines if line.operation not in PLAYERS
    ]


def existing(result, line, code, *, what=None):
    """The live node of a code the line names, or an error on the line."""
    if not code:
        result.errors.append(
            (line.number, _("The %(column)s is missing.") % {"column": what})
        )
        return None
    node = result.by_code(code)
    if node is not None and node.editable:
        return node
    ended = [
        n for n in result.nodes.values() if n.code == code and n.ended and n.editable
    ]
    if ended:
        result.errors.append(
            (
                line.number,
                _(
                    "%(organization)s already ends by line %(line)s of this "
                    "decision; it cannot be closed, merged or changed twice."
                )
                % {"organization": result.label(ended[0]), "line": ended[0].ended_by},
            )
        )
    else:
        result.errors.append(
            (
                line.number,
                _("Unknown organization code “%(code)s”.") % {"code": code},
            )
        )
    return None


def free_code(result, line, code, *, keep=None):
    """Whether a code may name an organization after this line."""
    holder = result.by_code(code)
    if holder is not None and holder is not keep:
        result.errors.append(
            (
                line.number,
                _("The code %(code)s is already used by %(organization)s.")
                % {"code": code, "organization": result.label(holder)},
            )
        )
        return False
    return True


def create(result, line, *, code, name, kind, org_type_id, parent, lineage=None):
    node = Node(
        key=result.next_key,
        code=code,
        name=name,
        kind=kind,
        org_type_id=org_type_id,
        parent=parent.key if parent else None,
        lineage=lineage,
    )
    result.next_key -= 1
    result.add(node)
    return node


def end(result, node, line, members_to=None):
    node.ended = True
    node.ended_by = line.number
    node.members_to = members_to.key if members_to else None
    result.codes.pop(node.code, None)
    result.kids[node.parent].discard(node.key)


def place(result, line, node, parent):
    """Put the node under the parent, refusing a loop in the tree."""
    if parent is not None and node in result.chain(parent):
        result.errors.append(
            (
                line.number,
                _(
                    "%(organization)s cannot be placed under %(parent)s, which is "
                    "below it: the tree would loop."
                )
                % {
                    "organization": result.label(node),
                    "parent": result.label(parent),
                },
            )
        )
        return False
    if node.parent != (parent.key if parent else None):
        result.kids[node.parent].discard(node.key)
        node.parent = parent.key if parent else None
        result.kids[node.parent].add(node.key)
        node.changed = True
    return True


def move_members(result, source, target, line):
    """Every member who belongs to the source goes to the target."""
    for member in members_of(result, source):
        if member.pk not in result.member_moves:
            result.member_moves[member.pk] = (target.key, line.number)


def members_of(result, node):
    """Members who belong to an organization now (those not yet moved out)."""
    if node.row is None:
        return []
    if node.key not in result.belonging:
        found = list(
            Member.objects.filter(organization=node.row, status__in=BELONGING).order_by(
                "sort_key", "pk"
            )
        )
        result.belonging[node.key] = found
        result.members.update((member.pk, member) for member in found)
    return [m for m in result.belonging[node.key] if m.pk not in result.member_moves]


def target_of(result, line, *, kind, org_type_id, default_parent=None):
    """The organization a line sends things to: an existing one, or a new one."""
    if line.target_code:
        return existing(result, line, line.target_code, what=_("target code"))
    if not line.new_code:
        result.errors.append(
            (
                line.number,
                _(
                    "Give the target code of an existing organization, or the new "
                    "code and name of one to create."
                ),
            )
        )
        return None
    if not line.new_name:
        result.errors.append(
            (
                line.number,
                _("The new organization %(code)s needs a name.")
                % {"code": line.new_code},
            )
        )
        return None
    parent = (
        existing(result, line, line.parent_code, what=_("parent code"))
        if line.parent_code
        else default_parent
    )
    if line.parent_code and parent is None:
        return None
    if not free_code(result, line, line.new_code):
        return None
    return create(
        result,
        line,
        code=line.new_code,
        name=line.new_name,
        kind=kind,
        org_type_id=org_type_id,
        parent=parent,
    )


def play_move(result, group):
    (line,) = group
    node = existing(result, line, line.code, what=_("code"))
    if node is None:
        return
    if not line.parent_code:
        result.errors.append(
            (line.number, _("A move needs the parent code of the new parent."))
        )
        return
    parent = existing(result, line, line.parent_code, what=_("parent code"))
    if parent is not None:
        place(result, line, node, parent)


def play_rename(result, group):
    (line,) = group
    node = existing(result, line, line.code, what=_("code"))
    if node is None:
        return
    if not line.new_name and not line.new_code:
        result.errors.append(
            (line.number, _("A rename needs a new name, a new code or both."))
        )
        return
    if line.new_code and line.new_code != node.code:
        if not free_code(result, line, line.new_code, keep=node):
            return
        result.codes.pop(node.code, None)
        node.code = line.new_code
        result.codes[node.code] = node.key
        node.changed = True
    if line.new_name and line.new_name != node.name:
        node.name = line.new_name
        node.changed = True
    if line.parent_code:
        parent = existing(result, line, line.parent_code, what=_("parent code"))
        if parent is not None:
            place(result, line, node, parent)


def play_merge(result, group):
    first = group[0]
    sources = []
    for line in group:
        source = existing(result, line, line.code, what=_("code"))
        if source is not None:
            sources.append((line, source))
    if not sources:
        return
    kinds = {source.kind for _line, source in sources}
    if len(kinds) > 1:
        result.errors.append(
            (first.number, _("Only organizations of one kind can be merged."))
        )
        return
    line, source = sources[0]
    parent = result.nodes.get(source.parent)
    target = target_of(
        result,
        first,
        kind=source.kind,
        org_type_id=source.org_type_id,
        default_parent=parent,
    )
    if target is None:
        return
    keeping = [line for line, _source in sources if line.keeps_flags]
    if keeping and not target.is_new:
        result.errors.append(
            (
                keeping[0].number,
                _(
                    "An existing organization keeps its own years of ratings; only "
                    "a new organization can continue a merged one's."
                ),
            )
        )
        return
    if len(keeping) > 1:
        result.errors.append(
            (keeping[1].number, _("Only one merged organization's years can carry."))
        )
        return
    for line, source in sources:
        if source is target:
            result.errors.append(
                (line.number, _("An organization cannot be merged into itself."))
            )
            continue
        if source in result.chain(target):
            result.errors.append(
                (
                    line.number,
                    _(
                        "%(organization)s cannot be merged into an organization "
                        "below it."
                    )
                    % {"organization": result.label(source)},
                )
            )
            continue
        for child in result.children(source):
            place(result, line, child, target)
        move_members(result, source, target, line)
        if line.keeps_flags:
            target.lineage = source.lineage
        result.successions.append(
            PlannedSuccession(source.key, target.key, Succession.Kind.MERGED)
        )
        end(result, source, line, members_to=target)


def play_split(result, group):
    first = group[0]
    source = existing(result, first, first.code, what=_("code"))
    if source is None:
        return
    for line in group[1:]:
        if line.code != first.code:
            return  # grouped by code: never reached
    parent = result.nodes.get(source.parent)
    parts = {}
    for line in group:
        key = line.target_code or line.new_code
        if key in parts:
            part = parts[key]
        else:
            part = target_of(
                result,
                line,
                kind=source.kind,
                org_type_id=source.org_type_id,
                default_parent=parent,
            )
            if part is None:
                continue
            if part is source:
                result.errors.append(
                    (line.number, _("An organization cannot be split into itself."))
                )
                continue
            parts[key] = part
            result.successions.append(
                PlannedSuccession(source.key, part.key, Succession.Kind.SPLIT)
            )
        if line.member_card:
            assign(result, line, source, part)
    if not parts:
        return
    left = members_of(result, source)
    if left:
        result.errors.append(
            (
                first.number,
                _(
                    "These members of %(organization)s are left without a cell: "
                    "%(members)s. Give each a split line with their card number."
                )
                % {
                    "organization": result.label(source),
                    "members": ", ".join(
                        f"{m.full_name} ({m.card_number})" for m in left
                    ),
                },
            )
        )
    if result.children(source):
        result.errors.append(
            (
                first.number,
                _(
                    "%(organization)s still has organizations under it; move them "
                    "in lines before the split."
                )
                % {"organization": result.label(source)},
            )
        )
    end(result, source, first)


def assign(result, line, source, part):
    belonging = {m.card_number: m for m in members_of(result, source)}
    member = belonging.get(line.member_card)
    if member is None:
        moved = [
            m
            for m in result.members.values()
            if m.card_number == line.member_card and m.organization_id == source.key
        ]
        if moved:
            result.errors.append(
                (
                    line.number,
                    _("The member with card number %(card)s is assigned twice.")
                    % {"card": line.member_card},
                )
            )
        else:
            result.errors.append(
                (
                    line.number,
                    _("No member of %(organization)s has card number %(card)s.")
                    % {"organization": result.label(source), "card": line.member_card},
                )
            )
        return
    result.member_moves[member.pk] = (part.key, line.number)


def play_close(result, group):
    (line,) = group
    node = existing(result, line, line.code, what=_("code"))
    if node is None:
        return
    target = None
    if line.target_code:
        target = existing(result, line, line.target_code, what=_("target code"))
        if target is None:
            return
        if target is node or node in result.chain(target):
            result.errors.append(
                (
                    line.number,
                    _(
                        "The members of a closed organization must go to an "
                        "organization outside it."
                    ),
                )
            )
            return
    members = members_of(result, node)
    children = result.children(node)
    if (members or children) and target is None:
        result.errors.append(
            (
                line.number,
                _(
                    "%(organization)s has %(members)s members and %(children)s "
                    "organizations under it: give the target code of the "
                    "organization they go to."
                )
                % {
                    "organization": result.label(node),
                    "members": len(members),
                    "children": len(children),
                },
            )
        )
        return
    for child in children:
        place(result, line, child, target)
    if target is not None:
        move_members(result, node, target, line)
        result.successions.append(
            PlannedSuccession(node.key, target.key, Succession.Kind.CLOSED)
        )
    end(result, node, line, members_to=target)


def play_unknown(result, group):
    (line,) = group
    if not any(number == line.number for number, _message in result.errors):
        result.errors.append(
            (
                line.number,
                _("Unknown operation: use merge, split, move, rename or close."),
            )
        )


PLAYERS = {
    Operation.MERGE: play_merge,
    Operation.SPLIT: play_split,
    Operation.MOVE: play_move,
    Operation.RENAME: play_rename,
    Operation.CLOSE: play_close,
    "": play_unknown,
}


def check_kinds(result):
    """Every live organization that changed sits under a kind that may hold it."""
    for node in result.live():
        if not (node.changed or node.is_new):
            continue
        parent = result.nodes.get(node.parent)
        allowed = ALLOWED_PARENT_KINDS.get(node.kind, set())
        if (parent.kind if parent else None) not in allowed:
            result.errors.append(
                (
                    None,
                    _("%(organization)s (%(kind)s) cannot be placed under %(parent)s.")
                    % {
                        "organization": result.label(node),
                        "kind": OrganizationKind(node.kind).label.lower(),
                        "parent": result.label(parent) if parent else _("the top"),
                    },
                )
            )


# Applying ---------------------------------------------------------------------------

UNFINISHED = ("self_review", "meetings", "appraisal", "decided")


def blocking_cycles(result):
    """Cycles that stop the decision: one still running over what it changes,
    or a draft that would open on the old tree after the members have moved.
    """
    ReviewCycle = apps.get_model("reviews", "ReviewCycle")
    touched = [result.nodes[key] for key in result.touched()]
    paths = set()
    for node in touched:
        if node.row is not None:
            paths.update(node.row.path_and_ancestor_paths)
    if not paths:
        return []
    effective = result.restructuring.effective_on
    return list(
        ReviewCycle.objects.filter(superior__path__in=paths)
        .filter(Q(status__in=UNFINISHED) | Q(status="draft", ends_on__lt=effective))
        .order_by("starts_on")
    )


def refusals(result, today=None):
    """Why the decision cannot be applied now, besides its lines' errors."""
    today = today or timezone.localdate()
    restructuring = result.restructuring
    found = []
    if restructuring.is_applied:
        found.append(_("This decision has already been applied."))
    if restructuring.effective_on > today:
        found.append(
            _("The decision takes effect on %(day)s; apply it from that day.")
            % {"day": restructuring.effective_on.strftime("%d/%m/%Y")}
        )
    for cycle in blocking_cycles(result):
        found.append(
            _(
                "The cycle “%(cycle)s” is still running over organizations this "
                "decision changes; finish (publish) it first, or change its period."
            )
            % {"cycle": cycle.name}
        )
    return found


class Refused(Exception):
    def __init__(self, messages):
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = messages


@transaction.atomic
def apply(restructuring, user, *, scope=None, today=None):
    """Apply the decision in one transaction: all of it, or nothing.

    Raises Refused with the messages (each line's errors, then the reasons it
    cannot be applied now) and writes nothing.
    """
    restructuring = Restructuring.objects.select_for_update().get(pk=restructuring.pk)
    result = plan(restructuring, scope=scope)
    messages = [
        (_("Line %(line)s: %(message)s") % {"line": number, "message": message})
        if number
        else message
        for number, message in result.errors
    ] + refusals(result, today)
    if messages:
        raise Refused(messages)
    Writer(result, user).write()
    restructuring.status = Restructuring.Status.APPLIED
    restructuring.applied_by = user
    restructuring.applied_at = timezone.now()
    restructuring.save(update_fields=["status", "applied_by", "applied_at"])
    return result


class Writer:
    """Writes a plan: new rows, superseded rows, members, posts and roles."""

    def __init__(self, result, user):
        self.result = result
        self.user = user
        self.restructuring = result.restructuring
        self.effective = self.restructuring.effective_on
        self.rows = {}  # node key → the row it is after the decision

    def write(self):
        copies = self.result.copies()
        ended = [n for n in self.result.nodes.values() if n.ended and n.row]
        replaced = [n.row for n in copies.values()] + [n.row for n in ended]
        self.free_codes(copies)
        self.create_rows(copies)
        self.supersede(replaced)
        self.move_members(copies)
        self.move_posts(copies, ended)
        self.move_roles(copies, ended)
        self.record_successions(copies)
        self.reassign_draft_cycles(copies)

    def row_of(self, key):
        if key in self.rows:
            return self.rows[key]
        return self.result.nodes[key].row

    def free_codes(self, copies):
        """Rows that end give up their codes to the rows that replace them."""
        wanted = {n.code for n in self.result.live() if n.is_new or n.key in copies}
        holders = Organization.objects.filter(code__in=wanted).exclude(
            pk__in=[
                n.row.pk for n in self.result.live() if n.row and n.key not in copies
            ]
        )
        for row in holders:
            row.code = f"{row.code}~{row.pk}"[-40:]
            Organization.objects.filter(pk=row.pk).update(code=row.code)

    def create_rows(self, copies):
        """New organizations and the continuing copies, parents first."""
        result = self.result
        creating = [n for n in result.live() if n.is_new or n.key in copies]
        for node in sorted(creating, key=lambda n: len(result.chain(n))):
            parent = result.nodes.get(node.parent)
            row = Organization(
                code=node.code,
                name=node.name,
                kind=node.kind,
                org_type_id=node.org_type_id,
                parent=self.row_of(parent.key) if parent else None,
                active_from=self.effective,
                lineage=node.lineage if node.row is None else node.row.line,
            )
            row._change_reason = self.restructuring.number
            row.save()
            self.rows[node.key] = row

    def supersede(self, rows):
        last_day = self.effective - datetime.timedelta(days=1)
        for row in rows:
            row.superseded_by = self.restructuring
            until = max(last_day, row.active_from) if row.active_from else last_day
            if row.active_until is None or row.active_until > until:
                row.active_until = until
            row._change_reason = self.restructuring.number
            row.save(update_fields=["superseded_by", "active_until"])

    def destination(self, member_id, row_id):
        """Where a member is after the decision (None: where they are)."""
        moved = self.result.member_moves.get(member_id)
        if moved is not None:
            return self.row_of(self.result.final(self.result.nodes[moved[0]]).key)
        if row_id in self.rows:
            return self.rows[row_id]
        return None

    def move_members(self, copies):
        rows = [n.row.pk for n in copies.values()]
        affected = Member.objects.filter(
            Q(pk__in=list(self.result.member_moves))
            | Q(organization_id__in=rows, status__in=BELONGING)
        )
        changed = []
        for member in affected:
            destination = self.destination(member.pk, member.organization_id)
            if destination is not None and destination.pk != member.organization_id:
                member.organization = destination
                member._change_reason = self.restructuring.number
                changed.append(member)
        bulk_update_with_history(
            changed,
            Member,
            ["organization"],
            batch_size=500,
            default_change_reason=self.restructuring.number,
            default_user=self.user,
        )

    def move_posts(self, copies, ended):
        Post = apps.get_model("members", "Post")
        for key, node in copies.items():
            Post.objects.filter(organization=node.row, ended_on__isnull=True).update(
                organization=self.rows[key]
            )
        last_day = self.effective - datetime.timedelta(days=1)
        for post in Post.objects.filter(
            organization__in=[n.row for n in ended], ended_on__isnull=True
        ):
            post.ended_on = max(last_day, post.started_on or last_day)
            post._change_reason = self.restructuring.number
            post.save(update_fields=["ended_on"])

    def move_roles(self, copies, ended):
        """Roles follow an organization that continues; those of one that ends
        end with it, listed for staff to re-assign (a member's own role follows
        the member to their new cell)."""
        for key, node in copies.items():
            Role.objects.bulk_create(
                [
                    Role(
                        user_id=role.user_id,
                        organization=self.rows[key],
                        kind=role.kind,
                    )
                    for role in node.row.roles.all()
                ],
                ignore_conflicts=True,
            )
        roles = Role.objects.filter(organization__in=[n.row for n in ended])
        cells = dict(
            Member.objects.filter(user__in=roles.values("user")).values_list(
                "user_id", "organization_id"
            )
        )
        for role in roles.select_related("organization"):
            if role.kind == Role.Kind.MEMBER and role.user_id in cells:
                Role.objects.get_or_create(
                    user_id=role.user_id,
                    organization_id=cells[role.user_id],
                    kind=Role.Kind.MEMBER,
                )
            else:
                EndedRole.objects.create(
                    restructuring=self.restructuring,
                    user_id=role.user_id,
                    organization=role.organization,
                    kind=role.kind,
                )
            role.delete()

    def record_successions(self, copies):
        Succession.objects.bulk_create(
            [
                Succession(
                    restructuring=self.restructuring,
                    predecessor=node.row,
                    successor=self.rows[key],
                    kind=Succession.Kind.CONTINUED,
                )
                for key, node in copies.items()
            ]
            + [
                Succession(
                    restructuring=self.restructuring,
                    predecessor=self.result.nodes[s.predecessor].row,
                    successor=self.row_of(s.successor),
                    kind=s.kind,
                )
                for s in self.result.successions
                if self.result.nodes[s.predecessor].row is not None
            ],
            ignore_conflicts=True,
        )

    def reassign_draft_cycles(self, copies):
        """A cycle not yet opened is run by the committee as it continues."""
        ReviewCycle = apps.get_model("reviews", "ReviewCycle")
        for key, node in copies.items():
            for cycle in ReviewCycle.objects.filter(superior=node.row, status="draft"):
                cycle.superior = self.rows[key]
                cycle._change_reason = self.restructuring.number
                cycle.save(update_fields=["superior"])


OPERATION_HELP = gettext_lazy(
    "merge: the organization (code) joins the target (target_code, or a new "
    "one: new_code, new_name, parent_code); split: members of the organization "
    "go, by card number (member_card), to the parts (target_code or new_code "
    "and new_name); move: the organization goes under parent_code; rename: "
    "new_name and/or new_code; close: the organization ends, its members go to "
    "target_code."
)
