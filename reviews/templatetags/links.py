"""`{% menu_url name %}`: `{% url name %}` for the addresses every page links
to, reversed once per process.

The menu and footer of base.html link to ten addresses without arguments;
`{% url %}` reverses each on every page (some 50 µs a link, half a
millisecond a page). An address depends only on its name, the URLconf and
the script prefix the site is served under, so it is kept under those.
"""

import functools

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def menu_url(name):
    return reversed_once(name, get_urlconf(), get_script_prefix())


@functools.cache
def reversed_once(name, urlconf, prefix):
    return reverse(name, urlconf=urlconf)
