from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from meeting.importing import read_upload_path, roster, run_command
from meeting.models import Body


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not gettext_lazy: argparse needs a real str in the active language.
        return _("从 CSV 或 XLSX 导入某一机构的人员名册（先预览，有错误则不导入）")

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("CSV 或 XLSX 文件，第1行为表头"))
        parser.add_argument("--body", required=True, help=_("机构编号或名称"))
        parser.add_argument("--dry-run", action="store_true", help=_("只检查和预览，不写入"))
        parser.add_argument("--create-delegations", action="store_true", help=_("自动新建文件中出现的未知代表团"))

    def handle(self, *args, **options):
        try:
            body = roster.find_body(options["body"])
        except Body.DoesNotExist:
            raise CommandError(_("找不到机构“%(body)s”") % {"body": options["body"]}) from None
        except Body.MultipleObjectsReturned:
            raise CommandError(_("有多个名为“%(body)s”的机构，请改用机构编号") % {"body": options["body"]}) from None
        content = read_upload_path(options["file"])
        plan = roster.parse(content, options["file"], body, create_delegations=options["create_delegations"])
        self.stdout.write(_("导入人员名册到“%(body)s”（编号 %(id)d）") % {"body": body, "id": body.id})
        run_command(self, plan, roster.apply, options["dry_run"], options["verbosity"])
