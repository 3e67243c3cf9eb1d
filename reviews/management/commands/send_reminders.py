import datetime

from django.core.management.base import BaseCommand, CommandError

from ... import reminders


class Command(BaseCommand):
    help = (
        "Remind each person of the forms, meetings and remedy actions due or "
        "overdue (a notice and an e-mail, at most one a day); with --digest, send "
        "staff and leaders the weekly digest of what is late. Celery beat does "
        "both; run this from cron on an install without beat."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--digest", action="store_true", help="Send the weekly digest instead."
        )
        parser.add_argument(
            "--date", help="The day to remind for, YYYY-MM-DD (default: today)."
        )

    def handle(self, *args, digest=False, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else None
        except ValueError as error:
            raise CommandError(f"--date: {error}") from error
        send = reminders.send_digest if digest else reminders.send_reminders
        count = send(today)
        what = "Digests" if digest else "Reminders"
        self.stdout.write(f"{what} sent: {count}.")
