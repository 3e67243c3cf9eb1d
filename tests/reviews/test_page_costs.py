"""The pages secretaries and members open all day cost little (issue 14, part 4).

Query counts are pinned here; bench/pages.py and bench/load.py measure the time.
"""

import json
import re
import uuid
from pathlib import Path

from django.conf import settings
from django.template import Context, Template, engines
from django.template.loaders.cached import Loader as CachedLoader
from django.test import SimpleTestCase
from django.test.utils import override_script_prefix
from django.urls import reverse

from members.models import PostKind
from reviews import guards, ratings, services, statistics
from reviews.links import form_links
from reviews.meetings.forms import AttendanceFormSet, MeetingDetailsForm, SubjectForm
from reviews.models import (
    CyclePost,
    Discipline,
    Meeting,
    Rating,
    Review,
    ReviewCycle,
)
from reviews.review_forms.forms import (
    ReviewContent,
    ReviewForm,
    control_html,
    field_group,
)

from ..kontum_review.test_settings import STRONG_KEY, run_django
from .test_review_form import ReviewFormTestCase

CRISPY_FIELD = Template("{% load crispy_forms_tags %}{{ field|as_crispy_field }}")


def tidy(html):
    """HTML without the whitespace next to tags, which a browser does not show."""
    return re.sub(r"\s*([<>])\s*", r"\1", re.sub(r"\s+", " ", str(html))).strip()


class ReviewFormCostTests(ReviewFormTestCase):
    """The form, opened and autosaved, in a fixed number of queries."""

    def setUp(self):
        # A saved self-rating: the page checks the rules it breaks.
        self.rating = self.level("HTTNV")
        Review.objects.filter(pk=self.review_a.pk).update(
            self_rating=self.rating, version=1
        )

    def autosave(self, **data):
        return self.client.post(
            self.url(self.review_a),
            {"version": 1, "self_rating": self.rating.pk, **data},
            HTTP_HX_REQUEST="true",
        )

    def test_member_opens_own_form(self):
        self.client.force_login(self.member_user)
        self.client.get(self.url(self.review_a))
        # Session, user, review (with whether it has carried-over and
        # suggestion items: it has none); the template's sections, levels and
        # criteria come from the cache; the rules: posts, disciplines,
        # conclusions, scores; the request's savepoint pair. The notices are
        # not read: the user's count, loaded with the user, says there are none.
        with self.assertNumQueries(9):
            response = self.client.get(self.url(self.review_a))
        self.assertContains(response, 'id="self-rating-warnings"')

    def test_secretary_opens_a_members_form(self):
        self.client.force_login(self.secretary_a)
        self.client.get(self.url(self.review_a))
        # As the member's: whether the secretary manages the cell is read
        # with the review.
        with self.assertNumQueries(9):
            self.client.get(self.url(self.review_a))

    def test_secretary_opens_the_cells_collective_report(self):
        Review.objects.filter(pk=self.collective_a.pk).update(self_rating=self.rating)
        self.client.force_login(self.secretary_a)
        self.client.get(self.url(self.collective_a))
        # Session, user, review; the rules: the posts held in the cell, its
        # leadership collective's members, disciplines, conclusions, scores;
        # the savepoint pair. The cell's name comes with the review, and a
        # cell has no reviewed organizations under it to ask for.
        with self.assertNumQueries(10):
            response = self.client.get(self.url(self.collective_a))
        self.assertContains(response, 'id="self-rating-warnings"')

    def test_autosave_of_a_text(self):
        self.client.force_login(self.member_user)
        self.client.get(self.url(self.review_a))
        # Session, user, the review held for the write; one UPDATE that checks
        # the version and the open cycle; its history row; the request's
        # savepoint pair (BEGIN and COMMIT outside a test). The form's parts
        # come from the cache, and the rules are not read again: the rating
        # did not change.
        with self.assertNumQueries(7):
            response = self.autosave(**{"text_I-1": "Đang viết"})
        self.assertContains(response, 'value="2" id="id_version"')
        self.assertNotContains(response, "self-rating-warnings")
        record = self.review_a.history.latest("history_date")
        self.assertEqual(record.history_user, self.member_user)
        self.assertEqual(record.answers["I-1"], "Đang viết")
        self.assertEqual(record.version, 2)

    def test_secretary_autosaves_a_members_form(self):
        self.client.force_login(self.secretary_a)
        self.client.get(self.url(self.review_a))
        # As the member's: whether the secretary manages the cell is read
        # with the review.
        with self.assertNumQueries(7):
            response = self.autosave(**{"text_I-1": "Đang viết"})
        self.assertContains(response, 'value="2" id="id_version"')
        review = Review.objects.get(pk=self.review_a.pk)
        self.assertEqual(review.saved_by, self.secretary_a)

    def test_autosave_of_the_rating_checks_its_rules(self):
        Discipline.objects.create(
            member=self.member_a,
            form=Discipline.Form.WARNING,
            decided_on="2026-06-01",
            violation="Vi phạm quy chế làm việc",
        )
        self.client.force_login(self.member_user)
        response = self.autosave(self_rating=self.level("HTXSNV").pk)
        self.assertContains(response, 'id="self-rating-warnings" hx-swap-oob')
        self.assertContains(response, "alert-warning")


