"""The rule book's and the leadership's queries, compiled once per process
(kontum_review/compiled.py): a form's warnings read the rules of its one
subject, and building these queries cost Django more than PostgreSQL takes
to answer them. A decision page's many subjects pass lists longer than a
compiled lookup takes, and are built as before."""

import functools

from django.db.models import Q

from kontum_review.compiled import Compiled, Many, key_of
from organizations.models import Organization

from ..models import (
    Conclusion,
    CyclePost,
    Discipline,
    IndicatorValue,
    Rating,
    Review,
)


def dated_records(model, date):
    """The records of the members or the organizations given, dated in the
    period from `starts` to `ends`."""
    field = model._meta.get_field(date)
    return Compiled(
        lambda *, members, organizations, starts, ends: model.objects.filter(
            Q(member_id__in=members) | Q(organization_id__in=organizations),
            **{f"{date}__range": (starts, ends)},
        ),
        members=Many(key_of(model, "member")),
        organizations=Many(key_of(model, "organization")),
        starts=field,
        ends=field,
    )


class RuleLookups:
    @functools.cached_property
    def disciplines(self):
        return dated_records(Discipline, "decided_on")

    @functools.cached_property
    def conclusions(self):
        return dated_records(Conclusion, "concluded_on")

    @functools.cached_property
    def names(self):
        return Compiled(
            lambda *, organizations: Organization.objects.filter(
                pk__in=organizations
            ).values_list("pk", "name"),
            organizations=Many(Organization._meta.pk),
        )

    @functools.cached_property
    def targets(self):
        return Compiled(
            lambda *, cycle_id, organizations: IndicatorValue.objects.filter(
                cycle_id=cycle_id, organization_id__in=organizations
            ).select_related("indicator"),
            cycle_id=key_of(IndicatorValue, "cycle"),
            organizations=Many(key_of(IndicatorValue, "organization")),
        )

    @functools.cached_property
    def scores(self):
        return Compiled(
            lambda *, reviews: Rating.objects.filter(review__in=reviews).values_list(
                "review_id", "stage", "score"
            ),
            reviews=Many(Review._meta.pk),
        )

    @functools.cached_property
    def collective_codes(self):
        """The collectives' levels at the stages given (the shape)."""
        return Compiled(
            lambda stages, *, cycle_id, organizations: Rating.objects.filter(
                review__cycle_id=cycle_id,
                review__kind=Review.Kind.ORGANIZATION,
                review__organization_id__in=organizations,
                stage__in=stages,
            ).values_list("review__organization_id", "stage", "level__code"),
            cycle_id=key_of(Review, "cycle"),
            organizations=Many(key_of(Review, "organization")),
        )

    @functools.cached_property
    def posts(self):
        """The posts held by the subjects given, or in the organizations given."""
        return Compiled(
            lambda *, cycle_id, reviews, organizations: (
                CyclePost.objects.filter(
                    Q(review__in=reviews) | Q(organization__in=organizations),
                    cycle_id=cycle_id,
                )
                .order_by()
                .values_list(
                    "review_id", "review__member_id", "organization_id", "kind"
                )
            ),
            cycle_id=key_of(CyclePost, "cycle"),
            reviews=Many(Review._meta.pk),
            organizations=Many(key_of(CyclePost, "organization")),
        )

    @functools.cached_property
    def leaders(self):
        """The members reviewed with a leadership collective: those among the
        subjects given, or with the collectives of the organizations given.
        The shape says which side of the "or" is asked (Leadership)."""

        def make(with_reviews, with_organizations, *, cycle_id, reviews, organizations):
            seated = Q()
            if with_reviews:
                seated |= Q(pk__in=reviews)
            if with_organizations:
                seated |= Q(
                    leadership_review__cycle_id=cycle_id,
                    leadership_review__kind=Review.Kind.LEADERSHIP,
                    leadership_review__organization__in=organizations,
                )
            return (
                Review.objects.filter(
                    cycle_id=cycle_id,
                    kind=Review.Kind.INDIVIDUAL,
                    leadership_review__isnull=False,
                )
                .filter(seated)
                .values_list("pk", "member_id", "leadership_review__organization_id")
            )

        return Compiled(
            make,
            cycle_id=key_of(Review, "cycle"),
            reviews=Many(Review._meta.pk),
            organizations=Many(key_of(Review, "organization")),
        )


RULE_LOOKUPS = RuleLookups()
