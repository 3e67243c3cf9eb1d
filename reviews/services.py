"""Workflows of the review cycle that write several models or enqueue work."""

import copy
import datetime

from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from kontum_review.vietnamese import sort_key
from members.models import Member, Post
from organizations.models import (
    GRASSROOTS_KINDS,
    Organization,
    OrganizationKind,
    line_of,
)

from . import background, guards, ratings, rules, signals, statistics
from .models import (
    Attendance,
    CarryOverItem,
    CycleExclusion,
    CycleJob,
    CyclePost,
    FormTemplate,
    Meeting,
    MeetingItem,
    RemedyAction,
    Review,
    ReviewCycle,
    StepExemption,
    SuggestionAnswer,
)

BATCH = 2000
Status = ReviewCycle.Status

# The one step each state may move to; nothing can be skipped.
NEXT_STATUS = {
    Status.DRAFT: Status.SELF_REVIEW,
    Status.SELF_REVIEW: Status.MEETINGS,
    Status.MEETINGS: Status.APPRAISAL,
    Status.APPRAISAL: Status.DECIDED,
    Status.DECIDED: Status.PUBLISHED,
    Status.PUBLISHED: Status.LOCKED,
}
TRANSITION_LABELS = {
    Status.SELF_REVIEW: gettext_lazy("Open the cycle for self-review"),
    Status.MEETINGS: gettext_lazy("Close self-review and start the review meetings"),
    Status.APPRAISAL: gettext_lazy("Close the meetings and start the appraisal"),
    Status.DECIDED: gettext_lazy("Close the appraisal: ratings decided"),
    Status.PUBLISHED: gettext_lazy("Publish the results"),
    Status.LOCKED: gettext_lazy("Lock the cycle"),
}


class TransitionRefused(Exception):
    def __init__(self, blockers):
        super().__init__("; ".join(str(message) for message, _url in blockers))
        self.blockers = blockers


# Scope -------------------------------------------------------------------


def scope_organizations(cycle):
    """Organizations reviewed in a cycle: the tree under its committee, no groups."""
    return (
        Organization.objects.descendants_of(cycle.superior)
        .exclude(kind=OrganizationKind.PARTY_GROUP)
        .active_on(cycle.ends_on)
    )


def select_template(cycle, audience):
    """The cycle's own wording of a form if staff made one, else the regime's."""
    templates = FormTemplate.objects.filter(regime=cycle.regime, audience=audience)
    return (
        templates.filter(cycle=cycle).first()
        or templates.filter(cycle__isnull=True).order_by("code").first()
    )


def grassroots_of(organization, grassroots_by_id):
    """The grassroots organization an organization belongs to (itself or above)."""
    if organization.kind in GRASSROOTS_KINDS:
        return organization
    for ancestor_id in reversed(organization.ancestor_ids):
        if ancestor_id in grassroots_by_id:
            return grassroots_by_id[ancestor_id]
    return None


def review_cell(organization, by_id):
    """The organization in scope whose meeting reviews a member of `organization`."""
    if organization.pk in by_id:
        return by_id[organization.pk]
    if organization.kind == OrganizationKind.PARTY_GROUP:
        return by_id.get(organization.parent_id)
    return None


# Opening a cycle ----------------------------------------------------------


def request_cycle_opening(cycle, user):
    """Record the job and run it after the commit (a worker, or in-process)."""
    found = blockers(cycle, Status.SELF_REVIEW)
    if found:
        raise TransitionRefused(found)
    running = cycle.jobs.filter(
        status__in=[CycleJob.Status.PENDING, CycleJob.Status.RUNNING]
    )
    job = running.first()
    if job is None:
        job = CycleJob.objects.create(cycle=cycle, requested_by=user)
    elif not background.unheld(CycleJob).filter(pk=job.pk).exists():
        return job  # a worker holds it, or it was only just sent
    # A new request, or one asked again for an opening no worker holds (never
    # sent, or its worker lost): send it now rather than wait for the sweep.
    transaction.on_commit(
        lambda: background.start("reviews.tasks.open_cycle_task", job.pk)
    )
    return job


