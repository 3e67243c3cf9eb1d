"""Applying a planned decision in one transaction, and why it may not be yet."""

import datetime

from django.apps import apps
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from members.models import Member

from ..models import (
    EndedRole,
    Organization,
    Restructuring,
    Role,
    Succession,
)
from .operations import plan
from .tree import BELONGING

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
            suffix = f"~{row.pk}"
            Organization.objects.filter(pk=row.pk).update(
                code=row.code[: 40 - len(suffix)] + suffix
            )

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
