from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data (``seed_demo``, ``demo_logins``): the top of the stack, so that it may
    import every app and no app imports it."""

    name = "dangjian.demo"
    label = "demo"
    verbose_name = "演示数据"
