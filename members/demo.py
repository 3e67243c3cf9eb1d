"""A realistic, repeatable demo of Thành ủy Kon Tum (docs/process.md §8).

The same seed always yields the same codes and card numbers, so running the
generator again creates only what is missing. Rows are written in bulk (COPY on
PostgreSQL, see members/bulk/): the province-size run (31,000 members)
finishes in about a minute, ten times the province in under ten.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache, partial
from itertools import accumulate
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations import restructuring
from organizations.models import (
    GRASSROOTS_KINDS,
    Operation,
    Organization,
    OrganizationKind,
    OrganizationType,
    Restructuring,
    RestructuringLine,
    Role,
)
from reviews import ratings, rules, services, statistics
from reviews.guards import closed_cycle_writes
from reviews.models import (
    Attendance,
    CarryOverItem,
    CycleJob,
    CyclePost,
    FocusArea,
    FocusIndicator,
    FormSection,
    FormTemplate,
    IndicatorValue,
    Meeting,
    MeetingItem,
    Rating,
    Regime,
    RemedyAction,
    Review,
    ReviewCycle,
    ScoreCriterion,
    StepExemption,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)

from . import bulk
from .models import Member, Post, PostKind
from .posts import posts_from_text

DEFAULT_MEMBERS = 8000
DEMO_PASSWORD = "kontum-demo"
SUPERIOR_CODE = "TU-KT"
PROVINCE_CODE = "TinhU-KT"
# The demo secretary's and member's cell (README, "The year's review").
DEMO_CELL = f"{SUPERIOR_CODE}.P01.01"
# Decided yearly cycles kept as history before the current one, and the regime
# each year was rated under (docs/process.md §6).
FIRST_HISTORY_YEAR = 2021
REGIME_UNTIL = [(2022, "qd132"), (2024, "qd124"), (None, "qd366")]

WARDS = [
    "Quyết Thắng", "Quang Trung", "Thắng Lợi", "Thống Nhất", "Duy Tân",
    "Lê Lợi", "Ngô Mây", "Nguyễn Trãi", "Trần Hưng Đạo", "Trường Chinh",
]  # fmt: skip
COMMUNES = [
    "Đắk Cấm", "Đắk Blà", "Đắk Năng", "Đăk Rơ Wa", "Chư Hreng", "Hòa Bình",
    "Ia Chim", "Kroong", "Ngọk Bay", "Vinh Quang", "Đoàn Kết",
]  # fmt: skip
# (type code, name pattern, share of committees) for the other grassroots bodies.
OTHER_GRASSROOTS = [
    ("co-quan-hanh-chinh", "Cơ quan {}", 0.3, [
        "Văn phòng HĐND và UBND thành phố", "Các cơ quan Đảng thành phố",
        "Phòng Tài chính – Kế hoạch", "Phòng Tài nguyên và Môi trường",
        "Phòng Quản lý đô thị", "Phòng Nội vụ",
        "Phòng Lao động – Thương binh và Xã hội",
        "Phòng Văn hóa và Thông tin", "Phòng Kinh tế", "Thanh tra thành phố",
        "Phòng Tư pháp", "Chi cục Thuế khu vực", "Kho bạc Nhà nước thành phố",
        "Tòa án nhân dân thành phố", "Viện Kiểm sát nhân dân thành phố",
        "Chi cục Thi hành án dân sự", "Khối Mặt trận và các đoàn thể",
    ]),
    ("don-vi-su-nghiep", "{}", 0.2, [
        "Trung tâm Y tế thành phố", "Ban Quản lý dự án đầu tư xây dựng",
        "Trung tâm Phát triển quỹ đất", "Trung tâm Văn hóa – Thể thao",
        "Ban Quản lý chợ", "Đội Quản lý trật tự đô thị",
        "Trung tâm Dịch vụ nông nghiệp",
        "Bệnh viện Y dược cổ truyền", "Trung tâm Giáo dục nghề nghiệp",
    ]),
    ("truong-hoc", "Trường {}", 0.1, [
        "THCS Nguyễn Sinh Sắc", "THCS Lê Quý Đôn", "THCS Trần Hưng Đạo",
        "THCS Chu Văn An", "THCS Nguyễn Huệ", "THCS Lý Tự Trọng",
        "Tiểu học Lê Văn Tám", "Tiểu học Nguyễn Văn Trỗi", "Tiểu học Hùng Vương",
        "Tiểu học Phan Chu Trinh", "Tiểu học Quang Trung", "Tiểu học Ngô Mây",
        "Mầm non Hoa Hồng", "Mầm non Sơn Ca", "Mầm non Họa Mi", "Mầm non Tuổi Thơ",
        "THCS Võ Thị Sáu", "Tiểu học Kim Đồng",
    ]),
    ("doanh-nghiep-nha-nuoc", "{}", 0.4, [
        "Công ty TNHH MTV Cấp nước Kon Tum", "Công ty TNHH MTV Môi trường đô thị",
        "Công ty TNHH MTV Lâm nghiệp Đăk Tô", "Điện lực thành phố Kon Tum",
        "Bưu điện thành phố Kon Tum", "Ngân hàng Nông nghiệp chi nhánh thành phố",
    ]),
    ("doanh-nghiep-ngoai-nha-nuoc", "{}", 0.0, [
        "Công ty cổ phần Cao su Kon Tum", "Công ty cổ phần Đường Kon Tum",
        "Công ty cổ phần Thủy điện Đăk Bla", "Công ty TNHH Sâm Ngọc Linh Kon Tum",
        "Công ty cổ phần Xây dựng Kon Tum", "Công ty cổ phần Du lịch Kon Tum",
        "Công ty TNHH Vận tải Tây Nguyên",
    ]),
    ("quan-su", "{}", 1.0, ["Ban Chỉ huy Quân sự thành phố"]),
    ("cong-an", "{}", 1.0, ["Công an thành phố"]),
]  # fmt: skip

# The city's agencies had a committee of their own between them and the city
# (Đảng bộ Khối cơ quan), which the province's decision of 2025 removed
# (DECISION below): the first few agencies sit under it in the past cycles.
BLOCK_CODE = f"{SUPERIOR_CODE}.K01"
BLOCK_NAME = "Đảng bộ Khối cơ quan thành phố"
BLOCK_TYPE = "co-quan-hanh-chinh"
BLOCK_SIZE = 3
# Two wards, neither the demo secretary's, merged into a new one by that decision.
NEW_WARD_CODE = f"{SUPERIOR_CODE}.P{len(WARDS) + 1:02d}"
NEW_WARD_NAME = "Đảng bộ phường Kon Tum"
MERGED_WARDS = 2
MOVED_CELLS = 2  # the last cell of the next wards, moved to the new ward
DECISION = {
    "number": "Số 123-QĐ/TU",
    "signed_on": datetime.date(2025, 6, 20),
    "issued_by": "Ban Thường vụ Tỉnh ủy Kon Tum",
    "effective_on": datetime.date(2025, 7, 1),
}
ONE_DAY = datetime.timedelta(days=1)

FAMILY_NAMES = [
    ("Nguyễn", 30), ("Trần", 10), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4),
    ("Phan", 4), ("Vũ", 4), ("Võ", 4), ("Đặng", 3), ("Bùi", 3), ("Đỗ", 3), ("Hồ", 3),
    ("Ngô", 2), ("Dương", 2), ("Lý", 1), ("Đinh", 2), ("Trương", 2), ("Lương", 1),
]  # fmt: skip
MIDDLE_NAMES = {
    Member.Gender.MALE: ["Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thanh", "Ngọc"],
    Member.Gender.FEMALE: ["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Thị Thu", "Mỹ"],
}
GIVEN_NAMES = {
    Member.Gender.MALE: [
        "An", "Ân", "Bình", "Cường", "Dũng", "Đức", "Đạt", "Hải", "Hùng", "Huy",
        "Khánh", "Long", "Minh", "Nam", "Phong", "Phúc", "Quân", "Sơn", "Tâm",
        "Thắng", "Trung", "Tuấn", "Việt", "Vinh", "Hoàng", "Toàn", "Lộc", "Khoa",
    ],
    Member.Gender.FEMALE: [
        "Anh", "Ánh", "Bích", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan",
        "Linh", "Mai", "Nga", "Ngọc", "Nhung", "Phương", "Quyên", "Thảo", "Trang",
        "Vân", "Yến", "Hằng", "Loan", "Oanh", "Uyên", "Đào",
    ],
}  # fmt: skip
# Ba Na and Xơ Đăng names, common in the communes around Kon Tum.
HIGHLAND_NAMES = {
    Member.Gender.MALE: ["A Thút", "A Mưu", "A Blưn", "A Hyun", "A Sâm", "A Đen"],
    Member.Gender.FEMALE: ["Y Hoa", "Y Bông", "Y Khuyên", "Y Ngát", "Y Rin", "Y Thơm"],
}
MASS_POSTS = [
    "Chủ tịch Hội Liên hiệp Phụ nữ", "Bí thư Đoàn Thanh niên",
    "Chủ tịch Hội Cựu chiến binh",
    "Chủ tịch Công đoàn cơ sở", "Tổ trưởng tổ dân phố", "Trưởng ban công tác Mặt trận",
]  # fmt: skip


@dataclass
class OrgSpec:
    code: str
    name: str
    kind: str
    type_code: str | None
    parent_code: str | None
    member_weight: float = 0.0
    children: list = field(default_factory=list)


def build_tree(rng, scale, grassroots_total=None, cell_total=None):
    """The organization tree as specs, parents before children.

    Without explicit totals the sizes follow `scale` (the city: 100 grassroots
    organizations, about 400 cells); with them the tree has exactly that many
    grassroots organizations and subordinate cells.
    """
    specs = [
        # The province above the city runs no cycle here; its name heads the
        # city committee's documents (Hướng dẫn 36-HD/VPTW).
        OrgSpec(
            PROVINCE_CODE,
            "Đảng bộ tỉnh Kon Tum",
            OrganizationKind.SUPERIOR_COMMITTEE,
            None,
            None,
        ),
        OrgSpec(
            SUPERIOR_CODE,
            "Đảng bộ thành phố Kon Tum",
            OrganizationKind.SUPERIOR_COMMITTEE,
            None,
            PROVINCE_CODE,
        ),
    ]
    # (type code, name after "Đảng bộ"/"Chi bộ", is a committee, code, weight)
    grassroots = [
        ["phuong", f"phường {name}", True, f"P{index:02d}", 3.0]
        for index, name in enumerate(WARDS, 1)
    ] + [
        ["xa", f"xã {name}", True, f"X{index:02d}", 2.5]
        for index, name in enumerate(COMMUNES, 1)
    ]
    if grassroots_total is None:
        wanted = max(round(100 * scale), len(grassroots))
    else:
        wanted = grassroots_total
        grassroots = grassroots[:wanted]
    pool = [
        (type_code, pattern.format(name), share)
        for type_code, pattern, share, names in OTHER_GRASSROOTS
        for name in names
    ]
    for index in range(wanted - len(grassroots)):
        type_code, name, share = pool[index % len(pool)]
        if index >= len(pool):
            name = f"{name} (khối {index // len(pool) + 1})"
        is_committee = rng.random() < share
        grassroots.append([type_code, name, is_committee, f"C{index + 1:03d}", 1.0])

    committees = [g for g in grassroots if g[2]]
    if cell_total is None:
        cell_total = round(400 * scale if grassroots_total is None else 4 * wanted)
        cell_total = max(cell_total, len(committees))
        weight_sum = sum(g[4] for g in committees)
        cell_counts = [
            max(round(cell_total * g[4] / weight_sum), 2) for g in committees
        ]
    else:
        # Every committee has a cell: the last ones become grassroots cells.
        for g in committees[cell_total:]:
            g[2] = False
        committees = committees[:cell_total]
        minimum = 2 if cell_total >= 2 * len(committees) else 1
        cell_counts = apportion(cell_total, [g[4] for g in committees], minimum)
    cells_of = {g[3]: count for g, count in zip(committees, cell_counts)}

    in_block = block_members(grassroots)
    if in_block:
        specs.append(
            OrgSpec(
                BLOCK_CODE,
                BLOCK_NAME,
                OrganizationKind.SUPERIOR_COMMITTEE,
                None,
                SUPERIOR_CODE,
            )
        )
    for type_code, name, is_committee, code, _weight in grassroots:
        spec_code = f"{SUPERIOR_CODE}.{code}"
        parent_code = BLOCK_CODE if code in in_block else SUPERIOR_CODE
        if not is_committee:
            specs.append(
                OrgSpec(
                    spec_code,
                    f"Chi bộ {name}",
                    OrganizationKind.GRASSROOTS_CELL,
                    type_code,
                    parent_code,
                    member_weight=rng.uniform(0.2, 0.9),
                )
            )
            continue
        specs.append(
            OrgSpec(
                spec_code,
                f"Đảng bộ {name}",
                OrganizationKind.GRASSROOTS_COMMITTEE,
                type_code,
                parent_code,
            )
        )
        for number in range(1, cells_of[code] + 1):
            if type_code in ("phuong", "xa"):
                place = "Tổ dân phố" if type_code == "phuong" else "Thôn"
                cell_name = f"Chi bộ {place} {number}"
            else:
                cell_name = f"Chi bộ {number}"
            specs.append(
                OrgSpec(
                    f"{spec_code}.{number:02d}",
                    cell_name,
                    OrganizationKind.CELL,
                    type_code,
                    spec_code,
                    member_weight=rng.uniform(0.4, 1.6),
                )
            )
    return specs


def block_members(grassroots):
    """Codes of the agencies under the block committee in the past cycles.

    Only their parent changes: the tree keeps its sizes and its random draws.
    """
    return set(sorted(g[3] for g in grassroots if g[0] == BLOCK_TYPE)[:BLOCK_SIZE])


def apportion(total, weights, minimum=0):
    """Split total by weight, at least `minimum` each, summing exactly to total."""
    spare = total - minimum * len(weights)
    weight_sum = sum(weights)
    exact = [spare * weight / weight_sum for weight in weights]
    shares = [int(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - exact[i])
    for index in by_remainder[: spare - sum(shares)]:
        shares[index] += 1
    return [minimum + share for share in shares]


# rng.choices(names, weights) with the running sums worked out once: the same
# draws, without summing the weights for each of 310,000 members.
FAMILIES = [name for name, _weight in FAMILY_NAMES]
FAMILY_CUM_WEIGHTS = list(accumulate(weight for _name, weight in FAMILY_NAMES))
GENDERS = list(Member.Gender)


def random_name(rng, gender, highland):
    if highland:
        return rng.choice(HIGHLAND_NAMES[gender])
    family = rng.choices(FAMILIES, cum_weights=FAMILY_CUM_WEIGHTS)[0]
    return (
        f"{family} {rng.choice(MIDDLE_NAMES[gender])} {rng.choice(GIVEN_NAMES[gender])}"
    )


def random_date(rng, start, end):
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def build_member(rng, number, organization, position, today):
    gender = rng.choice(GENDERS)
    highland = (
        organization.org_type_id
        and organization.code.split(".")[1].startswith("X")
        and rng.random() < 0.4
    )
    born = random_date(rng, datetime.date(1952, 1, 1), datetime.date(2003, 12, 31))
    admitted = random_date(
        rng,
        born + datetime.timedelta(days=19 * 366),
        min(
            born + datetime.timedelta(days=45 * 365),
            today - datetime.timedelta(days=30),
        ),
    )
    probationary = (today - admitted).days < 365
    status = Member.Status.ACTIVE
    roll = rng.random()
    if roll < 0.02 and born.year < 1960:
        status = Member.Status.EXEMPT
    elif roll < 0.03:
        status = Member.Status.TRANSFERRED
    elif roll < 0.035:
        status = Member.Status.DECEASED
    party_post = ""
    if position == 0:
        party_post = "Bí thư chi bộ"
    elif position == 1:
        party_post = "Phó Bí thư chi bộ"
    elif position == 2:
        party_post = "Chi ủy viên"
    government_post = ""
    is_leader = False
    if position == 0 and organization.kind == OrganizationKind.GRASSROOTS_CELL:
        government_post, is_leader = "Thủ trưởng đơn vị", True
    elif position == 1 and rng.random() < 0.3:
        government_post, is_leader = "Trưởng phòng", True
    member = Member(
        full_name=random_name(rng, gender, highland),
        gender=gender,
        date_of_birth=born,
        card_number=f"62{number:07d}",
        # CCCD layout: province 062, century and gender, year of birth, serial.
        citizen_id=(
            f"062{gender == Member.Gender.FEMALE:d}{born.year % 100:02d}{number:06d}"
        ),
        admitted_on=admitted,
        full_member_on=None
        if probationary
        else admitted + datetime.timedelta(days=365),
        standing=Member.Standing.PROBATIONARY if probationary else Member.Standing.FULL,
        status=status,
        status_note=""
        if status == Member.Status.ACTIVE
        else "Theo quyết định của cấp ủy",
        organization=organization,
        party_post=party_post,
        government_post=government_post,
        mass_post=rng.choice(MASS_POSTS) if rng.random() < 0.08 else "",
        is_leader=is_leader,
        workplace=organization.parent.name
        if organization.kind == OrganizationKind.CELL and organization.parent
        else organization.name,
    )
    member.refresh_keys()
    return member


@transaction.atomic
def seed(
    members=DEFAULT_MEMBERS,
    grassroots=None,
    cells=None,
    seed_value=2023,
    today=None,
    log=print,
):
    """Build the demo; `grassroots` and `cells` fix the tree's size exactly.

    The province (docs/process.md §8) is about grassroots=650, cells=1900,
    members=31000; without them the tree grows with the members, as the city.
    """
    today = today or datetime.date.today()
    rng = random.Random(seed_value)
    scale = max(members / DEFAULT_MEMBERS, 0.05)
    specs = build_tree(rng, scale, grassroots, cells)
    codes = {spec.code for spec in specs} | {NEW_WARD_CODE}
    with bulk.loading():
        create_organizations(specs)
        # The tree as it was before the decision, also on a second run.
        organizations = tree_on(DECISION["effective_on"] - ONE_DAY, codes)
        created = create_members(rng, specs, organizations, members, today)
        create_posts(organizations)
        cycles = create_cycles(organizations[SUPERIOR_CODE], today)
        # The source article's cycle (2023) carries the recruitment indicator.
        article_cycle = next((c for c in cycles if c.year == 2023), cycles[0])
        create_indicator_values(rng, article_cycle, organizations)
        past = cycles[:-1]
        last = past[-1] if past else None
        before = [c for c in past if c.ends_on < DECISION["effective_on"]]
        registered = registered_members(organizations)
        merits = draw_merits(seed_value, registered, organizations)
        decided = create_history(
            seed_value, before, organizations, registered, merits, last
        )
        accounts = create_accounts(organizations)
        if cycles[-1].ends_on >= DECISION["effective_on"]:
            restructure(organizations, today)
            organizations = tree_on(cycles[-1].ends_on, codes)
            registered = registered_members(organizations)
            inherit_merits(seed_value, merits, organizations)
            decided += create_history(
                seed_value,
                [c for c in past if c not in before],
                organizations,
                registered,
                merits,
                last,
            )
        current = run_current_cycle(seed_value, cycles, organizations, today)
    log(
        f"Tổ chức đảng: {Organization.objects.count()}; "
        f"đảng viên: {Member.objects.count()} (mới tạo {created}); "
        f"kỳ kiểm điểm: {ReviewCycle.objects.count()}; "
        f"xếp loại đã quyết định (mới tạo): {decided}; "
        f"kỳ năm {current.year}: {current.get_status_display()}."
    )
    return accounts


def create_organizations(specs):
    """Create the missing organizations level by level; return all by code."""
    types = {t.code: t for t in OrganizationType.objects.all()}
    existing = {
        o.code: o for o in Organization.objects.filter(code__in=[s.code for s in specs])
    }
    pending = [s for s in specs if s.code not in existing]
    if pending:
        # Bulk writes send no signals: the cached figures must learn of the tree.
        transaction.on_commit(statistics.invalidate_tree)
    while pending:
        level = [
            s for s in pending if s.parent_code is None or s.parent_code in existing
        ]
        rows = [
            Organization(
                code=s.code,
                name=s.name,
                kind=s.kind,
                org_type=types.get(s.type_code),
                parent=existing.get(s.parent_code),
                active_from=datetime.date(2020, 10, 1),
            )
            for s in level
        ]
        for row in rows:
            row.refresh_keys()
        Organization.objects.bulk_create(rows, batch_size=1000)
        if rows and rows[0].pk is None:  # a backend that does not return keys
            rows = list(Organization.objects.filter(code__in=[r.code for r in rows]))
        for row in rows:
            parent_path = row.parent.path if row.parent_id else ""
            row.path = Organization.path_for(row.pk, parent_path)
            row.depth = len(row.path) // len(Organization.path_for(0)) - 1
            existing[row.code] = row
        Organization.objects.bulk_update(rows, ["path", "depth"], batch_size=1000)
        pending = [s for s in pending if s.code not in existing]
    return existing


def base_code(code):
    """The code an organization was built with: a row a restructuring
    replaced keeps it archived as "CODE~pk" (organizations/restructuring/)."""
    return code.split("~", 1)[0]


def tree_on(day, codes):
    """The demo's organizations active on `day`, by the code they were built
    with: the tree a cycle ending that day reviews."""
    rows = Organization.objects.active_on(day).select_related("parent", "org_type")
    return {base_code(row.code): row for row in rows if base_code(row.code) in codes}


def create_members(rng, specs, organizations, total, today):
    homes = [s for s in specs if s.member_weight]
    existing = set(Member.objects.values_list("card_number", flat=True))
    rows, number = [], 0
    shares = apportion(total, [spec.member_weight for spec in homes])
    for spec, share in zip(homes, shares):
        organization = organizations[spec.code]
        for position in range(share):
            number += 1
            member = build_member(rng, number, organization, position, today)
            if member.card_number not in existing:
                rows.append(member)
    bulk.insert_objects(Member, rows)
    bulk.analyze(Member)
    return len(rows)


COMMITTEE_SEATS = 5  # a committee's secretary, deputy and committee members
COMMITTEE_TITLES = {
    OrganizationKind.GRASSROOTS_COMMITTEE: "Đảng ủy",
    OrganizationKind.PARTIAL_COMMITTEE: "Đảng ủy bộ phận",
}
SEAT_POSTS = [PostKind.SECRETARY, PostKind.DEPUTY] + [PostKind.COMMITTEE] * 3


def create_posts(organizations):
    """Each cell's posts from its members' Party posts, and each committee's:
    the secretaries of the first cells under it sit on it, the first heading it.

    Members that already hold posts (a second run) are left as they are.
    """
    holding = set(Post.objects.values_list("member_id", flat=True))
    by_pk = {o.pk: o for o in organizations.values()}
    chains = {
        o.pk: [o, *(by_pk[i] for i in o.ancestor_ids[::-1] if i in by_pk)]
        for o in organizations.values()
    }
    posts, secretaries = [], defaultdict(list)
    rows = (
        Member.objects.exclude(party_post="")
        .filter(organization__in=[o.pk for o in organizations.values()])
        .order_by("organization__path", "pk")
    )
    for member in rows.select_related("organization"):
        if member.pk in holding:
            continue
        for organization, kind in posts_from_text(
            member.party_post, chains[member.organization_id]
        ):
            posts.append(Post(member=member, organization=organization, kind=kind))
            if kind == PostKind.SECRETARY:
                secretaries[organization.pk].append(member)
    changed = []
    for committee in sorted(organizations.values(), key=lambda o: o.path):
        title = COMMITTEE_TITLES.get(committee.kind)
        if title is None:
            continue
        seated = [
            member
            for cell_id in sorted(secretaries, key=lambda pk: chains[pk][0].path)
            if committee.pk in chains[cell_id][0].ancestor_ids
            for member in secretaries[cell_id]
        ][:COMMITTEE_SEATS]
        for member, kind in zip(seated, SEAT_POSTS):
            posts.append(Post(member=member, organization=committee, kind=kind))
            label = {
                PostKind.SECRETARY: f"Bí thư {title}",
                PostKind.DEPUTY: f"Phó Bí thư {title}",
            }.get(kind, f"Ủy viên {title}")
            member.party_post = f"{label}; {member.party_post}"
            if member not in changed:
                changed.append(member)
    Post.objects.bulk_create(posts, batch_size=2000)
    Member.objects.bulk_update(changed, ["party_post"], batch_size=2000)


def regime_code(year):
    return next(code for last, code in REGIME_UNTIL if last is None or year <= last)


def create_cycles(superior, today):
    """The locked cycles of past years, oldest first, then this year's draft."""
    regimes = {regime.code: regime for regime in Regime.objects.all()}
    year = today.year if today.month >= 10 else today.year - 1
    cycles = []
    for cycle_year in range(min(FIRST_HISTORY_YEAR, year), year + 1):
        # A history-only regime (QĐ 132) is accepted for a locked cycle only.
        status = (
            ReviewCycle.Status.LOCKED if cycle_year < year else ReviewCycle.Status.DRAFT
        )
        cycle, _ = ReviewCycle.objects.get_or_create(
            superior=superior,
            period=ReviewCycle.Period.YEAR,
            starts_on=datetime.date(cycle_year, 1, 1),
            defaults={
                "name": f"Kiểm điểm, đánh giá, xếp loại chất lượng năm {cycle_year}",
                "year": cycle_year,
                "ends_on": datetime.date(cycle_year, 12, 31),
                "regime": regimes[regime_code(cycle_year)],
                "status": status,
                "guidance_issued_on": datetime.date(cycle_year, 11, 20),
                "self_review_due": datetime.date(cycle_year, 12, 15),
                "meetings_due": datetime.date(cycle_year, 12, 31),
                "appraisal_due": datetime.date(cycle_year + 1, 1, 10),
                "decision_due": datetime.date(cycle_year + 1, 1, 20),
                "publication_due": datetime.date(cycle_year + 1, 1, 31),
            },
        )
        cycles.append(cycle)
    return cycles


