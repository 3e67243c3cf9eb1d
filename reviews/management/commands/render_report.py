from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from members.models import Member
from organizations.models import Organization

from ...models import ReportJob, Review
from ...reports import pipeline
from ...reports.documents import DocumentUnavailable


class Command(BaseCommand):
    help = "Render one review document to a PDF file, without a worker."

    def add_arguments(self, parser):
        parser.add_argument("kind", help=", ".join(pipeline.SINGLE_KINDS))
        parser.add_argument(
            "subject",
            help="A member's card number, an organization's code, or for the "
            "summary the superior committee's code.",
        )
        parser.add_argument("--cycle", required=True, help="Year or public id.")
        parser.add_argument("-o", "--output", required=True, type=Path)

    def handle(self, *args, kind, subject, cycle, output, **options):
        if kind not in pipeline.SINGLE_KINDS:
            raise CommandError(
                _("Unknown document %(kind)s; choose one of: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(pipeline.SINGLE_KINDS)}
            )
        found = pipeline.cycle_for_code(cycle)
        if found is None:
            raise CommandError(_("No review cycle %(cycle)s.") % {"cycle": cycle})
        review, organization = self.subject(kind, found, subject)
        try:
            content = pipeline.default_render(
                kind, found, review=review, organization=organization
            )
        except DocumentUnavailable as unavailable:
            raise CommandError(str(unavailable)) from unavailable
        output.write_bytes(content)
        self.stdout.write(
            _("Wrote %(path)s (%(size)d bytes).")
            % {"path": output, "size": len(content)}
        )

    def subject(self, kind, cycle, code):
        if kind == ReportJob.Kind.INDIVIDUAL_FORM:
            review = (
                Review.objects.individuals()
                .select_related("organization", "member")
                .filter(cycle=cycle, member__card_number=code)
                .first()
            )
            if review is None:
                exists = Member.objects.filter(card_number=code).exists()
                message = (
                    _("Member %(code)s has no review form in %(cycle)s.")
                    if exists
                    else _("No Party member with card number %(code)s.")
                )
                raise CommandError(message % {"code": code, "cycle": cycle})
            return review, None
        organization = (
            Organization.objects.subtree_of(cycle.superior).filter(code=code).first()
        )
        if organization is None:
            raise CommandError(
                _("No organization %(code)s in the tree of %(cycle)s.")
                % {"code": code, "cycle": cycle}
            )
        if kind == ReportJob.Kind.SUMMARY:
            if organization.pk != cycle.superior_id:
                raise CommandError(
                    _("The summary is issued by %(superior)s, not %(code)s.")
                    % {"superior": cycle.superior.code, "code": code}
                )
            return None, None
        return None, organization
