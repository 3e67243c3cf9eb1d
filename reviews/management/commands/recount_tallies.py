from django.core.management.base import BaseCommand, CommandError

from ... import tallies
from ...models import ReviewCycle


class Command(BaseCommand):
    help = (
        "Compare each cycle's review, remedy and exemption tallies (the "
        "statistics' rollups) with its reviews, remedy actions and exemptions, "
        "and the members' runs "
        "at the ends of the scale with the decisions, and rebuild those that "
        "differ. The triggers keep them; only a load that bypassed them can "
        "leave one behind."
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
            if (
                tallies.differences(cycle.pk)
                or tallies.remedy_differences(cycle.pk)
                or tallies.exemption_differences(cycle.pk)
            ):
                behind.append(cycle)
                if not check:
                    tallies.rebuild(cycle.pk)
        verb = "differs" if check else "rebuilt"
        for cycle in behind:
            self.stdout.write(f"{cycle.name} (#{cycle.pk}): {verb}")
        runs_behind = bool(tallies.run_differences())
        if runs_behind:
            self.stdout.write(f"Members' runs: {verb}")
            if not check:
                tallies.rebuild_runs()
        if check and (behind or runs_behind):
            raise CommandError(
                f"{len(behind)} cycle tallies differ from the reviews"
                + (", and the members' runs too." if runs_behind else ".")
            )
        self.stdout.write(f"{ReviewCycle.objects.count() - len(behind)} cycles agree.")
