from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocsViewerConfig(AppConfig):
    name = "docs_viewer"
    verbose_name = _("无纸化文件")