def open_cycle(job):
    """Create every review of the cycle; running it again creates nothing twice."""
    cycle = job.cycle
    organizations = list(scope_organizations(cycle).order_by("path"))
    by_id = {o.pk: o for o in organizations}
    grassroots_by_id = {o.pk: o for o in organizations if o.kind in GRASSROOTS_KINDS}
    # Members of a Party group (tổ đảng) are reviewed in the cell above it.
    members = list(
        Member.objects.filter(organization__path__startswith=cycle.superior.path)
        .exclude(organization=cycle.superior)
        .select_related("organization")
        .order_by("pk")
    )
    beat(job, total=len(members) + len(organizations))

    collective_template = select_template(cycle, FormTemplate.Audience.COLLECTIVE)
    create_collective_reviews(cycle, organizations, collective_template, members, by_id)
    leadership = {
        r.organization_id: r for r in cycle.reviews.filter(kind=Review.Kind.LEADERSHIP)
    }
    beat(job, progress=len(organizations))

    templates = {
        False: select_template(cycle, FormTemplate.Audience.MEMBER),
        True: select_template(cycle, FormTemplate.Audience.LEADER),
    }
    done = set(
        cycle.reviews.filter(member__isnull=False).values_list("member_id", flat=True)
    )
    excluded = set(cycle.exclusions.values_list("member_id", flat=True))
    posts = posts_held(cycle)
    for start in range(0, len(members), BATCH):
        batch = members[start : start + BATCH]
        reviews, exclusions = [], []
        for member in batch:
            if not member.is_reviewable:
                if member.pk not in excluded:
                    exclusions.append(
                        CycleExclusion(
                            cycle=cycle,
                            member=member,
                            organization_id=member.organization_id,
                            reason=member.status,
                            note=member.status_note,
                        )
                    )
                continue
            if member.pk in done:
                continue
            cell = review_cell(member.organization, by_id)
            if cell is None:
                continue
            grassroots = grassroots_of(cell, grassroots_by_id)
            reviews.append(
                Review(
                    cycle=cycle,
                    kind=Review.Kind.INDIVIDUAL,
                    organization=cell,
                    member=member,
                    leadership_review=leadership.get(grassroots.pk)
                    if member.is_leader and grassroots
                    else None,
                    template=templates[member.is_leader],
                    subject_name=member.full_name,
                    party_post=member.party_post,
                    government_post=member.government_post,
                    mass_post=member.mass_post,
                    workplace=member.workplace,
                    is_leader=member.is_leader,
                    meeting_rank=meeting_rank_in(posts, member.pk, cell.pk),
                    sort_key=member.sort_key,
                )
            )
        with transaction.atomic():
            Review.objects.bulk_create(reviews, ignore_conflicts=True)
            CycleExclusion.objects.bulk_create(exclusions, ignore_conflicts=True)
            carry_over_open_actions(cycle, [r.member_id for r in reviews])
            copy_posts(cycle, posts, [r.member_id for r in reviews])
        # Bulk writes send no signals.
        statistics.invalidate(cycle.pk)
        beat(job, progress=len(organizations) + start + len(batch))


def beat(job, **values):
    """Write an opening's progress with its heartbeat (see background.claim)."""
    CycleJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **values)


def posts_held(cycle, day=None):
    """Member id → [(organization id, post kind)] held on `day` (today), by the
    tree's members in the tree's organizations."""
    found = {}
    rows = (
        Post.objects.held_on(day or timezone.localdate())
        .filter(
            member__organization__path__startswith=cycle.superior.path,
            organization__path__startswith=cycle.superior.path,
        )
        .order_by("pk")
        .values_list("member_id", "organization_id", "kind")
    )
    for member_id, organization_id, kind in rows:
        found.setdefault(member_id, []).append((organization_id, kind))
    return found


def meeting_rank_in(posts, member_id, organization_id):
    """A member's order in the meeting of `organization_id`, from the posts
    they hold there (`posts` as posts_held gives them)."""
    return rules.meeting_rank(
        kind for held_in, kind in posts.get(member_id, ()) if held_in == organization_id
    )


def copy_posts(cycle, posts, member_ids):
    """The cycle's posts of these members: their reviews name the holders."""
    member_ids = [pk for pk in member_ids if pk in posts]
    reviews = dict(
        cycle.reviews.filter(
            member__in=member_ids, kind=Review.Kind.INDIVIDUAL
        ).values_list("member_id", "pk")
    )
    CyclePost.objects.bulk_create(
        [
            CyclePost(
                cycle=cycle,
                review_id=reviews[member_id],
                organization_id=org,
                kind=kind,
            )
            for member_id in member_ids
            if member_id in reviews
            for org, kind in posts.get(member_id, ())
        ],
        ignore_conflicts=True,
    )


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


