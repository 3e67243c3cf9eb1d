"""
WSGI config for kontum_review project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import importlib
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kontum_review.settings.dev")

application = get_wsgi_application()

# Every view, as the first request would import them.
importlib.import_module(settings.ROOT_URLCONF)
# What is loaded by now lives as long as the process: out of the cyclic
# collector's reach, a full collection walks a tenth of the objects. At
# 31,000 members one had taken 105 ms of a gunicorn worker every few hundred
# requests, and the requests queued behind it made the load test's p95.
gc.freeze()
