"""What every document shares: its header (the issuing committee, place and
day), the signature's "on behalf of", and the refusal when the data a
document needs does not exist yet (DocumentUnavailable).
"""

import unicodedata
from dataclasses import dataclass

from django.utils import timezone

from organizations.models import OrganizationKind

from ...models import ReportJob

Kind = ReportJob.Kind

# Committee words in front of a place name: "Thành ủy Kon Tum" → "Kon Tum".
PLACE_PREFIXES = (
    "đảng ủy phường",
    "đảng ủy xã",
    "đảng ủy thị trấn",
    "đảng bộ phường",
    "đảng bộ xã",
    "đảng bộ thành phố",
    "đảng bộ tỉnh",
    "thành ủy",
    "tỉnh ủy",
    "huyện ủy",
    "thị ủy",
    "quận ủy",
    "đảng ủy",
    "đảng bộ",
    "chi bộ",
)

# The committee that issues a Party organization's documents (Hướng dẫn
# 36-HD/VPTW): "Đảng bộ thành phố Kon Tum" issues as "Thành ủy Kon Tum",
# "Đảng bộ phường Quyết Thắng" as "Đảng ủy phường Quyết Thắng"; a cell issues as
# itself. The first match wins.
COMMITTEE_PREFIXES = (
    ("đảng bộ tỉnh ", "Tỉnh ủy "),
    ("đảng bộ thành phố ", "Thành ủy "),
    ("đảng bộ huyện ", "Huyện ủy "),
    ("đảng bộ thị xã ", "Thị ủy "),
    ("đảng bộ quận ", "Quận ủy "),
    ("đảng bộ ", "Đảng ủy "),
)


class DocumentUnavailable(Exception):
    """The data a document needs does not exist (yet); the message says what."""


def place_of(name):
    """The place a committee sits, for "…, ngày … tháng … năm …"."""
    lowered = name.lower()
    for prefix in PLACE_PREFIXES:
        if lowered.startswith(prefix + " "):
            return name[len(prefix) :].strip()
    return name


def issuing_body(name):
    """The committee that signs for a Party organization of this name."""
    lowered = name.lower()
    for prefix, committee in COMMITTEE_PREFIXES:
        if lowered.startswith(prefix):
            return committee + name[len(prefix) :]
    return name


def abbreviation(name):
    """Initials of the body's first two words for "Số …-BC/TU": Thành ủy → TU."""
    initials = []
    for word in name.split()[:2]:
        letter = word[0].upper()
        if letter != "Đ":
            letter = unicodedata.normalize("NFD", letter)[0]
        initials.append(letter)
    return "".join(initials)


def on_behalf_of(organization):
    """The body a secretary signs for: "CHI BỘ" or "ĐẢNG ỦY"."""
    if organization.kind in (OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL):
        return "CHI BỘ"
    if organization.kind == OrganizationKind.PARTY_GROUP:
        return "TỔ ĐẢNG"
    return "ĐẢNG ỦY"


@dataclass
class Header:
    """The two-column header of a Party document (Hướng dẫn 36-HD/VPTW).

    Left: the Party organization directly above (upright caps), the issuing body
    (bold caps), a star, the number; right: the Party's name over a rule, then
    place and date.
    """

    superior_name: str
    issuing_body: str
    place: str
    day: object
    number: str = ""


def header_for(organization, cycle, day, code=""):
    """The header of a document issued by `organization`'s committee (or cell)."""
    parent = organization.parent
    body = issuing_body(organization.name)
    # The office writes the number in by hand: keep the blank in front of it.
    blank = "\u00a0" * 8
    number = f"Số{blank}-{code}/{abbreviation(body)}" if code else ""
    return Header(
        superior_name=parent.name if parent else "",
        issuing_body=body,
        place=place_of(cycle.superior.name),
        day=day,
        number=number,
    )


def local_day(moment):
    return timezone.localdate(moment) if moment else timezone.localdate()
