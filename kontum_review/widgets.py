"""Widgets every app's forms share."""

from django import forms

# The browser's date picker: it reads and sends ISO dates (yyyy-mm-dd) and shows
# them in the reader's own format, dd/mm/yyyy on a Vietnamese system.
ISO_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
