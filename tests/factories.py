import datetime

import factory
from django.contrib.auth import get_user_model

from members.models import Member
from members.posts import add_posts_from_text
from organizations.models import Organization, OrganizationKind, OrganizationType, Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("kontum-demo")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"ORG{n:05d}")
    name = factory.Sequence(lambda n: f"Chi bộ {n}")
    kind = OrganizationKind.CELL
    org_type = factory.LazyFunction(lambda: OrganizationType.objects.get(code="phuong"))


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    full_name = "Nguyễn Văn An"
    gender = Member.Gender.MALE
    date_of_birth = datetime.date(1980, 5, 1)
    card_number = factory.Sequence(lambda n: f"{n:08d}")
    admitted_on = datetime.date(2005, 3, 2)
    full_member_on = datetime.date(2006, 3, 2)
    standing = Member.Standing.FULL
    organization = factory.SubFactory(OrganizationFactory)

    @factory.post_generation
    def posts(self, create, extracted, **kwargs):
        """The posts the Party post's text names, as the member import reads
        them: "Bí thư" heads the member's cell."""
        if create:
            add_posts_from_text(self)


def grant(user, organization, kind):
    return Role.objects.create(user=user, organization=organization, kind=kind)


def reseed_reference_data():
    """Put back what the data migrations seed, after a TransactionTestCase flush."""
    from importlib import import_module

    from django.apps import apps

    for module in (
        "organizations.migrations.0002_seed_organization_types",
        "reviews.migrations.0002_seed_regimes_and_focus_areas",
        "reviews.migrations.0004_seed_form_templates",
        "reviews.migrations.0011_seed_posts_and_collective_criteria",
    ):
        import_module(module).seed(apps, None)


def make_head(review):
    """Record the subject of `review` as the secretary of the cell reviewing
    them, in its cycle, as opening the cycle copies a secretary's post."""
    from reviews.models import CyclePost

    return CyclePost.objects.create(
        cycle=review.cycle,
        review=review,
        organization=review.organization,
        kind="secretary",
    )
