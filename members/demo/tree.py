"""The demo's organization tree: its specs drawn from the seed (`build_tree`),
sizes split by weight (`apportion`), the rows created level by level, and the
tree as it stood on a day, by the codes it was built with (`tree_on`).
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from organizations.models import Organization, OrganizationKind, OrganizationType
from reviews import statistics

from .data import (
    BLOCK_CODE,
    BLOCK_NAME,
    BLOCK_SIZE,
    BLOCK_TYPE,
    COMMUNES,
    OTHER_GRASSROOTS,
    PROVINCE_CODE,
    SUPERIOR_CODE,
    WARDS,
)


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
