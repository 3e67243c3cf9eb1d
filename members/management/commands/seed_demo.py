from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members import demo
from organizations.models import Organization


class Command(BaseCommand):
    help = "Build the Thành ủy Kon Tum demo; running it again creates nothing twice."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=demo.DEFAULT_MEMBERS)
        parser.add_argument(
            "--grassroots",
            type=int,
            help="Exactly this many grassroots organizations (the province: 650).",
        )
        parser.add_argument(
            "--cells",
            type=int,
            help="Exactly this many cells under grassroots committees "
            "(the province: 1900).",
        )
        parser.add_argument("--seed", type=int, default=2023)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds organizations.",
        )

    def handle(self, *args, members, grassroots, cells, seed, if_empty, **options):
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("Dữ liệu mẫu không được tạo trên hệ thống thật.")
        if members < 100:
            raise CommandError("Cần ít nhất 100 đảng viên cho dữ liệu mẫu.")
        if grassroots is not None and grassroots < 1:
            raise CommandError("Cần ít nhất 1 tổ chức cơ sở đảng.")
        if cells is not None and cells < 1:
            raise CommandError("Cần ít nhất 1 chi bộ trực thuộc đảng ủy cơ sở.")
        if if_empty and Organization.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu; bỏ qua dữ liệu mẫu.")
            return
        accounts = demo.seed(
            members=members,
            grassroots=grassroots,
            cells=cells,
            seed_value=seed,
            log=self.stdout.write,
        )
        self.stdout.write(
            self.style.SUCCESS(f"Tài khoản dùng thử (mật khẩu: {demo.DEMO_PASSWORD}):")
        )
        for username, title, organization in accounts:
            self.stdout.write(f"  {username:<10} {title} – {organization}")
