"""Publishing a cycle's results: notices and e-mails to every subject; reopening."""

import logging
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from organizations.models import Role

from .. import background, guards
from ..models import (
    CycleReopening,
    Notice,
    Rating,
    ResultMailing,
    Review,
    ReviewCycle,
    StepExemption,
)

logger = logging.getLogger("reviews.publishing")  # its name before the package

BATCH = 1000
Stage = Rating.Stage


class ReopenRefused(Exception):
    pass


# Publishing -------------------------------------------------------------------


def publish_results(cycle, user):
    """Notify each organization and member of their final rating, or that
    they are not rated and why (StepExemption.UNRATED_KINDS).

    Runs inside move_cycle's transaction. Each user gets one notice per review;
    publishing again after a reopening tells (notice and e-mail, after the
    commit) only those never told and those whose decided result changed since
    the last publication, whatever else the notice's wording would now say.
    """
    decided = [
        Decided(*row)
        for row in Rating.objects.filter(review__cycle=cycle, stage=Stage.DECISION)
        .order_by("review__organization__path", "review__meeting_rank", "pk")
        .values_list(*Decided.lookups)
    ]
    reopened = (
        cycle.reopenings.order_by("-reopened_at")
        .values_list("reopened_at", flat=True)
        .first()
    )
    changed = changed_results(decided, reopened)
    # A subject taken out of the decision with a reason is told so; one
    # recorded since the reopening may have been told a rating before, and its
    # notice is renewed if its text changed.
    not_rated = unrated(cycle)
    changed.unknown.update(
        row.review_id
        for row in not_rated
        if reopened is not None and row.recorded_at > reopened
    )
    secretaries = secretaries_of(cycle)
    wanted = {}
    with translation.override("vi"):
        for row in [*decided, *not_rated]:
            text = notice_text(cycle, row)
            if row.kind != Review.Kind.INDIVIDUAL:
                users = secretaries.get(row.organization_id, [])
            else:
                users = [row.user_id] if row.user_id else []
            for user_id in users:
                wanted[user_id, row.review_id] = text
    mails = write_notices(cycle, wanted, changed)
    mails += [
        (row.review_id, None)
        for row in unnoticed(cycle, [*decided, *not_rated], reopened, changed)
        if row.kind == Review.Kind.INDIVIDUAL and not row.user_id and row.email
    ]
    note_publication(cycle, len(mails))
    if mails:
        # Tens of thousands of mails go to the worker, never into the request;
        # the mailing row keeps them if the broker is down (tasks.sweep).
        mailing = ResultMailing.objects.create(
            cycle=cycle, recipients=[list(pair) for pair in mails]
        )
        transaction.on_commit(
            partial(
                background.start, "reviews.tasks.send_result_mails_task", mailing.pk
            )
        )
    return len(wanted)


class Decided(NamedTuple):
    """A decided rating with what its notice needs, read without the forms."""

    review_id: int
    kind: str
    subject: str
    organization_id: int
    user_id: int | None
    email: str | None
    level: str
    score: object
    set_at: object
    level_id: int

    lookups = (
        "review_id",
        "review__kind",
        "review__subject_name",
        "review__organization_id",
        "review__member__user_id",
        "review__member__email",
        "level__name",
        "score",
        "set_at",
        "level_id",
    )


class Unrated(NamedTuple):
    """A subject taken out of the decision (StepExemption.UNRATED_KINDS), with
    what its notice needs."""

    review_id: int
    kind: str
    subject: str
    organization_id: int
    user_id: int | None
    email: str | None
    reason: str
    recorded_at: object

    lookups = (
        "review_id",
        "review__kind",
        "review__subject_name",
        "review__organization_id",
        "review__member__user_id",
        "review__member__email",
        "reason",
        "recorded_at",
    )


def unrated(cycle):
    """The cycle's subjects not rated, with the reason, and no decided rating;
    one a review (the first reason recorded)."""
    rows = (
        StepExemption.objects.unrated()
        .filter(review__cycle=cycle)
        .exclude(review__ratings__stage=Stage.DECISION)
        .order_by("review__organization__path", "review__meeting_rank", "pk")
        .values_list(*Unrated.lookups)
    )
    found = {}
    for row in rows:
        found.setdefault(row[0], Unrated(*row))
    return list(found.values())


class Changed(NamedTuple):
    """Reviews whose decided result (level, score) changed since the last
    publication, and those written since whose earlier result is unknown."""

    known: set
    unknown: set


