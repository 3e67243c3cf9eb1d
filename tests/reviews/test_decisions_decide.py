import datetime

from django.conf import settings
from django.urls import reverse

from members.models import Member
from organizations.models import OrganizationKind, Role
from reviews import ratings, services
from reviews.models import (
    CycleJob,
    Discipline,
    Rating,
    RatingLevel,
    Regime,
    ReviewCycle,
)

from ..factories import (
    MemberFactory,
    OrganizationFactory,
    UserFactory,
    grant,
    make_head,
)
from ..personas import CyclePersonasTestCase


class DecisionsTestCase(CyclePersonasTestCase):
    """Ten members of the ward, eight proposed HTTNV and two HTNV by the meetings.

    The ward's members are one comparison group: at most 20% of 8 HTTNV, so one
    HTXSNV, is allowed.
    """

    regime_code = "qd124"

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        for given in ("Bảy", "Chín", "Dũng", "Giang", "Hải", "Khánh", "Long"):
            MemberFactory(full_name=f"Phạm Văn {given}", organization=cls.cell_a)
        services.open_cycle(CycleJob.objects.create(cycle=cls.cycle))
        cls.cycle.status = ReviewCycle.Status.APPRAISAL
        cls.cycle.save()
        cls.members = list(
            cls.cycle.reviews.individuals().order_by("organization__path", "sort_key")
        )
        for position, review in enumerate(cls.members):
            code = "HTNV" if position >= 8 else "HTTNV"
            ratings.record_rating(
                review,
                Rating.Stage.MEETING,
                cls.level(code),
                cls.secretary_a,
                votes={code: 5, "HTXSNV": 1},
            )
        cls.members_key = f"members-{cls.ward.public_id}"
        cls.cells_key = f"cells-{cls.ward.public_id}"

    @classmethod
    def level(cls, code):
        return RatingLevel.objects.get(regime__code=cls.regime_code, code=code)

    def url(self, **query):
        base = reverse(self.url_name, args=[self.cycle.public_id])
        if not query:
            return base
        return base + "?" + "&".join(f"{k}={v}" for k, v in query.items())

    def use_english(self):
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def post_rows(self, levels=None, action="save", extra=None):
        """Post the members' page with a level per review, the rest as shown."""
        levels, extra = levels or {}, extra or {}
        data = {"action": action}
        for review in self.members:
            prefix = f"r{review.public_id.hex}"
            data[f"{prefix}-level"] = levels.get(review.pk, self.shown_level(review))
            for name, value in extra.get(review.pk, {}).items():
                data[f"{prefix}-{name}"] = value
        return self.client.post(self.url(group=self.members_key), data)

    def shown_level(self, review):
        latest = review.ratings.order_by("-set_at").first()
        return latest.level.code if latest else ""

    def decided(self):
        return dict(
            Rating.objects.filter(stage="decision").values_list(
                "review_id", "level__code"
            )
        )

    def add_members(self, size):
        """A cell of `size` more members in the ward, proposed HTTNV."""
        cell = OrganizationFactory(code="P01.C", name="Chi bộ lớn", parent=self.ward)
        people = []
        for number in range(size):
            member = Member(
                full_name=f"Lê Văn Số {number}",
                gender=Member.Gender.MALE,
                date_of_birth=datetime.date(1980, 1, 1),
                card_number=f"Q{size:03d}{number:06d}",
                admitted_on=datetime.date(2000, 1, 1),
                full_member_on=datetime.date(2001, 1, 1),
                standing=Member.Standing.FULL,
                organization=cell,
            )
            member.refresh_keys()
            people.append(member)
        Member.objects.bulk_create(people)
        services.open_cycle(CycleJob.objects.create(cycle=self.cycle))
        good = self.level("HTTNV")
        Rating.objects.bulk_create(
            Rating(
                review=review,
                stage=stage,
                level=good,
                set_by=self.secretary_a,
                set_at="2026-12-05T08:00:00Z",
                votes={"HTTNV": 3},
            )
            for review in self.cycle.reviews.filter(organization=cell)
            for stage in ("self", "meeting")
        )

    def stranger(self):
        other = OrganizationFactory(
            code="TU2", kind=OrganizationKind.SUPERIOR_COMMITTEE, org_type=None
        )
        user = UserFactory(username="stranger")
        grant(user, other, Role.Kind.STAFF)
        return user


