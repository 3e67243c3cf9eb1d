"""Results, remedy plans and statistics: what a committee reports upward.

Each reads through the functions the pages use (reviews/results/,
reviews/remedies/, reviews/statistics/), so the API and the pages cannot
count differently.
"""

import copy
from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins
from rest_framework.response import Response

from reviews import remedies, results, statistics
from reviews.dashboard.scope import read_scope
from reviews.models import Rating, RemedyAction, Review, ReviewCycle
from reviews.remedies.forms import RemedyProgressForm
from reviews.remedies.views import get_action
from reviews.statistics.workbook import UNSUMMED_TABLES, total_row

from .. import serializers
from ..filters import (
    ListForm,
    RemedyPlanListForm,
    ResultListForm,
    chosen_cycle,
    in_subtree,
    read_query,
)
from .base import ApiView
from .schema import parameters


def reviews_in_query(request, form_class):
    """The reviews the token reads, narrowed by the query string."""
    user = request.user
    data = read_query(request, form_class)
    reviews = in_subtree(Review.objects.visible_to(user), user, data)
    cycle = None
    if data.get("cycle"):
        cycle = chosen_cycle(user, data["cycle"])
        reviews = reviews.filter(cycle=cycle)
    return reviews, data, cycle


def shown_cycles(user, cycle):
    """Ids of the cycles whose decisions the token sees (results.decisions_shown)."""
    if cycle is not None:
        cycles = [cycle]
    else:
        cycles = list(ReviewCycle.objects.visible_to(user).select_related("superior"))
    return results.decisions_shown(user, cycles)


@extend_schema_view(
    get=extend_schema(
        summary=_("Results"),
        description=_(
            "Each subject's rating: the final one (the superior committee's "
            "decision) or, until then, the latest proposal, with the chain of "
            "stages behind it. Before publication only a token at or above the "
            "cycle's committee sees decisions, as on the pages."
        ),
        parameters=parameters(ResultListForm),
    )
)
class ResultList(mixins.ListModelMixin, ApiView):
    serializer_class = serializers.ResultSerializer
    ordering = "pk"

    def get_queryset(self):
        reviews, data, cycle = reviews_in_query(self.request, ResultListForm)
        if data.get("kind"):
            reviews = reviews.filter(kind=data["kind"])
        self.shown = shown_cycles(self.request.user, cycle)
        ratings = Rating.objects.filter(
            ~Q(stage=Rating.Stage.DECISION) | Q(review__cycle__in=self.shown)
        ).select_related("level")
        return reviews.select_related(
            "cycle", "organization", "member"
        ).prefetch_related(Prefetch("ratings", queryset=ratings))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        for review in page:
            results.attach_chain(review, review.cycle_id in self.shown)
        return page

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


def mark_overdue(actions, today):
    for action in actions:
        action.overdue = action.is_overdue(today)
    return actions


@extend_schema_view(
    get=extend_schema(
        summary=_("Remedy plans"),
        description=_(
            "The subjects that have a remedy plan, each with its actions and how "
            "many are open, in progress, done and overdue."
        ),
        parameters=parameters(RemedyPlanListForm),
    )
)
class RemedyPlanList(mixins.ListModelMixin, ApiView):
    serializer_class = serializers.RemedyPlanSerializer
    ordering = "pk"

    def get_queryset(self):
        reviews, data, _cycle = reviews_in_query(self.request, RemedyPlanListForm)
        actions = RemedyAction.objects.filter(review=OuterRef("pk"))
        if data.get("status"):
            actions = actions.filter(status=data["status"])
        return (
            reviews.filter(Exists(actions))
            .select_related("cycle", "organization", "member")
            .prefetch_related(
                Prefetch(
                    "remedy_actions",
                    RemedyAction.objects.order_by("number"),
                    to_attr="plan_actions",
                )
            )
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        today = timezone.localdate()
        for review in page:
            mark_overdue(review.plan_actions, today)
            review.counts = remedies.plan_counts(review.plan_actions, today)
        return page

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


@extend_schema_view(
    get=extend_schema(summary=_("One remedy action")),
    patch=extend_schema(
        summary=_("Record the progress of a remedy action"),
        description=_(
            "Only the status and the evidence change, under the page's rules: "
            "closing an action needs its evidence, and a plan can be followed "
            "only once the ratings are decided. Needs a read-write token."
        ),
        request=serializers.RemedyProgressSerializer,
    ),
)
class RemedyActionDetail(ApiView):
    serializer_class = serializers.RemedyActionSerializer

    def get_object(self):
        action = get_action(self.request.user, self.kwargs["public_id"])
        self.check_object_permissions(self.request, action)
        action.overdue = action.is_overdue(timezone.localdate())
        return action

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)

    def patch(self, request, *args, **kwargs):
        action = self.get_object()
        review = action.review
        if not remedies.can_edit_plan(request.user, review):
            raise exceptions.PermissionDenied(
                _("This remedy plan cannot be changed in the cycle's current state.")
            )
        progress = serializers.RemedyProgressSerializer(data=request.data)
        progress.is_valid(raise_exception=True)
        form = progress_form(action, progress.validated_data)
        if not form.is_valid():
            raise exceptions.ValidationError(
                {field: list(errors) for field, errors in form.errors.items()}
            )
        action = remedies.save_action(form.save(commit=False), request.user)
        action.overdue = action.is_overdue(timezone.localdate())
        return Response(self.get_serializer(action).data)


