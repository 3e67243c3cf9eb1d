"""The steps of a year as a person takes them through the pages, shared by the
whole-year tests (test_whole_year on a hand-built world, test_demo_year_through_pages
on the demo): the cycle's move buttons, a meeting recorded subject by subject,
the appraisal and decision of every comparison group, next year's cycle created
from the cycle list, and a form's section found by its heading.

A test case using `YearThroughPages` has `self.staff`, a user who runs the cycle.
"""

import re
from html.parser import HTMLParser

from django.urls import reverse
from django.utils import timezone

from reviews import services
from reviews.models import Meeting, ReviewCycle, StepExemption

from ..clicks import click_report_button, pdf_text
from ..pages import find_form, links, parse, submit

VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link"}
VOID_TAGS |= {"meta", "source", "track", "wbr"}


class YearThroughPages:
    # The cycle ------------------------------------------------------------------

    def move(self, cycle, target):
        """Press the overview's button for the next step and confirm it."""
        self.client.force_login(self.staff)
        overview = self.client.get(reverse("reviews:cycle", args=[cycle.public_id]))
        move_url = reverse("reviews:cycle_move", args=[cycle.public_id, target])
        self.assertIn(move_url, links(overview), f"No button to move to {target}.")
        page = self.client.get(move_url)
        with self.captureOnCommitCallbacks(execute=True):
            response = submit(self.client, page, action="", data={"confirm": "on"})
        self.assertEqual(response.status_code, 302, self.blockers(response))
        cycle.refresh_from_db()
        self.assertEqual(cycle.status, target)

    def blockers(self, response):
        """The page's alerts, then the end of its text, where refusals are."""
        html = response.content.decode()
        alerts = re.findall(r'role="alert"[^>]*>(.*?)</(?:div|p|li)>', html, re.S)
        text = " | ".join(re.sub(r"<[^>]+>", " ", alert) for alert in alerts)
        text += " || " + re.sub(r"<[^>]+>", " ", html)[-3000:]
        return " ".join(text.split())

    def create_next_cycle(self, cycle, data=None):
        """Staff create next year's cycle from the cycle list, prefilled."""
        self.client.force_login(self.staff)
        cycles = self.client.get(reverse("reviews:cycle_list"))
        create = links(cycles, reverse("reviews:cycle_create"))[0]
        page = self.client.get(create)
        response = submit(self.client, page, action="", data=data)
        self.assertEqual(response.status_code, 302, self.blockers(response))
        following = ReviewCycle.objects.get(
            superior=cycle.superior, year=cycle.year + 1
        )
        self.assertEqual(following.status, ReviewCycle.Status.DRAFT)
        return following

    # Meetings ---------------------------------------------------------------------

    def record_meeting(self, cycle, review, user):
        """The meeting page: its details, every subject's votes, then finished."""
        self.client.force_login(user)
        url = reverse("reviews:meeting", args=[review.public_id])
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        if page.context.get("nobody_to_invite"):
            self.fail(f"{review} has nobody to invite.")
        first, last = services.cycle_day_bounds(cycle)
        day = min(max(timezone.localdate(), first), last).isoformat()
        response = submit(
            self.client,
            page,
            button="details",
            data={
                "held_on": day,
                "starts_at": "08:00",
                "ends_at": "11:00",
                "place": "Hội trường",
                "chair": "Đồng chí Bí thư",
                "recorder": "Đồng chí Phó Bí thư",
            },
        )
        self.assertEqual(response.status_code, 302, self.blockers(response))
        while True:
            page = self.client.get(url)
            forms = [
                form
                for form in parse(page).forms
                if form.action and "/subjects/" in form.action
            ]
            if not forms:
                break
            present = page.context["quorum"].present
            form = forms[0]
            votes = {
                name: (present if name.endswith("_HTTNV") else 0)
                for name, _value in form.fields
                if "-votes_" in name
            }
            response = submit(
                self.client,
                page,
                action=form.action,
                data=votes
                | {
                    name: "Đồng ý với bản tự kiểm điểm."
                    for name, _value in form.fields
                    if name.endswith("-comments")
                },
            )
            self.assertEqual(response.status_code, 302, self.blockers(response))
        response = submit(self.client, page, button="finish")
        self.assertEqual(response.status_code, 302, self.blockers(response))
        self.assertEqual(Meeting.objects.get(review=review).status, Meeting.Status.DONE)

    # Ratings ----------------------------------------------------------------------

    def appraise_and_decide_every_group(self, cycle, accept=False):
        """Staff appraise each comparison group, then decide it; heads after their
        collective, so groups the page says must wait are taken on the next round.

        With `accept`, the decide page's "Accept the proposals" is pressed first
        on each group, and only what it leaves is decided by hand.
        """
        self.client.force_login(self.staff)
        for url_name in ("reviews:appraise", "reviews:decide"):
            stage = "appraisal" if url_name == "reviews:appraise" else "decision"
            for _round in range(3):
                listing = self.client.get(reverse(url_name, args=[cycle.public_id]))
                for group in links(listing, "?group="):
                    url = group.replace("&amp;", "&")
                    if accept and stage == "decision":
                        self.accept_proposals(url)
                    self.rate_group(url)
                waiting = (
                    cycle.reviews.exclude(ratings__stage=stage)
                    .exclude(exemptions__kind__in=StepExemption.UNRATED_KINDS)
                    .count()
                )
                if not waiting:
                    break
            self.assertEqual(waiting, 0, f"Subjects left without {stage}.")

    def accept_proposals(self, url):
        """Press the group's "Accept the proposals" button, if it offers one."""
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200, url)
        form = find_form(page, button="save")
        if form.button("accept") is None:
            return
        response = submit(self.client, page, button="accept")
        self.assertEqual(response.status_code, 302, self.blockers(response))

    def rate_group(self, url):
        """Save the group's page with each subject at the level it offers, or
        HTTNV; a subject the rules refuse (its points, the group's quota) is set
        a level lower, with the reason, and the page saved again."""
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200, url)
        form = find_form(page, button="save")
        chosen = {
            name: value or form.option(name, "HTTNV")
            for name, value in form.fields
            if name.endswith("-level")
        }
        if not chosen:
            return
        codes = {
            name: {option["value"]: option["text"] for option in form.options[name]}
            for name in chosen
        }
        for _attempt in range(len(LEVELS) + 1):
            response = submit(self.client, page, button="save", data=chosen)
            if response.status_code == 302:
                return
            refused = refused_rows(response)
            self.assertTrue(refused, self.blockers(response))
            for name in refused:
                code = codes[name][chosen[name]].split()[0]
                lower = LEVELS[min(LEVELS.index(code) + 1, len(LEVELS) - 1)]
                chosen[name] = form.option(name, lower)
                chosen[name.replace("-level", "-reason")] = (
                    "Hạ một mức theo quy tắc xếp loại."
                )
        self.fail(f"The rules refuse every level on {url}: {self.blockers(response)}")