class DecidePageTests(DecisionsTestCase):
    url_name = "reviews:decide"

    def test_shows_each_subject_with_its_chain(self):
        self.use_english()
        review = self.members[0]
        ratings.record_rating(
            review, Rating.Stage.SELF, self.level("HTXSNV"), self.member_user
        )
        ratings.record_rating(
            review,
            Rating.Stage.APPRAISAL,
            self.level("HTTNV"),
            self.leader,
            reason="Đảng ủy phường thẩm định",
        )
        self.client.force_login(self.staff)

        response = self.client.get(self.url(group=self.members_key))

        rows = response.context["rows"]
        self.assertEqual([row.review for row in rows], self.members)
        chain = {link["stage"]: link["rating"] for link in rows[0].chain}
        self.assertEqual(chain["self"].level.code, "HTXSNV")
        self.assertEqual(chain["appraisal"].set_by, self.leader)
        self.assertIsNone(chain["decision"])
        self.assertContains(response, "Đảng ủy phường thẩm định")
        self.assertContains(response, "Votes: ")
        # The level is prefilled with the latest proposal: the appraisal.
        self.assertEqual(rows[0].form["level"].value(), "HTTNV")
        self.assertEqual(rows[9].form["level"].value(), "HTNV")

    def test_the_quota_meter_counts_the_levels_shown(self):
        self.client.force_login(self.staff)

        response = self.client.get(self.url(group=self.members_key))

        meter = response.context["meter"]
        self.assertEqual((meter.good, meter.allowed, meter.excellent), (8, 1, 0))
        self.assertContains(response, 'data-percent="2000"')
        self.assertContains(response, '<meter id="quota-meter"')

    def test_warns_of_a_rule_the_proposed_level_breaks(self):
        Discipline.objects.create(
            member=self.member_a,
            form=Discipline.Form.WARNING,
            decided_on=datetime.date(2026, 6, 1),
        )
        self.client.force_login(self.staff)

        response = self.client.get(self.url(group=self.members_key))

        row = next(r for r in response.context["rows"] if r.review == self.review_a)
        [(finding, broken)] = row.caps
        self.assertEqual((finding.rule, broken), ("discipline", True))
        self.assertContains(response, "Kỷ luật")
        self.assertContains(response, 'data-cap-highest="KHTNV"', count=1)

    def test_a_subject_link_opens_its_group_with_the_subject_marked(self):
        self.client.force_login(self.staff)

        response = self.client.get(self.url(subject=self.review_a.public_id))

        self.assertEqual(response.context["group"].key, self.members_key)
        marked = [row.review for row in response.context["rows"] if row.highlighted]
        self.assertEqual(marked, [self.review_a])
        self.assertContains(response, "is-highlighted", count=1)

    def test_an_unknown_group_or_subject_is_not_found(self):
        self.client.force_login(self.staff)
        for query in ({"group": "members-x"}, {"subject": "not-a-uuid"}):
            with self.subTest(query=query):
                self.assertEqual(self.client.get(self.url(**query)).status_code, 404)

    def test_outside_the_appraisal_the_page_is_read_only(self):
        self.use_english()
        ReviewCycle.objects.filter(pk=self.cycle.pk).update(status="meetings")
        self.client.force_login(self.staff)

        response = self.client.get(self.url(group=self.members_key))

        self.assertContains(response, "ratings are decided only while it is in")
        self.assertNotContains(response, 'name="action"')
        response = self.post_rows()
        self.assertContains(response, "ratings are decided only while it is in")
        self.assertEqual(self.decided(), {})

    def test_leader_reads_without_the_forms(self):
        self.client.force_login(self.leader)

        response = self.client.get(self.url(group=self.members_key))

        self.assertEqual(response.status_code, 200)
        self.assertFalse(any(row.form for row in response.context["rows"]))
        self.assertNotContains(response, 'name="action"')

    def test_leader_post_is_refused(self):
        self.client.force_login(self.leader)
        self.assertEqual(self.post_rows().status_code, 403)
        self.assertEqual(self.decided(), {})

    def test_a_secretary_gets_403(self):
        self.client.force_login(self.secretary_a)
        self.assertEqual(
            self.client.get(self.url(group=self.members_key)).status_code, 403
        )
        self.assertEqual(self.post_rows().status_code, 403)

    def test_a_member_gets_403(self):
        self.client.force_login(self.member_user)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_outsider_gets_404(self):
        self.client.force_login(self.stranger())
        self.assertEqual(
            self.client.get(self.url(group=self.members_key)).status_code, 404
        )
        self.assertEqual(self.post_rows().status_code, 404)


