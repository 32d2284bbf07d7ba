from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsolesConfig(AppConfig):
    name = "consoles"
    verbose_name = _("会场终端")
