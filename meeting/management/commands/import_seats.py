from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from meeting.importing import assignments, read_upload_path, run_command
from meeting.models import Meeting


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not gettext_lazy: argparse needs a real str in the active language.
        return _("从 CSV 或 XLSX 导入某次会议的座位安排（先预览，有错误则不导入）")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 或 XLSX 文件，第1行为表头"))
        parser.add_argument("--meeting", required=True, type=int, help=_("会议编号"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查和预览，不写入"))

    def handle(self, *args, **options):
        meeting = Meeting.objects.select_related("venue").filter(pk=options["meeting"]).first()
        if meeting is None:
            raise CommandError(_("找不到编号为 %(id)d 的会议") % {"id": options["meeting"]})
        content = read_upload_path(options["file"])
        plan = assignments.parse(content, options["file"], meeting)
        self.stdout.write(_("导入座位安排到“%(meeting)s”（会场：%(venue)s）") % {
            "meeting": meeting, "venue": meeting.venue,
        })
        run_command(self, plan, assignments.apply, options["dry_run"], options["verbosity"])
