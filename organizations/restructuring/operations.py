"""Each operation of a decision, played on the tree in memory (`plan`)."""

from django.utils.translation import gettext as _

from ..models import (
    Operation,
    Organization,
    Succession,
)
from .playing import (
    check_kinds,
    end,
    existing,
    free_code,
    members_of,
    move_members,
    place,
    target_of,
)
from .tree import Node, Plan, PlannedSuccession


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
        PLAYERS.get(group[0].operation, play_unknown)(result, group)
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
    return groups


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
    if parent is None:
        return
    if node.parent == parent.key:
        result.errors.append(
            (
                line.number,
                _(
                    "%(organization)s is under %(parent)s already: the move changes "
                    "nothing."
                )
                % {"organization": result.label(node), "parent": result.label(parent)},
            )
        )
        return
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
    same_code = (line.new_code or node.code) == node.code
    if same_code and (line.new_name or node.name) == node.name and not line.parent_code:
        result.errors.append(
            (
                line.number,
                _(
                    "%(organization)s has that name and code already: the rename "
                    "changes nothing."
                )
                % {"organization": result.label(node)},
            )
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
}