# Most units meet their recruitment target; a leader whose unit met under half
# its targets is rated KHTNV (docs/process.md §6.4 rule 5).
SHORTFALLS = [0] * 49 + [1]
OVERDUE_DOSSIERS = [0] * 6 + [1, 2, 3, 5]


def create_indicator_values(rng, cycle, organizations):
    indicator = FocusIndicator.objects.get(code="new-members")
    grassroots = [o for o in organizations.values() if o.is_grassroots]
    done = set(
        IndicatorValue.objects.filter(cycle=cycle, indicator=indicator).values_list(
            "organization_id", flat=True
        )
    )
    rows = []
    for organization in sorted(grassroots, key=lambda o: o.code):
        target = rng.randint(1, 6)
        actual = max(target - rng.choice(SHORTFALLS), 0)
        if organization.pk not in done:
            rows.append(
                IndicatorValue(
                    indicator=indicator,
                    cycle=cycle,
                    organization=organization,
                    target=target,
                    actual=actual,
                )
            )
    IndicatorValue.objects.bulk_create(rows)


# The last decided year's suggestions and indicators ---------------------------
#
# The BTV suggested focus areas to a share of the grassroots organizations
# (docs/process.md §4); most answered them in section IV. Wards and communes report
# the recruitment target and their overdue land-certificate dossiers.

