"""The TMDb API under ``/3``: which path answers what, grouped by endpoint family.

``ROUTES`` maps a path's segments (after ``/3``) to a handler ``(state, params) -> body``;
``/movie/{id}[/{part}]`` is the one family with an id (``movie``), and ``MOVIE_PARTS`` lists the
sub-resources it serves as a path or through ``append_to_response``. Anything else is TMDb's 404
(code 34). ``envelope`` pages a list: page validation in either error style, ``--inflate-total-pages``
and ``--fill-pages``. Auth, faults and the request log run before a route (``server.py``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from .catalogue import CONFIGURATION
from .protocol import Response, int_or_none, not_found, tmdb_error
from .state import StubState

PAGE_SIZE = 20
MAX_PAGE = 500
MAX_APPENDS = 20
FILL_ID_STEP = 1_000_000  # --fill-pages: ids of the catalogue's n-th repetition are shifted by n steps

Params = dict[str, str]


# -- query parameters --------------------------------------------------------------------------

def _float_or_none(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        result = float(value.strip())
    except (ValueError, AttributeError):
        return None
    return result if math.isfinite(result) else None


def _date_or_none(value: str | None) -> str | None:
    if value and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return value.strip()
    return None


class PageError(Exception):
    """Raised for an invalid ``page`` parameter."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind  # "low", "high" or "type"


def _page(params: Params) -> int:
    raw = params.get("page")
    if raw is None:
        return 1
    try:
        page = int(raw.strip())
    except ValueError:
        raise PageError("type") from None
    if page < 1:
        raise PageError("low")
    if page > MAX_PAGE:
        raise PageError("high")
    return page


def _page_error(state: StubState, exc: PageError) -> Response:
    with state.lock:
        style = state.config["page_error_style"]
    if exc.kind == "type" or style == "code22":
        return Response(*tmdb_error(22))
    if exc.kind == "low":
        return Response(422, {"errors": ["page must be greater than 0"]})
    return Response(422, {"errors": ["page must be less than or equal to 500"]})


def _valid_page(state: StubState, params: Params) -> int:
    """The ``page`` parameter, or the page error the configured style answers with."""
    try:
        return _page(params)
    except PageError as exc:
        raise _page_error(state, exc) from None


