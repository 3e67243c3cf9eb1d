"""Results of a cycle: an organization's, a person's across years, and the flags."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from members.models import Member
from organizations.models import Organization

from .. import results
from ..access import get_cycle, get_cycle_organization
from ..cycles.views import cycle_roles
from ..links import links
from ..lists import narrowed
from ..models import Rating, ReportJob, ReviewCycle
from ..reports import pipeline

PAGE_SIZE = 100


def sees(user, organization_ref):
    """Whether the user may open the results of the organization referred to."""
    return Exists(Organization.objects.visible_to(user).filter(pk=organization_ref))


@login_required
@require_GET
def organization_results(request, public_id, organization_id):
    cycle = get_cycle(request.user, public_id)
    organization = get_cycle_organization(request.user, cycle, organization_id)
    show = cycle.pk in results.decisions_shown(request.user, [cycle])
    levels = list(cycle.regime.levels.all())
    ancestors = list(
        Organization.objects.ancestors_of(organization)
        .annotate(user_sees=sees(request.user, OuterRef("pk")))
        .filter(path__startswith=cycle.superior.path)
        .exclude(pk=cycle.superior_id)
    )
    collectives = results.with_chain(
        cycle.reviews.collectives().filter(organization=organization), show
    )
    members = cycle.reviews.individuals().filter(
        organization__path__startswith=organization.path
    )
    counted = results.counts_by_organization(members, show)
    in_order = members.select_related("member", "organization__parent").order_by(
        "organization__path", "meeting_rank", "sort_key", "pk"
    )
    page = Paginator(results.with_chain(in_order, show), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "reviews/results_organization.html",
        {
            "cycle": cycle,
            "organization": organization,
            "show_decisions": show,
            "notification_refused": pipeline.refusal(
                request.user, ReportJob.Kind.NOTIFICATION, cycle
            ),
            "reads_overview": cycle_roles(request.user, cycle)[1],
            "ancestors": ancestors,
            "collectives": [results.attach_chain(r, show) for r in collectives],
            "levels": levels,
            "counts": results.level_table(levels, results.under(counted)),
            # The group its members are decided in: that of their grassroots
            # organization, or above them one the whole cycle shares.
            "quota": results.member_quota(
                cycle,
                results.grassroots_of(organization, ancestors) or organization,
                levels,
                show,
            ),
            "page": page,
            "members": [results.attach_chain(review, show) for review in page],
            "children": results.subordinates(
                cycle, organization, levels, counted, show
            ),
            "predecessors": results.predecessor_results(request.user, organization),
            "other_cycles": list(
                ReviewCycle.objects.visible_to(request.user)
                .filter(superior__in=Organization.objects.same_line_as(cycle.superior))
                .exclude(pk=cycle.pk)
                .order_by("-starts_on")
            ),
        },
    )


@login_required
@require_GET
def person_results(request, member_id):
    member = get_object_or_404(
        Member.objects.visible_to(request.user).select_related("organization"),
        public_id=member_id,
    )
    reviews = list(
        member.reviews.select_related(
            "cycle__regime", "cycle__superior", "organization"
        )
        .annotate(organization_visible=sees(request.user, OuterRef("organization_id")))
        .order_by("-cycle__starts_on", "-cycle__pk")
    )
    shown = results.decisions_shown(request.user, [r.cycle for r in reviews])
    ratings = Rating.objects.filter(
        ~Q(stage=Rating.Stage.DECISION) | Q(review__cycle__in=shown)
    ).select_related("level", "set_by")
    prefetch_related_objects(reviews, Prefetch("ratings", queryset=ratings))
    return render(
        request,
        "reviews/results_person.html",
        {
            "member": member,
            "reviews": [
                results.attach_chain(review, review.cycle_id in shown)
                for review in reviews
            ],
            "own": member.user_id == request.user.pk,
        },
    )


@login_required
@require_GET
def flags(request, public_id):
    cycle = get_cycle(request.user, public_id)
    # Staff and leaders see the whole tree they hold a role in; secretaries
    # their subtree; members without a role in the tree see no one's flags.
    organizations = Organization.objects.visible_to(request.user).subtree_of(
        cycle.superior
    )
    if not organizations.exists():
        raise PermissionDenied
    narrowed_by = narrowed(request, organizations, cycle)
    cycles = results.yearly_cycles(cycle)
    shown = results.decisions_shown(request.user, cycles)
    excellent, failing = results.flags(cycles, narrowed_by.organizations, shown)
    if excellent or failing:
        # A province's list holds thousands of rows, two links each.
        person = links("reviews:person_results")
        organization = links("reviews:organization_results", cycles[0].public_id)
        for flag in (*excellent, *failing):
            flag.person_url = person(flag.row["member_public_id"])
            flag.organization_url = organization(flag.row["organization_public_id"])
    counted = results.consecutive([c for c in cycles if c.pk in shown])
    return render(
        request,
        "reviews/results_flags.html",
        {
            "cycle": cycle,
            "reads_overview": cycle_roles(request.user, cycle)[1],
            "cycles": counted if cycles and cycles[0].pk in shown else [],
            "first_year": counted[-1].year if counted else None,
            "newest": cycles[0] if cycles else None,
            "before_decisions": cycle.status in results.BEFORE_DECISIONS,
            "excellent": excellent,
            "failing": failing,
            "excellent_run": results.EXCELLENT_RUN,
            "failing_run": results.FAILING_RUN,
            **narrowed_by.context(),
        },
    )
