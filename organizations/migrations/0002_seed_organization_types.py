from django.db import migrations

# Loại hình tổ chức cơ sở đảng (docs/process.md §2); staff add more in the admin.
TYPES = [
    ("xa", "Xã"),
    ("phuong", "Phường"),
    ("thi-tran", "Thị trấn"),
    ("co-quan-hanh-chinh", "Cơ quan hành chính"),
    ("don-vi-su-nghiep", "Đơn vị sự nghiệp"),
    ("truong-hoc", "Trường học"),
    ("doanh-nghiep-nha-nuoc", "Doanh nghiệp nhà nước"),
    ("doanh-nghiep-ngoai-nha-nuoc", "Doanh nghiệp ngoài nhà nước"),
    ("quan-su", "Quân sự"),
    ("cong-an", "Công an"),
]


def seed(apps, schema_editor):
    OrganizationType = apps.get_model("organizations", "OrganizationType")
    for position, (code, name) in enumerate(TYPES, start=1):
        OrganizationType.objects.update_or_create(
            code=code, defaults={"name": name, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("organizations", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