def create_collective_reviews(cycle, organizations, template, members, by_id):
    """One review per organization, and one per leadership collective with leaders."""
    existing = set(
        cycle.reviews.filter(member__isnull=True).values_list("organization_id", "kind")
    )
    grassroots_by_id = {o.pk: o for o in organizations if o.kind in GRASSROOTS_KINDS}
    with_leaders = set()
    for member in members:
        cell = review_cell(member.organization, by_id)
        if member.is_leader and member.is_reviewable and cell:
            grassroots = grassroots_of(cell, grassroots_by_id)
            if grassroots:
                with_leaders.add(grassroots.pk)
    reviews = []
    for organization in organizations:
        wanted = [(Review.Kind.ORGANIZATION, organization.name, Review.Rank.COLLECTIVE)]
        if organization.pk in with_leaders:
            name = _("Leadership collective – %(name)s") % {"name": organization.name}
            wanted.append((Review.Kind.LEADERSHIP, name, Review.Rank.COLLECTIVE))
        for kind, name, rank in wanted:
            if (organization.pk, kind) in existing:
                continue
            reviews.append(
                Review(
                    cycle=cycle,
                    kind=kind,
                    organization=organization,
                    template=template,
                    subject_name=name,
                    meeting_rank=rank,
                    sort_key=sort_key(name),
                )
            )
    Review.objects.bulk_create(reviews, ignore_conflicts=True)
    carry_over_open_actions(cycle)
    statistics.invalidate(cycle.pk)


# Transitions --------------------------------------------------------------


def refuse_unless_next(cycle, target):
    if NEXT_STATUS.get(cycle.status) != target:
        raise TransitionRefused(
            [
                (
                    _("The cycle is “%(status)s”; it cannot move to “%(target)s”.")
                    % {
                        "status": cycle.get_status_display(),
                        "target": Status(target).label,
                    },
                    None,
                )
            ]
        )


def blockers(cycle, target, limit=50):
    """What stops the cycle from moving to `target`, each with a link to it."""
    if NEXT_STATUS.get(cycle.status) != target:
        try:
            refuse_unless_next(cycle, target)
        except TransitionRefused as refused:
            return refused.blockers
    found = []
    if target == Status.SELF_REVIEW:
        if not select_template(cycle, FormTemplate.Audience.MEMBER):
            found.append((_("The regime has no individual review form."), None))
    elif target == Status.MEETINGS:
        unfinished = unsubmitted_reviews(cycle).order_by(
            "organization__path", "meeting_rank", "sort_key"
        )
        for review in unfinished[:limit]:
            found.append(
                (
                    _("Review not submitted: %(name)s (%(status)s)")
                    % {
                        "name": review.subject_name,
                        "status": review.get_status_display(),
                    },
                    reverse("reviews:review", args=[review.public_id]),
                )
            )
        found += more_line(unfinished.count() - limit)
    elif target == Status.APPRAISAL:
        collectives = unheld_meetings(cycle)
        for review in collectives.order_by("organization__path")[:limit]:
            found.append(
                (
                    _("Review meeting not recorded: %(name)s")
                    % {"name": review.subject_name},
                    reverse("reviews:meeting", args=[review.public_id]),
                )
            )
        found += more_line(collectives.count() - limit)
    elif target == Status.DECIDED:
        undecided = undecided_reviews(cycle).order_by(
            "organization__path", "meeting_rank", "sort_key"
        )
        for review in undecided[:limit]:
            found.append(
                (
                    _("Rating not decided: %(name)s") % {"name": review.subject_name},
                    reverse("reviews:decide", args=[cycle.public_id])
                    + f"?subject={review.public_id}",
                )
            )
        found += more_line(undecided.count() - limit)
    if target in (Status.DECIDED, Status.PUBLISHED):
        broken = ratings.out_of_line(cycle)
        for review, findings in broken[:limit]:
            found.append(
                (
                    _(
                        "Decision out of line with the rules: %(name)s (%(level)s): "
                        "%(reasons)s"
                    )
                    % {
                        "name": review.subject_name,
                        "level": review.decided_code,
                        "reasons": " ".join(f.reason for f in findings),
                    },
                    reverse("reviews:decide", args=[cycle.public_id])
                    + f"?subject={review.public_id}",
                )
            )
        found += more_line(len(broken) - limit)
    return found


