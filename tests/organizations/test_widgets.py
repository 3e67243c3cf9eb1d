"""The organization pickers' markup: a plain select the browser can search."""

from django import forms
from django.test import TestCase
from django.utils import translation

from organizations.models import Organization, OrganizationKind
from organizations.widgets import OrganizationSelect, OrganizationSelectMultiple

from ..factories import OrganizationFactory


class PickerForm(forms.Form):
    one = forms.ModelChoiceField(
        queryset=Organization.objects.order_by("path"),
        to_field_name="public_id",
        required=False,
        empty_label="— không phải tổ chức —",
        widget=OrganizationSelect,
    )
    many = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.order_by("path"),
        to_field_name="public_id",
        widget=OrganizationSelectMultiple(attrs={"size": 10}),
    )


def options(form, name):
    """(value, data-search, data-parent) of each option, as rendered."""
    bound = form[name]
    widget = bound.field.widget
    context = widget.get_context(bound.html_name, bound.value(), {})
    return [
        (
            str(option["value"]),
            option["attrs"].get("data-search"),
            option["attrs"].get("data-parent"),
        )
        for _group, group_options, _index in context["widget"]["optgroups"]
        for option in group_options
    ]


class OrganizationSelectTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.city = OrganizationFactory(
            code="TU",
            name="Đảng bộ thành phố Kon Tum",
            kind=OrganizationKind.SUPERIOR_COMMITTEE,
            org_type=None,
        )
        cls.ward = OrganizationFactory(
            code="P01",
            name="Đảng bộ phường Quyết Thắng",
            kind=OrganizationKind.GRASSROOTS_COMMITTEE,
            parent=cls.city,
        )
        cls.cell = OrganizationFactory(
            code="P01.A", name="Chi bộ Thôn 1", parent=cls.ward
        )

    def test_options_carry_the_folded_name_code_and_listed_parent(self):
        self.assertEqual(
            options(PickerForm(), "one"),
            [
                ("", "— khong phai to chuc —", None),
                (str(self.city.public_id), "dang bo thanh pho kon tum | tu", None),
                (
                    str(self.ward.public_id),
                    "dang bo phuong quyet thang | p01 | dang bo thanh pho kon tum",
                    "Đảng bộ thành phố Kon Tum",
                ),
                (
                    str(self.cell.public_id),
                    "chi bo thon 1 | p01.a | dang bo phuong quyet thang",
                    "Đảng bộ phường Quyết Thắng",
                ),
            ],
        )

    def test_a_parent_not_listed_is_not_named(self):
        form = PickerForm()
        form.fields["one"].queryset = Organization.objects.filter(pk=self.cell.pk)
        with self.assertNumQueries(1):
            rendered = options(form, "one")
        self.assertEqual(rendered[1][1:], ("chi bo thon 1 | p01.a", None))

    def test_the_select_is_marked_and_keeps_its_choice_without_javascript(self):
        with translation.override("vi"):
            html = str(PickerForm({"many": [str(self.ward.public_id)]})["many"])
        self.assertIn("data-searchable", html)
        self.assertIn('data-searchable-empty="Không có tổ chức nào phù hợp."', html)
        self.assertIn('data-searchable-remove="Xóa"', html)
        self.assertIn("multiple", html)
        self.assertRegex(html, rf'value="{self.ward.public_id}" selected[ >]')
        self.assertEqual(html.count(" selected"), 1)
