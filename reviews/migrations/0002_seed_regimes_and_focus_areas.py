from decimal import Decimal

from django.db import migrations

LEVELS = [
    ("HTXSNV", "Hoàn thành xuất sắc nhiệm vụ"),
    ("HTTNV", "Hoàn thành tốt nhiệm vụ"),
    ("HTNV", "Hoàn thành nhiệm vụ"),
    ("KHTNV", "Không hoàn thành nhiệm vụ"),
]

REGIMES = [
    {
        "code": "qd132",
        "name": "Quy định 132-QĐ/TW và Hướng dẫn 21-HD/BTCTW",
        "regulation": "132-QĐ/TW",
        "guidance": "21-HD/BTCTW",
        "first_year": 2018,
        "last_year": 2022,
        "history_only": True,
        "scoring_model": "grades",
        "self_remedied_discipline_exempt": False,
        "min_points": [None, None, None, None],
    },
    {
        "code": "qd124",
        "name": "Quy định 124-QĐ/TW (04/10/2023) và Hướng dẫn 25-HD/BTCTW (10/11/2023)",
        "regulation": "124-QĐ/TW",
        "guidance": "25-HD/BTCTW",
        "first_year": 2023,
        "last_year": 2024,
        "history_only": False,
        "scoring_model": "grades",
        "self_remedied_discipline_exempt": True,
        "min_points": [None, None, None, None],
    },
    {
        "code": "qd366",
        "name": "Quy định 366-QĐ/TW (30/8/2025) và Hướng dẫn 43-HD/BTCTW (31/10/2025)",
        "regulation": "366-QĐ/TW",
        "guidance": "43-HD/BTCTW",
        "first_year": 2025,
        "last_year": None,
        "history_only": False,
        "scoring_model": "points",
        "self_remedied_discipline_exempt": False,
        "min_points": [90, 70, 50, 0],
    },
]

FOCUS_AREAS = [
    (
        "urban-order",
        "Xử lý vi phạm trật tự đô thị; vi phạm trật tự xây dựng, xây dựng công trình "
        "không giấy phép",
    ),
    (
        "land-clearance",
        "Công tác giải phóng mặt bằng; lập, thẩm định, phê duyệt phương án bồi "
        "thường, hỗ trợ; quyết định thu hồi đất để thi công các công trình, dự án",
    ),
    (
        "urban-projects",
        "Tiến độ thực hiện các dự án chỉnh trang đô thị còn chậm, ảnh hưởng đến cuộc "
        "sống của người dân",
    ),
    (
        "member-recruitment",
        "Phát triển đảng viên năm 2023 chưa đạt chỉ tiêu (Công văn 1833-CV/TU, "
        "24/02/2023 của BTV Thành ủy)",
    ),
    (
        "land-certificates",
        "Chậm trễ, tồn đọng hồ sơ cấp giấy chứng nhận quyền sử dụng đất",
    ),
    (
        "admin-procedures",
        "Chậm trễ xử lý hồ sơ trên hệ thống thông tin giải quyết thủ tục hành chính",
    ),
    (
        "health-insurance",
        "Tuyên truyền, vận động người dân tham gia bảo hiểm y tế hiệu quả chưa cao",
    ),
]

INDICATORS = [
    ("member-recruitment", "new-members", "Đảng viên mới kết nạp", "đảng viên", True),
    (
        "land-certificates",
        "overdue-land-dossiers",
        "Hồ sơ cấp giấy chứng nhận quá hạn",
        "hồ sơ",
        False,
    ),
    (
        "admin-procedures",
        "overdue-procedures",
        "Hồ sơ thủ tục hành chính trễ hạn",
        "hồ sơ",
        False,
    ),
    (
        "health-insurance",
        "health-insurance-coverage",
        "Tỷ lệ dân số tham gia bảo hiểm y tế",
        "%",
        True,
    ),
]


def seed(apps, schema_editor):
    Regime = apps.get_model("reviews", "Regime")
    RatingLevel = apps.get_model("reviews", "RatingLevel")
    FocusArea = apps.get_model("reviews", "FocusArea")
    FocusIndicator = apps.get_model("reviews", "FocusIndicator")
    for data in REGIMES:
        data = dict(data)
        min_points = data.pop("min_points")
        regime, _ = Regime.objects.update_or_create(
            code=data.pop("code"), defaults={**data, "quota_percent": Decimal("20")}
        )
        for rank, ((code, name), points) in enumerate(zip(LEVELS, min_points), 1):
            RatingLevel.objects.update_or_create(
                regime=regime,
                code=code,
                defaults={"name": name, "rank": rank, "min_points": points},
            )
    for position, (code, name) in enumerate(FOCUS_AREAS, start=1):
        FocusArea.objects.update_or_create(
            code=code, defaults={"name": name, "is_default": True, "position": position}
        )
    for area_code, code, name, unit, higher in INDICATORS:
        FocusIndicator.objects.update_or_create(
            code=code,
            defaults={
                "focus_area": FocusArea.objects.get(code=area_code),
                "name": name,
                "unit": unit,
                "higher_is_better": higher,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