# What each guard waits for: one definition for the guard, the list of
# unfinished work beside it and the exemption form that closes an item.


def unsubmitted_reviews(cycle):
    """Forms neither submitted nor recorded as not submitted, with a reason."""
    return cycle.reviews.exclude(status=Review.Status.SUBMITTED).exclude(
        exemptions__kind=StepExemption.Kind.NOT_SUBMITTED
    )


def unheld_meetings(cycle):
    """Collectives whose meeting is neither recorded nor recorded as not held."""
    return (
        cycle.reviews.collectives()
        .filter(Q(meeting__isnull=True) | ~Q(meeting__status=Meeting.Status.DONE))
        .exclude(exemptions__kind=StepExemption.Kind.MEETING_NOT_HELD)
    )


def undecided_reviews(cycle):
    """Subjects with no decided rating that nobody recorded as not rated."""
    return cycle.reviews.exclude(ratings__stage="decision").exclude(
        exemptions__kind__in=StepExemption.UNRATED_KINDS
    )


# The exemption each guarded step accepts, and what it waits for.
STEP_EXEMPTIONS = {
    Status.MEETINGS: (StepExemption.Kind.NOT_SUBMITTED, unsubmitted_reviews),
    Status.APPRAISAL: (StepExemption.Kind.MEETING_NOT_HELD, unheld_meetings),
    Status.DECIDED: (StepExemption.Kind.NOT_RATED, undecided_reviews),
}


def exemption_step(cycle):
    """The exemption kind and the open work of the cycle's current step, if any."""
    return STEP_EXEMPTIONS.get(NEXT_STATUS.get(cycle.status))


@transaction.atomic
def record_exemptions(cycle, reviews, kind, reason, user):
    """Close each review's open work at this step without doing it, with the reason.

    Only reviews still waiting at the cycle's current step are exempted, so a
    stale selection cannot exempt work done meanwhile; returns how many were.
    """
    step = exemption_step(cycle)
    if step is None or step[0] != kind:
        message = _("This exemption cannot be recorded at the cycle's current step.")
        raise TransitionRefused([(message, None)])
    waiting = step[1](cycle).filter(pk__in=[r.pk for r in reviews])
    created = bulk_create_with_history(
        [
            StepExemption(review=review, kind=kind, reason=reason, recorded_by=user)
            for review in waiting.distinct()
        ],
        StepExemption,
        default_user=user,
    )
    statistics.invalidate(cycle.pk)
    return len(created)


@transaction.atomic
def withdraw_exemption(exemption, user):
    """Put the work back on the step's list; history keeps the withdrawn row."""
    exemption._history_user = user
    exemption.delete()


def withdraw_exemptions(review, kind, user):
    """The work was done after all: withdraw the review's exemption of `kind`."""
    for exemption in review.exemptions.filter(kind=kind):
        withdraw_exemption(exemption, user)


def more_line(hidden):
    if hidden <= 0:
        return []
    return [(_("… and %(count)s more.") % {"count": hidden}, None)]


@transaction.atomic
def move_cycle(cycle, target, user):
    """Move the cycle one step on; refuse with the reasons if anything is open."""
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if target == Status.SELF_REVIEW:
        raise TransitionRefused(
            [(_("Opening the cycle creates the reviews: use the opening job."), None)]
        )
    found = blockers(cycle, target)
    if found:
        raise TransitionRefused(found)
    cycle.status = target
    cycle._history_user = user
    cycle.save(update_fields=["status"])
    if target == Status.PUBLISHED:
        from .publishing import publish_results

        publish_results(cycle, user)
    return cycle


# Forms --------------------------------------------------------------------


class StaleVersion(Exception):
    """Someone saved the form since this user loaded it."""

    def __init__(self, current):
        super().__init__("stale version")
        self.current = current


# What a save writes besides the changes it is given.
SAVE_STAMPS = ("status", "version", "saved_at", "saved_by")