class FormTemplateCacheTests(ReviewFormTestCase):
    """The form's cached parts follow every change of its template."""

    def setUp(self):
        self.client.force_login(self.member_user)
        # Fills the cache with the parts as they stand.
        self.client.get(self.url(self.review_a))
        self.template = self.review_a.template

    def test_a_changed_section_shows_on_the_next_opening(self):
        section = self.template.sections.get(key="I-1")
        section.heading = "Ưu điểm về tư tưởng chính trị (đã sửa)"
        section.save()
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "Ưu điểm về tư tưởng chính trị (đã sửa)")

    def test_a_deleted_criterion_leaves_the_form(self):
        criterion = self.template.criteria.order_by("position").first()
        self.assertContains(
            self.client.get(self.url(self.review_a)), f"score_{criterion.code}"
        )
        criterion.delete()
        response = self.client.get(self.url(self.review_a))
        self.assertNotContains(response, f'name="score_{criterion.code}"')

    def test_a_renamed_rating_level_shows_in_the_choice(self):
        level = self.level("HTTNV")
        level.name = "Hoàn thành tốt nhiệm vụ (đã sửa)"
        level.save()
        response = self.client.get(self.url(self.review_a))
        self.assertContains(response, "Hoàn thành tốt nhiệm vụ (đã sửa)")


class ConditionalSaveTests(ReviewFormTestCase):
    """A save is one conditional UPDATE that keeps what a model save did."""

    def test_a_cycle_closed_after_the_form_was_read_is_refused(self):
        review = Review.objects.get(pk=self.review_a.pk)
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(
            status=ReviewCycle.Status.PUBLISHED
        )
        records = review.history.count()
        with self.assertRaises(guards.CycleClosed):
            services.save_review(
                review, {"answers": {"I-1": "Muộn"}}, review.version, self.member_user
            )
        review.refresh_from_db()
        self.assertEqual(review.answers, {})
        self.assertEqual(review.history.count(), records)

    def test_a_stale_version_is_refused_with_the_current_row(self):
        review = Review.objects.get(pk=self.review_a.pk)
        Review.objects.filter(pk=review.pk).update(version=review.version + 1)
        with self.assertRaises(services.StaleVersion) as refused:
            services.save_review(
                review, {"answers": {"I-1": "Cũ"}}, review.version, self.member_user
            )
        self.assertEqual(refused.exception.current.version, review.version + 1)
        self.assertEqual(Review.objects.get(pk=review.pk).answers, {})

    def test_turning_a_new_form_into_a_draft_drops_the_cycles_figures(self):
        review = Review.objects.get(pk=self.review_a.pk)
        before = statistics.versions([self.cycle.pk])
        saved = services.save_review(
            review, {"answers": {"I-1": "Bắt đầu"}}, review.version, self.member_user
        )
        self.assertEqual(saved.status, Review.Status.DRAFT)
        self.assertNotEqual(statistics.versions([self.cycle.pk]), before)
        before = statistics.versions([self.cycle.pk])
        services.save_review(
            saved, {"answers": {"I-1": "Tiếp"}}, saved.version, self.member_user
        )
        self.assertEqual(statistics.versions([self.cycle.pk]), before)


