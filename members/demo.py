"""A realistic, repeatable demo of Thành ủy Kon Tum (DOMAIN.md §8).

The same seed always yields the same codes and card numbers, so running the
generator again creates only what is missing. Rows are written in bulk: the
province-size run (30,000 members) must finish in well under two minutes.
"""

import datetime
import random
from dataclasses import dataclass, field
from functools import partial

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from organizations.models import (
    GRASSROOTS_KINDS,
    Organization,
    OrganizationKind,
    OrganizationType,
    Role,
)
from reviews import rules, services, statistics
from reviews.guards import closed_cycle_writes
from reviews.models import (
    FocusArea,
    FocusIndicator,
    FormTemplate,
    IndicatorValue,
    Meeting,
    Rating,
    Regime,
    RemedyAction,
    Review,
    ReviewCycle,
    Suggestion,
    SuggestionAnswer,
    SuggestionItem,
)
from reviews.ratings import refresh_outcomes

from .models import Member

DEFAULT_MEMBERS = 8000
DEMO_PASSWORD = "kontum-demo"
SUPERIOR_CODE = "TU-KT"
# Decided yearly cycles kept as history before the current one, and the regime
# each year was rated under (DOMAIN.md §6).
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
        OrgSpec(
            SUPERIOR_CODE,
            "Đảng bộ thành phố Kon Tum",
            OrganizationKind.SUPERIOR_COMMITTEE,
            None,
            None,
        )
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

    for type_code, name, is_committee, code, _weight in grassroots:
        spec_code = f"{SUPERIOR_CODE}.{code}"
        if not is_committee:
            specs.append(
                OrgSpec(
                    spec_code,
                    f"Chi bộ {name}",
                    OrganizationKind.GRASSROOTS_CELL,
                    type_code,
                    SUPERIOR_CODE,
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
                SUPERIOR_CODE,
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


def random_name(rng, gender, highland):
    if highland:
        return rng.choice(HIGHLAND_NAMES[gender])
    family = rng.choices(*zip(*FAMILY_NAMES))[0]
    return (
        f"{family} {rng.choice(MIDDLE_NAMES[gender])} {rng.choice(GIVEN_NAMES[gender])}"
    )


def random_date(rng, start, end):
    return start + datetime.timedelta(days=rng.randrange((end - start).days + 1))


def build_member(rng, number, organization, position, today):
    gender = rng.choice(list(Member.Gender))
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

    The province (DOMAIN.md §8) is about grassroots=650, cells=1900,
    members=31000; without them the tree grows with the members, as the city.
    """
    today = today or datetime.date.today()
    rng = random.Random(seed_value)
    scale = max(members / DEFAULT_MEMBERS, 0.05)
    specs = build_tree(rng, scale, grassroots, cells)
    organizations = create_organizations(specs)
    created = create_members(rng, specs, organizations, members, today)
    cycles = create_cycles(organizations[SUPERIOR_CODE], today)
    # The source article's cycle (2023) carries the recruitment indicator.
    article_cycle = next((c for c in cycles if c.year == 2023), cycles[0])
    create_indicator_values(rng, article_cycle, organizations)
    decided = create_history(seed_value, cycles[:-1], organizations)
    accounts = create_accounts(organizations)
    log(
        f"Tổ chức đảng: {Organization.objects.count()}; "
        f"đảng viên: {Member.objects.count()} (mới tạo {created}); "
        f"kỳ kiểm điểm: {ReviewCycle.objects.count()}; "
        f"xếp loại đã quyết định (mới tạo): {decided}."
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
    Member.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


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
        actual = max(target - rng.choice([0, 0, 0, 1, 2]), 0)
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
# (DOMAIN.md §4); most answered them in section IV. Wards and communes report
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
                actual=max(target - rng.choice([0, 0, 0, 1, 2]), 0),
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
                    actual=rng.choice([0, 0, 1, 2, 3, 5]),
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
# HTTNV or better, HTXSNV fills the quota (DOMAIN.md §6, §8) and under 1% fail.

YEARLY_CHANCE = 1.0  # spread of a year's result around the lasting merit
FAIL_BELOW = -3.55  # ≈0.6% KHTNV
PASS_BELOW = -1.81  # ≈10% HTNV or KHTNV
SCORES = {  # points under QĐ 366, by level
    rules.EXCELLENT: (90, 98),
    rules.GOOD: (72, 89),
    rules.PASS: (55, 69),
    rules.FAIL: (35, 49),
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


def create_history(seed_value, cycles, organizations):
    """Open, rate and decide the past cycles; return the ratings created."""
    members = list(
        Member.objects.reviewable().select_related("organization").order_by("pk")
    )
    rng = random.Random(seed_value + 1)
    merits = {("member", m.pk): rng.gauss(0, 1) for m in members}
    for organization in sorted(organizations.values(), key=lambda o: o.code):
        merits["organization", organization.pk] = rng.gauss(0, 1)
    by_id = {o.pk: o for o in organizations.values()}
    created = 0
    # The past cycles are locked: this is a history import.
    with closed_cycle_writes():
        for cycle in cycles:
            if not cycle.reviews.exists():
                open_past_cycle(
                    cycle, [m for m in members if m.admitted_on <= cycle.ends_on]
                )
            written = decide_past_cycle(
                random.Random(seed_value + cycle.year), cycle, merits, by_id
            )
            created += written
            if cycle == cycles[-1]:
                written += record_meetings(random.Random(seed_value + 11), cycle, by_id)
            if written:
                # Bulk writes send no signals: copy the outcomes onto the reviews.
                refresh_outcomes(cycle.reviews.all())
    if cycles:
        create_remedy_actions(random.Random(seed_value + 7), cycles[-1])
        with closed_cycle_writes():
            create_focus_areas(random.Random(seed_value + 13), cycles[-1], by_id)
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
            Rating(
                review_id=row.review_id,
                stage=Rating.Stage.MEETING,
                level_id=levels[code].pk,
                score=score,
                set_at=recorded[held.get(row.review__organization_id, last_day)],
            )
        )
    Rating.objects.bulk_create(ratings, batch_size=5000)
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
    RemedyAction.objects.bulk_create(actions, batch_size=5000)


def open_past_cycle(cycle, members):
    """The reviews of a past cycle, as opening it would have made them that year.

    Like services.open_cycle, but for the members admitted by the end of that
    year, and with every form already submitted.
    """
    organizations = list(services.scope_organizations(cycle).order_by("path"))
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
    reviews = []
    for member in members:
        cell = services.review_cell(member.organization, by_id)
        if cell is None:
            continue
        grassroots = services.grassroots_of(cell, grassroots_by_id)
        reviews.append(
            # Keys rather than instances: this runs for every member and year.
            Review(
                cycle_id=cycle.pk,
                kind=Review.Kind.INDIVIDUAL,
                organization_id=cell.pk,
                member_id=member.pk,
                leadership_review_id=leadership.get(grassroots.pk)
                if member.is_leader and grassroots
                else None,
                template_id=templates[member.is_leader].pk,
                subject_name=member.full_name,
                party_post=member.party_post,
                government_post=member.government_post,
                mass_post=member.mass_post,
                workplace=member.workplace,
                is_leader=member.is_leader,
                meeting_rank=rules.meeting_rank(member.party_post),
                sort_key=member.sort_key,
                status=Review.Status.SUBMITTED,
                submitted_at=submitted,
            )
        )
    Review.objects.bulk_create(reviews, batch_size=5000)


def group_key(review, organizations):
    """The comparison group of a review, as reviews.ratings.comparison_groups."""
    organization = organizations[review.organization_id]
    grassroots = next(
        (
            pk
            for pk in [*organization.ancestor_ids, organization.pk]
            if organizations[pk].kind in GRASSROOTS_KINDS
        ),
        None,
    )
    if review.kind == Review.Kind.LEADERSHIP:
        return "leadership"
    if review.kind == Review.Kind.ORGANIZATION:
        if grassroots == organization.pk:
            return ("type", organization.org_type_id)
        return ("cells", grassroots)
    return "leaders" if review.is_leader else ("members", grassroots)


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
    groups = {}
    for review in reviews:
        groups.setdefault(group_key(review, organizations), []).append(review)
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
    for group in groups.values():
        if group[0].member_id:
            codes.update(
                draw_levels(
                    rng, group, merits, percent, lambda r: ceiling(r, collectives)
                )
            )
    levels = {level.code: level for level in cycle.regime.levels.all()}
    decided_at = timezone.make_aware(datetime.datetime(cycle.year + 1, 1, 15, 9, 0))
    ratings = []
    for review in reviews:
        if review.pk in decided:
            continue
        code = codes[review.pk]
        ratings.append(
            Rating(
                review_id=review.pk,
                stage=Rating.Stage.DECISION,
                level_id=levels[code].pk,
                score=round(rng.uniform(*SCORES[code]), 1)
                if cycle.regime.uses_points
                else None,
                assessment=ASSESSMENTS[code],
                set_at=decided_at,
            )
        )
    Rating.objects.bulk_create(ratings, batch_size=5000)
    return len(ratings)


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


def ceiling(review, collectives):
    """A head no higher than the collective; a leader of a failed unit fails."""
    highest = rules.EXCELLENT
    if review.meeting_rank == Review.Rank.HEAD:
        highest = collectives.get(
            (review.organization_id, Review.Kind.ORGANIZATION), highest
        )
    unit = (review.leadership_review__organization_id, Review.Kind.ORGANIZATION)
    if review.is_leader and collectives.get(unit) == rules.FAIL:
        highest = rules.FAIL
    return highest


def create_accounts(organizations):
    """The four demo accounts, each tied to a real place in the tree."""
    User = get_user_model()
    superior = organizations[SUPERIOR_CODE]
    cell = organizations[f"{SUPERIOR_CODE}.P01.01"]
    staff_group, _ = Group.objects.get_or_create(name="Ban Tổ chức")
    # Staff keep the tree and the register, and create the users they assign.
    staff_group.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=["organizations", "members", "reviews"])
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
