"""Form templates of each regime (docs/process.md §5); staff adjust the wording later."""

from django.db import migrations

MEMBER_SECTIONS = [
    (
        "I-1",
        "I.1",
        "Về tư tưởng chính trị; phẩm chất đạo đức, lối sống; ý thức tổ chức kỷ luật; tác phong, lề lối làm việc",
        "text",
    ),
    ("I-2", "I.2", "Về kết quả thực hiện chức trách, nhiệm vụ được giao", "text"),
    (
        "I-3",
        "I.3",
        "Về việc thực hiện cam kết tu dưỡng, rèn luyện, phấn đấu hằng năm",
        "text",
    ),
    ("II", "II", "Hạn chế, khuyết điểm và nguyên nhân", "text"),
    (
        "III",
        "III",
        "Kết quả khắc phục những hạn chế, khuyết điểm đã được cấp có thẩm quyền kết luận hoặc được chỉ ra ở các kỳ kiểm điểm trước",
        "carry_over",
    ),
    (
        "IV",
        "IV",
        "Giải trình những vấn đề được gợi ý kiểm điểm (nếu có)",
        "suggestions",
    ),
    (
        "V",
        "V",
        "Làm rõ trách nhiệm của cá nhân đối với những hạn chế, khuyết điểm của tập thể (nếu có)",
        "text",
    ),
    ("VI", "VI", "Phương hướng, biện pháp khắc phục hạn chế, khuyết điểm", "text"),
    ("VII", "VII", "Tự nhận mức xếp loại chất lượng", "rating"),
]
LEADER_EXTRA = [
    (
        "I-4",
        "I.4",
        "Về năng lực lãnh đạo, quản lý; uy tín; trách nhiệm nêu gương và kết quả của địa phương, cơ quan, đơn vị được giao lãnh đạo, quản lý",
        "text",
    ),
]
COLLECTIVE_SECTIONS = [
    ("I-1", "I.1", "Về thực hiện nhiệm vụ chính trị", "text"),
    (
        "I-2",
        "I.2",
        "Về thực hiện nguyên tắc tập trung dân chủ, quy chế làm việc; xây dựng đoàn kết nội bộ",
        "text",
    ),
    (
        "I-3",
        "I.3",
        "Về công tác cán bộ; công tác kiểm tra, giám sát; phòng, chống tham nhũng, lãng phí, tiêu cực",
        "text",
    ),
    ("II", "II", "Hạn chế, khuyết điểm và nguyên nhân", "text"),
    (
        "III",
        "III",
        "Kết quả khắc phục hạn chế, khuyết điểm đã được chỉ ra ở các kỳ kiểm điểm trước",
        "carry_over",
    ),
    (
        "IV",
        "IV",
        "Giải trình những vấn đề được gợi ý kiểm điểm (nếu có)",
        "suggestions",
    ),
    (
        "V",
        "V",
        "Làm rõ trách nhiệm của tập thể, cá nhân đối với những hạn chế, khuyết điểm",
        "text",
    ),
    ("VI", "VI", "Phương hướng, biện pháp khắc phục hạn chế, khuyết điểm", "text"),
    ("VII", "VII", "Đề nghị mức xếp loại chất lượng", "rating"),
]
# Self-score table under QĐ 366 (A /30, B /70): a default split staff can change.
CRITERIA = [
    ("A", "A1", "Tư tưởng chính trị", 6),
    ("A", "A2", "Phẩm chất đạo đức, lối sống", 6),
    ("A", "A3", "Ý thức tổ chức kỷ luật", 6),
    ("A", "A4", "Tác phong, lề lối làm việc", 6),
    ("A", "A5", "Thực hiện cam kết tu dưỡng, rèn luyện, trách nhiệm nêu gương", 6),
    ("B", "B1", "Kết quả thực hiện chức trách, nhiệm vụ được giao", 40),
    ("B", "B2", "Mức độ hoàn thành các chỉ tiêu, nhiệm vụ trong năm", 20),
    ("B", "B3", "Thực hiện nhiệm vụ được cấp ủy, tổ chức đảng phân công", 10),
]
TEMPLATES = {
    "qd124": [
        (
            "01",
            "Báo cáo kiểm điểm tập thể",
            "collective",
            "Hướng dẫn 25-HD/BTCTW",
            COLLECTIVE_SECTIONS,
        ),
        (
            "02A",
            "Bản kiểm điểm cá nhân (đảng viên không giữ chức vụ lãnh đạo, quản lý)",
            "member",
            "Hướng dẫn 25-HD/BTCTW",
            MEMBER_SECTIONS,
        ),
        (
            "02B",
            "Bản kiểm điểm cá nhân (cán bộ lãnh đạo, quản lý)",
            "leader",
            "Hướng dẫn 25-HD/BTCTW",
            MEMBER_SECTIONS[:3] + LEADER_EXTRA + MEMBER_SECTIONS[3:],
        ),
    ],
    "qd366": [
        (
            "01",
            "Báo cáo kiểm điểm tập thể",
            "collective",
            "Hướng dẫn 43-HD/BTCTW",
            COLLECTIVE_SECTIONS,
        ),
        (
            "2A",
            "Bản kiểm điểm cá nhân (đảng viên không giữ chức vụ lãnh đạo, quản lý)",
            "member",
            "Hướng dẫn 43-HD/BTCTW",
            MEMBER_SECTIONS,
        ),
        (
            "2B",
            "Bản kiểm điểm cá nhân (cán bộ lãnh đạo, quản lý)",
            "leader",
            "Hướng dẫn 43-HD/BTCTW",
            MEMBER_SECTIONS[:3] + LEADER_EXTRA + MEMBER_SECTIONS[3:],
        ),
        (
            "2C",
            "Bản kiểm điểm cá nhân (mẫu 2C)",
            "other",
            "Hướng dẫn 43-HD/BTCTW",
            MEMBER_SECTIONS,
        ),
    ],
}
TEMPLATES["qd132"] = TEMPLATES["qd124"]


def seed(apps, schema_editor):
    Regime = apps.get_model("reviews", "Regime")
    FormTemplate = apps.get_model("reviews", "FormTemplate")
    FormSection = apps.get_model("reviews", "FormSection")
    ScoreCriterion = apps.get_model("reviews", "ScoreCriterion")
    for regime in Regime.objects.filter(code__in=TEMPLATES):
        for code, title, audience, guidance, sections in TEMPLATES[regime.code]:
            template, _ = FormTemplate.objects.update_or_create(
                regime=regime,
                code=code,
                cycle=None,
                defaults={"title": title, "audience": audience, "guidance": guidance},
            )
            for position, (key, number, heading, kind) in enumerate(sections, 1):
                FormSection.objects.update_or_create(
                    template=template,
                    key=key,
                    defaults={
                        "number": number,
                        "heading": heading,
                        "kind": kind,
                        # Sections V and IV are answered only where they apply.
                        "required": key not in ("V",),
                        "position": position,
                    },
                )
            if regime.scoring_model == "points":
                for position, (group, ccode, text, points) in enumerate(CRITERIA, 1):
                    ScoreCriterion.objects.update_or_create(
                        template=template,
                        code=ccode,
                        defaults={
                            "group": group,
                            "text": text,
                            "max_points": points,
                            "position": position,
                        },
                    )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_review_workflow")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
