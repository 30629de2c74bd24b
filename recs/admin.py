from django.contrib import admin

from recs.models import ModelVersion


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "users", "movies", "favorites", "neighbor_rows", "ease_lambda",
                    "neighbors", "duration"]
    readonly_fields = list_display
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False  # versions come from `manage.py train_recommender` only