def save_review(review, changes, version, user, *, suggestion_answers=None):
    """Write a draft if nobody saved since `version` (optimistic locking).

    One conditional UPDATE checks the version and that the cycle is open, and
    writes, so of two people saving the same version only the first wins.
    `review` is taken for the row at `version` (the form's view reads it under
    a row lock, so the history row copies the row as it stands); an instance at
    another version is read again.
    """
    # No savepoint of its own: a refusal writes nothing and is raised outside
    # the block, so the caller's transaction stays usable for a retry.
    with transaction.atomic(savepoint=False):
        saved = write_review(review, changes, version, user, suggestion_answers)
    if saved is None:
        refuse_save(review.pk, version)
    return saved


def write_review(review, changes, version, user, suggestion_answers):
    """The saved review, or None when the version or a closed cycle refuses it."""
    current = review
    if review.version != version:
        current = Review.objects.select_for_update().get(pk=review.pk)
        if current.version != version:
            return None
    saved = copy.copy(current)
    for field, value in changes.items():
        setattr(saved, field, value)
    if saved.status == Review.Status.NEW:
        saved.status = Review.Status.DRAFT
    saved.version = version + 1
    saved.saved_at = timezone.now()
    saved.saved_by = user
    # The pre_save guard of a save(), as a condition of the same statement.
    rows = Review.objects.filter(pk=review.pk, version=version)
    if not guards.writes_allowed():
        rows = rows.exclude(cycle__status__in=guards.CLOSED_STATES)
    names = dict.fromkeys((*changes, *SAVE_STAMPS))
    written = {name: getattr(saved, name) for name in names}
    if not rows.update(**written):
        return None
    # What post_save would do: the history row, and the statistics' cache
    # dropped only when a counted field changed (an autosave of the answers
    # leaves it).
    saved._history_user = user
    Review.history.bulk_history_create(
        [saved], update=True, default_user=user, default_change_reason=None
    )
    if statistics.counted_state(current) != statistics.counted_state(saved):
        signals.stale(saved.cycle_id)
    if saved.is_submitted:
        # Handed in after all: the form is no longer an exception of its step.
        withdraw_exemptions(saved, StepExemption.Kind.NOT_SUBMITTED, user)
    for item_id, text in (suggestion_answers or {}).items():
        SuggestionAnswer.objects.update_or_create(
            review=saved, item_id=item_id, defaults={"text": text}
        )
    return saved


def refuse_save(pk, version):
    """Say why the conditional UPDATE of save_review wrote nothing."""
    stored = Review.objects.select_related("cycle").get(pk=pk)
    if stored.version != version:
        raise StaleVersion(stored)
    raise guards.CycleClosed(stored.cycle)


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


# Meetings -----------------------------------------------------------------


def subjects_of_meeting(review):
    """The collective, then its members in order: head, deputies, members."""
    if review.kind == Review.Kind.LEADERSHIP:
        members = review.leader_reviews.all()
    elif review.organization.kind in (
        OrganizationKind.CELL,
        OrganizationKind.GRASSROOTS_CELL,
    ):
        members = Review.objects.filter(
            cycle=review.cycle,
            kind=Review.Kind.INDIVIDUAL,
            organization=review.organization,
        )
    else:
        members = Review.objects.none()
    return [review, *members.in_meeting_order()]


def invited_members(review, subjects):
    """Who a collective's meeting calls: its members, or a committee's leaders."""
    called = [s.member_id for s in subjects if s.member_id]
    if review.kind == Review.Kind.ORGANIZATION and not called:
        called = list(
            Review.objects.filter(
                leadership_review__organization=review.organization,
                leadership_review__cycle=review.cycle,
            ).values_list("member_id", flat=True)
        )
    return called


@transaction.atomic
def ensure_meeting(review):
    """The meeting of a collective review, with its subjects and attendance list.

    A collective with nobody in the register to invite gets no meeting (None):
    a meeting nobody attends could never reach its quorum or be finished.
    """
    meeting = Meeting.objects.filter(review=review).first()
    if meeting is not None:
        return meeting
    subjects = subjects_of_meeting(review)
    called = invited_members(review, subjects)
    if not called:
        return None
    meeting = Meeting.objects.create(review=review)
    MeetingItem.objects.bulk_create(
        MeetingItem(meeting=meeting, review=subject, order=order)
        for order, subject in enumerate(subjects)
    )
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, member_id=member_id) for member_id in called
    )
    return meeting


def cycle_day_bounds(cycle):
    """Meetings may be held from the start of the period until the decision is due."""
    last = cycle.decision_due or cycle.ends_on + datetime.timedelta(days=60)
    return cycle.starts_on, max(last, cycle.ends_on)
