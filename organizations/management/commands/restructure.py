import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from ... import restructuring
from ...models import Organization, Restructuring


class Command(BaseCommand):
    help = (
        "Apply a restructuring decision from its annex (.xlsx or .csv): merge, "
        "split, move, rename and close organizations in one transaction. With "
        "--dry-run, print the preview and change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("annex", help="The annex file, .xlsx or .csv.")
        parser.add_argument(
            "--decision", required=True, help='The decision number, "Số 123-QĐ/TU".'
        )
        parser.add_argument(
            "--date", required=True, help="The effective date, YYYY-MM-DD."
        )
        parser.add_argument(
            "--signed-on", help="The decision's date (default: the effective date)."
        )
        parser.add_argument(
            "--issued-by", help="The issuing body (default: the committee's name)."
        )
        parser.add_argument(
            "--committee",
            help="Code of the committee entering it (default: the top of the tree).",
        )
        parser.add_argument(
            "--user", help="Username recorded as entering it (default: a superuser)."
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **options):
        translation.activate("vi")
        path = Path(options["annex"])
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from error
        effective = day(options["date"], "--date")
        decision = Restructuring(
            number=options["decision"],
            effective_on=effective,
            signed_on=day(options["signed_on"], "--signed-on")
            if options["signed_on"]
            else effective,
            committee=committee(options["committee"]),
        )
        if not options["dry_run"]:
            decision.created_by = user(options["user"])
        decision.issued_by = options["issued_by"] or decision.committee.name
        try:
            lines, errors = restructuring.read_annex(path.name, data)
        except restructuring.AnnexError as error:
            raise CommandError(str(error)) from error
        if errors:
            raise CommandError(self.errors(errors))
        result = restructuring.plan(decision, lines)
        self.print_preview(result)
        if result.errors:
            raise CommandError(self.errors(result.errors))
        if options["dry_run"]:
            refusals = restructuring.refusals(result)
            for message in refusals:
                self.stdout.write(f"! {message}")
            self.stdout.write("Dry run: nothing was changed.")
            return
        with transaction.atomic():
            decision.save()
            for line in lines:
                line.restructuring = decision
            decision.lines.model.objects.bulk_create(lines)
            try:
                restructuring.apply(decision, decision.created_by)
            except restructuring.Refused as refused:
                raise CommandError(
                    "\n".join(str(m) for m in refused.messages)
                ) from refused
        self.stdout.write(f"Applied {decision.number} ({decision.public_id}).")

    def errors(self, errors):
        return "\n".join(
            (f"Line {number}: {message}" if number else str(message))
            for number, message in errors
        )

    def print_preview(self, result):
        touched = result.touched()
        self.stdout.write("Before:")
        for depth, row in result.tree_before(touched):
            mark = " (ends)" if row.pk in result.ended_rows else ""
            self.stdout.write(f"{'  ' * depth}{row.code}  {row.name}{mark}")
        self.stdout.write("After:")
        copies = result.copies()
        for depth, node in result.tree_after(touched):
            mark = (
                " (new)"
                if node.is_new
                else " (continues)"
                if node.key in copies
                else ""
            )
            self.stdout.write(f"{'  ' * depth}{node.code}  {node.name}{mark}")
        changes = result.member_changes()
        self.stdout.write(f"Members who change organization: {len(changes)}")
        for change in changes:
            self.stdout.write(
                f"  {change.member.card_number}  {change.member.full_name}: "
                f"{change.before.code} → {change.after.code} (line {change.line})"
            )
        self.stdout.write(
            f"Members who follow their organization: {result.following()}"
        )


def day(text, option):
    try:
        return datetime.date.fromisoformat(text)
    except (TypeError, ValueError) as error:
        raise CommandError(f"{option}: {error}") from error


def committee(code):
    tops = Organization.objects.current()
    found = tops.filter(code=code) if code else tops.filter(parent__isnull=True)
    found = found.order_by("path").first()
    if found is None:
        raise CommandError(f"No current organization with code {code}.")
    return found


def user(username):
    users = get_user_model().objects
    found = (
        users.filter(username=username)
        if username
        else users.filter(is_superuser=True).order_by("pk")
    ).first()
    if found is None:
        raise CommandError(
            f"No user {username}." if username else "Give --user: no superuser exists."
        )
    return found
