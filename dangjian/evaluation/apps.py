from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "dangjian.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        from dangjian.evaluation import access  # noqa: F401  (registers the access rules)
        from dangjian.evaluation.defaults import register_pending_leaves

        register_pending_leaves()
