"""What the review form checks beyond its fields: what a submitted form must
have (`missing`), a self-rating above what the self-score allows, and what
someone else saved meanwhile that a post would undo (`conflicts`)."""

from django.template.defaultfilters import floatformat
from django.utils.translation import gettext_lazy as _

from .. import rules
from .content import CONDITIONS, Kind, Outcome, normalized


class ReviewChecks:
    """The checks of ReviewForm, on its fields and `content`."""

    def missing(self):
        """(field name, readable item) for everything a submitted form must have."""
        data, found = self.cleaned_data, []
        for section in self.content.sections:
            name = f"text_{section.key}"
            if name in self.fields:
                if section.required and not data.get(name):
                    found.append(
                        (
                            name,
                            _("Section %(number)s: %(heading)s")
                            % {"number": section.number, "heading": section.heading},
                        )
                    )
            elif section.kind == Kind.CARRY_OVER:
                found += self.missing_carry_over(section)
            elif section.kind == Kind.SUGGESTIONS:
                found += [
                    (
                        f"suggestion_{item.pk}",
                        _("Section %(section)s, item %(number)s: %(focus)s")
                        % {
                            "section": section.number,
                            "number": item.number,
                            "focus": item.focus_area.name,
                        },
                    )
                    for item in self.content.suggestion_items
                    if not data.get(f"suggestion_{item.pk}")
                ]
            elif section.kind == Kind.RATING:
                found += self.missing_rating(section)
        return found

    def missing_carry_over(self, section):
        found = []
        for item in self.content.carry_items:
            for name, what in (
                (f"carry_{item.pk}", _("the result of the remedy")),
                (f"outcome_{item.pk}", _("the outcome")),
            ):
                if not self.cleaned_data.get(name):
                    found.append(
                        (
                            name,
                            _("Section %(section)s, item %(number)s: %(what)s")
                            % {
                                "section": section.number,
                                "number": item.number,
                                "what": what,
                            },
                        )
                    )
        return found

    def missing_rating(self, section):
        found = []
        if self.cleaned_data.get("self_rating") is None:
            found.append(
                (
                    "self_rating",
                    _("Section %(section)s: %(label)s")
                    % {
                        "section": section.number,
                        "label": self.fields["self_rating"].label,
                    },
                )
            )
        for name, label in CONDITIONS if self.content.criteria else ():
            if self.cleaned_data.get(f"cond_{name}") is None:
                found.append(
                    (
                        f"cond_{name}",
                        _("Section %(section)s: %(label)s")
                        % {"section": section.number, "label": label},
                    )
                )
        for criterion in self.content.criteria:
            if self.cleaned_data.get(f"score_{criterion.code}") is None:
                found.append(
                    (
                        f"score_{criterion.code}",
                        _("Section %(section)s, self-score %(code)s: %(text)s")
                        % {
                            "section": section.number,
                            "code": criterion.code,
                            "text": criterion.text,
                        },
                    )
                )
        return found

    def rating_above_score(self):
        """(field, message) when the self-rating is above what the self-score
        allows under the points rule (QĐ 366); checked on submitting.

        Nothing is said while a score or a condition is missing: those are
        named as missing first.
        """
        if "self_rating" not in self.fields or not self.content.criteria:
            return []
        data = self.cleaned_data
        levels = {level.pk: level for level in self.content.levels}
        level = levels.get(data.get("self_rating"))
        names = [f"score_{c.code}" for c in self.content.criteria]
        names += [f"cond_{name}" for name, _label in CONDITIONS]
        if level is None or any(data.get(name) is None for name in names):
            return []
        score = self.score_totals(data)["all"]
        try:
            bands = rules.Bands.of(self.content.review.cycle.regime, levels.values())
        except rules.RegimeIncomplete as incomplete:
            return [("self_rating", str(incomplete))]
        verdict = rules.points_verdict(
            score,
            bands,
            on_time=data["cond_tasks_on_time_percent"],
            exceeding=data["cond_tasks_exceeding_percent"],
            remedied=data["cond_shortcomings_remedied_percent"],
        )
        if not verdict.broken_by(level.code):
            return []
        message = _(
            "The self-proposed rating %(level)s is above what the self-score "
            "allows: %(score)s points allow at most %(highest)s. %(reason)s"
        ) % {
            "level": level.code,
            "score": floatformat(score, -2),
            "highest": verdict.highest,
            "reason": verdict.reason,
        }
        return [("self_rating", message)]

    # Conflicts -----------------------------------------------------------

    def posted_values(self):
        """The cleaned answers, shaped like values_of() for comparison."""
        values = {}
        for name in self.fields:
            if name in ("version", "action"):
                continue
            values[name] = normalized(name, self.cleaned_data.get(name))
        return values

    def conflicts(self, current, started):
        """What someone else saved since `started` that this post would undo.

        A field counts only if the other save changed it (current ≠ started) to
        something other than what this user posted, so two saves of the same
        text, for instance an autosave racing the Save button, do not conflict.
        """
        posted = self.posted_values()
        if started is None:
            started = posted
        found = []
        for name, value in current.items():
            if name in posted and value != started.get(name) and value != posted[name]:
                found.append((self.fields[name].label, self.display(name, value)))
        return found

    def display(self, name, value):
        if value in (None, ""):
            return "—"
        if name == "self_rating":
            levels = {level.pk: level for level in self.content.levels}
            return str(levels.get(value, "—"))
        if name.startswith("outcome_"):
            return Outcome(value).label
        return value
