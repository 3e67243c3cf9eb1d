"""The schema and its Swagger UI page, served by the app itself.

The site's Content-Security-Policy allows no inline script or style
(kontum_review/middleware.py): the split view serves Swagger UI's start-up
script at its own address, and the page's template carries no <style>.
"""

from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: it describes the API and holds no data."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []


class DocsView(SpectacularSwaggerSplitView):
    template_name = "api/docs.html"
    url_name = "api:schema"
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []
