from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PhrasesConfig(AppConfig):
    name = "dangjian.phrases"
    verbose_name = _("Quick phrases")
