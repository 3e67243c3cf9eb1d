"""What every endpoint shares: constant queries, cursor pages, ETags, errors as
Vietnamese JSON, ISO dates, the per-token throttle and the access log."""

import datetime
from unittest import mock

from django.core.cache import cache
from django.urls import reverse

from api.models import ApiAccessLog, ApiToken
from api.throttling import TokenRateThrottle
from reviews.models import RemedyAction

from ..factories import MemberFactory
from ..personas import CyclePersonasTestCase
from .helpers import client_for, issue

# The queries of a list request, whatever its length: the token with its
# account and organization; the filter's organization; the page (and what it
# prefetches: posts, ratings, actions); the visible cycles and the roles that
# decide which decisions show (results); the access log and last use.
# (Two more are the savepoint of the request's transaction in a TestCase.)
LIST_QUERIES = {
    "api:organizations": 6,
    "api:members": 7,
    "api:results": 9,
    "api:remedy_plans": 7,
    "api:cycle_organizations": 7,
}


class ApiConventionTests(CyclePersonasTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.token, cls.key = issue(cls.committee, by=cls.staff)
        MemberFactory.create_batch(3, organization=cls.cell_a)
        for review in cls.cycle.reviews.filter(
            organization__in=[cls.cell_a, cls.cell_b]
        ):
            RemedyAction.objects.create(
                review=review,
                number=1,
                shortcoming="Chậm nộp đảng phí",
                content="Nộp đúng hạn",
                owner="Bí thư",
                deadline=datetime.date(2027, 6, 30),
            )

    def setUp(self):
        self.api = client_for(self.key)
        # The token's last use is written once a minute: written here, so the
        # counted requests all skip it.
        self.api.get(reverse("api:cycles"))

    def test_lists_run_a_constant_number_of_queries(self):
        for route, expected in LIST_QUERIES.items():
            args = [self.cycle.public_id] if route == "api:cycle_organizations" else []
            sizes = []
            for organization in (self.cell_b, self.committee):
                url = (
                    f"{reverse(route, args=args)}?organization={organization.public_id}"
                )
                with self.subTest(route=route, organization=organization.code):
                    with self.assertNumQueries(expected):
                        response = self.api.get(url)
                    self.assertEqual(response.status_code, 200)
                    sizes.append(len(response.json()["results"]))
            self.assertGreaterEqual(sizes[0], 1, route)
            self.assertGreater(sizes[1], sizes[0] + 1, route)

    def test_cursor_pages_walk_the_whole_list_once(self):
        url = f"{reverse('api:members')}?page_size=2"
        seen, pages = [], 0
        while url:
            body = self.api.get(url).json()
            seen += [row["id"] for row in body["results"]]
            url, pages = body["next"], pages + 1
        self.assertEqual(len(seen), len(set(seen)))
        self.assertEqual(len(seen), 6)
        self.assertEqual(pages, 3)

    def test_bad_page_parameters_are_400(self):
        for query, field in (("cursor=zzz", "cursor"), ("page_size=-1", "page_size")):
            with self.subTest(query=query):
                response = self.api.get(f"{reverse('api:members')}?{query}")
                self.assertEqual(response.status_code, 400)
                self.assertIn(field, response.json())

    def test_an_unchanged_resource_answers_304(self):
        url = reverse("api:member", args=[self.member_a.public_id])
        first = self.api.get(url)
        etag = first["ETag"]
        self.assertTrue(etag)
        again = self.api.get(url, HTTP_IF_NONE_MATCH=etag)
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
        self.member_a.workplace = "UBND phường"
        self.member_a.save()
        changed = self.api.get(url, HTTP_IF_NONE_MATCH=etag)
        self.assertEqual(changed.status_code, 200)
        self.assertNotEqual(changed["ETag"], etag)
        self.assertIn("Authorization", changed["Vary"])

    def test_dates_are_iso_8601(self):
        body = self.api.get(reverse("api:cycle", args=[self.cycle.public_id])).json()
        self.assertEqual(body["starts_on"], "2026-01-01")
        self.assertEqual(body["decision_due"], "2027-01-20")
        self.assertEqual(body["status"], "self_review")
        self.assertEqual(body["committee"]["code"], "TU")

    def test_errors_are_vietnamese_json_without_accept_language(self):
        cases = [
            (reverse("api:members") + "?status=nope", 400),
            (reverse("api:members") + "?organization=123", 400),
            (reverse("api:member", args=["7d1e1a9e-0000-4000-8000-000000000000"]), 404),
        ]
        for url, status in cases:
            with self.subTest(url=url):
                response = self.api.get(url, HTTP_ACCEPT_LANGUAGE="en")
                self.assertEqual(response.status_code, status)
                self.assertEqual(response["Content-Language"], "vi")
                text = str(response.json())
                self.assertTrue(
                    any(word in text for word in ("Đề nghị", "Không tìm thấy", "Hãy")),
                    text,
                )

    def test_a_json_body_that_does_not_parse_is_400(self):
        self.token.scope = ApiToken.Scope.READ_WRITE
        self.token.save()
        self.cycle.status = self.cycle.Status.DECIDED
        self.cycle.save()
        url = reverse(
            "api:remedy_action",
            args=[RemedyAction.objects.filter(review=self.review_a).get().public_id],
        )
        response = self.api.patch(url, "{not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["detail"],
            "Không đọc được nội dung yêu cầu: hãy gửi JSON hợp lệ hoặc biểu mẫu.",
        )

    def test_every_request_with_a_token_is_logged_even_refused(self):
        ApiAccessLog.objects.all().delete()
        self.api.get(reverse("api:members"))
        self.api.get(reverse("api:members") + "?status=nope")
        self.api.post(reverse("api:imports"), {"register": "members"})
        logged = list(
            ApiAccessLog.objects.order_by("pk").values_list("method", "status", "token")
        )
        self.assertEqual(
            logged,
            [
                ("GET", 200, self.token.pk),
                ("GET", 400, self.token.pk),
                ("POST", 403, self.token.pk),
            ],
        )
        self.token.refresh_from_db()
        self.assertIsNotNone(self.token.last_used_at)

    def test_each_token_is_throttled_on_its_own(self):
        other = client_for(issue(self.committee, by=self.staff)[1])
        url = reverse("api:cycles")
        with mock.patch.object(
            TokenRateThrottle, "THROTTLE_RATES", {"api_token": "3/min"}
        ):
            cache.clear()
            answers = [self.api.get(url).status_code for _ in range(4)]
            self.assertEqual(answers, [200, 200, 200, 429])
            refused = self.api.get(url)
            self.assertIn("Đã gửi quá nhiều yêu cầu.", refused.json()["detail"])
            self.assertIn("Hãy thử lại sau", refused.json()["detail"])
            self.assertTrue(refused["Retry-After"])
            self.assertEqual(other.get(url).status_code, 200)
