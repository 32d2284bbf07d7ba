from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotingConfig(AppConfig):
    name = "voting"
    verbose_name = _("电子表决")

    def ready(self):
        from . import state  # noqa: F401  (registers the voting snapshot part)
