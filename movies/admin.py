from django.contrib import admin

from movies.models import Genre, Movie


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]
    search_fields = ["name"]
    ordering = ["name"]


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "release_date", "vote_average", "vote_count", "popularity", "updated_at"]
    list_filter = ["genres", "original_language", "status"]
    search_fields = ["title", "original_title", "=id", "imdb_id"]
    ordering = ["-popularity"]
    filter_horizontal = ["genres"]
    date_hierarchy = "release_date"
    readonly_fields = ["created_at", "updated_at", "details_fetched_at"]
    list_per_page = 50
