from django.urls import reverse

from ..personas import PersonasTestCase
from .helpers import client_for, issue

IDENTIFIERS = {"gender", "date_of_birth", "citizen_id", "email"}


class MemberFieldsTests(PersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.plain = client_for(issue(cls.ward, by=cls.staff)[1])
        cls.personal = client_for(
            issue(cls.ward, by=cls.staff, personal_identifiers=True)[1]
        )

    def test_personal_identifiers_only_with_the_tokens_scope(self):
        url = reverse("api:member", args=[self.member_a.public_id])
        plain = self.plain.get(url).json()
        self.assertEqual(plain["card_number"], self.member_a.card_number)
        self.assertEqual(plain["organization"]["code"], "P01.A")
        self.assertEqual(set(plain) & IDENTIFIERS, set())
        personal = self.personal.get(url).json()
        self.assertEqual(set(personal) & IDENTIFIERS, IDENTIFIERS)
        self.assertEqual(
            personal["date_of_birth"], self.member_a.date_of_birth.isoformat()
        )

    def test_lists_hide_them_too(self):
        rows = self.plain.get(reverse("api:members")).json()["results"]
        self.assertEqual(len(rows), 3)
        self.assertFalse(any(set(row) & IDENTIFIERS for row in rows))