def envelope(
    state: StubState,
    items: list[dict[str, Any]],
    params: Params,
    *,
    media_type: bool = False,
    inflatable: bool = False,
    page: int | None = None,
) -> dict[str, Any]:
    """One page of ``items`` in TMDb's list envelope (page, results, total_pages, total_results)."""
    if page is None:
        page = _valid_page(state, params)
    total_results = len(items)
    total_pages = max(1, math.ceil(total_results / PAGE_SIZE))
    fill = False
    if inflatable:
        with state.lock:
            inflate = state.config["inflate_total_pages"]
            fill = state.config["fill_pages"]
        if inflate and inflate > total_pages:
            total_pages = inflate
            total_results = max(total_results, inflate * PAGE_SIZE - 7)
    start = (page - 1) * PAGE_SIZE
    chunk = items[start : start + PAGE_SIZE]
    if fill and items and not chunk and page <= total_pages:
        # Pages the inflated total promises, filled with the catalogue again under new ids
        # (FILL_ID_STEP apart per round), so every page costs what a real page of new movies does.
        chunk = [
            dict(items[n % len(items)], id=items[n % len(items)]["id"] + FILL_ID_STEP * (n // len(items)))
            for n in range(start, start + PAGE_SIZE)
        ]
    results = [dict(it, media_type="movie") if media_type else dict(it) for it in chunk]
    return {"page": page, "results": results, "total_pages": total_pages, "total_results": total_results}


# -- reference data: /configuration, /genre/movie/list -----------------------------------------

def configuration(state: StubState, params: Params) -> Any:
    return CONFIGURATION


def genre_list(state: StubState, params: Params) -> Any:
    return {"genres": state.catalogue.genres}


# -- lists: /trending/movie/{day|week}, /movie/popular, /movie/top_rated -----------------------

def trending_day(state: StubState, params: Params) -> Any:
    return envelope(state, state.catalogue.trending_day, params, media_type=True, inflatable=True)


def trending_week(state: StubState, params: Params) -> Any:
    return envelope(state, state.catalogue.trending_week, params, media_type=True, inflatable=True)


def popular(state: StubState, params: Params) -> Any:
    return envelope(state, state.catalogue.popular, params, inflatable=True)


def top_rated(state: StubState, params: Params) -> Any:
    return envelope(state, state.catalogue.top_rated, params, inflatable=True)


# -- queries: /search/movie, /discover/movie ---------------------------------------------------

def search(state: StubState, params: Params) -> Any:
    query = (params.get("query") or "").strip()
    if not query:
        raise Response(422, {"errors": ["query must be provided"]})
    page = _valid_page(state, params)
    needle = query.casefold()
    hits = [
        it
        for it in state.catalogue.popular
        if needle in it["title"].casefold() or needle in it["original_title"].casefold()
    ]
    for key in ("year", "primary_release_year"):
        year = int_or_none(params.get(key))
        if year is not None:
            hits = [it for it in hits if it["release_date"][:4] == f"{year:04d}"]
    return envelope(state, hits, params, page=page)


def discover(state: StubState, params: Params) -> Any:
    page = _valid_page(state, params)
    cat = state.catalogue
    items = list(cat.items)

    with_genres = params.get("with_genres")
    if with_genres:
        groups = []
        for group in with_genres.split(","):
            ids = {i for i in (int_or_none(t) for t in group.split("|")) if i is not None}
            if ids:
                groups.append(ids)
        items = [it for it in items if all(set(it["genre_ids"]) & group for group in groups)]
    without = params.get("without_genres")
    if without:
        banned = {i for i in (int_or_none(t) for t in re.split(r"[,|]", without)) if i is not None}
        items = [it for it in items if not set(it["genre_ids"]) & banned]

    for key in ("primary_release_year", "year"):
        year = int_or_none(params.get(key))
        if year is not None:
            items = [it for it in items if it["release_date"][:4] == f"{year:04d}"]
    for prefix in ("primary_release_date", "release_date"):
        gte, lte = _date_or_none(params.get(f"{prefix}.gte")), _date_or_none(params.get(f"{prefix}.lte"))
        if gte:
            items = [it for it in items if it["release_date"] and it["release_date"] >= gte]
        if lte:
            items = [it for it in items if it["release_date"] and it["release_date"] <= lte]
    for field in ("vote_count", "vote_average"):
        gte, lte = _float_or_none(params.get(f"{field}.gte")), _float_or_none(params.get(f"{field}.lte"))
        if gte is not None:
            items = [it for it in items if it[field] >= gte]
        if lte is not None:
            items = [it for it in items if it[field] <= lte]
    runtime_of = lambda it: cat.records[it["id"]]["movie"].get("runtime") or 0  # noqa: E731
    gte, lte = int_or_none(params.get("with_runtime.gte")), int_or_none(params.get("with_runtime.lte"))
    if gte is not None:
        items = [it for it in items if runtime_of(it) >= gte]
    if lte is not None:
        items = [it for it in items if runtime_of(it) <= lte]
    language = (params.get("with_original_language") or "").strip()
    if language:
        wanted = set(re.split(r"[,|]", language))
        items = [it for it in items if it["original_language"] in wanted]

    field, _, direction = (params.get("sort_by") or "popularity.desc").partition(".")
    keys = {
        "popularity": lambda it: it["popularity"],
        "vote_average": lambda it: it["vote_average"],
        "vote_count": lambda it: it["vote_count"],
        "primary_release_date": lambda it: it["release_date"],
        "release_date": lambda it: it["release_date"],
        "revenue": lambda it: cat.revenue(cat.records[it["id"]]),
        "title": lambda it: it["title"].casefold(),
        "original_title": lambda it: it["original_title"].casefold(),
    }
    if field not in keys or direction not in ("asc", "desc"):
        field, direction = "popularity", "desc"
    items.sort(key=lambda it: it["id"])
    if field in ("primary_release_date", "release_date"):
        dated = [it for it in items if it["release_date"]]
        undated = [it for it in items if not it["release_date"]]
        dated.sort(key=keys[field], reverse=direction == "desc")
        items = dated + undated  # unknown dates always last
    else:
        items.sort(key=keys[field], reverse=direction == "desc")
    return envelope(state, items, params, page=page, inflatable=True)


# -- one movie: /movie/{id}[?append_to_response=...], /movie/{id}/{part} -----------------------

Record = dict[str, Any]
MoviePart = Callable[[StubState, Record, Params, bool], Any]


def _related(kind: str) -> MoviePart:
    """recommendations / similar: paged like a list, but only page 1 when appended to the details."""

    def part(state: StubState, record: Record, params: Params, appended: bool) -> Any:
        items = state.catalogue.related(record["item"]["id"], kind)
        return envelope(state, items, params, media_type=kind == "recommendations", page=1 if appended else None)

    return part


# Sub-resources of a movie, as a path (/movie/{id}/{name}) or an append (append_to_response=name).
MOVIE_PARTS: dict[str, MoviePart] = {
    "recommendations": _related("recommendations"),
    "similar": _related("similar"),
    "credits": lambda state, record, params, appended: state.catalogue.credits(record),
    "videos": lambda state, record, params, appended: state.catalogue.videos(record),
    "images": lambda state, record, params, appended: state.catalogue.images(record),
    "keywords": lambda state, record, params, appended: {"keywords": []},
    "release_dates": lambda state, record, params, appended: state.catalogue.release_dates(record),
    "external_ids": lambda state, record, params, appended: state.catalogue.external_ids(record),
    "watch/providers": lambda state, record, params, appended: {"results": {}},
}


def _record_for(state: StubState, raw_id: str) -> Record:
    if not re.fullmatch(r"\d{1,10}", raw_id):
        raise not_found()
    record = state.catalogue.get(int(raw_id))
    if record is None:
        raise not_found()
    return record


def movie(state: StubState, raw_id: str, rest: list[str], params: Params) -> Any:
    """A movie's details (with its appends), or one of its MOVIE_PARTS; unknown appends are ignored,
    unknown parts are 404."""
    record = _record_for(state, raw_id)
    movie_id = record["item"]["id"]
    if not rest:
        body = state.catalogue.details(record)
        appends: list[str] = []
        for name in (params.get("append_to_response") or "").split(","):
            name = name.strip()
            if name and name not in appends:
                appends.append(name)
        if len(appends) > MAX_APPENDS:
            raise Response(*tmdb_error(27))
        for name in appends:
            part = MOVIE_PARTS.get(name)
            if part is not None:
                body[name] = part(state, record, params, True)
        return body
    name = "/".join(rest)
    part = MOVIE_PARTS.get(name)
    if part is None:
        raise not_found()
    value = part(state, record, params, False)
    if name in ("recommendations", "similar"):
        return value
    return {"id": movie_id, **value}


# -- the table ---------------------------------------------------------------------------------

Handler = Callable[[StubState, Params], Any]

ROUTES: dict[tuple[str, ...], Handler] = {
    # reference data
    ("configuration",): configuration,
    ("genre", "movie", "list"): genre_list,
    # lists
    ("trending", "movie", "day"): trending_day,
    ("trending", "movie", "week"): trending_week,
    ("movie", "popular"): popular,
    ("movie", "top_rated"): top_rated,
    # queries
    ("search", "movie"): search,
    ("discover", "movie"): discover,
}


def route(state: StubState, segments: list[str], params: Params) -> tuple[int, Any]:
    """(status, body) of an authorised GET under /3, given its path segments after /3."""
    handler = ROUTES.get(tuple(segments))
    if handler is not None:
        return 200, handler(state, params)
    if len(segments) >= 2 and segments[0] == "movie":  # /movie/{id}[/{part}]
        return 200, movie(state, segments[1], segments[2:], params)
    raise not_found()