class DecideSaveTests(DecisionsTestCase):
    url_name = "reviews:decide"

    def setUp(self):
        self.client.force_login(self.staff)

    def test_accepting_the_proposals_decides_every_subject(self):
        response = self.post_rows(action="accept")

        self.assertRedirects(response, self.url(group=self.members_key))
        decided = self.decided()
        self.assertEqual(len(decided), 10)
        self.assertEqual(sorted(decided.values()), ["HTNV"] * 2 + ["HTTNV"] * 8)
        rating = Rating.objects.get(review=self.review_a, stage="decision")
        self.assertEqual(rating.set_by, self.staff)

    def test_saving_decides_the_levels_chosen(self):
        first = self.members[0]
        response = self.post_rows(
            {first.pk: "HTXSNV"},
            extra={first.pk: {"reason": "Thành tích nổi bật", "assessment": "Tốt"}},
        )

        self.assertRedirects(response, self.url(group=self.members_key))
        decided = self.decided()
        self.assertEqual(len(decided), 10)
        self.assertEqual(decided[first.pk], "HTXSNV")
        rating = Rating.objects.get(review=first, stage="decision")
        self.assertEqual(
            (rating.reason, rating.assessment), ("Thành tích nổi bật", "Tốt")
        )

    def test_saving_again_writes_only_the_changed_rows(self):
        self.post_rows(action="accept")
        before = Rating.history.filter(stage="decision").count()
        first = self.members[0]

        self.post_rows({first.pk: "HTNV"}, extra={first.pk: {"reason": "Chậm"}})

        self.assertEqual(Rating.history.filter(stage="decision").count(), before + 1)
        self.assertEqual(self.decided()[first.pk], "HTNV")

    def test_a_decision_over_the_quota_is_refused_and_writes_nothing(self):
        first, second = self.members[:2]
        response = self.post_rows(
            {first.pk: "HTXSNV", second.pk: "HTXSNV"},
            extra={first.pk: {"reason": "Giỏi"}, second.pk: {"reason": "Giỏi"}},
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.decided(), {})
        rows = {row.review.pk: row for row in response.context["rows"]}
        self.assertIn("Chỉ tiêu", rows[first.pk].errors[0])
        self.assertIn("2/10", rows[first.pk].errors[0])
        self.assertEqual(rows[first.pk].form["reason"].value(), "Giỏi")
        self.assertTrue(response.context["meter"].over)

    def test_an_overridable_quota_is_overridden_with_a_reason_and_flagged(self):
        Regime.objects.filter(code="qd124").update(overridable_rules=["quota"])
        first, second = self.members[:2]
        reasons = {"reason": "Giỏi", "override_reason": "Được Tỉnh ủy khen thưởng"}

        response = self.post_rows(
            {first.pk: "HTXSNV", second.pk: "HTXSNV"},
            extra={first.pk: reasons, second.pk: reasons},
        )

        self.assertRedirects(response, self.url(group=self.members_key))
        flagged = Rating.objects.filter(stage="decision", overridden_rules=["quota"])
        self.assertEqual({r.review_id for r in flagged}, {first.pk, second.pk})
        self.assertEqual(flagged[0].override_reason, "Được Tỉnh ủy khen thưởng")
        self.use_english()
        page = self.client.get(self.url(group=self.members_key))
        self.assertContains(page, "Rule overridden: quota", count=2)

    def test_without_the_override_reason_the_quota_still_refuses(self):
        Regime.objects.filter(code="qd124").update(overridable_rules=["quota"])
        first, second = self.members[:2]
        response = self.post_rows(
            {first.pk: "HTXSNV", second.pk: "HTXSNV"},
            extra={first.pk: {"reason": "Giỏi"}, second.pk: {"reason": "Giỏi"}},
        )
        self.assertContains(response, "Chỉ tiêu")
        self.assertEqual(self.decided(), {})

    def test_a_changed_level_without_a_reason_is_refused(self):
        self.use_english()
        first = self.members[0]

        response = self.post_rows({first.pk: "HTNV"})

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.decided(), {})
        row = response.context["rows"][0]
        self.assertIn("reason", row.form.errors)
        self.assertContains(response, "give the reason")

    def test_accepting_leaves_a_head_before_the_collective_to_a_person(self):
        make_head(self.review_a)
        self.use_english()

        response = self.post_rows(action="accept")

        decided = self.decided()
        self.assertEqual(len(decided), 9)
        self.assertNotIn(self.review_a.pk, decided)
        page = self.client.get(response["Location"])
        self.assertContains(page, f"decide {self.cell_a.name} first")

    def test_saving_leaves_an_untouched_head_before_the_collective_waiting(self):
        """The page preselects every proposal: a head whose collective is not
        decided yet no longer refuses the whole page; a head's level changed
        by hand still is refused with the reason."""
        make_head(self.review_a)
        self.use_english()
        first = next(r for r in self.members if r.pk != self.review_a.pk)

        response = self.post_rows(
            {first.pk: "HTXSNV"}, extra={first.pk: {"reason": "Thành tích nổi bật"}}
        )

        self.assertEqual(response.status_code, 302)
        decided = self.decided()
        self.assertEqual(len(decided), 9)
        self.assertNotIn(self.review_a.pk, decided)
        self.assertEqual(decided[first.pk], "HTXSNV")
        page = self.client.get(response["Location"])
        self.assertContains(page, "1 subject waits for the decision on its collective")
        self.assertContains(page, f"{self.review_a.subject_name} ({self.cell_a.name})")

        response = self.post_rows(
            {self.review_a.pk: "HTNV"},
            extra={
                self.review_a.pk: {"reason": "Chậm"},
                first.pk: {"reason": "Thành tích nổi bật"},
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, f"decide {self.cell_a.name} first")
        self.assertNotIn(self.review_a.pk, self.decided())

    def test_accepting_leaves_the_proposals_over_the_quota_to_a_person(self):
        first, second = self.members[:2]
        for review in (first, second):
            ratings.record_rating(
                review,
                Rating.Stage.APPRAISAL,
                self.level("HTXSNV"),
                self.staff,
                reason="Thành tích nổi bật",
            )
        self.use_english()

        response = self.post_rows(action="accept")

        decided = self.decided()
        self.assertEqual(len(decided), 8)
        self.assertNotIn("HTXSNV", decided.values())
        page = self.client.get(response["Location"])
        warning = next(
            str(m) for m in page.context["messages"] if "break a rule" in str(m)
        )
        self.assertTrue(warning.startswith("2 proposals break a rule"))
        self.assertIn(f"{first.subject_name}: ", warning)
        self.assertIn(f"{second.subject_name}: ", warning)

    def test_the_head_follows_the_decided_collective(self):
        make_head(self.review_a)
        cells = self.cycle.reviews.filter(organization__in=[self.cell_a, self.cell_b])
        for collective in cells.collectives():
            ratings.record_rating(
                collective, Rating.Stage.MEETING, self.level("HTTNV"), self.staff
            )
        cells_page = reverse("reviews:decide", args=[self.cycle.public_id])
        self.client.post(f"{cells_page}?group={self.cells_key}", {"action": "accept"})

        response = self.post_rows(action="accept")

        self.assertRedirects(response, self.url(group=self.members_key))
        self.assertEqual(len(self.decided()), 12)

    def test_bad_input_keeps_the_page(self):
        first = self.members[0]
        response = self.post_rows({first.pk: "BEST"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("level", response.context["rows"][0].form.errors)
        self.assertEqual(self.decided(), {})
        response = self.client.post(
            self.url(group=self.members_key), {"action": "delete"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.decided(), {})


class DecidePageQueryTests(DecisionsTestCase):
    """The page of a group costs the same number of queries at any size."""

    url_name = "reviews:decide"
    # The exemptions from rating cost one query, at any size; the group is
    # made from a few columns of every review, and the page's reviews are
    # then loaded whole.
    QUERIES = 17

    def assert_constant_queries(self, size):
        self.add_members(size)
        self.client.force_login(self.staff)
        url = self.url(group=self.members_key)

        with self.assertNumQueries(self.QUERIES):
            response = self.client.get(url)

        self.assertEqual(response.context["page"].paginated.paginator.count, size + 10)

    def test_ten_subjects(self):
        self.assert_constant_queries(10)

    def test_five_hundred_subjects(self):
        self.assert_constant_queries(500)
