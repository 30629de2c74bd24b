from django.apps import AppConfig


class RecsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "recs"
    verbose_name = "Recommendation model"
