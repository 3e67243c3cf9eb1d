"""axe-core over a role's pages, in Chromium: what WCAG 2.1 AA violations remain.

axe-core comes from npm (package.json's devDependencies) and is injected from
node_modules, never from a CDN. A role's pages are found as a person finds
them: from the home page, following the links of the site, one page per URL
pattern (ids and keys replaced), so a list of 500 members costs one visit.
"""

import re
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

AXE = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SERIOUS = {"serious", "critical"}
WIDTHS = {"desktop": 1280, "phone": 390}

# Links that are not pages: downloads, actions, another language.
SKIP = re.compile(
    r"/logout|/i18n/|\.(pdf|xlsx|zip|csv)(\?|$)|/download|/export|/delete/|/history/"
    r"|/accounts/password/reset|/admin/(r|jsi18n|logout)/|/static/|/media/"
)
KEY = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<=/)\d+(?=/)"
)


def pattern(url):
    """The URL with its ids, keys and query values replaced: one visit each."""
    parts = urlsplit(url)
    query = "&".join(sorted(part.split("=")[0] for part in parts.query.split("&")))
    return KEY.sub("*", parts.path) + ("?" + query if parts.query else "")


def crawl(page, base_url, start="/", limit=60):
    """The site's pages a signed-in user reaches by links: [(url, status)]."""
    seen, visited = {pattern(start)}, []
    queue = deque([start])
    while queue and len(visited) < limit:
        path = queue.popleft()
        response = page.goto(base_url + path)
        status = response.status if response else 0
        visited.append((path, status))
        if status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        for href in page.eval_on_selector_all(
            "a[href]", "links => links.map(link => link.getAttribute('href'))"
        ):
            if not href.startswith("/") or href.startswith("//") or SKIP.search(href):
                continue
            href = href.split("#")[0]
            key = pattern(href)
            if href and key not in seen:
                seen.add(key)
                queue.append(href)
    return visited


def inject(page):
    """axe-core into the page, once."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's
        # Content-Security-Policy does not govern: the app's CSP stays on.
        page.evaluate(AXE.read_text())


def rule_violations(page, rule):
    """The elements that break one axe-core rule on the page, whatever its
    impact or tags ("heading-order" is a best practice of moderate impact)."""
    inject(page)
    result = page.evaluate(
        "rule => axe.run(document, {runOnly: {type: 'rule', values: [rule]}})", rule
    )
    return [
        {"target": node["target"], "html": node["html"]}
        for violation in result["violations"]
        for node in violation["nodes"]
    ]


def violations(page):
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page."""
    inject(page)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"][:3]],
        }
        for violation in result["violations"]
        if violation["impact"] in SERIOUS
    ]


def overflow(page):
    """Content wider than the window, which a phone would scroll sideways
    (WCAG 1.4.10 Reflow; wide tables scroll in their own region instead)."""
    width, window = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    if width <= window:
        return []
    wider = page.evaluate(
        """window => [...document.querySelectorAll('body *')]
            .filter(element => element.getBoundingClientRect().right > window + 1)
            .slice(0, 3).map(element => element.outerHTML.slice(0, 120))""",
        window,
    )
    return [
        {
            "rule": "reflow",
            "impact": "serious",
            "help": f"{width} px wide in a {window} px window",
            "targets": wider,
        }
    ]


def audit(page, base_url, paths):
    """{path: [violations]} for each path that has any, content wider than
    the window included."""
    found = {}
    for path in paths:
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        problems = violations(page) + overflow(page)
        if problems:
            found[path] = problems
    return found
