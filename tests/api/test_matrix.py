"""Every endpoint × every kind of token: who reads what, and how the rest are
refused (the pages' matrix, tests/kontum_review/test_permission_matrix.py,
extended to the API).

The world is the pages' (tests/matrix_world.py). A route with an object is
probed with the object of three places: cell A (in ward P01, in the city TU),
cell C (in the city, not in P01) and cell D (under another root, Đắk Hà).

    token           A     C     D
    none            401   401   401
    expired         401   401   401
    revoked         401   401   401
    ward (P01)      200   404   404
    city (TU)       200   200   404
    district (HDH)  404   404   200

A cycle route is probed with each place's probe cycle: the city's for A, the
other ward's own for C (which P01 does not read), Đắk Hà's for D.
"""

from django.test import TestCase
from django.urls import reverse

from api.models import ApiToken
from organizations.models import ImportJob

from ..matrix_world import build
from .helpers import client_for, issue

WRITE = ApiToken.Scope.READ_WRITE
TOKENS = ("none", "expired", "revoked", "ward", "city", "district")
EXPECT = {
    "none": ("401", "401", "401"),
    "expired": ("401", "401", "401"),
    "revoked": ("401", "401", "401"),
    "ward": ("200", "404", "404"),
    "city": ("200", "200", "404"),
    "district": ("404", "404", "200"),
}
PLACES = ("A", "C", "D")

OBJECT_ROUTES = {
    "api:organization": lambda place: place.org.public_id,
    "api:member": lambda place: place.member.public_id,
    "api:cycle": lambda place: place.probe_cycle.public_id,
    "api:cycle_organizations": lambda place: place.probe_cycle.public_id,
    "api:remedy_action": lambda place: place.remedy.public_id,
}
# Lists: what a token finds in them of each place.
LIST_ROUTES = {
    "api:organizations": ("id", lambda place: place.org.public_id),
    "api:members": ("id", lambda place: place.member.public_id),
    "api:cycles": ("id", lambda place: place.probe_cycle.public_id),
    "api:results": ("review", lambda place: place.review.public_id),
    "api:remedy_plans": ("review", lambda place: place.review.public_id),
}
# Routes with rules of their own below.
OTHER_ROUTES = {
    "api:schema",
    "api:docs",
    "api:statistics",
    "api:imports",
    "api:import",
}


class ApiMatrixTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        build(cls)
        cls.keys = {"none": None}
        for name, organization, options in (
            ("expired", cls.ward, {"expired": True}),
            ("revoked", cls.ward, {"revoked": True}),
            ("ward", cls.ward, {}),
            ("city", cls.city, {}),
            ("district", cls.district, {}),
        ):
            cls.keys[name] = issue(organization, WRITE, by=cls.staff, **options)[1]
        cls.read_only_key = issue(cls.city, by=cls.staff)[1]

    def get(self, token, url):
        return client_for(self.keys[token]).get(url)

    def test_every_api_route_has_a_rule(self):
        from django.urls import get_resolver

        api = get_resolver().namespace_dict["api"][1]
        names = {f"api:{name}" for name in api.reverse_dict if isinstance(name, str)}
        ruled = set(OBJECT_ROUTES) | set(LIST_ROUTES) | OTHER_ROUTES
        self.assertEqual(sorted(names - ruled), [])

    def test_objects(self):
        for route, key_of in OBJECT_ROUTES.items():
            for token in TOKENS:
                for place, expected in zip(PLACES, EXPECT[token], strict=True):
                    url = reverse(route, args=[key_of(self.places[place])])
                    with self.subTest(route=route, token=token, place=place):
                        response = self.get(token, url)
                        self.assertEqual(str(response.status_code), expected)
                        self.assertEqual(response["Content-Type"], "application/json")

    def test_lists(self):
        for route, (field, key_of) in LIST_ROUTES.items():
            for token in TOKENS:
                with self.subTest(route=route, token=token):
                    response = self.get(token, reverse(route))
                    if EXPECT[token][0] == "401":
                        self.assertEqual(response.status_code, 401)
                        continue
                    self.assertEqual(response.status_code, 200)
                    listed = {row[field] for row in response.json()["results"]}
                    for place, expected in zip(PLACES, EXPECT[token], strict=True):
                        found = str(key_of(self.places[place])) in listed
                        self.assertEqual(found, expected == "200", place)

    def test_lists_filtered_outside_the_subtree_answer_404(self):
        outside = self.places["C"].org.public_id
        for route in LIST_ROUTES:
            with self.subTest(route=route):
                url = f"{reverse(route)}?organization={outside}"
                self.assertEqual(self.get("ward", url).status_code, 404)

    def test_statistics(self):
        url = reverse("api:statistics")
        for token in TOKENS:
            for place, expected in zip(PLACES, EXPECT[token], strict=True):
                cycle = self.places[place].probe_cycle.public_id
                with self.subTest(token=token, place=place):
                    response = self.get(token, f"{url}?cycle={cycle}")
                    self.assertEqual(str(response.status_code), expected)

    def test_statistics_of_an_organization_outside_the_subtree(self):
        url = reverse("api:statistics")
        cycle = self.cycle.public_id
        for place, expected in zip(PLACES, EXPECT["ward"], strict=True):
            org = self.places[place].org.public_id
            with self.subTest(place=place):
                response = self.get("ward", f"{url}?cycle={cycle}&organization={org}")
                self.assertEqual(str(response.status_code), expected)

    def test_a_read_only_token_cannot_write(self):
        client = client_for(self.read_only_key)
        inside = reverse("api:remedy_action", args=[self.places["A"].remedy.public_id])
        response = client.patch(
            inside, {"status": "done"}, content_type="application/json"
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(response.json()["detail"], "Mã truy cập này chỉ được đọc.")
        outside = reverse("api:remedy_action", args=[self.places["D"].remedy.public_id])
        response = client.patch(
            outside, {"status": "done"}, content_type="application/json"
        )
        self.assertEqual(response.status_code, 404)
        response = client.post(reverse("api:imports"), {"register": "members"})
        self.assertEqual(response.status_code, 403)
        self.assertFalse(ImportJob.objects.exists())

    def test_writes_outside_the_subtree_answer_404(self):
        outside = reverse("api:remedy_action", args=[self.places["C"].remedy.public_id])
        response = client_for(self.keys["ward"]).patch(
            outside, {"status": "done"}, content_type="application/json"
        )
        self.assertEqual(response.status_code, 404)
        self.places["C"].remedy.refresh_from_db()
        self.assertEqual(self.places["C"].remedy.status, "open")

    def test_no_token_gets_401_with_the_scheme(self):
        for route in (*LIST_ROUTES, "api:statistics", "api:imports"):
            with self.subTest(route=route):
                response = self.get("none", reverse(route))
                self.assertEqual(response.status_code, 401)
                self.assertEqual(response["WWW-Authenticate"], 'Bearer realm="api"')
                self.assertEqual(
                    response.json()["detail"], "Thông tin xác thực chưa được cung cấp."
                )

    def test_an_unknown_key_gets_401(self):
        for key in ("kr_abc_def", "nonsense", "kr_" + "0" * 12 + "_x"):
            with self.subTest(key=key):
                response = client_for(key).get(reverse("api:organizations"))
                self.assertEqual(response.status_code, 401)

    def test_schema_and_docs_need_no_token(self):
        for route in ("api:schema", "api:docs"):
            with self.subTest(route=route):
                self.assertEqual(self.get("none", reverse(route)).status_code, 200)