LEVELS = ["HTXSNV", "HTTNV", "HTNV", "KHTNV"]


def refused_rows(response):
    """The level fields of the decide page's subjects marked as refused."""
    html = response.content.decode()
    found = re.findall(
        r'<article id="subject-([0-9a-f-]+)" class="[^"]*border-danger', html
    )
    return [f"r{public_id.replace('-', '')}-level" for public_id in found]


# A form's section, by its heading -------------------------------------------------


class SectionParser(HTMLParser):
    """The <fieldset> or <section> whose heading starts with `number` and a dot:
    its heading's text and its own text, for every such section of the page."""

    CONTAINERS = ("fieldset", "section")

    def __init__(self, number):
        super().__init__(convert_charrefs=True)
        self.heading_start = re.compile(rf"^{re.escape(number)}\.\s")
        self.stack = []  # [tag, its text so far, its heading if it is a section]
        self.found = []  # (heading, text) of each section headed `number`

    def handle_starttag(self, tag, attrs):
        if tag not in VOID_TAGS:
            self.stack.append([tag, [], None])

    def handle_data(self, data):
        if self.stack:
            self.stack[-1][1].append(data)

    def handle_endtag(self, tag):
        if tag in VOID_TAGS or tag not in {entry[0] for entry in self.stack}:
            return
        while True:
            open_tag, parts, heading = self.stack.pop()
            text = " ".join("".join(parts).split())
            if open_tag in self.CONTAINERS and heading:
                self.found.append((heading, text))
            if re.fullmatch(r"h\d", open_tag) and self.heading_start.match(text):
                container = next(
                    (e for e in reversed(self.stack) if e[0] in self.CONTAINERS), None
                )
                if container is not None and container[2] is None:
                    container[2] = text
            if self.stack:
                self.stack[-1][1].append(f" {text} ")
            if open_tag == tag:
                break


def section(response, number):
    """(heading, text) of the page's section `number` ("III"), found by its
    heading ("III. …"); AssertionError unless exactly one section has it."""
    parser = SectionParser(number)
    parser.feed(response.content.decode())
    parser.close()
    if len(parser.found) != 1:
        raise AssertionError(
            f"{len(parser.found)} sections headed {number}. on "
            f"{response.request['PATH_INFO']}."
        )
    return parser.found[0]


def assert_in_section_three(test, review, user, shortcoming):
    """The form page shows `shortcoming` in its section III, and so does the
    form's PDF, requested from the page's button, after the same heading."""
    test.client.force_login(user)
    url = reverse("reviews:review", args=[review.public_id])
    page = test.client.get(url)
    test.assertEqual(page.status_code, 200)
    heading, text = section(page, "III")
    test.assertIn(shortcoming, text, f"Not in section III of {url}.")
    kind = "collective_report" if review.is_collective else "individual_form"
    _job, content = click_report_button(test.client, url, kind)
    test.assertTrue(content.startswith(b"%PDF"), kind)
    printed = pdf_text(content)
    start = printed.find(heading)
    test.assertGreaterEqual(start, 0, f"No heading {heading!r} in the {kind} PDF.")
    end = printed.find(" IV. ", start)
    test.assertIn(
        shortcoming,
        printed[start : end if end > 0 else None],
        f"The {kind} PDF does not print it in section III.",
    )
    return printed
