from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = _("签到")

    def ready(self):
        from . import state  # noqa: F401  (registers the snapshot parts)
