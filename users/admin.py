import math

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpResponse
from django.utils.html import escape

from users.models import Favorite, NotInterested, Profile, User
from users.services import user_copies_revoke
from users.throttles import AdminLoginRateThrottle, AdminLoginUsernameRateThrottle


def admin_login(request, extra_context=None):
    """The admin site's login view behind the API login's rate limits (per client IP and per
    submitted username, the same counters): a login attempt over either limit is a 429 page
    with Retry-After, whatever the password."""
    if request.method == "POST":
        for throttle in (AdminLoginRateThrottle(), AdminLoginUsernameRateThrottle()):
            if not throttle.allow_request(request, None):
                wait = math.ceil(throttle.wait())
                page = HttpResponse(
                    f"<!doctype html><title>Too many login attempts</title><h1>Too many login attempts</h1>"
                    f"<p>Try again in {escape(wait)} seconds.</p>",
                    status=429,
                )
                page["Retry-After"] = str(wait)
                return page
    return admin.site.login(request, extra_context)


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

    # A deactivated or deleted user's stored personal answers must stop being served at once.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not obj.is_active:
            user_copies_revoke(user_ids=[obj.pk])

    def delete_model(self, request, obj):
        user_id = obj.pk
        super().delete_model(request, obj)
        user_copies_revoke(user_ids=[user_id])

    def delete_queryset(self, request, queryset):
        user_ids = list(queryset.values_list("pk", flat=True))
        super().delete_queryset(request, queryset)
        user_copies_revoke(user_ids=user_ids)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "genres", "created_at", "updated_at"]
    search_fields = ["user__username", "user__email"]
    list_filter = ["preferred_genres", "created_at"]
    filter_horizontal = ["preferred_genres"]
    list_select_related = ["user"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("preferred_genres")  # one query for the page

    @admin.display(description="preferred genres")
    def genres(self, profile: Profile) -> str:
        return ", ".join(genre.name for genre in profile.preferred_genres.all()) or "-"


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
