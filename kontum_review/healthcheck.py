"""The `web` container's health check (docker-compose.yml): is /healthz 200?

Run as a script, `python kontum_review/healthcheck.py`: the standard library only,
so a check every half minute loads neither Django nor Celery. It asks gunicorn
the way the reverse proxy does, under a name of ALLOWED_HOSTS and over HTTPS as
X-Forwarded-Proto says, or production settings would answer 400 or redirect.
Exit 0 when healthy; 1 with the reason on stderr when /healthz answers anything
else (503: the database or Redis is down; a redirect) or nothing.
"""

import os
import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8000/healthz"
TIMEOUT_SECONDS = 5


def host(allowed_hosts):
    """A name Django accepts: the first of ALLOWED_HOSTS (`.example.org` too)."""
    for entry in allowed_hosts.split(","):
        entry = entry.strip()
        if entry == "*":
            break
        if entry:
            return entry.lstrip(".")
    return "localhost"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer of its own (an HTTPS redirect: a setting is off)."""

    def redirect_request(self, *args, **kwargs):
        return None


def main():
    request = urllib.request.Request(
        os.environ.get("HEALTHCHECK_URL", URL),
        headers={
            "Host": host(os.environ.get("ALLOWED_HOSTS", "")),
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        opener = urllib.request.build_opener(NoRedirect)
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        print(
            f"/healthz answered {error.code}: {error.read()[:500]!r}", file=sys.stderr
        )
        return 1
    except OSError as error:
        print(f"/healthz did not answer: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