SUGGESTED_SHARE = 0.15
ANSWERED_SHARE = 0.85
FOCUS_BY_TYPE = {
    "phuong": ["urban-order", "land-certificates"],
    "xa": ["land-clearance", "land-certificates"],
    "co-quan-hanh-chinh": ["admin-procedures"],
    "don-vi-su-nghiep": ["health-insurance"],
}
ANSWER = (
    "Tập thể đã nghiêm túc kiểm điểm, làm rõ nguyên nhân chủ quan, khách quan "
    "và đề ra giải pháp khắc phục trong năm tới."
)


def create_focus_areas(rng, cycle, organizations):
    """Suggestions with their answers, and indicator values, once per cycle."""
    if Suggestion.objects.filter(cycle=cycle).exists():
        return
    areas = {area.code: area for area in FocusArea.objects.all()}
    indicators = {i.code: i for i in FocusIndicator.objects.all()}
    collectives = dict(
        cycle.reviews.filter(kind=Review.Kind.ORGANIZATION).values_list(
            "organization_id", "pk"
        )
    )
    grassroots = sorted(
        (o for o in organizations.values() if o.is_grassroots), key=lambda o: o.code
    )
    values = []
    for organization in grassroots:
        target = rng.randint(1, 6)
        values.append(
            IndicatorValue(
                indicator=indicators["new-members"],
                cycle=cycle,
                organization=organization,
                target=target,
                actual=max(target - rng.choice(SHORTFALLS), 0),
            )
        )
        type_code = organization.org_type.code if organization.org_type else ""
        if type_code in ("phuong", "xa"):
            values.append(
                IndicatorValue(
                    indicator=indicators["overdue-land-dossiers"],
                    cycle=cycle,
                    organization=organization,
                    target=0,
                    actual=rng.choice(OVERDUE_DOSSIERS),
                )
            )
    IndicatorValue.objects.bulk_create(values, ignore_conflicts=True)
    issued_on = cycle.guidance_issued_on or datetime.date(cycle.year, 11, 20)
    for organization in grassroots:
        type_code = organization.org_type.code if organization.org_type else ""
        if rng.random() > SUGGESTED_SHARE or organization.pk not in collectives:
            continue
        codes = FOCUS_BY_TYPE.get(type_code, ["member-recruitment"])
        suggestion = Suggestion.objects.create(
            cycle=cycle, organization=organization, issued_on=issued_on
        )
        for number, code in enumerate(codes, 1):
            item = SuggestionItem.objects.create(
                suggestion=suggestion,
                number=number,
                focus_area=areas[code],
                text=areas[code].name,
            )
            if rng.random() < ANSWERED_SHARE:
                SuggestionAnswer.objects.create(
                    review_id=collectives[organization.pk], item=item, text=ANSWER
                )


# Past cycles -------------------------------------------------------------------
#
# Every past cycle holds a submitted review and a decided rating for each
# organization and member of that year. Levels follow a lasting merit of each
# subject plus a yearly chance, so that some members stay HTXSNV five years
# running and a few are KHTNV twice; within each comparison group about 90% are
# HTTNV or better, HTXSNV fills the quota (docs/process.md §6, §8) and under 1% fail.

YEARLY_CHANCE = 1.0  # spread of a year's result around the lasting merit
FAIL_BELOW = -3.75  # ≈0.4% KHTNV, and the leaders of units rated KHTNV
PASS_BELOW = -1.81  # ≈10% HTNV or KHTNV
SCORES = {  # points under QĐ 366, by level
    rules.EXCELLENT: (90, 98),
    rules.GOOD: (72, 89),
    rules.PASS: (55, 69),
    rules.FAIL: (35, 49),
}
CONDITIONS = {  # % of tasks on time, exceeding, shortcomings remedied, by level
    rules.EXCELLENT: (100, 40, 100),
    rules.GOOD: (100, 15, 100),
    rules.PASS: (90, 5, 80),
    rules.FAIL: (60, 0, 50),
}
ASSESSMENTS = {
    rules.EXCELLENT: "Hoàn thành xuất sắc các nhiệm vụ được giao; là điển hình "
    "trong tu dưỡng, rèn luyện và nêu gương.",
    rules.GOOD: "Hoàn thành tốt nhiệm vụ được giao; giữ gìn phẩm chất đạo đức, "
    "lối sống; chấp hành nghiêm kỷ luật của Đảng.",
    rules.PASS: "Hoàn thành nhiệm vụ; còn hạn chế về tiến độ một số nhiệm vụ, "
    "cần khắc phục trong năm tới.",
    rules.FAIL: "Không hoàn thành nhiệm vụ được giao; đề nghị cấp ủy kiểm điểm, "
    "giúp đỡ và có biện pháp xử lý theo quy định.",
}


class Registered(NamedTuple):
    """What opening a past cycle reads of a reviewable member, as a tuple: the
    register read as instances cost more than the reviews written from it."""

    pk: int
    organization: Organization
    is_leader: bool
    full_name: str
    party_post: str
    government_post: str
    mass_post: str
    workplace: str
    sort_key: str
    admitted_on: datetime.date

    is_reviewable = True  # read from Member.objects.reviewable()


def registered_members(organizations):
    """The reviewable members in key order, each with its organization."""
    rows = list(
        Member.objects.reviewable()
        .order_by("pk")
        .values_list(
            "pk",
            "organization_id",
            "is_leader",
            "full_name",
            "party_post",
            "government_post",
            "mass_post",
            "workplace",
            "sort_key",
            "admitted_on",
        )
    )
    by_id = {o.pk: o for o in organizations.values()}
    missing = {row[1] for row in rows} - by_id.keys()
    by_id.update(Organization.objects.in_bulk(missing))
    return [Registered(row[0], by_id[row[1]], *row[2:]) for row in rows]


def draw_merits(seed_value, members, organizations):
    """Each member's and organization's lasting merit (see YEARLY_CHANCE)."""
    rng = random.Random(seed_value + 1)
    merits = {("member", m.pk): rng.gauss(0, 1) for m in members}
    for organization in sorted(organizations.values(), key=lambda o: o.code):
        merits["organization", organization.pk] = rng.gauss(0, 1)
    return merits


def inherit_merits(seed_value, merits, organizations):
    """An organization that continues as a new row keeps its merit (the rows
    share a lineage); one the decision created draws its own."""
    rng = random.Random(seed_value + 23)
    for organization in sorted(organizations.values(), key=lambda o: o.code):
        key = ("organization", organization.pk)
        if key not in merits:
            merits[key] = merits.get(("organization", organization.line))
            if merits[key] is None:
                merits[key] = rng.gauss(0, 1)


def create_history(seed_value, cycles, organizations, members, merits, last):
    """Open, rate and decide these past cycles on the tree they reviewed;
    `last` (the last decided year) also gets its meetings, suggestions and
    remedy plans. Returns the ratings created."""
    by_id = {o.pk: o for o in organizations.values()}
    created = 0
    # The past cycles are locked: this is a history import.
    with closed_cycle_writes():
        for cycle in cycles:
            if not cycle.reviews.exists():
                open_past_cycle(
                    cycle, [m for m in members if m.admitted_on <= cycle.ends_on]
                )
            if cycle == last:
                # Its indicators come before its decisions: they cap leaders.
                create_focus_areas(random.Random(seed_value + 13), cycle, by_id)
            written = decide_past_cycle(
                random.Random(seed_value + cycle.year), cycle, merits, by_id
            )
            created += written
            if cycle == last:
                written += record_meetings(random.Random(seed_value + 11), cycle, by_id)
            if written:
                # Bulk writes send no signals: copy the outcomes onto the reviews.
                bulk.refresh_outcomes(cycle)
    if last in cycles:
        create_remedy_actions(random.Random(seed_value + 7), last)
    # Bulk writes send no signals: drop the figures cached before this import.
    for cycle in cycles:
        transaction.on_commit(partial(statistics.invalidate, cycle.pk))
    return created


