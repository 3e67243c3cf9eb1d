"""Formsets whose size a post cannot inflate."""

from django import forms


class BoundedInlineFormSet(forms.BaseInlineFormSet):
    """An inline formset that builds the rows it has and at most `added_max`
    new ones: a post whose TOTAL_FORMS claims more is refused (Django's
    "too_many_forms") before thousands of forms are built (Django's own bound
    is 2,000, seconds of work for one request)."""

    added_max = 100

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bound = len(self.get_queryset()) + self.added_max
        self.max_num = min(self.max_num, bound)
        self.absolute_max = min(self.absolute_max, bound)
