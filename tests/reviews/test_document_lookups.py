"""A review document's lookups, compiled once per process
(reviews/reports/documents/lookups.py), read the rows the querysets of the
earlier code read, and the SQL Django compiles for them."""

from django.db import DEFAULT_DB_ALIAS, connection

from reviews.models import FocusArea, MeetingItem, Review, Suggestion, SuggestionItem
from reviews.reports.documents.lookups import REVIEW_DOCUMENT_LOOKUPS as LOOKUPS
from reviews.reports.documents.review_contexts import head_name, load_review
from reviews.review_forms.forms import addressed_items
from tests.kontum_review.test_compiled import fresh_sql, lengths, row
from tests.reviews.test_report_documents import DocumentData


def rows(found, parent=None):
    """The rows as row() gives them; a related manager's also carry their
    `parent` (the instance it was read from), which the lookups' do not."""
    found = [row(item) if hasattr(item, "_state") else item for item in found]
    for _values, related in found if parent else ():
        related.pop(parent, None)
    return found


class ReviewDocumentLookupTests(DocumentData):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        suggestion = Suggestion.objects.create(
            cycle=cls.cycle, organization=cls.cell_a, issued_on="2026-11-20"
        )
        for number in (2, 1):
            SuggestionItem.objects.create(
                suggestion=suggestion,
                number=number,
                focus_area=FocusArea.objects.get(code="land-certificates"),
                text=f"Việc thứ {number} của chi bộ.",
            )

    def uses(self):
        """(name, lookup, values, what the earlier code read, the parent its
        rows carry), for a member's review and a collective's."""
        for review in (self.review_a, self.collective_a):
            template, regime = review.template, review.cycle.regime
            yield (
                f"sections of {review}",
                LOOKUPS.sections,
                {"template_id": template.pk},
                template.sections.all(),
                "template",
            )
            yield (
                f"criteria of {review}",
                LOOKUPS.criteria,
                {"template_id": template.pk},
                template.criteria.all(),
                "template",
            )
            yield (
                f"carry-over items of {review}",
                LOOKUPS.carry_over,
                {"review_id": review.pk},
                review.carry_over_items.all(),
                "review",
            )
            yield (
                f"ratings of {review}",
                LOOKUPS.ratings,
                {"review_id": review.pk},
                review.ratings.select_related("level", "set_by").order_by("set_at"),
                "review",
            )
            yield (
                f"levels of {review}",
                LOOKUPS.levels,
                {"regime_id": regime.pk},
                regime.levels.all(),
                "regime",
            )
            yield (
                f"answers of {review}",
                LOOKUPS.answers,
                {"review_id": review.pk},
                review.suggestion_answers.values_list("item_id", "text"),
                None,
            )
            first = (
                MeetingItem.objects.filter(review=review)
                .select_related("meeting", "proposed_rating")
                .first()
            )
            yield (
                f"meeting item of {review}",
                LOOKUPS.meeting_item,
                {"review_id": review.pk},
                [first] if first else [],
                None,
            )
        yield (
            "a member's suggestion items",
            LOOKUPS.member_items,
            {"cycle_id": self.cycle.pk, "member_id": self.review_a.member_id},
            addressed_items(self.review_a),
            None,
        )
        yield (
            "an organization's suggestion items",
            LOOKUPS.organization_items,
            {"cycle_id": self.cycle.pk, "organization_id": self.cell_a.pk},
            addressed_items(self.collective_a),
            None,
        )

    def test_the_rows_are_those_the_querysets_read(self):
        found_some = set()
        for name, lookup, values, earlier, parent in self.uses():
            with self.subTest(name):
                found = rows(lookup.all(**values))
                self.assertEqual(found, rows(earlier, parent))
                if found:
                    found_some.add(name.split(" of ")[0])
        # Each kind of lookup is compared on rows, not only on nothing.
        self.assertGreaterEqual(
            found_some,
            {"sections", "criteria", "carry-over items", "ratings", "levels"}
            | {"answers", "meeting item", "a member's suggestion items"}
            | {"an organization's suggestion items"},
        )

    def test_the_sql_is_what_django_compiles_for_the_values(self):
        for name, lookup, values, _earlier, _parent in self.uses():
            with self.subTest(name):
                ready = lookup.prepare(
                    DEFAULT_DB_ALIAS, (), None, lengths(lookup, values)
                )
                self.assertEqual(
                    ready.sql_with_params(connection, values),
                    fresh_sql(lookup, (), None, values),
                )

    def test_the_review_carries_what_it_did(self):
        for review in (self.review_a, self.collective_a):
            with self.subTest(review=review):
                earlier = Review.objects.select_related(
                    "cycle__regime",
                    "cycle__superior",
                    "template",
                    "organization__parent",
                    "member",
                    "self_rating",
                ).get(pk=review.pk)
                self.assertEqual(row(load_review(review.pk)), row(earlier))

    def test_the_head_is_named_as_before(self):
        Review.objects.filter(pk=self.review_a.pk).update(meeting_rank=Review.Rank.HEAD)
        head = Review.objects.filter(
            cycle=self.cycle,
            organization=self.cell_a,
            kind=Review.Kind.INDIVIDUAL,
            meeting_rank=Review.Rank.HEAD,
        ).values_list("subject_name", flat=True)
        self.assertTrue(head.exists())
        self.assertEqual(head_name(self.cycle, self.cell_a), head.first())
        self.assertEqual(head_name(self.cycle, self.committee), "")
