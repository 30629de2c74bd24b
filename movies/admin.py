from django.contrib import admin
from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear

from movies.models import Genre, Movie


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["id", "name"]
    search_fields = ["name"]
    ordering = ["name"]


class NonBlankValuesFilter(admin.AllValuesFieldListFilter):
    """A field's distinct values without the blank one, shown only when there is something to pick
    (`status` is blank until a movie's details are fetched: the plain filter offered "All" and "")."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = [value for value in self.lookup_choices if value not in ("", None)]
        self.include_empty_choice = False

    def has_output(self) -> bool:
        return bool(self.lookup_choices)


class ReleaseDecadeFilter(admin.SimpleListFilter):
    """Release date, drilled down by decade: the decades that have movies (a dozen links, not one a year)."""

    title = "release decade"
    parameter_name = "released_decade"

    def lookups(self, request, model_admin):
        years = model_admin.get_queryset(request).filter(release_date__isnull=False).annotate(
            year=ExtractYear("release_date")).values_list("year", flat=True).distinct()
        decades = sorted({year // 10 * 10 for year in years}, reverse=True)
        return [(str(decade), f"{decade}s") for decade in decades]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if not (self.value() or "").isdigit():
            return queryset
        decade = int(self.value())
        return queryset.filter(release_date__year__gte=decade, release_date__year__lt=decade + 10)


class ReleaseYearFilter(admin.SimpleListFilter):
    """Then the years of the chosen decade (hidden until a decade is chosen)."""

    title = "release year"
    parameter_name = "released_year"

    def lookups(self, request, model_admin):
        decade = request.GET.get(ReleaseDecadeFilter.parameter_name, "")
        if not decade.isdigit():
            return []
        decade = int(decade)
        years = model_admin.get_queryset(request).filter(
            release_date__year__gte=decade, release_date__year__lt=decade + 10,
        ).annotate(year=ExtractYear("release_date")).values_list("year", flat=True).distinct()
        return [(str(year), str(year)) for year in sorted(set(years), reverse=True)]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if not (self.value() or "").isdigit():
            return queryset
        return queryset.filter(release_date__year=int(self.value()))


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "release_date", "favorites", "vote_average", "vote_count", "popularity", "updated_at"]
    list_filter = [
        ReleaseDecadeFilter, ReleaseYearFilter, "genres",
        ("original_language", NonBlankValuesFilter), ("status", NonBlankValuesFilter),
    ]
    search_fields = ["title", "original_title", "=id", "imdb_id"]
    ordering = ["-popularity"]
    filter_horizontal = ["genres"]
    readonly_fields = ["created_at", "updated_at", "details_fetched_at"]
    list_per_page = 50

    def get_queryset(self, request):
        # The count of favorites comes with the page's own query (a COUNT over a join), not one query a row.
        return super().get_queryset(request).annotate(favorites_count=Count("favorited_by", distinct=True))

    def get_readonly_fields(self, request, obj=None):
        # The id is TMDb's and every URL, favorite and cache key refers to it: set once, on creation.
        return [*self.readonly_fields, "id"] if obj is not None else self.readonly_fields

    @admin.display(description="favorites", ordering="favorites_count")
    def favorites(self, movie: Movie) -> int:
        return movie.favorites_count
