"""
The one list envelope of the API: {"page", "total_pages", "total_results", "results"}.

Pages are 1..500 (TMDb's own ceiling, applied to every list so clients meet one rule) and hold
PAGE_SIZE items; a page past the end is an empty `results`, not an error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, TypedDict

from django.db.models import QuerySet
from rest_framework import serializers

PAGE_SIZE = 20
MAX_PAGE = 500


class Page(TypedDict):
    page: int
    total_pages: int
    total_results: int
    results: list[Any]


class PageQuerySerializer(serializers.Serializer):
    """Query parameters every list endpoint accepts; extend it for endpoint-specific filters."""

    page = serializers.IntegerField(
        min_value=1, max_value=MAX_PAGE, default=1, help_text=f"Page number, 1 to {MAX_PAGE}."
    )


def make_page(*, page: int, total_results: int, results: list[Any], page_size: int = PAGE_SIZE) -> Page:
    total_pages = min(math.ceil(total_results / page_size), MAX_PAGE) if total_results else 0
    return {"page": page, "total_pages": total_pages, "total_results": total_results, "results": results}


def paginate_sequence(items: Sequence[Any], *, page: int, page_size: int = PAGE_SIZE) -> Page:
    start = (page - 1) * page_size
    return make_page(page=page, total_results=len(items), results=list(items[start : start + page_size]),
                     page_size=page_size)


def paginate_queryset(queryset: QuerySet, *, page: int, page_size: int = PAGE_SIZE) -> Page:
    """Two queries: one count, one slice. `results` holds model instances."""
    total = queryset.count()
    start = (page - 1) * page_size
    results = list(queryset[start : start + page_size]) if start < total else []
    return make_page(page=page, total_results=total, results=results, page_size=page_size)


def upstream_page(*, page: int, total_pages: int, total_results: int, results: list[Any]) -> Page:
    """An envelope from TMDb's totals; TMDb reports more than 500 pages but serves only 500."""
    return {"page": page, "total_pages": min(max(total_pages, 0), MAX_PAGE), "total_results": max(total_results, 0),
            "results": results}


_envelopes: dict[str, type[serializers.Serializer]] = {}


def page_serializer(item_serializer: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The envelope serializer around `item_serializer` (one class per name, for the OpenAPI components)."""
    if name not in _envelopes:
        _envelopes[name] = type(
            name,
            (serializers.Serializer,),
            {
                "page": serializers.IntegerField(min_value=1, max_value=MAX_PAGE),
                "total_pages": serializers.IntegerField(min_value=0, max_value=MAX_PAGE),
                "total_results": serializers.IntegerField(min_value=0),
                "results": item_serializer(many=True),
            },
        )
    return _envelopes[name]
