"""
Reads of our own catalogue. They answer the Movies endpoints when no TMDb credentials are set
(the embedded default) and serve favorites and recommendations everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from movie_backend.pagination import Page, paginate_queryset
from movies import payloads, ranking
from movies.models import Genre, Movie
from movies.tmdb import TRENDING_WINDOWS


def movie_queryset() -> QuerySet[Movie]:
    """Every catalogue movie, with its genres prefetched (what the summaries need)."""
    return Movie.objects.prefetch_related("genres")


def movie_get(*, movie_id: int) -> Movie | None:
    """The catalogue movie with this id (genres prefetched), or None."""
    return movie_queryset().filter(pk=movie_id).first()


def genre_list() -> list[dict]:
    """Every genre of the catalogue as {"id", "name"}, by name."""
    return [{"id": g.id, "name": g.name} for g in Genre.objects.order_by("name")]


def catalogue_trending(*, time_window: str, page: int) -> Page:
    """Movies favorited most within the window first, then by popularity."""
    since = timezone.now() - TRENDING_WINDOWS[time_window]
    queryset = movie_queryset().annotate(
        recent_favorites=Count("favorited_by", filter=Q(favorited_by__added_at__gte=since))
    ).order_by("-recent_favorites", "-popularity", "id")
    return paginate_queryset(queryset, page=page)


def catalogue_search(*, query: str, page: int, year: int | None = None) -> Page:
    """Movies whose title or original title contains `query` (any case), optionally of `year`, most
    popular first."""
    queryset = movie_queryset().filter(Q(title__icontains=query) | Q(original_title__icontains=query))
    if year is not None:
        queryset = queryset.filter(release_date__year=year)
    return paginate_queryset(queryset.order_by("-popularity", "id"), page=page)


def _ranked_queryset(genre: int | None) -> QuerySet[Movie]:
    queryset = Movie.objects.all()
    if genre is not None:
        queryset = queryset.filter(genres__id=genre)
    mean, minimum = _ranking_parameters(queryset)
    votes = Cast("vote_count", FloatField())
    score = ExpressionWrapper(
        votes / (votes + Value(minimum)) * F("vote_average") + Value(minimum) / (votes + Value(minimum)) * Value(mean),
        output_field=FloatField(),
    )
    ordered = Movie.objects.filter(pk__in=queryset.values("pk")).annotate(score=score)
    return ordered.order_by("-score", "-popularity", "id")


def catalogue_ranked(*, page: int, genre: int | None = None) -> Page:
    """The catalogue ordered by vote-count-weighted rating (movies.ranking), computed in the database."""
    return paginate_queryset(_ranked_queryset(genre).prefetch_related("genres"), page=page)


def catalogue_ranked_ids(*, limit: int, genre: int | None = None) -> list[int]:
    """The first `limit` ids of `catalogue_ranked` (3 queries, no movie objects)."""
    return list(_ranked_queryset(genre).values_list("id", flat=True)[:limit])


def catalogue_rows(*, movie_ids: Iterable[int]) -> dict[int, tuple[float, list[int]]]:
    """Movie id -> (popularity, genre ids) for those of `movie_ids` in the catalogue (2 queries of
    plain tuples: what ranking a few hundred candidates needs, nothing more)."""
    wanted = list(movie_ids)
    rows = {movie_id: (popularity, []) for movie_id, popularity in
            Movie.objects.filter(pk__in=wanted).values_list("id", "popularity")}
    for movie_id, genre_id in Movie.genres.through.objects.filter(movie_id__in=wanted).values_list("movie_id", "genre_id"):
        if movie_id in rows:
            rows[movie_id][1].append(genre_id)
    return rows


def movie_summary_rows(*, movie_ids: Iterable[int]) -> dict[int, tuple[dict, list[dict]]]:
    """Movie id -> (its payloads.SUMMARY_FIELDS as a plain dict, its genres as {"id", "name"}) for
    those of `movie_ids` in the catalogue: 2 queries, no model instances (a 300-movie list reads
    several times faster than through the ORM's objects)."""
    wanted = list(movie_ids)
    rows = {row["id"]: (row, []) for row in Movie.objects.filter(pk__in=wanted).values(*payloads.SUMMARY_FIELDS)}
    genres = Movie.genres.through.objects.filter(movie_id__in=wanted).values_list("movie_id", "genre_id", "genre__name")
    for movie_id, genre_id, name in genres:
        if movie_id in rows:
            rows[movie_id][1].append({"id": genre_id, "name": name})
    return rows


def _ranking_parameters(queryset: QuerySet[Movie]) -> tuple[float, float]:
    """C and m of movies.ranking for `queryset`, aggregated in the database (two small queries)."""
    stats = queryset.aggregate(
        count=Count("pk"),
        votes=Sum("vote_count", filter=Q(vote_count__gt=0)),
        weighted=Sum(F("vote_average") * F("vote_count"), filter=Q(vote_count__gt=0), output_field=FloatField()),
    )
    mean = stats["weighted"] / stats["votes"] if stats["votes"] else 0.0
    if not stats["count"]:
        return mean, 1.0
    index = ranking.quantile_index(stats["count"])
    at_quantile = queryset.order_by("vote_count").values_list("vote_count", flat=True)[index]
    return mean, float(max(1, at_quantile))


def catalogue_similar(*, movie: Movie, page: int) -> Page:
    """"More like this" from local signals: movies favorited by the same people weigh most
    (item-to-item co-occurrence), then the number of shared genres, then popularity."""
    # Through the reverse relation (`favorited_by`), so `movies` needs nothing from `users`.
    fans = movie.favorited_by.values("user_id")
    co_favorites = (
        Movie.objects.filter(pk=OuterRef("pk"), favorited_by__user_id__in=fans)
        .values("pk").annotate(n=Count("favorited_by")).values("n")
    )
    shared_genres = (
        Movie.genres.through.objects.filter(movie_id=OuterRef("pk"), genre_id__in=movie.genres.values("pk"))
        .values("movie_id").annotate(n=Count("pk")).values("n")
    )
    queryset = (
        movie_queryset()
        .exclude(pk=movie.pk)
        .annotate(
            co_favorites=Coalesce(Subquery(co_favorites, output_field=IntegerField()), 0),
            shared_genres=Coalesce(Subquery(shared_genres, output_field=IntegerField()), 0),
        )
        .filter(Q(co_favorites__gt=0) | Q(shared_genres__gt=0))
        .order_by("-co_favorites", "-shared_genres", "-vote_count", "id")
    )
    return paginate_queryset(queryset, page=page)