# The last decided year also went through its review meetings: each collective
# met in December and proposed a level for itself and its members, which the
# superior committee mostly kept. A few proposals were one level higher and
# were cut, most of them HTXSNV to HTTNV for the quota.
RAISED_SHARE = 0.04


def record_meetings(rng, cycle, organizations):
    """Done meetings and the meetings' proposals for a decided cycle."""
    proposed = set(
        Rating.objects.filter(
            review__cycle=cycle, stage=Rating.Stage.MEETING
        ).values_list("review_id", flat=True)
    )
    decided = Rating.objects.filter(
        review__cycle=cycle, stage=Rating.Stage.DECISION
    ).order_by("review_id")
    decisions = [
        row
        for row in decided.values_list(
            "review_id", "review__organization_id", "level__code", "score", named=True
        )
        if row.review_id not in proposed
    ]
    collectives = list(
        cycle.reviews.filter(kind=Review.Kind.ORGANIZATION, meeting__isnull=True)
        .order_by("pk")
        .values_list("pk", "organization_id", "subject_name", named=True)
    )
    held = {
        organization_id: datetime.date(cycle.year, 12, rng.randint(11, 30))
        for organization_id in sorted(
            cycle.reviews.filter(kind=Review.Kind.ORGANIZATION).values_list(
                "organization_id", flat=True
            )
        )
    }
    last_day = datetime.date(cycle.year, 12, 30)
    recorded = {
        day: timezone.make_aware(datetime.datetime.combine(day, datetime.time(16)))
        for day in {*held.values(), last_day}
    }
    cut = [row.review_id for row in decisions if row.level__code != rules.EXCELLENT]
    raised = set(rng.sample(cut, min(round(RAISED_SHARE * len(decisions)), len(cut))))
    levels = {level.code: level for level in cycle.regime.levels.all()}
    ratings = []
    for row in decisions:
        code, score = row.level__code, row.score
        if row.review_id in raised:
            code = rules.ORDER[rules.ORDER.index(code) - 1]
            score = round(rng.uniform(*SCORES[code]), 1) if score is not None else None
        ratings.append(
            (
                row.review_id,
                Rating.Stage.MEETING,
                levels[code].pk,
                score,
                recorded[held.get(row.review__organization_id, last_day)],
            )
        )
    bulk.insert(Rating, ["review_id", "stage", "level_id", "score", "set_at"], ratings)
    heads = dict(
        cycle.reviews.filter(
            kind=Review.Kind.INDIVIDUAL, meeting_rank=Review.Rank.HEAD
        ).values_list("organization_id", "subject_name")
    )
    meetings = []
    for review in collectives:
        parent = organizations[review.organization_id].parent_id
        meetings.append(
            Meeting(
                review_id=review.pk,
                held_on=held[review.organization_id],
                place=f"Hội trường {review.subject_name}",
                chair=heads.get(review.organization_id, ""),
                superior_attendee=f"Đại diện {organizations[parent].name}"
                if parent in organizations
                else "",
                status=Meeting.Status.DONE,
            )
        )
    Meeting.objects.bulk_create(meetings, batch_size=5000)
    return len(ratings)


REMEDIES = [
    (
        "Chưa hoàn thành chỉ tiêu phát triển đảng viên mới",
        "Rà soát nguồn quần chúng ưu tú, phân công đảng viên giúp đỡ",
    ),
    (
        "Sinh hoạt chi bộ có lúc chưa đúng định kỳ, nội dung còn đơn điệu",
        "Xây dựng chương trình sinh hoạt chuyên đề hằng quý",
    ),
    (
        "Giải quyết hồ sơ thủ tục hành chính có lúc còn trễ hạn",
        "Theo dõi hồ sơ hằng tuần, báo cáo chi ủy các hồ sơ sắp đến hạn",
    ),
    (
        "Tinh thần tự phê bình chưa cao, còn nể nang",
        "Tự giác nêu ưu, khuyết điểm tại các kỳ sinh hoạt chi bộ",
    ),
]


def create_remedy_actions(rng, cycle):
    """Remedy plans after the last decided cycle, so the next one carries them."""
    ratings = (
        Rating.objects.filter(
            review__cycle=cycle,
            stage=Rating.Stage.DECISION,
            level__code__in=["HTNV", "KHTNV"],
        )
        .exclude(review__remedy_actions__isnull=False)
        .select_related("review")
        .order_by("review_id")
    )
    actions = []
    for rating in ratings:
        for number in range(1, rng.randint(1, 2) + 1):
            shortcoming, content = rng.choice(REMEDIES)
            status = rng.choice(
                [RemedyAction.Status.OPEN, RemedyAction.Status.IN_PROGRESS]
                + [RemedyAction.Status.DONE] * 2
            )
            deadline = datetime.date(cycle.year + 1, rng.randint(3, 12), 28)
            actions.append(
                RemedyAction(
                    review=rating.review,
                    number=number,
                    shortcoming=shortcoming,
                    content=content,
                    owner=rating.review.subject_name,
                    deadline=deadline,
                    status=status,
                    closed_on=deadline if status == RemedyAction.Status.DONE else None,
                )
            )
    bulk.insert_objects(RemedyAction, actions)


PAST_REVIEW_FIELDS = [
    "cycle_id",
    "kind",
    "organization_id",
    "member_id",
    "leadership_review_id",
    "template_id",
    "subject_name",
    "party_post",
    "government_post",
    "mass_post",
    "workplace",
    "is_leader",
    "meeting_rank",
    "sort_key",
    "status",
    "submitted_at",
]


def open_past_cycle(cycle, members):
    """The reviews of a past cycle, as opening it would have made them that year.

    Like services.open_cycle, but for the members admitted by the end of that
    year, and with every form already submitted.
    """
    # A committee above the grassroots (the block committee of the agencies)
    # was rated by the province, outside the city's comparison groups.
    organizations = list(
        services.scope_organizations(cycle)
        .exclude(kind=OrganizationKind.SUPERIOR_COMMITTEE)
        .order_by("path")
    )
    by_id = {o.pk: o for o in organizations}
    grassroots_by_id = {o.pk: o for o in organizations if o.kind in GRASSROOTS_KINDS}
    services.create_collective_reviews(
        cycle,
        organizations,
        services.select_template(cycle, FormTemplate.Audience.COLLECTIVE),
        members,
        by_id,
    )
    submitted = timezone.make_aware(datetime.datetime(cycle.year, 12, 10, 9, 0))
    cycle.reviews.update(status=Review.Status.SUBMITTED, submitted_at=submitted)
    leadership = dict(
        cycle.reviews.filter(kind=Review.Kind.LEADERSHIP).values_list(
            "organization_id", "pk"
        )
    )
    templates = {
        False: services.select_template(cycle, FormTemplate.Audience.MEMBER),
        True: services.select_template(cycle, FormTemplate.Audience.LEADER),
    }
    # The demo's posts are undated: each past year had today's leadership.
    posts = services.posts_held(cycle)
    no_post = services.meeting_rank_in({}, None, None)
    rows = []
    grassroots_of_cell = {}
    for member in members:
        cell = services.review_cell(member.organization, by_id)
        if cell is None:
            continue
        if cell.pk not in grassroots_of_cell:
            grassroots_of_cell[cell.pk] = services.grassroots_of(cell, grassroots_by_id)
        grassroots = grassroots_of_cell[cell.pk]
        # Values rather than instances: this runs for every member and year.
        rows.append(
            (
                cycle.pk,
                Review.Kind.INDIVIDUAL,
                cell.pk,
                member.pk,
                leadership.get(grassroots.pk)
                if member.is_leader and grassroots
                else None,
                templates[member.is_leader].pk,
                member.full_name,
                member.party_post,
                member.government_post,
                member.mass_post,
                member.workplace,
                member.is_leader,
                services.meeting_rank_in(posts, member.pk, cell.pk)
                if member.pk in posts
                else no_post,
                member.sort_key,
                Review.Status.SUBMITTED,
                submitted,
            )
        )
    bulk.insert(Review, PAST_REVIEW_FIELDS, rows)
    bulk.analyze(Review)
    services.copy_posts(cycle, posts, [member.pk for member in members])


def decide_past_cycle(rng, cycle, merits, organizations):
    """A decided rating for every review of the cycle that has none."""
    decided = set(
        Rating.objects.filter(
            review__cycle=cycle, stage=Rating.Stage.DECISION
        ).values_list("review_id", flat=True)
    )
    reviews = list(
        cycle.reviews.order_by("pk").values_list(
            "pk",
            "kind",
            "organization_id",
            "member_id",
            "is_leader",
            "meeting_rank",
            "leadership_review__organization_id",
            named=True,
        )
    )
    if len(decided) == len(reviews):
        return 0
    by_pk = {review.pk: review for review in reviews}
    groups = {
        key: [by_pk[subject.pk] for subject in group.reviews]
        for key, group in ratings.comparison_groups(cycle).items()
    }
    leadership = ratings.Leadership(cycle)
    minimums = cycle.regime.leader_unit_minimums
    targets = ratings.targets_met(cycle)
    percent_met = cycle.regime.unit_targets_percent
    # Collectives first: heads and leaders are capped by them (rules 3 and 5),
    # before the quota is filled.
    percent = cycle.regime.quota_percent
    codes = {}
    for group in groups.values():
        if not group[0].member_id:
            codes.update(draw_levels(rng, group, merits, percent))
    collectives = {
        (r.organization_id, r.kind): codes[r.pk] for r in reviews if not r.member_id
    }
    unmet = {
        org
        for org, (met, total) in targets.items()
        if rules.unit_targets("", met, total, percent_met)
    }
    capped = partial(ceiling, leadership, collectives, minimums, unmet)
    for group in groups.values():
        if group[0].member_id:
            codes.update(draw_levels(rng, group, merits, percent, capped))
    levels = {level.code: level for level in cycle.regime.levels.all()}
    decided_at = timezone.make_aware(datetime.datetime(cycle.year + 1, 1, 15, 9, 0))
    rows = []
    uses_points = cycle.regime.uses_points
    for review in reviews:
        if review.pk in decided:
            continue
        code = codes[review.pk]
        rows.append(
            (
                review.pk,
                Rating.Stage.DECISION,
                levels[code].pk,
                round(rng.uniform(*SCORES[code]), 1) if uses_points else None,
                ASSESSMENTS[code],
                decided_at,
            )
        )
    bulk.insert(
        Rating,
        ["review_id", "stage", "level_id", "score", "assessment", "set_at"],
        rows,
    )
    bulk.analyze(Rating)
    if cycle.regime.uses_points:
        # The band's conditions (tasks on time, exceeding, remedied) go with
        # the score, so that each decided level is the one its points allow.
        for code, (on_time, exceeding, remedied) in CONDITIONS.items():
            chosen = [pk for pk, found in codes.items() if found == code]
            for start in range(0, len(chosen), 5000):
                cycle.reviews.filter(pk__in=chosen[start : start + 5000]).update(
                    tasks_on_time_percent=on_time,
                    tasks_exceeding_percent=exceeding,
                    shortcomings_remedied_percent=remedied,
                )
    return len(rows)


