import datetime
from decimal import Decimal

from django.test import SimpleTestCase

from reviews import rules
from reviews.models import Conclusion, Discipline, RatingLevel, Regime

THRESHOLDS = {"HTXSNV": 90, "HTTNV": 70, "HTNV": 50, "KHTNV": 0}


def bands(**changes):
    """The QĐ 366 bands, as the seeded regime gives them, with `changes`."""
    regime = Regime(name="QĐ 366", scoring_model=Regime.ScoringModel.POINTS, **changes)
    levels = [RatingLevel(code=c, min_points=p) for c, p in THRESHOLDS.items()]
    return rules.Bands.of(regime, levels)


def record(self_detected=False, remedied=False, organization_id=None):
    return Discipline(
        form=Discipline.Form.REPRIMAND,
        decided_on=datetime.date(2026, 6, 1),
        self_detected=self_detected,
        remedied=remedied,
        organization_id=organization_id,
    )


class QuotaRuleTests(SimpleTestCase):
    def test_exactly_twenty_percent_is_allowed(self):
        self.assertEqual(rules.quota_allowed(10, 20), 2)
        self.assertIsNone(rules.quota("Chi bộ 1", 2, 12, 10, 20))

    def test_rounding_down(self):
        self.assertEqual(rules.quota_allowed(12, 20), 2)
        self.assertEqual(rules.quota_allowed(14, 20), 2)
        self.assertEqual(rules.quota_allowed(15, 20), 3)

    def test_no_good_ratings_allow_no_excellent(self):
        self.assertEqual(rules.quota_allowed(0, 20), 0)
        finding = rules.quota("Chi bộ 1", 1, 1, 0, 20)
        self.assertEqual(finding.highest, "HTTNV")

    def test_the_reason_names_the_numbers(self):
        finding = rules.quota("Chi bộ 1", 3, 12, 12, 20)
        self.assertEqual(
            finding.reason,
            "Chỉ tiêu: Chi bộ 1 đã có 3/12 HTXSNV; tối đa 20% của 12 HTTNV là 2.",
        )
        self.assertTrue(finding.broken_by("HTXSNV"))
        self.assertFalse(finding.broken_by("HTTNV"))

    def test_configured_percentage_is_used(self):
        self.assertEqual(rules.quota_allowed(10, Decimal("25")), 2)
        self.assertEqual(rules.quota_allowed(12, Decimal("25")), 3)


class DisciplineRuleTests(SimpleTestCase):
    def test_disciplined_member_is_capped_at_fail(self):
        finding = rules.discipline([record()], self_remedied_exempt=False)
        self.assertEqual(finding.highest, "KHTNV")
        self.assertIn("01/06/2026", finding.reason)

    def test_self_detected_and_remedied_is_exempt_when_the_regime_says_so(self):
        exempt = record(self_detected=True, remedied=True)
        self.assertIsNone(rules.discipline([exempt], self_remedied_exempt=True))
        self.assertIsNotNone(rules.discipline([exempt], self_remedied_exempt=False))

    def test_self_detected_but_not_remedied_is_not_exempt(self):
        self.assertIsNotNone(
            rules.discipline([record(self_detected=True)], self_remedied_exempt=True)
        )

    def test_no_record_no_cap(self):
        self.assertIsNone(rules.discipline([], self_remedied_exempt=False))


class HeadRuleTests(SimpleTestCase):
    def test_head_cannot_be_rated_above_the_collective(self):
        finding = rules.head("HTTNV", "Chi bộ 1")
        self.assertTrue(finding.broken_by("HTXSNV"))
        self.assertFalse(finding.broken_by("HTTNV"))
        self.assertFalse(finding.broken_by("HTNV"))

    def test_without_a_decided_collective_there_is_no_cap(self):
        self.assertIsNone(rules.head(None, "Chi bộ 1"))