def progress_form(action, changes):
    """The page's progress form, bound to the action as saved plus `changes`.

    It works on a copy, so a refused change leaves the action as it was.
    """
    data = {
        "status": action.status,
        "evidence": action.evidence,
        "content": action.content,
        "owner": action.owner,
        "deadline": action.deadline.isoformat(),
        "shortcoming": action.shortcoming,
        **changes,
    }
    decision = remedies.decision_of(action.review)
    return RemedyProgressForm(
        data, instance=copy.copy(action), decision_day=remedies.decided_on(decision)
    )


def statistics_scope(request):
    """The scope the statistics pages would read for this query string.

    reviews.dashboard.scope.read_scope falls back to the defaults on a bad
    value, which suits a page; an API says what is wrong (400) or that the
    cycle or organization is not the token's to read (404).
    """
    data = read_query(request, ListForm)
    params = QueryDict(mutable=True)
    for name, key in (("cycle", "cycle"), ("organization", "org"), ("type", "type")):
        if data.get(name):
            params[key] = str(data[name])
    scope = read_scope(SimpleNamespace(user=request.user, GET=params))
    if data.get("cycle") and scope.cycle.public_id != data["cycle"]:
        raise exceptions.NotFound
    return scope


def row_data(row, levels):
    return {
        "label": str(row.label),
        "organization": row.organization.public_id if row.organization else None,
        "levels": [
            {"level": level.code, "count": count, "share": share}
            for level, (count, share) in zip(levels, row.cells(levels), strict=True)
        ],
        "undecided": row.undecided,
        "total": row.total,
    }


def table_data(table, levels):
    summed = table.key not in UNSUMMED_TABLES
    return {
        "key": table.key,
        "title": str(table.title),
        "row_heading": str(table.row_heading),
        "rows": [row_data(row, levels) for row in table.rows],
        "total": row_data(total_row(table.rows), levels) if summed else None,
    }


@extend_schema_view(
    get=extend_schema(
        summary=_("Statistics"),
        description=_(
            "The statistics tables of a cycle for the token's subtree or an "
            "organization in it, counted exactly as the statistics workbook and "
            "the summary count them. Without `cycle`, the newest cycle under way."
        ),
        parameters=parameters(ListForm),
    )
)
class StatisticsView(ApiView):
    serializer_class = serializers.StatisticsSerializer
    pagination_class = None

    def get(self, request, *args, **kwargs):
        scope = statistics_scope(request)
        found = statistics.statistics_tables(
            scope.cycle, scope.root, scope.org_type, scope.show_decisions
        )
        levels = found["levels"]
        return Response(
            {
                "cycle": serializers.CycleSerializer(scope.cycle).data,
                "organization": serializers.OrganizationRefSerializer(scope.root).data,
                "type": scope.org_type.code if scope.org_type else None,
                "decisions_shown": scope.show_decisions,
                "levels": [{"code": lv.code, "name": lv.name} for lv in levels],
                "tables": [table_data(table, levels) for table in found["tables"]],
            }
        )