def draw_levels(rng, reviews, merits, quota_percent, ceiling=None):
    """Levels for one comparison group: merit plus chance, HTXSNV within quota."""
    scored = []
    for review in reviews:
        if review.member_id:
            merit = merits.get(("member", review.member_id), 0)
        else:
            merit = merits.get(("organization", review.organization_id), 0)
        score = merit + rng.gauss(0, YEARLY_CHANCE)
        if score < FAIL_BELOW:
            code = rules.FAIL
        elif score < PASS_BELOW:
            code = rules.PASS
        else:
            code = rules.GOOD
        highest = ceiling(review) if ceiling else rules.EXCELLENT
        code = max(code, highest, key=rules.ORDER.index)
        scored.append((score, review.pk, code, highest))
    scored.sort(reverse=True)
    codes = {pk: code for _score, pk, code, _highest in scored}
    good = sum(1 for code in codes.values() if code == rules.GOOD)
    candidates = [
        pk
        for _score, pk, code, highest in scored
        if code == rules.GOOD and highest == rules.EXCELLENT
    ]
    excellent = len(candidates)
    while excellent > rules.quota_allowed(good - excellent, quota_percent):
        excellent -= 1
    for pk in candidates[:excellent]:
        codes[pk] = rules.EXCELLENT
    return codes


def ceiling(leadership, collectives, minimums, unmet, review):
    """A head no higher than the collective they head, a leader no higher than
    the unit they lead allows, nor above KHTNV if it met under half its targets
    (`unmet`) (rules 3 and 5)."""
    if leadership.units[review.pk] & unmet:
        return rules.FAIL
    kind = Review.Kind.ORGANIZATION
    found = [
        rules.head(collectives.get((org, kind)), "")
        for org in leadership.headed(review.pk)
    ]
    found += [
        rules.leader_unit(
            collectives.get((org, Review.Kind.ORGANIZATION)), "", minimums
        )
        for org in leadership.units[review.pk]
    ]
    return max(
        [rules.EXCELLENT, *(f.highest for f in found if f)], key=rules.ORDER.index
    )


def create_accounts(organizations):
    """The four demo accounts, each tied to a real place in the tree."""
    User = get_user_model()
    superior = organizations[SUPERIOR_CODE]
    cell = organizations[DEMO_CELL]
    staff_group, _ = Group.objects.get_or_create(name="Ban Tổ chức")
    # Staff keep the tree and the register, and create the users they assign.
    staff_group.permissions.set(
        Permission.objects.filter(
            Q(
                content_type__app_label__in=[
                    "organizations",
                    "members",
                    "reviews",
                    "api",
                ]
            )
            | Q(content_type__app_label="auth", content_type__model="user")
        )
    )
    cell_members = list(
        Member.objects.filter(organization=cell).order_by("card_number")[:2]
    )
    plan = [
        ("staff", "Cán bộ Ban Tổ chức", superior, Role.Kind.STAFF, True, None),
        (
            "secretary",
            "Bí thư chi bộ",
            cell,
            Role.Kind.SECRETARY,
            False,
            cell_members[0],
        ),
        ("member", "Đảng viên", cell, Role.Kind.MEMBER, False, cell_members[1]),
        ("leader", "Ủy viên Ban Thường vụ", superior, Role.Kind.LEADER, False, None),
    ]
    accounts = []
    for username, title, organization, kind, is_staff, member in plan:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": title, "is_staff": is_staff}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if is_staff:
            user.groups.add(staff_group)
        Role.objects.get_or_create(user=user, organization=organization, kind=kind)
        if member and member.user_id is None and not hasattr(user, "party_member"):
            member.user = user
            member.save(update_fields=["user"])
        accounts.append((username, title, organization.name))
    return accounts


# The restructuring --------------------------------------------------------------
#
# In 2025 the province's standing committee restructured the city's tree by one
# decision, effective 1 July: two wards merged into Đảng bộ phường Kon Tum (the
# second ward's cells renumbered after the first's), the last residential cell
# of two neighbouring wards moved to it, and the block committee of the city's
# agencies removed, its grassroots organizations placed directly under the
# city. The cycles up to 2024 keep the rows they reviewed; 2025 and the current
# year run on the new tree (organizations/restructuring/).


def restructure(organizations, today):
    """Enter the decision as staff would and apply it; once only."""
    province = organizations[PROVINCE_CODE]
    if Restructuring.objects.filter(
        number=DECISION["number"], committee=province
    ).exists():
        return None
    lines = decision_lines(organizations)
    if not lines:
        return None  # a tree too small for any of it
    staff = get_user_model().objects.get(username="staff")
    decision = Restructuring.objects.create(
        **DECISION,
        note=decision_note(lines, organizations),
        committee=province,
        created_by=staff,
    )
    for line in lines:
        line.restructuring = decision
    RestructuringLine.objects.bulk_create(lines)
    restructuring.apply(decision, staff, today=today)
    return decision


def decision_lines(organizations):
    """The decision's annex, read off the tree as it was (unsaved lines)."""
    lines = []

    def add(operation, code, **values):
        lines.append(
            RestructuringLine(
                number=len(lines) + 1, operation=operation, code=code, **values
            )
        )

    children = defaultdict(list)
    for row in sorted(organizations.values(), key=lambda o: (len(o.code), o.code)):
        children[row.parent_id].append(row)
    city = organizations[SUPERIOR_CODE]
    demo_cell = organizations.get(DEMO_CELL)
    demo_ward = demo_cell.parent_id if demo_cell else None
    wards = [
        row
        for row in children[city.pk]
        if row.kind == OrganizationKind.GRASSROOTS_COMMITTEE
        and row.org_type
        and row.org_type.code == "phuong"
        and row.pk != demo_ward
    ]
    if len(wards) >= MERGED_WARDS:
        merged, neighbours = wards[:MERGED_WARDS], wards[MERGED_WARDS:]
        for ward in merged:
            add(
                Operation.MERGE,
                ward.code,
                new_code=NEW_WARD_CODE,
                new_name=NEW_WARD_NAME,
                parent_code=SUPERIOR_CODE,
            )
        number = len(children[merged[0].pk])
        for ward in merged[1:]:
            for cell in children[ward.pk]:
                number += 1
                add(Operation.RENAME, cell.code, new_name=renumbered(cell, number))
        for ward in neighbours[:MOVED_CELLS]:
            cells = children[ward.pk]
            if len(cells) < 2:
                continue  # every ward keeps a cell
            number += 1
            moved = cells[-1]
            add(Operation.MOVE, moved.code, parent_code=NEW_WARD_CODE)
            add(Operation.RENAME, moved.code, new_name=renumbered(moved, number))
    block = organizations.get(BLOCK_CODE)
    if block is not None:
        for row in children[block.pk]:
            add(Operation.MOVE, row.code, parent_code=SUPERIOR_CODE)
        add(Operation.CLOSE, block.code, target_code=SUPERIOR_CODE)
    return lines


def renumbered(cell, number):
    """A residential cell's name with its number in the ward it now belongs to."""
    return f"{cell.name.rstrip('0123456789').rstrip()} {number}"


def decision_note(lines, organizations):
    """What the decision is about, in the words of its title."""
    names = {row.code: row.name for row in organizations.values()}
    done = {line.operation for line in lines}
    parts = []
    if Operation.MERGE in done:
        merged = [
            names[line.code] for line in lines if line.operation == Operation.MERGE
        ]
        parts.append(f"hợp nhất {' và '.join(merged)} thành {NEW_WARD_NAME}")
    if any(line.parent_code == NEW_WARD_CODE for line in lines):
        parts.append(f"điều chuyển một số chi bộ tổ dân phố về {NEW_WARD_NAME}")
    if Operation.CLOSE in done:
        parts.append(
            f"giải thể {BLOCK_NAME}, chuyển các tổ chức cơ sở đảng trực thuộc "
            f"về trực thuộc {names[SUPERIOR_CODE]}"
        )
    return f"Về việc sắp xếp tổ chức đảng trực thuộc: {'; '.join(parts)}."


# The current cycle -------------------------------------------------------------
#
# This year's cycle is opened by the opening job, as staff open it. Nearly every
# form is then written and submitted; a few members could not write theirs, and
# staff recorded why before moving the cycle to its meetings. About half of the
# collectives have recorded their meeting; the others, the demo secretary's cell
# among them, are planned, so the walkthrough can hold one and go on from there.

EXEMPT_SHARE = 0.015
MATERNITY = "Nghỉ thai sản"
EXEMPTION_REASONS = [
    ("Ốm dài ngày, điều trị tại bệnh viện", 4),
    ("Đi công tác dài ngày ở nước ngoài", 2),
    ("Đang làm thủ tục chuyển sinh hoạt đảng", 3),
    (MATERNITY, 3),
]
HELD_SHARE = 0.5
ABSENT_SHARE = 0.04
ABSENCE_REASONS = ["Đi công tác", "Ốm, có đơn xin vắng", "Việc gia đình đột xuất"]
RESIDENTIAL_TYPES = ("phuong", "xa")
# How a level usually moves from last year's decision to this year's self-rating.
SELF_RATING_DRIFT = [(0, 0.8), (-1, 0.1), (1, 0.1)]
# Each level's self-score: share of every criterion's points, and its conditions
# (tasks on time, tasks exceeding the requirement, shortcomings remedied; %).
SELF_SCORES = {
    rules.EXCELLENT: ((0.91, 0.98), (100, 100), (30, 60), (100, 100)),
    rules.GOOD: ((0.73, 0.88), (100, 100), (5, 29), (80, 100)),
    rules.PASS: ((0.56, 0.68), (80, 95), (0, 10), (50, 90)),
    rules.FAIL: ((0.36, 0.48), (50, 75), (0, 0), (0, 50)),
}
CIVIL_SERVANT_RATINGS = {
    rules.EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
    rules.GOOD: "Hoàn thành tốt nhiệm vụ",
    rules.PASS: "Hoàn thành nhiệm vụ",
    rules.FAIL: "Không hoàn thành nhiệm vụ",
}

