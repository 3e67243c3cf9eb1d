"""Remedy actions carried from one cycle to the next: the section III items an
opening adds, and what a submitted answer does to the action it asks about."""

from django.db.models import Max
from django.utils import timezone

from organizations.models import Organization, line_of

from ..models import CarryOverItem, RemedyAction


def carry_over_open_actions(cycle, member_ids=None):
    """Every remedy action still open from earlier cycles becomes a section III item.

    Actions answered "carried" stay open, so they are asked about again each year
    until they are done. With `member_ids`, only those members' reviews; without,
    the collectives. Items already carried are skipped: running it twice adds
    nothing.
    """
    # The committee's and its collectives' earlier rows, should a restructuring
    # have replaced them, count as theirs (organizations/restructuring/).
    actions = RemedyAction.objects.filter(
        review__cycle__superior__in=Organization.objects.same_line_as(cycle.superior),
        review__cycle__starts_on__lt=cycle.starts_on,
    ).exclude(status=RemedyAction.Status.DONE)
    # Ids only: an opening calls this for each thousand members.
    if member_ids is None:
        actions = actions.filter(review__member__isnull=True).annotate(
            line=line_of("review__organization__")
        )
        targets = {
            (line, kind): pk
            for pk, line, kind in cycle.reviews.filter(member__isnull=True)
            .annotate(line=line_of("organization__"))
            .values_list("pk", "line", "kind")
        }
    else:
        actions = actions.filter(review__member__in=member_ids)
        targets = dict(
            cycle.reviews.filter(member__in=member_ids).values_list("member_id", "pk")
        )
    if not targets or not actions.exists():
        return
    already = CarryOverItem.objects.filter(review__in=list(targets.values()))
    carried = set(already.values_list("remedy_action_id", flat=True))
    numbers = dict(already.order_by().values_list("review").annotate(Max("number")))
    items = []
    for action in actions.select_related("review__cycle").order_by(
        "review__cycle__starts_on", "review", "number"
    ):
        old = action.review
        key = old.member_id if member_ids is not None else (action.line, old.kind)
        target = targets.get(key)
        if target is None or action.pk in carried:
            continue
        numbers[target] = numbers.get(target, 0) + 1
        items.append(
            CarryOverItem(
                review_id=target,
                number=numbers[target],
                text=f"{action.shortcoming}\n→ {action.content}",
                source=old.cycle.name,
                remedy_action=action,
            )
        )
    CarryOverItem.objects.bulk_create(items)


def settle_carry_over(review, user):
    """A submitted answer closes a remedied action or keeps it open for next year."""
    today = timezone.localdate()
    for item in review.carry_over_items.select_related("remedy_action"):
        action = item.remedy_action
        if action is None:
            continue
        done = action.status == RemedyAction.Status.DONE
        if item.outcome == CarryOverItem.Outcome.REMEDIED and not done:
            action.status = RemedyAction.Status.DONE
            action.closed_on = today
            action.evidence = "\n".join(
                part for part in (action.evidence, item.answer) if part
            )
        elif item.outcome == CarryOverItem.Outcome.CARRIED and done:
            # A form returned and resubmitted as "not remedied" reopens the action.
            action.status = RemedyAction.Status.IN_PROGRESS
            action.closed_on = None
        else:
            continue
        action._history_user = user
        action.save()
