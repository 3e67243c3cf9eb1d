import pytest
from django.db import connection
from django.test import TestCase


@pytest.mark.usefixtures("require_postgres")
class PostgresTests(TestCase):
    def test_subtree_reads_have_a_prefix_index(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                ["organization_path_like"],
            )
            (definition,) = cursor.fetchone()
        self.assertIn("varchar_pattern_ops", definition)

    def test_member_search_text_is_folded_on_postgresql(self):
        from members.models import Member

        from ..factories import MemberFactory

        MemberFactory(full_name="Đinh Thị Ánh Nguyệt")
        self.assertEqual(Member.objects.search("DINH thi anh nguyet").count(), 1)