def changed_results(decided, reopened):
    """What changed since the last publication, from the decisions' history.

    The cycle is closed from a publication to its reopening, so the results
    as they stood at the latest reopening are those last published. Only a
    decision written since (its set_at) can differ; its history up to the
    reopening tells what it was. Decisions bulk-written without history fall
    in `unknown`.
    """
    if reopened is None:
        return Changed(set(), set())
    written = {row.review_id: row for row in decided if row.set_at > reopened}
    if not written:
        return Changed(set(), set())
    before = {}
    for review_id, kind, level_id, score in (
        Rating.history.filter(
            review_id__in=list(written),
            stage=Stage.DECISION,
            history_date__lte=reopened,
        )
        .order_by("history_date", "history_id")
        .values_list("review_id", "history_type", "level_id", "score")
    ):
        before[review_id] = None if kind == "-" else (level_id, score)
    known, unknown = set(), set()
    for review_id, row in written.items():
        if review_id not in before:
            unknown.add(review_id)
        elif before[review_id] != (row.level_id, row.score):
            known.add(review_id)
    return Changed(known, unknown)


def unnoticed(cycle, decided, reopened, changed):
    """Decisions to e-mail to members without an account, who have no notice.

    The first publication tells everyone, one after a reopening only those whose
    result changed since (or was written since without a known earlier result);
    a publication already noted in the cycle's history (see note_publication)
    tells nobody again.
    """
    publications = cycle.history.filter(status=ReviewCycle.Status.PUBLISHED)
    if reopened is not None:
        publications = publications.filter(history_date__gt=reopened)
    noted = publications.exclude(history_change_reason__isnull=True).exclude(
        history_change_reason=""
    )
    if noted.exists():
        return []
    return [
        row
        for row in decided
        if reopened is None or row.review_id in changed.known | changed.unknown
    ]


