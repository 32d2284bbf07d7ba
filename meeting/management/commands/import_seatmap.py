from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from meeting.importing import read_upload_path, run_command, seatmap
from meeting.models import Venue


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not gettext_lazy: argparse needs a real str in the active language.
        return _("从 CSV 或 XLSX 导入会场座位图；会场不存在时新建（先预览，有错误则不导入）")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 或 XLSX 文件，第1行为表头"))
        parser.add_argument("--venue", required=True, help=_("会场名称"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查和预览，不写入"))

    def handle(self, *args, **options):
        name = options["venue"].strip()
        max_length = Venue._meta.get_field("name").max_length
        if not name or len(name) > max_length:
            raise CommandError(_("会场名称应为 1 到 %(max)d 个字符") % {"max": max_length})
        venue = seatmap.venue_for(name)
        content = read_upload_path(options["file"])
        plan = seatmap.parse(content, options["file"], venue)
        self.stdout.write(_("导入座位图到会场“%(venue)s”") % {"venue": name})
        run_command(self, plan, seatmap.apply, options["dry_run"], options["verbosity"])