class CollectiveDisciplineRuleTests(SimpleTestCase):
    def check(self, **facts):
        defaults = {
            "own": [],
            "disciplined_leaders": [],
            "disciplined_units": [],
            "units": 10,
            "percent": Decimal(20),
            "self_remedied_exempt": False,
        }
        return rules.collective_discipline(**{**defaults, **facts})

    def test_clean_collective_has_no_cap(self):
        self.assertIsNone(self.check())

    def test_a_disciplined_leader_rules_out_excellent(self):
        self.assertEqual(self.check(disciplined_leaders=[record()]).highest, "HTTNV")

    def test_exactly_twenty_percent_of_units_is_not_more_than_twenty(self):
        units = [record(organization_id=1), record(organization_id=2)]
        self.assertEqual(self.check(disciplined_units=units).highest, "HTTNV")

    def test_more_than_twenty_percent_of_units_gives_fail(self):
        units = [record(organization_id=n) for n in (1, 2, 3)]
        self.assertEqual(self.check(disciplined_units=units).highest, "KHTNV")

    def test_the_share_of_units_comes_from_the_regime(self):
        units = [record(organization_id=n) for n in (1, 2, 3)]
        found = self.check(disciplined_units=units, percent=Decimal(30))
        self.assertEqual(found.highest, "HTTNV")
        found = self.check(disciplined_units=units, percent=Decimal("29.99"))
        self.assertEqual(found.highest, "KHTNV")
        self.assertIn("29,99%", found.reason)

    def test_one_unit_disciplined_twice_counts_once(self):
        units = [record(organization_id=1)] * 3
        self.assertEqual(self.check(disciplined_units=units).highest, "HTTNV")

    def test_disciplined_organization_or_leadership_gives_fail(self):
        self.assertEqual(self.check(own=[record(organization_id=9)]).highest, "KHTNV")

    def test_self_remedied_exempt_under_qd124(self):
        exempt = record(self_detected=True, remedied=True)
        self.assertIsNone(
            self.check(disciplined_leaders=[exempt], self_remedied_exempt=True)
        )
        self.assertIsNone(self.check(own=[exempt], self_remedied_exempt=True))


class LeaderUnitRuleTests(SimpleTestCase):
    MINIMUMS = {"HTXSNV": "HTTNV", "HTTNV": "HTNV"}

    def test_unit_rated_fail(self):
        self.assertEqual(rules.leader_unit("KHTNV", "Xã A", {}).highest, "KHTNV")

    def test_an_undecided_unit_caps_nothing(self):
        self.assertIsNone(rules.leader_unit(None, "Xã A", self.MINIMUMS))

    def test_the_regimes_minimums_cap_the_leader_by_the_unit(self):
        self.assertIsNone(rules.leader_unit("HTXSNV", "Xã A", self.MINIMUMS))
        self.assertIsNone(rules.leader_unit("HTTNV", "Xã A", self.MINIMUMS))
        found = rules.leader_unit("HTNV", "Xã A", self.MINIMUMS)
        self.assertEqual(found.highest, "HTTNV")
        self.assertIn("Xã A", found.reason)
        self.assertIsNone(rules.leader_unit("HTNV", "Xã A", {}))

    def test_a_level_without_a_minimum_needs_what_the_level_below_needs(self):
        """A map edited to name HTTNV's minimum but not HTXSNV's: HTXSNV
        needs at least what HTTNV needs, not nothing."""
        found = rules.leader_unit("HTNV", "Xã A", {"HTTNV": "HTTNV"})
        self.assertEqual(found.highest, "HTNV")
        self.assertIn("HTTNV", found.reason)
        self.assertIsNone(rules.leader_unit("HTTNV", "Xã A", {"HTTNV": "HTTNV"}))

    def test_under_half_of_targets(self):
        found = rules.unit_targets("Xã A", 1, 3, Decimal(50))
        self.assertEqual((found.rule, found.highest), ("leader_unit", "KHTNV"))

    def test_exactly_half_of_targets_is_enough(self):
        self.assertIsNone(rules.unit_targets("Xã A", 2, 4, Decimal(50)))

    def test_no_targets_no_cap(self):
        self.assertIsNone(rules.unit_targets("Xã A", 0, 0, Decimal(50)))


class ConclusionRuleTests(SimpleTestCase):
    def test_degeneration_gives_fail(self):
        found = Conclusion(
            kind=Conclusion.Kind.DEGENERATION, concluded_on=datetime.date(2026, 3, 1)
        )
        self.assertEqual(rules.conclusion([found]).highest, "KHTNV")
        self.assertIsNone(rules.conclusion([]))


