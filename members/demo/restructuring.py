"""The demo's restructuring.

In 2025 the province's standing committee restructured the city's tree by one
decision, effective 1 July: two wards merged into Đảng bộ phường Kon Tum (the
second ward's cells renumbered after the first's), the last residential cell
of two neighbouring wards moved to it, and the block committee of the city's
agencies removed, its grassroots organizations placed directly under the
city. The cycles up to 2024 keep the rows they reviewed; 2025 and the current
year run on the new tree (organizations/restructuring/, imported here as
`restructuring`).
"""

from collections import defaultdict

from django.contrib.auth import get_user_model

from organizations import restructuring
from organizations.models import (
    Operation,
    OrganizationKind,
    Restructuring,
    RestructuringLine,
)

from .data import (
    BLOCK_CODE,
    BLOCK_NAME,
    DECISION,
    DEMO_CELL,
    MERGED_WARDS,
    MOVED_CELLS,
    NEW_WARD_CODE,
    NEW_WARD_NAME,
    PROVINCE_CODE,
    SUPERIOR_CODE,
)


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
