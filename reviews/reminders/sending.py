"""Sending the reminders and staff's weekly digest (what is due and late is
worked out in agenda.py, deadlines included).

Celery beat (settings CELERY_BEAT_SCHEDULE) runs `send_reminders` every morning
and `send_digest` once a week; installs without beat run `manage.py
send_reminders [--digest]` from cron. Each person gets at most one reminder a
day, as a notice and an e-mail listing all that is theirs:

- their own form, while the cycle is open for self-review, from the cycle's
  `reminder_days` before `self_review_due` until it is submitted;
- as secretary of an organization, its forms not yet submitted (same window),
  its collective's meeting not recorded (from `reminder_days` before
  `meetings_due`, while the cycle is in the meetings step);
- open remedy actions due within `reminder_days` or overdue: to the member whose
  plan it is and to the secretaries of the organization.

Nothing is due once it is done, recorded as not done (a step exemption), or
once the cycle has moved past the step. Staff and leaders get a digest of what
is late in their subtree, when anything is. A member is told when their form is
returned (`tell_returned`).
"""

from django.conf import settings
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Notice
from ..publishing import person_of
from .agenda import digest_for, reminders_for

# Sending ----------------------------------------------------------------------


def send_reminders(today=None):
    """Today's reminders; how many people were reminded."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        return deliver(reminders_for(today), Notice.Kind.REMINDER, today)


def send_digest(today=None):
    """This week's digest of what is late; how many people got one."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        return deliver(digest_for(today), Notice.Kind.DIGEST, today)


def deliver(agenda, kind, today):
    """One notice and one e-mail a day per person of the agenda, never twice."""
    if not agenda:
        return 0
    with transaction.atomic():
        done = set(
            Notice.objects.filter(
                kind=kind, day=today, user_id__in=agenda.lines
            ).values_list("user_id", flat=True)
        )
        notices = [
            Notice(
                user_id=user_id,
                kind=kind,
                day=today,
                text="\n".join(text for text, _link in lines),
                link=lines[0][1],
            )
            for user_id, lines in agenda.lines.items()
            if user_id not in done
        ]
        Notice.objects.bulk_create(notices, ignore_conflicts=True)
    mail_notices(notices, agenda, kind)
    return len(notices)


def mail_notices(notices, agenda, kind):
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.select_related("party_member")
        .in_bulk([notice.user_id for notice in notices])
    )
    messages = []
    for notice in notices:
        name, address = person_of(users[notice.user_id])
        if not address:
            continue
        lines = agenda.lines[notice.user_id]
        subject = (
            _("Kontum Review: what is due")
            if kind == Notice.Kind.REMINDER
            else _("Kontum Review: weekly digest of what is late")
        )
        body = render_to_string(
            "emails/reminder.txt",
            {
                "name": name,
                "digest": kind == Notice.Kind.DIGEST,
                "lines": [(text, absolute(link)) for text, link in lines],
            },
        )
        messages.append(mail.EmailMessage(subject, body, to=[address]))
    if messages:
        with mail.get_connection() as connection:
            connection.send_messages(messages)


def absolute(link):
    """The link as an e-mail carries it: on SITE_URL, or none without one."""
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    return site + link if site else ""


# A form returned ---------------------------------------------------------------


def tell_returned(review):
    """Tell the member, in a notice and an e-mail, that their form is returned."""
    from kontum_review.accounts import send_message

    from .. import background

    user = review.member.user if review.member_id else None
    if user is None or not user.is_active:
        return
    text = _("Your form of %(cycle)s is returned for rework: %(comment)s") % {
        "cycle": review.cycle.name,
        "comment": review.return_comment,
    }
    Notice.objects.update_or_create(
        user=user,
        review=review,
        kind=Notice.Kind.RETURNED,
        defaults={"text": text, "read_at": None, "created_at": timezone.now()},
    )
    name, address = person_of(user, review.member)
    if not address:
        return
    link = absolute(reverse("reviews:review", args=[review.public_id]))
    message = {
        "subject": _("Kontum Review: your form is returned for rework"),
        "body": render_to_string(
            "emails/reminder.txt", {"name": name, "lines": [(text, link)]}
        ),
        "from_email": None,
        "to": [address],
    }
    background.start(
        "reviews.tasks.send_mail_task",
        message,
        on_unsent=lambda error: send_message(message),
    )
