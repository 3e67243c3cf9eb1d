from django.core.management.base import BaseCommand

from ... import tasks


class Command(BaseCommand):
    help = (
        "Send the jobs no worker holds: those not sent while Redis was down and "
        "those of a lost worker. Celery beat does this every minute; run it from "
        "cron on an install without beat. Without Redis the jobs run here."
    )

    def handle(self, *args, **options):
        sent = tasks.sweep(inline=True)
        self.stdout.write(
            f"Report jobs sent again: {sent['reports']}; "
            f"cycle openings sent again: {sent['cycle_openings']}; "
            f"result mailings sent again: {sent['result_mailings']}; "
            f"imports sent again: {sent['imports']}."
        )