MEMBER_ANSWERS = {
    "I-1": [
        "Luôn kiên định chủ nghĩa Mác - Lê-nin, tư tưởng Hồ Chí Minh; chấp hành "
        "nghiêm chủ trương của Đảng, chính sách, pháp luật của Nhà nước. Giữ gìn "
        "phẩm chất đạo đức, lối sống giản dị, lành mạnh; không có biểu hiện suy "
        "thoái, “tự diễn biến”, “tự chuyển hóa”.",
        "Có lập trường tư tưởng chính trị vững vàng, tin tưởng vào sự lãnh đạo của "
        "Đảng. Chấp hành nghiêm Điều lệ Đảng và những điều đảng viên không được làm; "
        "sinh hoạt đảng đầy đủ, đóng đảng phí đúng quy định.",
        "Thường xuyên học tập, quán triệt nghị quyết của Đảng; giữ mối liên hệ với "
        "chi ủy và nhân dân nơi cư trú; tác phong gần gũi quần chúng, đoàn kết với "
        "đồng chí, đồng nghiệp.",
    ],
    "work": [
        "Hoàn thành {on_time}% nhiệm vụ đúng tiến độ, {exceeding}% nhiệm vụ vượt "
        "yêu cầu; chủ động tham mưu, đề xuất giải pháp nâng cao hiệu quả công việc "
        "của cơ quan, đơn vị.",
        "Thực hiện đầy đủ chức trách được giao; {on_time}% nhiệm vụ hoàn thành đúng "
        "hạn, trong đó {exceeding}% vượt yêu cầu về chất lượng, tiến độ.",
    ],
    "home": [
        "Tham gia đầy đủ sinh hoạt chi bộ và hoạt động của {place}; vận động gia "
        "đình, bà con thực hiện tốt chủ trương của Đảng, chính sách, pháp luật của "
        "Nhà nước và quy ước của khu dân cư.",
        "Gương mẫu tham gia phong trào “Toàn dân đoàn kết xây dựng đời sống văn "
        "hóa” ở {place}; hoàn thành các nhiệm vụ chi bộ phân công.",
    ],
    "I-3": [
        "Thực hiện nghiêm túc bản cam kết tu dưỡng, rèn luyện, phấn đấu năm "
        "{year}; học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh "
        "gắn với nhiệm vụ được giao.",
        "Hoàn thành các nội dung đã đăng ký trong bản cam kết đầu năm {year}; giữ "
        "gìn đoàn kết, phát huy tinh thần trách nhiệm nêu gương.",
    ],
    "I-4": [
        "Lãnh đạo, điều hành đơn vị hoàn thành các chỉ tiêu được giao; phát huy dân "
        "chủ, giữ vững đoàn kết nội bộ; gương mẫu thực hiện trách nhiệm nêu gương "
        "của người đứng đầu.",
        "Phân công nhiệm vụ rõ người, rõ việc; kiểm tra, đôn đốc thường xuyên; được "
        "cán bộ, công chức trong đơn vị tín nhiệm.",
    ],
    "II": {
        rules.EXCELLENT: [
            "Việc nghiên cứu, cập nhật kiến thức mới có lúc chưa thường xuyên. "
            "Nguyên nhân: khối lượng công việc lớn, thời gian tự học còn ít.",
        ],
        rules.GOOD: [
            "Tinh thần tự phê bình và phê bình có lúc còn nể nang. Nguyên nhân chủ "
            "quan là bản thân chưa mạnh dạn góp ý.",
            "Một số việc còn giải quyết chậm so với kế hoạch. Nguyên nhân: sắp xếp "
            "công việc chưa thật khoa học.",
        ],
        rules.PASS: [
            "Một số nhiệm vụ hoàn thành chậm so với thời hạn; tham gia sinh hoạt chi "
            "bộ có lúc chưa đầy đủ. Nguyên nhân: chưa sắp xếp công việc khoa học, "
            "ý thức trách nhiệm có lúc chưa cao.",
        ],
        rules.FAIL: [
            "Không hoàn thành một số nhiệm vụ được giao, nhiều việc trễ hạn; chưa "
            "khắc phục các hạn chế đã được chỉ ra. Nguyên nhân chủ yếu là chủ quan.",
        ],
    },
    "V": [
        "",
        "",
        "Bản thân chịu trách nhiệm về những hạn chế, khuyết điểm đã nêu.",
    ],
    "VI": [
        "Tiếp tục học tập nâng cao trình độ lý luận chính trị, chuyên môn nghiệp vụ; "
        "sắp xếp công việc khoa học, bảo đảm tiến độ; phát huy tự phê bình và phê "
        "bình.",
        "Xây dựng kế hoạch công việc hằng tháng, theo dõi tiến độ; tích cực góp ý "
        "trong sinh hoạt chi bộ.",
    ],
    "III": "Không có hạn chế, khuyết điểm nào được cấp có thẩm quyền chỉ ra ở kỳ "
    "kiểm điểm trước còn phải khắc phục.",
}
COLLECTIVE_ANSWERS = {
    "I-1": [
        "Lãnh đạo hoàn thành {met}/{targets} chỉ tiêu chủ yếu của nghị quyết năm "
        "{year}; giữ vững ổn định chính trị, trật tự an toàn xã hội.",
        "Ban hành kịp thời chương trình, kế hoạch thực hiện nghị quyết; {met}/"
        "{targets} chỉ tiêu đạt và vượt kế hoạch năm {year}.",
    ],
    "I-2": [
        "Duy trì sinh hoạt định kỳ hằng tháng, nội dung có đổi mới; thực hiện "
        "nghiêm nguyên tắc tập trung dân chủ, tự phê bình và phê bình; thực hiện "
        "đúng quy chế làm việc.",
        "Sinh hoạt chuyên đề hằng quý theo hướng dẫn; các nghị quyết đều được "
        "thảo luận dân chủ, biểu quyết theo đa số.",
    ],
    "I-3": [
        "Thực hiện kế hoạch kiểm tra, giám sát năm {year}: kiểm tra {checked} đảng "
        "viên, giám sát chuyên đề {watched} đảng viên; không phát hiện vi phạm. "
        "Công tác phòng, chống tham nhũng, lãng phí, tiêu cực được quan tâm.",
    ],
    "II": [
        "Chất lượng sinh hoạt chuyên đề chưa đều; công tác phát triển đảng viên "
        "còn khó khăn về nguồn. Nguyên nhân: một số đảng viên chưa thật sự tích "
        "cực.",
        "Việc theo dõi, đôn đốc thực hiện nghị quyết có lúc chưa thường xuyên. "
        "Nguyên nhân: cấp ủy chưa phân công cụ thể từng nội dung.",
    ],
    "V": ["", "Trách nhiệm chính thuộc về tập thể cấp ủy và đồng chí bí thư."],
    "VI": [
        "Nâng cao chất lượng sinh hoạt; tăng cường kiểm tra, giám sát; tạo nguồn "
        "phát triển đảng viên mới.",
        "Cụ thể hóa nghị quyết thành chương trình hằng quý, phân công rõ người, rõ "
        "việc, rõ thời hạn.",
    ],
    "III": "Không có hạn chế, khuyết điểm được chỉ ra ở kỳ trước còn phải khắc phục.",
}
CARRY_ANSWERS = {
    CarryOverItem.Outcome.REMEDIED: "Đã khắc phục: {content}; kết quả được chi bộ "
    "ghi nhận.",
    CarryOverItem.Outcome.CARRIED: "Đã có chuyển biến nhưng chưa dứt điểm; tiếp "
    "tục thực hiện trong năm tới.",
}
MEETING_COMMENTS = {
    rules.EXCELLENT: [
        "Đồng chí gương mẫu, hoàn thành xuất sắc nhiệm vụ; cần tiếp tục phát huy.",
        "Nhất trí với bản tự kiểm điểm; đồng chí là điển hình trong chi bộ.",
    ],
    rules.GOOD: [
        "Nhất trí với bản tự kiểm điểm; đồng chí cần mạnh dạn góp ý hơn trong "
        "sinh hoạt.",
        "Đồng chí hoàn thành tốt nhiệm vụ; đề nghị chú ý tiến độ một số việc.",
        "Không có ý kiến khác với bản tự kiểm điểm.",
    ],
    rules.PASS: [
        "Đồng chí cần khắc phục việc chậm tiến độ và tham gia sinh hoạt đầy đủ hơn.",
    ],
    rules.FAIL: [
        "Đồng chí chưa khắc phục khuyết điểm đã được chỉ ra; đề nghị có kế hoạch "
        "khắc phục cụ thể.",
    ],
    "collective": [
        "Các đảng viên nhất trí với báo cáo kiểm điểm; đề nghị bổ sung giải pháp "
        "nâng cao chất lượng sinh hoạt.",
        "Thống nhất với báo cáo; làm rõ thêm nguyên nhân chậm phát triển đảng viên.",
    ],
}


@dataclass
class Timeline:
    """The current cycle's days: forms written from `first`, self-review closed
    on `closed`, meetings held until `last` (never after yesterday, if it can)."""

    first: datetime.date
    closed: datetime.date
    last: datetime.date


def current_timeline(cycle, today):
    day = datetime.timedelta(days=1)
    first = (cycle.guidance_issued_on or datetime.date(cycle.year, 11, 20)) + day
    last = min(cycle.meetings_due or cycle.ends_on, today - day)
    # Seeded before the guidance is out: the dates lie in the coming weeks.
    last = max(last, first + 9 * day)
    closed = first + datetime.timedelta(days=(last - first).days * 3 // 5)
    return Timeline(first, closed, last)


@lru_cache(maxsize=4096)
def moment(day, hour, minute=0):
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time(hour, minute))
    )


def run_current_cycle(seed_value, cycles, organizations, today):
    """Open this year's cycle, write its forms and hold some meetings; each step
    runs only while the cycle is at it, so running again creates nothing twice."""
    cycle = cycles[-1]
    staff = get_user_model().objects.get(username="staff")
    timeline = current_timeline(cycle, today)
    if cycle.status == ReviewCycle.Status.DRAFT:
        open_current_cycle(cycle, staff)
        cycle.refresh_from_db()
    # The planner's figures from before this cycle's reviews would take the
    # cycle for empty and join its reviews row by row.
    bulk.analyze(Review, Rating, CyclePost, CarryOverItem)
    if cycle.status == ReviewCycle.Status.SELF_REVIEW:
        previous = cycles[-2] if len(cycles) > 1 else None
        write_forms(
            random.Random(seed_value + 17),
            cycle,
            previous,
            organizations,
            staff,
            timeline,
        )
        cycle = services.move_cycle(cycle, ReviewCycle.Status.MEETINGS, staff)
    bulk.analyze(Review, Rating)
    if cycle.status == ReviewCycle.Status.MEETINGS:
        hold_meetings(
            random.Random(seed_value + 19), cycle, organizations, staff, timeline
        )
    # Bulk writes send no signals: drop the figures cached before this import.
    transaction.on_commit(partial(statistics.invalidate, cycle.pk))
    return cycle


def open_current_cycle(cycle, staff):
    """Open the cycle as staff do: the opening job, run here in-process."""
    from reviews.tasks import open_cycle_task

    job = CycleJob.objects.create(cycle=cycle, requested_by=staff)
    open_cycle_task(job.pk)
    job.refresh_from_db()
    if job.status != CycleJob.Status.DONE:
        raise RuntimeError(f"Opening {cycle.name} failed: {job.message}")


# Forms ---------------------------------------------------------------------