class PointsRuleTests(SimpleTestCase):
    bands = bands()

    def band(self, score, on_time=100, exceeding=30, remedied=100):
        finding = rules.points(
            score,
            self.bands,
            on_time=on_time,
            exceeding=exceeding,
            remedied=remedied,
        )
        return finding.highest if finding else "HTXSNV"

    def test_ninety_points_with_every_condition_is_excellent(self):
        self.assertEqual(self.band(Decimal("90")), "HTXSNV")

    def test_eighty_nine_and_a_half_is_not_ninety(self):
        self.assertEqual(self.band(Decimal("89.5")), "HTTNV")

    def test_excellent_needs_thirty_percent_exceeding(self):
        self.assertEqual(self.band(95, exceeding=29), "HTTNV")

    def test_excellent_needs_every_shortcoming_remedied(self):
        self.assertEqual(self.band(95, remedied=90), "HTTNV")

    def test_good_needs_every_task_on_time(self):
        self.assertEqual(self.band(80, on_time=95), "HTNV")

    def test_pass_allows_at_most_twenty_percent_late(self):
        self.assertEqual(self.band(60, on_time=80), "HTNV")
        self.assertEqual(self.band(60, on_time=79), "KHTNV")

    def test_under_fifty_points_is_fail(self):
        self.assertEqual(self.band(Decimal("49.99")), "KHTNV")

    def test_missing_score_is_fail(self):
        self.assertEqual(self.band(None), "KHTNV")

    def test_the_conditions_and_their_texts_come_from_the_regime(self):
        self.bands = bands(excellent_exceeding_percent=Decimal(50))
        self.assertEqual(self.band(95, exceeding=49), "HTTNV")
        self.assertEqual(self.band(95, exceeding=50), "HTXSNV")
        reason = rules.points(
            95, self.bands, on_time=100, exceeding=49, remedied=100
        ).reason
        self.assertIn("50%", reason)
        self.bands = bands(pass_late_percent=Decimal(10))
        self.assertEqual(self.band(60, on_time=90), "HTNV")
        self.assertEqual(self.band(60, on_time=89), "KHTNV")

    def test_the_score_thresholds_in_the_reasons_are_the_regimes(self):
        levels = [
            RatingLevel(code=c, min_points=p)
            for c, p in {"HTXSNV": 85, "HTTNV": 65, "HTNV": 45, "KHTNV": 0}.items()
        ]
        self.bands = rules.Bands.of(Regime(name="R"), levels)
        self.assertEqual(self.band(85), "HTXSNV")
        reason = rules.points(60, self.bands, on_time=100, exceeding=0, remedied=0)
        self.assertIn("≥ 65", reason.reason)
        self.assertNotIn("70", reason.reason)

    def test_a_missing_threshold_is_an_error_not_zero(self):
        levels = [RatingLevel(code="HTXSNV", min_points=90), RatingLevel(code="HTTNV")]
        with self.assertRaises(rules.RegimeIncomplete) as missing:
            rules.Bands.of(Regime(name="QĐ 366"), levels)
        self.assertIn("HTTNV", str(missing.exception))
        self.assertIn("QĐ 366", str(missing.exception))


class QuorumRuleTests(SimpleTestCase):
    TWO_THIRDS = Decimal("66.67")

    def test_exactly_two_thirds_meets_the_default_quorum(self):
        """The Party's 2/3, kept as 66.67%: 6 of 9, 2 of 3 and 20 of 30 were
        refused, leaving such a meeting nothing but "not held"."""
        for present, called in ((6, 9), (2, 3), (20, 30), (4, 6)):
            with self.subTest(present=present, called=called):
                self.assertTrue(rules.quorum_reached(present, called, self.TWO_THIRDS))

    def test_under_two_thirds_and_nobody_called_do_not(self):
        for present, called in ((5, 9), (1, 2), (19, 30), (0, 0)):
            with self.subTest(present=present, called=called):
                self.assertFalse(rules.quorum_reached(present, called, self.TWO_THIRDS))

    def test_a_whole_percent_is_compared_as_it_is(self):
        self.assertTrue(rules.quorum_reached(1, 2, Decimal(50)))
        self.assertFalse(rules.quorum_reached(49, 100, Decimal(50)))
