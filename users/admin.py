from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from users.models import Favorite, Profile, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    pass


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "updated_at"]
    search_fields = ["user__username", "user__email"]
    filter_horizontal = ["preferred_genres"]
    list_select_related = ["user"]


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "added_at"]
    search_fields = ["user__username", "movie__title"]
    list_filter = ["added_at"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
