from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo workspace and the tools that make customers write in (management commands only)."""

    name = "config.demo"
    label = "demo"