class RenderedFieldsTests(ReviewFormTestCase):
    """Fields rendered once in Python read as crispy-forms and Django render them."""

    def assert_renders_as_before(self, form):
        for bound in form:
            with self.subTest(field=bound.name, bound=form.is_bound):
                expected = CRISPY_FIELD.render(Context({"field": bound}))
                self.assertEqual(tidy(field_group(bound)), tidy(expected))
                self.assertEqual(tidy(control_html(bound, {})), tidy(bound))

    def review_form(self, data=None):
        self.carry_over(self.review_a, "Hạn chế một")
        self.suggest("Gợi ý một", member=self.member_a)
        review = Review.objects.select_related("cycle__regime", "template").get(
            pk=self.review_a.pk
        )
        form = ReviewForm(data, content=ReviewContent.load(review))
        if data is not None:
            form.is_valid()
        return form

    def test_review_form(self):
        self.assert_renders_as_before(self.review_form())

    def test_review_form_with_errors(self):
        form = self.review_form(
            {
                "version": "x",
                "score_A1": "NaN",
                "self_rating": "999",
                "cond_tasks_on_time_percent": "300",
                "text_I-1": "<b>“Đang viết”</b> & more",
            }
        )
        self.assertTrue(form.errors)
        self.assert_renders_as_before(form)

    def test_meeting_forms(self):
        cycle = ReviewCycle.objects.get(pk=self.cycle.pk)
        levels = list(cycle.regime.levels.order_by("rank"))
        meeting = Meeting.objects.create(review=self.collective_a)
        item = meeting.items.create(order=0, review=self.collective_a)
        self.assert_renders_as_before(SubjectForm(item=item, levels=levels))
        subject = SubjectForm({"comments": "x" * 5}, item=item, levels=levels)
        subject.is_valid()
        self.assert_renders_as_before(subject)
        details = MeetingDetailsForm(
            {"held_on": "2020-01-01", "starts_at": "9", "version": "0"},
            instance=meeting,
            cycle=cycle,
        )
        details.is_valid()
        self.assert_renders_as_before(details)
        self.assert_renders_as_before(MeetingDetailsForm(cycle=cycle))

    def test_attendance_rows(self):
        meeting = Meeting.objects.create(review=self.collective_a)
        rows = [
            meeting.attendance.create(member=self.member_a, present=True),
            meeting.attendance.create(member=self.other_member_a, present=False),
        ]
        data = {
            "attendance-TOTAL_FORMS": "2",
            "attendance-INITIAL_FORMS": "2",
            "attendance-0-present": "on",
        }
        for formset in (
            AttendanceFormSet(rows=rows),
            AttendanceFormSet(data, rows=rows),
        ):
            formset.is_valid()
            for form in formset.forms:
                for name in ("present", "absence_reason"):
                    with self.subTest(field=name, bound=form.is_bound):
                        self.assertEqual(
                            tidy(control_html(form[name], {})), tidy(form[name])
                        )


