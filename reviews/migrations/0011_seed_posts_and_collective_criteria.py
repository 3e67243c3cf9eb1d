"""Regime data for issue 12: leaders' unit conditions, a collective's criteria,
and the posts of the cycles already open."""

from django.db import migrations

# QĐ 366 / HD 43: a leader is rated HTXSNV only if the unit they lead is rated
# HTTNV or better, and HTTNV only if it is rated HTNV or better.
LEADER_UNIT_MINIMUMS = {"qd366": {"HTXSNV": "HTTNV", "HTTNV": "HTNV"}}

# Mẫu 01 scores the collective on its own criteria (A /30, B /70), following the
# three parts of its section I; the split is the app's default until the official
# one is confirmed, and the form says so.
COLLECTIVE_CRITERIA = [
    ("A", "A1", "Xây dựng Đảng về chính trị, tư tưởng, đạo đức", 8),
    (
        "A",
        "A2",
        "Thực hiện nguyên tắc tập trung dân chủ, quy chế làm việc; "
        "giữ gìn đoàn kết nội bộ",
        8,
    ),
    ("A", "A3", "Công tác cán bộ, kiểm tra, giám sát, thi hành kỷ luật đảng", 7),
    ("A", "A4", "Phòng, chống tham nhũng, lãng phí, tiêu cực", 7),
    (
        "B",
        "B1",
        "Lãnh đạo thực hiện nhiệm vụ chính trị của địa phương, cơ quan, đơn vị",
        40,
    ),
    ("B", "B2", "Mức độ hoàn thành các chỉ tiêu, nhiệm vụ trong năm", 20),
    ("B", "B3", "Khắc phục hạn chế, khuyết điểm đã được kết luận, chỉ ra", 10),
]


def seed(apps, schema_editor):
    Regime = apps.get_model("reviews", "Regime")
    FormTemplate = apps.get_model("reviews", "FormTemplate")
    ScoreCriterion = apps.get_model("reviews", "ScoreCriterion")
    for code, minimums in LEADER_UNIT_MINIMUMS.items():
        Regime.objects.filter(code=code).update(leader_unit_minimums=minimums)
    points = FormTemplate.objects.filter(regime__scoring_model="points")
    # Every split of the 100 points is the app's default (docs/process.md §6.3).
    points.update(criteria_provisional=True)
    for template in points.filter(audience="collective"):
        template.criteria.all().delete()
        ScoreCriterion.objects.bulk_create(
            ScoreCriterion(
                template=template,
                group=group,
                code=code,
                text=text,
                max_points=max_points,
                position=position,
            )
            for position, (group, code, text, max_points) in enumerate(
                COLLECTIVE_CRITERIA, 1
            )
        )
    copy_posts(apps)


def copy_posts(apps):
    """Each opened cycle's posts, from the register's posts of its members."""
    Post = apps.get_model("members", "Post")
    Review = apps.get_model("reviews", "Review")
    CyclePost = apps.get_model("reviews", "CyclePost")
    posts = {}
    for post in Post.objects.filter(ended_on__isnull=True):
        posts.setdefault(post.member_id, []).append(post)
    rows = []
    heads = set()
    reviews = Review.objects.filter(kind="individual", member__in=posts.keys())
    for review in reviews.iterator():
        for post in posts[review.member_id]:
            if post.kind == "secretary":
                if (review.cycle_id, post.organization_id) in heads:
                    continue
                heads.add((review.cycle_id, post.organization_id))
            rows.append(
                CyclePost(
                    cycle_id=review.cycle_id,
                    review=review,
                    organization_id=post.organization_id,
                    kind=post.kind,
                )
            )
    CyclePost.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0010_posts_regime_conditions_collective_conclusions"),
        ("members", "0003_posts_from_text"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
