"""The admin in Vietnamese, to the last word: no English left where Django's own
catalogue, django-axes' or the history library's stop short."""

from django.conf import settings
from django.urls import reverse

from ..factories import UserFactory
from ..personas import PersonasTestCase

ENGLISH = [
    "Show counts",
    "Hide counts",
    "Filter navigation items",
    "Select all objects on this page",
    "Select this object for an action",
    "Toggle theme",
    "Can add",
    "Can view",
    "historical",
    'alt="True"',
    'alt="False"',
    "Sessions |",
    "review tally",
    "Access failures",
    ">Axes<",
    "Axes |",
    "mô models",
]


class AdminVietnameseTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.root = UserFactory(username="root", is_staff=True, is_superuser=True)

    def setUp(self):
        self.client.force_login(self.root)
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"

    def english_left(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        html = response.content.decode()
        return [word for word in ENGLISH if word in html]

    def test_no_english_on_the_pages_a_superuser_opens(self):
        for url in (
            reverse("admin:index"),
            reverse("admin:members_member_changelist") + "?_facets=True",
            reverse("admin:auth_group_add"),
            reverse("admin:auth_user_change", args=[self.staff.pk]),
            reverse("admin:organizations_role_changelist"),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.english_left(url), [])

    def test_permissions_read_from_the_models_names(self):
        response = self.client.get(reverse("admin:auth_group_add"))
        self.assertContains(response, "Đảng viên | Có thể thêm đảng viên")
        self.assertContains(response, "Đảng viên | Có thể xem lịch sử của đảng viên")

    def test_yes_no_icons_speak_vietnamese(self):
        response = self.client.get(reverse("admin:members_member_changelist"))
        self.assertContains(response, 'alt="Không"')

    def test_date_and_time_inputs_have_their_own_labels(self):
        response = self.client.get(reverse("admin:reviews_notice_add"))
        self.assertContains(response, 'aria-label="Ngày"')
        self.assertContains(response, 'aria-label="Giờ"')

    def test_a_refused_form_and_a_tampered_inline_say_so_in_vietnamese(self):
        url = reverse("admin:auth_group_add")
        response = self.client.post(url, {"name": ""})
        self.assertContains(response, "Vui lòng sửa các lỗi dưới đây.")
        self.assertNotContains(response, "Please correct")

        member = reverse("admin:members_member_add")
        response = self.client.post(member, {"posts-TOTAL_FORMS": "abc"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Dữ liệu gửi lên của bảng nhiều dòng bị thiếu")
        self.assertNotContains(response, "tampered")