def write_forms(rng, cycle, previous, organizations, staff, timeline):
    """Submit every new form with its answers and self-rating, as the form page
    does, except a few recorded as not submitted with the reason."""
    regime = cycle.regime
    levels = {level.code: level for level in regime.levels.all()}
    bands = (
        rules.Bands.of(cycle.regime, levels.values())
        if cycle.regime.uses_points
        else None
    )
    reviews = list(
        cycle.reviews.filter(status=Review.Status.NEW)
        .exclude(exemptions__kind=StepExemption.Kind.NOT_SUBMITTED)
        .select_related("member")
        .order_by("organization__code", "kind", "member__card_number")
    )
    template_ids = {review.template_id for review in reviews}
    sections, criteria = defaultdict(list), defaultdict(list)
    for section in FormSection.objects.filter(template__in=template_ids):
        sections[section.template_id].append(section)
    if regime.uses_points:
        for criterion in ScoreCriterion.objects.filter(template__in=template_ids):
            criteria[criterion.template_id].append(criterion)
    carried = defaultdict(list)
    for item in (
        CarryOverItem.objects.filter(review__cycle=cycle)
        .select_related("remedy_action")
        .order_by("review_id", "number")
    ):
        carried[item.review_id].append(item)
    before = {}
    if previous is not None:
        for member_id, organization_id, kind, code in previous.reviews.values_list(
            "member_id", "organization_id", "kind", "decided_code"
        ):
            before[member_id or (organization_id, kind)] = code
    by_id = {o.pk: o for o in organizations.values()}
    types = dict(OrganizationType.objects.values_list("pk", "code"))

    exempt = choose_exempted(rng, reviews, organizations)
    written, ratings, items, actions = [], [], [], []
    for review in reviews:
        if review.pk in exempt:
            continue
        organization = by_id[review.organization_id]
        key = review.member_id or (review.organization_id, review.kind)
        code = self_level(rng, before.get(key), review.is_collective)
        if review.is_collective:
            day = timeline.closed - datetime.timedelta(days=rng.randint(1, 2))
            submitted = moment(day, rng.randint(8, 16), rng.choice([0, 15, 30, 45]))
        else:
            days = (timeline.closed - timeline.first).days - 2
            day = timeline.first + datetime.timedelta(days=rng.randint(0, days))
            submitted = moment(day, rng.randint(7, 21), rng.randint(0, 59))
        if criteria[review.template_id]:
            code = self_score(rng, review, criteria[review.template_id], code)
            code = max(code, points_ceiling(review, bands), key=rules.ORDER.index)
        review.answers = form_answers(
            rng,
            review,
            sections[review.template_id],
            carried[review.pk],
            code,
            cycle.year,
            organization,
            types.get(organization.org_type_id),
        )
        if any(s.kind == FormSection.Kind.RATING for s in sections[review.template_id]):
            review.self_rating = levels[code]
            ratings.append(
                Rating(
                    review=review,
                    stage=Rating.Stage.SELF,
                    level=levels[code],
                    score=review.score_total,
                    set_by_id=review.member.user_id if review.member else None,
                    set_at=submitted,
                )
            )
        if not review.is_collective and (review.government_post or review.is_leader):
            review.civil_servant_rating = CIVIL_SERVANT_RATINGS[code]
        review.status = Review.Status.SUBMITTED
        review.submitted_at = review.saved_at = submitted
        review.saved_by_id = review.member.user_id if review.member else None
        review.version = rng.randint(1, 3)
        written.append(review)
        for item in carried[review.pk]:
            items.append(item)
            action = answer_carried(rng, item, code, submitted)
            if action is not None:
                actions.append(action)
    update_rows(
        Review,
        written,
        [
            "answers",
            "self_rating",
            "civil_servant_rating",
            "scores",
            "score_general",
            "score_tasks",
            "tasks_on_time_percent",
            "tasks_exceeding_percent",
            "shortcomings_remedied_percent",
            "status",
            "submitted_at",
            "saved_at",
            "saved_by",
            "version",
        ],
    )
    bulk.insert_objects(Rating, ratings)
    update_rows(CarryOverItem, items, ["answer", "outcome"])
    update_rows(RemedyAction, actions, ["status", "closed_on", "evidence"])
    record_not_submitted(rng, cycle, reviews, exempt, staff, timeline)


def choose_exempted(rng, reviews, organizations):
    """The forms left unsubmitted: a share of the members, one of them in the demo
    secretary's cell; never the demo accounts' own."""
    cell = organizations.get(DEMO_CELL)
    accounts = set(
        Member.objects.filter(user__isnull=False).values_list("pk", flat=True)
    )
    candidates = [r for r in reviews if r.member_id and r.member_id not in accounts]
    own = [r for r in candidates if cell and r.organization_id == cell.pk]
    others = [r for r in candidates if not (cell and r.organization_id == cell.pk)]
    wanted = max(round(EXEMPT_SHARE * len(candidates)), 1)
    chosen = rng.sample(others, min(wanted - bool(own), len(others)))
    if own:
        chosen.append(rng.choice(own))
    return {review.pk for review in chosen}


DRIFT_STEPS = [step for step, _weight in SELF_RATING_DRIFT]
DRIFT_CUM_WEIGHTS = list(accumulate(weight for _step, weight in SELF_RATING_DRIFT))


def self_level(rng, last_year, collective):
    """This year's level: last year's decision, sometimes one step off."""
    code = last_year or rules.GOOD
    step = rng.choices(DRIFT_STEPS, cum_weights=DRIFT_CUM_WEIGHTS)[0]
    index = max(rules.ORDER.index(code) + step, 0)
    # Nobody proposes KHTNV for themselves unless they were rated so last year,
    # and a collective never does.
    if collective or code != rules.FAIL:
        index = min(index, rules.ORDER.index(rules.PASS))
    return rules.ORDER[min(index, len(rules.ORDER) - 1)]


def self_score(rng, review, criteria, code):
    """Points per criterion and the conditions, as the form takes them."""
    share, on_time, exceeding, remedied = SELF_SCORES[code]
    base = rng.uniform(*share)
    scores, totals = {}, defaultdict(Decimal)
    for criterion in criteria:
        fraction = min(max(base + rng.gauss(0, 0.03), 0), 1)
        points = Decimal(round(criterion.max_points * fraction * 2)) / 2
        scores[criterion.code] = str(points)
        totals[criterion.group] += points
    review.scores = scores
    review.score_general = totals.get(ScoreCriterion.Group.GENERAL)
    review.score_tasks = totals.get(ScoreCriterion.Group.TASKS)
    review.tasks_on_time_percent = Decimal(rng.randrange(on_time[0], on_time[1] + 1, 5))
    review.tasks_exceeding_percent = Decimal(rng.randint(*exceeding))
    review.shortcomings_remedied_percent = Decimal(
        rng.randrange(remedied[0], remedied[1] + 1, 10)
    )
    return code


def points_ceiling(review, bands):
    """The highest level the self-score allows under QĐ 366."""
    finding = rules.points(
        review.score_total,
        bands,
        on_time=review.tasks_on_time_percent,
        exceeding=review.tasks_exceeding_percent,
        remedied=review.shortcomings_remedied_percent,
    )
    return finding.highest if finding else rules.EXCELLENT


def form_answers(rng, review, sections, carried, code, year, organization, type_code):
    """The text of every section the form shows a text box for (as it saves it)."""
    bank = COLLECTIVE_ANSWERS if review.is_collective else MEMBER_ANSWERS
    place = organization.name.removeprefix("Chi bộ ")
    values = {
        "year": year,
        "on_time": int(review.tasks_on_time_percent or 100),
        "exceeding": int(review.tasks_exceeding_percent or 0),
        "place": place[0].lower() + place[1:],
        "targets": (targets := rng.randint(8, 15)),
        "met": targets - (rng.randint(0, 2) if code != rules.EXCELLENT else 0),
        "checked": rng.randint(2, 6),
        "watched": rng.randint(2, 8),
    }
    answers = {}
    for section in sections:
        key = section.key
        if section.kind == FormSection.Kind.CARRY_OVER:
            if not carried:
                answers[key] = bank["III"]
            continue
        if section.kind != FormSection.Kind.TEXT:
            continue
        if key == "I-2" and not review.is_collective:
            residential = type_code in RESIDENTIAL_TYPES and not review.is_leader
            options = bank["home" if residential else "work"]
        elif key == "II" and not review.is_collective:
            options = bank["II"][code]
        else:
            options = bank.get(key, [""])
        answers[key] = rng.choice(options).format(**values)
    return answers


def answer_carried(rng, item, code, submitted):
    """Answer a carried-over item; a remedied action closes as submitting does."""
    remedied = code != rules.FAIL and rng.random() < 0.75
    outcome = (
        CarryOverItem.Outcome.REMEDIED if remedied else CarryOverItem.Outcome.CARRIED
    )
    action = item.remedy_action
    content = action.content if action else item.text
    item.answer = CARRY_ANSWERS[outcome].format(
        content=content[0].lower() + content[1:]
    )
    item.outcome = outcome
    if action is None or not remedied or action.status == RemedyAction.Status.DONE:
        return None
    action.status = RemedyAction.Status.DONE
    action.closed_on = timezone.localdate(submitted)
    action.evidence = "\n".join(part for part in (action.evidence, item.answer) if part)
    return action


def record_not_submitted(rng, cycle, reviews, exempt, staff, timeline):
    """Staff record why each remaining form was not submitted, on closing day."""
    reasons = defaultdict(list)
    for review in reviews:
        if review.pk not in exempt:
            continue
        member = review.member
        options = EXEMPTION_REASONS
        if member.gender != Member.Gender.FEMALE or (
            cycle.year - member.date_of_birth.year >= 45
        ):
            options = [(reason, w) for reason, w in options if reason != MATERNITY]
        reasons[rng.choices(*zip(*options))[0]].append(review)
    for reason, chosen in sorted(reasons.items()):
        services.record_exemptions(
            cycle, chosen, StepExemption.Kind.NOT_SUBMITTED, reason, staff
        )
    StepExemption.objects.filter(review__cycle=cycle).update(
        recorded_at=moment(timeline.closed, 16)
    )


def update_rows(model, rows, fields):
    """Write `fields` of each row: the values bulk_update would write, without
    its CASE per field and row, which on SQLite grows with the square of the
    batch (see bulk.update)."""
    bulk.update_objects(model, rows, fields)


# Meetings ------------------------------------------------------------------


def hold_meetings(rng, cycle, organizations, staff, timeline):
    """A meeting for every collective with someone to invite; about half held
    and recorded subject by subject, as the meeting page records them."""
    collectives = list(
        cycle.reviews.collectives()
        .select_related("organization", "cycle")
        .order_by("organization__code", "kind")
    )
    meetings = ensure_meetings(cycle, collectives)
    cycle_meetings = Meeting.objects.filter(review__cycle=cycle)
    items = defaultdict(list)
    for values in (
        MeetingItem.objects.filter(meeting__in=cycle_meetings)
        .order_by("meeting_id", "order")
        .values_list(*SubjectItem.__slots__)
    ):
        item = SubjectItem(*values)
        items[item.meeting_id].append(item)
    rows = defaultdict(list)
    for values in (
        Attendance.objects.filter(meeting__in=cycle_meetings)
        .order_by("meeting_id", "member__sort_key", "member__card_number", "pk")
        .values_list(
            "pk",
            "meeting_id",
            "member_id",
            "present",
            "absence_reason",
            "member__sort_key",
            "member__card_number",
            "member__full_name",
        )
    ):
        row = Attendee(*values[:5], Invited(*values[5:]))
        rows[row.meeting_id].append(row)
    reviews = {
        review.pk: review
        for review in cycle.reviews.values_list(
            "pk", "kind", "member_id", "meeting_rank", "self_rating_id", named=True
        )
    }
    by_member = {r.member_id: r for r in reviews.values() if r.member_id}
    exempted = dict(
        StepExemption.objects.filter(
            review__cycle=cycle, kind=StepExemption.Kind.NOT_SUBMITTED
        ).values_list("review_id", "reason")
    )
    levels = list(cycle.regime.levels.order_by("rank"))
    by_level = {level.pk: level.code for level in levels}
    by_id = {o.pk: o for o in organizations.values()}
    types = dict(OrganizationType.objects.values_list("pk", "code"))
    cell = organizations.get(DEMO_CELL)

    # Which meetings are held, and when: cells first, then the committees.
    plans = []
    cell_days = max((timeline.last - timeline.closed).days - 2, 1)
    for review in collectives:
        held = rng.random() < HELD_SHARE
        if review.organization.kind == OrganizationKind.GRASSROOTS_COMMITTEE:
            day = timeline.last - datetime.timedelta(days=rng.randint(0, 1))
        else:
            day = timeline.closed + datetime.timedelta(days=rng.randint(1, cell_days))
        meeting = meetings.get(review.pk)
        if meeting is not None and not (cell and review.organization_id == cell.pk):
            plans.append([held, day, review.organization.code, meeting])
    # However the draw falls, the demo shows a recorded meeting.
    if plans and not any(plan[0] for plan in plans):
        plans[0][0] = True
    # Only a meeting still as planned is held: running again records nothing.
    chosen = sorted(
        (
            plan
            for plan in plans
            if plan[0]
            and plan[3].status == Meeting.Status.PLANNED
            and not any(item.recorded_at for item in items[plan[3].pk])
        ),
        key=lambda plan: plan[1:3],
    )

    proposals, votes_at = {}, {}
    written_items, written_rows, written_meetings = [], [], []
    for _held, day, _code, meeting in chosen:
        context = MeetingContext(
            meeting,
            items[meeting.pk],
            rows[meeting.pk],
            reviews,
            by_member,
            exempted,
            by_id[meeting.review.organization_id],
            by_id,
            types,
        )
        changed = context.attend(rng, cycle.regime.quorum_percent)
        if changed is None:
            continue  # no quorum without the absent: the meeting waits
        context.describe(rng, day)
        recorded = context.record(
            rng, levels, by_level, cycle.regime.vote_majority_percent, proposals
        )
        for item in recorded:
            votes_at[item.review_id] = item
        written_rows += changed
        written_items += recorded
        written_meetings.append(meeting)
    update_rows(Attendance, written_rows, ["present", "absence_reason"])
    update_rows(
        MeetingItem,
        written_items,
        ["comments", "votes", "proposed_rating", "recorded_at"],
    )
    update_rows(
        Meeting,
        written_meetings,
        [
            "held_on",
            "starts_at",
            "ends_at",
            "place",
            "chair",
            "recorder",
            "superior_attendee",
            "status",
            "version",
        ],
    )
    # A leader reviewed at two meetings keeps the later meeting's proposal;
    # a proposal already recorded stays as it is.
    proposed = set(
        Rating.objects.filter(
            review__cycle=cycle, stage=Rating.Stage.MEETING
        ).values_list("review_id", flat=True)
    )
    bulk.insert(
        Rating,
        ["review_id", "stage", "level_id", "votes", "set_by_id", "set_at"],
        [
            (
                item.review_id,
                Rating.Stage.MEETING,
                item.proposed_rating_id,
                item.votes,
                staff.pk,
                item.recorded_at,
            )
            for item in votes_at.values()
            if item.review_id not in proposed
        ],
    )
    # Bulk writes send no signals: copy the proposals onto the reviews.
    bulk.refresh_outcomes(cycle)


