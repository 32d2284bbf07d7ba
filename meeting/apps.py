from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingConfig(AppConfig):
    name = "meeting"
    verbose_name = _("会议")

    def ready(self):
        from . import roles, state_parts  # noqa: F401  (signal receivers, snapshot parts)
