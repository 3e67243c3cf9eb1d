"""A review's status badge: the colour of each status, the label escaped."""

from django.template import Context, Template
from django.test import SimpleTestCase

from reviews.models import Review

BADGE = Template("{% load badges %}{% status_badge status label %}")


class StatusBadgeTests(SimpleTestCase):
    def badge(self, status, label):
        return BADGE.render(Context({"status": status, "label": label}))

    def test_each_status_has_its_colour(self):
        for status, colour in (
            (Review.Status.SUBMITTED, "text-bg-success"),
            (Review.Status.RETURNED, "text-bg-danger"),
            (Review.Status.DRAFT, "text-bg-warning"),
            ("missing", "text-bg-secondary"),
        ):
            with self.subTest(status=status):
                self.assertEqual(
                    self.badge(status, "Nhãn"),
                    f'<span class="badge {colour}">Nhãn</span>',
                )

    def test_the_label_is_escaped_as_a_template_would(self):
        label = "<b>Đã nộp</b> & \"x\" 'y'"
        expected = Template("{{ label }}").render(Context({"label": label}))
        self.assertEqual(
            self.badge(Review.Status.SUBMITTED, label),
            f'<span class="badge text-bg-success">{expected}</span>',
        )

    def test_a_lazy_label_is_translated(self):
        label = Review.Status.SUBMITTED.label
        self.assertIn(f">{label}</span>", self.badge(Review.Status.SUBMITTED, label))