class LeadershipForTests(ReviewFormTestCase):
    """The leadership read for a few subjects is the cycle's, as far as they go."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.review_b = cls.cycle.reviews.get(member=cls.member_b)
        cls.other_review_a = cls.cycle.reviews.get(member=cls.other_member_a)
        for review, organization, kind in (
            (cls.review_a, cls.cell_a, PostKind.SECRETARY),
            (cls.other_review_a, cls.cell_a, PostKind.DEPUTY),
            (cls.review_b, cls.cell_b, PostKind.SECRETARY),
            (cls.review_b, cls.ward, PostKind.COMMITTEE),
        ):
            CyclePost.objects.create(
                cycle=cls.cycle, review=review, organization=organization, kind=kind
            )
        # A leader reviewed with the ward's leadership collective, without a post.
        cls.leadership, _created = cls.cycle.reviews.get_or_create(
            kind=Review.Kind.LEADERSHIP,
            organization=cls.ward,
            defaults={"template": cls.collective_a.template},
        )
        cls.cycle.reviews.filter(pk=cls.other_review_a.pk).update(
            leadership_review=cls.leadership, is_leader=True
        )

    def test_each_subject_reads_what_the_whole_cycle_says(self):
        whole = ratings.Leadership(self.cycle)
        reviews = list(self.cycle.reviews.all())
        self.assertGreater(len(reviews), 4)
        for review in reviews:
            with self.subTest(review=review.subject_name):
                scoped = ratings.Leadership(self.cycle, [review])
                if review.member_id:
                    self.assertEqual(
                        sorted(scoped.held[review.pk]), sorted(whole.held[review.pk])
                    )
                    self.assertEqual(scoped.units[review.pk], whole.units[review.pk])
                else:
                    org = review.organization_id
                    self.assertEqual(scoped.members[org], whole.members[org])
                    self.assertEqual(
                        sorted(scoped.heads[org]), sorted(whole.heads[org])
                    )
                    self.assertEqual(scoped.leading[org], whole.leading[org])
        self.assertIn(self.other_review_a.pk, whole.leading[self.ward.pk])

    def test_the_rules_find_the_same(self):
        Discipline.objects.create(
            member=self.member_a,
            form=Discipline.Form.WARNING,
            decided_on="2026-06-01",
            violation="Vi phạm quy chế làm việc",
        )
        reviews = list(self.cycle.reviews.all())
        whole = ratings.RuleBook(self.cycle, reviews, stage=Rating.Stage.SELF)
        scoped = ratings.RuleBook(
            self.cycle,
            reviews,
            stage=Rating.Stage.SELF,
            leadership=ratings.Leadership(self.cycle, reviews),
        )
        for review in reviews:
            with self.subTest(review=review.subject_name):
                self.assertEqual(
                    [f.reason for f in scoped.findings(review)],
                    [f.reason for f in whole.findings(review)],
                )


SHOW_LOADERS = """
import django, json
django.setup()
from django.template import engines
engine = engines["django"].engine
print(json.dumps({
    "debug": engine.debug,
    "loaders": [type(loader).__module__ for loader in engine.template_loaders],
}))
"""


class TemplateLoaderTests(SimpleTestCase):
    def test_production_parses_each_template_once(self):
        result = run_django(
            "kontum_review.settings.prod",
            SHOW_LOADERS,
            SECRET_KEY=STRONG_KEY,
            ALLOWED_HOSTS="review.example",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        shown = json.loads(result.stdout)
        self.assertEqual(shown["loaders"], ["django.template.loaders.cached"])
        self.assertFalse(shown["debug"])

    def test_the_tests_render_with_the_same_loader(self):
        loaders = engines["django"].engine.template_loaders
        self.assertIsInstance(loaders[0], CachedLoader)


class FormLinksTests(SimpleTestCase):
    """A page's links to many forms, from one reverse(), are reverse()'s."""

    IDS = (uuid.uuid4(), uuid.UUID(int=0), uuid.UUID(int=2**128 - 1))

    def test_each_link_is_the_reversed_address(self):
        links = form_links()
        for public_id in self.IDS:
            with self.subTest(public_id=public_id):
                expected = reverse("reviews:review", args=[public_id])
                self.assertEqual(links(public_id), expected)

    def test_under_a_script_prefix(self):
        with override_script_prefix("/kontum/"):
            links = form_links()
            expected = reverse("reviews:review", args=[self.IDS[0]])
        self.assertTrue(expected.startswith("/kontum/"))
        self.assertEqual(links(self.IDS[0]), expected)


class MenuLinksTests(SimpleTestCase):
    """The menu's links, reversed once per process, are {% url %}'s."""

    def links(self):
        """{% menu_url %} and {% url %} for every name base.html links to."""
        source = Path(settings.BASE_DIR, "templates", "base.html").read_text()
        names = re.findall(r"\{% menu_url '([a-z_:]+)' %\}", source)
        self.assertGreaterEqual(len(names), 10)
        tags = "|".join(
            f"{{% menu_url '{name}' %}} {{% url '{name}' %}}" for name in names
        )
        rendered = Template("{% load links %}" + tags).render(Context())
        return [pair.split(" ") for pair in rendered.split("|")]

    def test_each_link_is_the_reversed_address(self):
        for cached, reversed_now in self.links():
            self.assertEqual(cached, reversed_now)

    def test_under_a_script_prefix(self):
        self.links()  # kept for the site's own prefix
        with override_script_prefix("/kontum/"):
            pairs = self.links()
        for cached, reversed_now in pairs:
            self.assertTrue(cached.startswith("/kontum/"), cached)
            self.assertEqual(cached, reversed_now)