def ensure_meetings(cycle, collectives):
    """services.ensure_meeting for each collective, in a few statements: review
    pk → its meeting, with its subjects and attendance list, for every
    collective with someone to invite."""
    meetings = {
        meeting.review_id: meeting
        for meeting in Meeting.objects.filter(review__in=[r.pk for r in collectives])
    }
    individuals = cycle.reviews.individuals().in_meeting_order()
    in_cell, in_leadership = defaultdict(list), defaultdict(list)
    for subject in individuals.values_list(
        "pk", "member_id", "organization_id", "leadership_review_id", named=True
    ):
        in_cell[subject.organization_id].append(subject)
        if subject.leadership_review_id:
            in_leadership[subject.leadership_review_id].append(subject)
    # A committee calls the leaders reviewed with its leadership collective.
    leadership_of = {
        r.pk: r.organization_id for r in collectives if r.kind == Review.Kind.LEADERSHIP
    }
    leaders = defaultdict(list)
    for subjects in in_leadership.values():
        for subject in sorted(subjects, key=lambda s: s.pk):
            organization_id = leadership_of.get(subject.leadership_review_id)
            leaders[organization_id].append(subject.member_id)
    cells = (OrganizationKind.CELL, OrganizationKind.GRASSROOTS_CELL)
    created = []
    for review in collectives:
        if review.pk in meetings:
            continue
        # services.subjects_of_meeting and services.invited_members
        if review.kind == Review.Kind.LEADERSHIP:
            subjects = in_leadership.get(review.pk, [])
        elif review.organization.kind in cells:
            subjects = in_cell.get(review.organization_id, [])
        else:
            subjects = []
        called = [subject.member_id for subject in subjects]
        if review.kind == Review.Kind.ORGANIZATION and not called:
            called = leaders.get(review.organization_id, [])
        if called:
            created.append((Meeting(review=review), subjects, called))
    new = Meeting.objects.bulk_create([meeting for meeting, _s, _c in created])
    if new and new[0].pk is None:  # a backend that does not return keys
        found = dict(
            Meeting.objects.filter(review__in=[m.review_id for m in new]).values_list(
                "review_id", "pk"
            )
        )
        for meeting in new:
            meeting.pk = found[meeting.review_id]
    # What saving each meeting records: its history row.
    Meeting.history.bulk_history_create(new, default_change_reason=None)
    bulk.insert(
        MeetingItem,
        ["meeting_id", "review_id", "order"],
        [
            (meeting.pk, review_pk, order)
            for meeting, subjects, _called in created
            for order, review_pk in enumerate(
                [meeting.review_id, *(subject.pk for subject in subjects)]
            )
        ],
    )
    bulk.insert(
        Attendance,
        ["meeting_id", "member_id"],
        [
            (meeting.pk, member_id)
            for meeting, _subjects, called in created
            for member_id in called
        ],
    )
    for meeting, _subjects, _called in created:
        meetings[meeting.review_id] = meeting
    for review in collectives:
        if review.pk in meetings:
            meetings[review.pk].review = review
    bulk.analyze(MeetingItem, Attendance)
    return meetings


class SubjectItem:
    """A meeting's item as hold_meetings reads and writes it (a MeetingItem's
    columns, without the instance)."""

    __slots__ = (
        "pk",
        "meeting_id",
        "review_id",
        "comments",
        "votes",
        "proposed_rating_id",
        "recorded_at",
    )

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @property
    def proposed_rating(self):
        raise AttributeError("proposed_rating_id holds the level's key")

    @proposed_rating.setter
    def proposed_rating(self, level):
        self.proposed_rating_id = level.pk


class Invited(NamedTuple):
    sort_key: str
    card_number: str
    full_name: str


class Attendee:
    """An attendance row with what the meeting reads of its member."""

    __slots__ = ("pk", "meeting_id", "member_id", "present", "absence_reason", "member")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


@dataclass
class MeetingContext:
    meeting: Meeting
    items: list
    rows: list
    reviews: dict
    by_member: dict
    exempted: dict
    organization: Organization
    organizations: dict
    types: dict

    def rank(self, row):
        review = self.by_member.get(row.member_id)
        rank = review.meeting_rank if review else Review.Rank.MEMBER
        return (rank, row.member.sort_key, row.member.card_number)

    def attend(self, rng, quorum_percent):
        """Mark who was absent and why; None if the meeting has no quorum."""
        absent = {}
        for row in self.rows:
            review = self.by_member.get(row.member_id)
            if review is not None and review.pk in self.exempted:
                absent[row.pk] = self.exempted[review.pk]
        called = len(self.rows)
        if not rules.quorum_reached(called - len(absent), called, quorum_percent):
            return None
        for row in self.rows:
            if row.pk in absent or rng.random() >= ABSENT_SHARE:
                continue
            if rules.quorum_reached(called - len(absent) - 1, called, quorum_percent):
                absent[row.pk] = rng.choice(ABSENCE_REASONS)
        changed = []
        for row in self.rows:
            if row.pk in absent:
                row.present, row.absence_reason = False, absent[row.pk]
                changed.append(row)
        self.present = called - len(absent)
        return changed

    def describe(self, rng, day):
        """The details the secretary enters before recording the subjects."""
        organization = self.organization
        type_code = self.types.get(organization.org_type_id)
        name = organization.name
        if organization.kind == OrganizationKind.GRASSROOTS_COMMITTEE:
            place = f"Hội trường {name.replace('Đảng bộ ', 'Đảng ủy ', 1)}"
        elif (
            type_code in RESIDENTIAL_TYPES
            and organization.kind == OrganizationKind.CELL
        ):
            place = f"Nhà văn hóa {name.removeprefix('Chi bộ ')}"
        elif organization.kind == OrganizationKind.CELL:
            parent = self.organizations[organization.parent_id]
            place = f"Phòng họp {parent.name.removeprefix('Đảng bộ ')}"
        else:
            place = f"Phòng họp {name.removeprefix('Chi bộ ')}"
        subjects = sum(1 for item in self.items if item.review_id not in self.exempted)
        minutes = 45 + 5 * subjects
        starts = rng.choice(
            [(19, 30), (7, 30), (14, 0)]
            if type_code in RESIDENTIAL_TYPES
            else [(8, 0), (14, 0), (7, 30)]
        )
        if starts[0] * 60 + starts[1] + minutes > 22 * 60 + 30:
            starts = (7, 30)
        start = datetime.datetime.combine(day, datetime.time(*starts))
        self.start, self.minutes = start, minutes
        present = sorted((row for row in self.rows if row.present), key=self.rank)
        meeting = self.meeting
        meeting.held_on = day
        meeting.starts_at = start.time()
        meeting.ends_at = (start + datetime.timedelta(minutes=minutes)).time()
        meeting.place = place
        meeting.chair = present[0].member.full_name
        meeting.recorder = (
            present[1] if len(present) > 1 else present[0]
        ).member.full_name
        parent = self.organizations.get(organization.parent_id)
        meeting.superior_attendee = f"Đại diện {parent.name}" if parent else ""
        # Saved once with its details (held), once when finished (done).
        meeting.status = Meeting.Status.DONE
        meeting.version += 2

    def record(self, rng, levels, by_level, majority, proposals):
        """Comments and votes of each subject in order, but those not submitted."""
        recorded = []
        collective_code = None
        waiting = [item for item in self.items if item.review_id not in self.exempted]
        for number, item in enumerate(waiting, 1):
            review = self.reviews[item.review_id]
            code = proposals.get(review.pk)
            if code is None:
                code = meeting_level(rng, review, by_level, collective_code)
                proposals[review.pk] = code
            if review.kind == Review.Kind.ORGANIZATION:
                collective_code = code
            comments = MEETING_COMMENTS[
                "collective" if review.member_id is None else code
            ]
            item.comments = rng.choice(comments)
            item.votes = meeting_votes(rng, levels, code, self.present, majority)
            item.proposed_rating = next(level for level in levels if level.code == code)
            spent = 30 + (self.minutes - 45) * number // len(waiting)
            item.recorded_at = timezone.make_aware(
                self.start + datetime.timedelta(minutes=spent)
            )
            recorded.append(item)
        return recorded


def meeting_level(rng, review, by_level, collective_code):
    """The meeting mostly keeps the self-rating, often cuts an HTXSNV, and rates
    a head no higher than the cell they head."""
    code = by_level.get(review.self_rating_id, rules.GOOD)
    if review.member_id is not None:
        if code == rules.EXCELLENT and rng.random() < 0.3:
            code = rules.GOOD
        elif code != rules.FAIL and rng.random() < 0.03:
            code = rules.ORDER[rules.ORDER.index(code) + 1]
        if review.meeting_rank == Review.Rank.HEAD and collective_code:
            code = max(code, collective_code, key=rules.ORDER.index)
    return code


def meeting_votes(rng, levels, code, present, majority):
    """Everyone present votes; more than the majority for `code`."""
    codes = [level.code for level in levels]
    index = codes.index(code)
    higher = rng.randint(0, present // 10) if index > 0 else 0
    lower = rng.randint(0, present // 8) if index < len(codes) - 1 else 0
    votes = dict.fromkeys(codes, 0)
    votes[code] = present - higher - lower
    if higher:
        votes[codes[index - 1]] = higher
    if lower:
        votes[codes[index + 1]] = lower
    proposed = rules.proposed_level(levels, votes, present, majority)
    if proposed is None or proposed.code != code:
        votes = dict.fromkeys(codes, 0) | {code: present}
    return votes
