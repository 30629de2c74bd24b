from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from users.models import Favorite, NotInterested, Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    filter_horizontal = ["preferred_genres"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "date_joined", "groups"]
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering = ["-date_joined"]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "updated_at"]
    search_fields = ["user__username", "user__email"]
    list_filter = ["preferred_genres", "created_at"]
    filter_horizontal = ["preferred_genres"]
    list_select_related = ["user"]


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "added_at"]
    search_fields = ["user__username", "user__email", "movie__title", "=movie__id"]
    list_filter = ["added_at", "movie__genres"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    date_hierarchy = "added_at"


@admin.register(NotInterested)
class NotInterestedAdmin(admin.ModelAdmin):
    list_display = ["user", "movie", "created_at"]
    search_fields = ["user__username", "user__email", "movie__title", "=movie__id"]
    list_filter = ["created_at"]
    list_select_related = ["user", "movie"]
    raw_id_fields = ["user", "movie"]
    date_hierarchy = "created_at"