def note_publication(cycle, count):
    """Note on the cycle's history record of this publication what it sent."""
    record = (
        cycle.history.filter(status=ReviewCycle.Status.PUBLISHED)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is not None and not record.history_change_reason:
        with translation.override("vi"):
            record.history_change_reason = _(
                "Results published; %(count)s recipients notified."
            ) % {"count": count}
        record.save(update_fields=["history_change_reason"])


def secretaries_of(cycle):
    """Organization id → the users holding a secretary role there."""
    collectives = Review.objects.filter(cycle=cycle).collectives()
    roles = Role.objects.filter(
        kind=Role.Kind.SECRETARY,
        organization__in=collectives.values("organization"),
    ).order_by("user_id")
    found = {}
    for organization_id, user_id in roles.values_list("organization_id", "user_id"):
        found.setdefault(organization_id, []).append(user_id)
    return found


def notice_text(cycle, row):
    if isinstance(row, Unrated):
        values = {"cycle": cycle.name, "subject": row.subject, "reason": row.reason}
        if row.kind == Review.Kind.INDIVIDUAL:
            return _("Results of %(cycle)s: you are not rated. Reason: %(reason)s") % (
                values
            )
        return (
            _("Results of %(cycle)s: %(subject)s is not rated. Reason: %(reason)s")
            % values
        )
    values = {"cycle": cycle.name, "subject": row.subject, "level": row.level}
    if row.kind == Review.Kind.INDIVIDUAL:
        text = _("Results of %(cycle)s: you are rated “%(level)s”.") % values
    else:
        text = _("Results of %(cycle)s: %(subject)s is rated “%(level)s”.") % values
    if row.score is not None:
        text += " " + _("Score: %(score)s.") % {"score": floatformat(row.score, -2)}
    return text


def write_notices(cycle, wanted, results):
    """Create the missing notices and renew those whose result changed; whom to
    e-mail. Where the earlier result is unknown, a changed text tells."""
    existing = {
        (user_id, review_id): (pk, text)
        for pk, user_id, review_id, text in Notice.objects.filter(
            review__cycle=cycle, kind=Notice.Kind.RESULT
        ).values_list("pk", "user_id", "review_id", "text")
    }
    now = timezone.now()
    created, changed, mails = [], [], []
    for (user_id, review_id), text in wanted.items():
        stored = existing.get((user_id, review_id))
        if stored is None:
            created.append(Notice(user_id=user_id, review_id=review_id, text=text))
        elif review_id in results.known or (
            review_id in results.unknown and stored[1] != text
        ):
            # A changed result reads as new: unread, at the top of the list.
            changed.append(
                Notice(pk=stored[0], text=text, read_at=None, created_at=now)
            )
        else:
            continue
        mails.append((review_id, user_id))
    Notice.objects.bulk_create(created, batch_size=BATCH)
    Notice.objects.bulk_update(
        changed, ["text", "read_at", "created_at"], batch_size=BATCH
    )
    return mails


# E-mail -----------------------------------------------------------------------


def send_mailing(mailing_id):
    """Send a claimed ResultMailing from where it stopped; return how many sent.

    Each batch's progress is written once its messages are handed to the
    server, which is also the heartbeat: a worker lost mid-mailing repeats at
    most one batch.
    """
    mailing = ResultMailing.objects.get(pk=mailing_id)
    recipients = [tuple(pair) for pair in mailing.recipients]
    sent = mailing.sent
    for start in range(mailing.progress, len(recipients), BATCH):
        batch = recipients[start : start + BATCH]
        sent += send_result_mails(batch)
        ResultMailing.objects.filter(pk=mailing_id).update(
            progress=start + len(batch), sent=sent, updated_at=timezone.now()
        )
    ResultMailing.objects.filter(pk=mailing_id).update(
        status=ResultMailing.Status.DONE, finished_at=timezone.now()
    )
    logger.info("Result mailing %s: %s e-mails sent", mailing_id, sent)
    return sent


def send_result_mails(recipients):
    """E-mail one batch of (review id, user id or None) their result, in
    Vietnamese, over one connection; the addresses are read at sending time."""
    User = get_user_model()
    review_ids = {review_id for review_id, _user in recipients}
    reviews = Review.objects.select_related("cycle__superior", "member__user").defer(
        "answers", "scores"
    )
    reviews = reviews.in_bulk(review_ids)
    ratings = {
        r.review_id: r
        for r in Rating.objects.filter(
            review__in=review_ids, stage=Stage.DECISION
        ).select_related("level")
    }
    # Why those with no decided rating are not rated (none: no query).
    unrated_ids = review_ids - ratings.keys()
    reasons = (
        StepExemption.objects.unrated()
        .filter(review__in=unrated_ids)
        .order_by("-pk")
        .reasons()
        if unrated_ids
        else {}
    )
    users = User.objects.select_related("party_member").in_bulk(
        {user_id for _review, user_id in recipients if user_id}
    )
    with translation.override("vi"), mail.get_connection() as connection:
        messages = []
        for review_id, user_id in recipients:
            review, rating = reviews.get(review_id), ratings.get(review_id)
            reason = reasons.get(review_id) if rating is None else None
            if review is None or (rating is None and reason is None):
                continue
            message = result_mail(review, rating, users.get(user_id), reason)
            if message is not None:
                messages.append(message)
        return connection.send_messages(messages) or 0


def recipient_of(review, user):
    """(name, address) of who is told the result: Member.email, else User.email."""
    if review.member_id:
        return person_of(review.member.user, review.member)
    return person_of(user)


def person_of(user, member=None):
    """(name, address) of a user: their member record's, else the account's."""
    if member is None and user is not None:
        member = getattr(user, "party_member", None)
    name = (member and member.full_name) or (user and user.get_full_name()) or ""
    address = (member and member.email) or (user and user.email) or ""
    return name or (user.username if user else ""), address


def result_mail(review, rating, user, unrated_reason=None):
    """The result's e-mail: the decided rating, or why the subject is not rated."""
    name, address = recipient_of(review, user)
    if not address:
        return None
    cycle = review.cycle
    subject = _("Notice of the quality rating result: %(subject)s, %(cycle)s") % {
        "subject": review.subject_name,
        "cycle": cycle.name,
    }
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    body = render_to_string(
        "emails/result_notice.txt",
        {
            "name": name,
            "review": review,
            "rating": rating,
            "unrated_reason": unrated_reason,
            "cycle": cycle,
            "own": review.member_id is not None,
            "url": site + reverse("reviews:review", args=[review.public_id])
            if site
            else "",
        },
    )
    return mail.EmailMessage(" ".join(subject.split()), body, to=[address])


# Reading ----------------------------------------------------------------------


def final_rating(review):
    """The decided rating, once the cycle's results are published; else None."""
    if not guards.is_closed(review.cycle):
        return None
    return (
        Rating.objects.filter(review=review, stage=Stage.DECISION)
        .select_related("level")
        .first()
    )


def final_exemption(review):
    """Why the subject is not rated, once published, if it has no decided
    rating: its first StepExemption of StepExemption.UNRATED_KINDS; else None."""
    if not guards.is_closed(review.cycle):
        return None
    return (
        StepExemption.objects.unrated()
        .filter(review=review)
        .exclude(review__ratings__stage=Stage.DECISION)
        .order_by("pk")
        .first()
    )


# Reopening --------------------------------------------------------------------


@transaction.atomic
def reopen_cycle(cycle, reason, user):
    """Move a published or locked cycle back to decided, recording who and why."""
    cycle = ReviewCycle.objects.select_for_update().get(pk=cycle.pk)
    if not guards.is_closed(cycle):
        raise ReopenRefused(
            _(
                "Only a published or locked cycle can be reopened; this one is "
                "“%(status)s”."
            )
            % {"status": cycle.get_status_display()}
        )
    reopening = CycleReopening.objects.create(
        cycle=cycle, from_status=cycle.status, reason=reason, reopened_by=user
    )
    cycle.status = ReviewCycle.Status.DECIDED
    cycle._history_user = user
    cycle._change_reason = Truncator(reason).chars(100)
    with guards.closed_cycle_writes():
        cycle.save(update_fields=["status"])
    return reopening
