"""Focus areas and the indicators that suggestions and dashboards read."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from organizations.models import Organization

from .cycles import ReviewCycle


class FocusArea(models.Model):
    """A focus area (lĩnh vực trọng tâm) that review suggestions are grouped by."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=500)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Offered in every new cycle.")
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")

    def __str__(self):
        return self.name


class FocusIndicator(models.Model):
    """A measurable indicator of a focus area, e.g. new members admitted."""

    focus_area = models.ForeignKey(
        FocusArea,
        verbose_name=_("focus area"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    unit = models.CharField(_("unit"), max_length=50)
    higher_is_better = models.BooleanField(
        _("higher is better"),
        default=True,
        help_text=_("Untick for counts to keep low, such as overdue dossiers."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["focus_area", "code"]
        verbose_name = _("focus indicator")
        verbose_name_plural = _("focus indicators")

    def __str__(self):
        return self.name


class IndicatorValue(models.Model):
    """Target and actual value of an indicator for one organization in a cycle."""

    indicator = models.ForeignKey(
        FocusIndicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("review cycle"),
        on_delete=models.CASCADE,
        related_name="indicator_values",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="indicator_values",
    )
    target = models.DecimalField(
        _("target"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    actual = models.DecimalField(
        _("actual"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "cycle", "organization"],
                name="indicator_value_once_per_organization",
                violation_error_message=_(
                    "This organization already has a value for this indicator in "
                    "this cycle."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.indicator} – {self.organization}"

    @property
    def met_target(self):
        if self.target is None or self.actual is None:
            return None
        if self.indicator.higher_is_better:
            return self.actual >= self.target
        return self.actual <= self.target
