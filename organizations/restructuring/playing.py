"""What the lines share while they are played: finding, creating, ending and
placing organizations, and moving members."""

from django.utils.translation import gettext as _

from members.models import Member

from ..models import (
    ALLOWED_PARENT_KINDS,
    OrganizationKind,
)
from .tree import BELONGING, Node


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
