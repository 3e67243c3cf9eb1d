"""One review looked up by its key is scoped as the lists are.

get_review checks the row it finds (Review.objects.visible_row_to) instead of
listing every organization the user may see first; both must let the same
people see the same reviews.
"""

from django.contrib.auth.models import AnonymousUser

from reviews.access import get_review, manages, manages_review
from reviews.models import Review

from ..factories import UserFactory
from ..personas import CyclePersonasTestCase


class ReviewVisibilityTests(CyclePersonasTestCase):
    def readers(self):
        return {
            "staff": self.staff,
            "secretary of A": self.secretary_a,
            "secretary of B": self.secretary_b,
            "leader of the ward": self.leader,
            "member of A": self.member_user,
            "no role": UserFactory(username="nobody"),
            "superuser": UserFactory(username="root", is_superuser=True),
            "anonymous": AnonymousUser(),
        }

    def test_row_by_row_equals_the_list(self):
        every = set(Review.objects.values_list("pk", flat=True))
        seen = {}
        for name, user in self.readers().items():
            with self.subTest(name):
                listed = set(
                    Review.objects.visible_to(user).values_list("pk", flat=True)
                )
                checked = set(
                    Review.objects.visible_row_to(user).values_list("pk", flat=True)
                )
                self.assertEqual(checked, listed)
                seen[name] = listed
        # The scopes differ, so the equality above compares something.
        self.assertEqual(seen["superuser"], every)
        self.assertEqual(seen["staff"], every)
        self.assertEqual(seen["anonymous"], set())
        self.assertEqual(seen["no role"], set())
        self.assertEqual(seen["member of A"], {self.review_a.pk})
        self.assertIn(self.collective_a.pk, seen["secretary of A"])
        self.assertNotIn(self.collective_a.pk, seen["secretary of B"])
        self.assertLess(seen["secretary of A"], seen["leader of the ward"])

    def test_get_review_answers_404_outside(self):
        from django.http import Http404

        self.assertEqual(
            get_review(self.secretary_a, self.collective_a.public_id),
            self.collective_a,
        )
        self.assertEqual(
            get_review(self.member_user, self.review_a.public_id), self.review_a
        )
        for user, review in [
            (self.secretary_b, self.collective_a),
            (self.member_user, self.collective_a),
            (AnonymousUser(), self.review_a),
        ]:
            with self.subTest(user=str(user)), self.assertRaises(Http404):
                get_review(user, review.public_id)

    def test_the_manager_flag_read_with_the_review_equals_manages(self):
        """get_review reads whether the user fills and returns the review's
        organization's forms in the same query: it must say what
        access.manages says, for every reader and every review they see."""
        managed = {}
        for name, user in self.readers().items():
            if not user.is_authenticated:
                continue
            for review in Review.objects.visible_to(user).select_related(
                "organization"
            ):
                with self.subTest(name, review=review.subject_name):
                    found = get_review(user, review.public_id)
                    expected = manages(user, review.organization)
                    self.assertIs(found.user_manages, expected)
                    self.assertIs(manages_review(user, found), expected)
                    managed.setdefault(name, set()).add(expected)
        # Both answers occur, so the equality above compares something.
        self.assertEqual(managed["secretary of A"], {True})
        self.assertEqual(managed["staff"], {True})
        self.assertEqual(managed["leader of the ward"], {False})
        self.assertEqual(managed["member of A"], {False})
        self.assertEqual(managed["superuser"], {True})
