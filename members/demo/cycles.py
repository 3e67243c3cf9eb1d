"""The demo's yearly cycles, each under the regime of its year, and the
recruitment targets of the source article's year."""

import datetime

from reviews.models import FocusIndicator, IndicatorValue, Regime, ReviewCycle

from .data import FIRST_HISTORY_YEAR, REGIME_UNTIL, SHORTFALLS


def regime_code(year):
    return next(code for last, code in REGIME_UNTIL if last is None or year <= last)


def create_cycles(superior, today):
    """The locked cycles of past years, oldest first, then this year's draft."""
    regimes = {regime.code: regime for regime in Regime.objects.all()}
    year = today.year if today.month >= 10 else today.year - 1
    cycles = []
    for cycle_year in range(min(FIRST_HISTORY_YEAR, year), year + 1):
        # A history-only regime (QĐ 132) is accepted for a locked cycle only.
        status = (
            ReviewCycle.Status.LOCKED if cycle_year < year else ReviewCycle.Status.DRAFT
        )
        cycle, _ = ReviewCycle.objects.get_or_create(
            superior=superior,
            period=ReviewCycle.Period.YEAR,
            starts_on=datetime.date(cycle_year, 1, 1),
            defaults={
                "name": f"Kiểm điểm, đánh giá, xếp loại chất lượng năm {cycle_year}",
                "year": cycle_year,
                "ends_on": datetime.date(cycle_year, 12, 31),
                "regime": regimes[regime_code(cycle_year)],
                "status": status,
                "guidance_issued_on": datetime.date(cycle_year, 11, 20),
                "self_review_due": datetime.date(cycle_year, 12, 15),
                "meetings_due": datetime.date(cycle_year, 12, 31),
                "appraisal_due": datetime.date(cycle_year + 1, 1, 10),
                "decision_due": datetime.date(cycle_year + 1, 1, 20),
                "publication_due": datetime.date(cycle_year + 1, 1, 31),
            },
        )
        cycles.append(cycle)
    return cycles


def create_indicator_values(rng, cycle, organizations):
    indicator = FocusIndicator.objects.get(code="new-members")
    grassroots = [o for o in organizations.values() if o.is_grassroots]
    done = set(
        IndicatorValue.objects.filter(cycle=cycle, indicator=indicator).values_list(
            "organization_id", flat=True
        )
    )
    rows = []
    for organization in sorted(grassroots, key=lambda o: o.code):
        target = rng.randint(1, 6)
        actual = max(target - rng.choice(SHORTFALLS), 0)
        if organization.pk not in done:
            rows.append(
                IndicatorValue(
                    indicator=indicator,
                    cycle=cycle,
                    organization=organization,
                    target=target,
                    actual=actual,
                )
            )
    IndicatorValue.objects.bulk_create(rows)
