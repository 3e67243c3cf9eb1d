from django.core.management.base import BaseCommand, CommandError

from ... import tallies
from ...models import ReviewCycle


class Command(BaseCommand):
    help = (
        "Compare each cycle's review and remedy tallies (the statistics' "
        "rollups) with its reviews and remedy actions, and rebuild those that "
        "differ. The triggers keep the tallies; only a load that bypassed them "
        "can leave one behind."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report; fail if a cycle differs.",
        )

    def handle(self, *args, check, **options):
        behind = []
        for cycle in ReviewCycle.objects.order_by("pk"):
            if tallies.differences(cycle.pk) or tallies.remedy_differences(cycle.pk):
                behind.append(cycle)
                if not check:
                    tallies.rebuild(cycle.pk)
        for cycle in behind:
            verb = "differs" if check else "rebuilt"
            self.stdout.write(f"{cycle.name} (#{cycle.pk}): {verb}")
        if check and behind:
            raise CommandError(f"{len(behind)} cycle tallies differ from the reviews.")
        self.stdout.write(f"{ReviewCycle.objects.count() - len(behind)} cycles agree.")
