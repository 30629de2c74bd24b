"""What the stub serves: the movie catalogue, its genres and every payload generated from it.

The movies come from ``movies/fixtures/demo_catalogue.json`` (or ``--catalogue FILE``) plus three
synthetic entries (ids 9_000_001+, left out by ``--no-synthetic``) that exercise the awkward shapes
(``release_date: ""``, ``genre_ids: []``, null image paths). The sorted lists (popular, top rated,
trending), a movie's details and its sub-resources (credits, videos, images, release dates, external
ids, recommendations / similar) are derived here, deterministically; ``CONFIGURATION`` is the
``/configuration`` answer. Nothing here knows about HTTP.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
CATALOGUE_PATH = REPO_ROOT / "movies/fixtures/demo_catalogue.json"

CONFIGURATION = {
    "images": {
        "base_url": "http://image.tmdb.org/t/p/",
        "secure_base_url": "https://image.tmdb.org/t/p/",
        "backdrop_sizes": ["w300", "w780", "w1280", "original"],
        "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
        "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
        "profile_sizes": ["w45", "w185", "h632", "original"],
        "still_sizes": ["w92", "w185", "w300", "original"],
    },
    "change_keys": [
        "adult",
        "air_date",
        "also_known_as",
        "alternative_titles",
        "biography",
        "birthday",
        "budget",
        "cast",
        "certifications",
        "character_names",
        "created_by",
        "crew",
        "deathday",
        "episode",
        "episode_number",
        "episode_run_time",
        "freebase_id",
        "freebase_mid",
        "general",
        "genres",
        "guest_stars",
        "homepage",
        "images",
        "imdb_id",
        "languages",
        "name",
        "network",
        "origin_country",
        "original_name",
        "original_title",
        "overview",
        "parts",
        "place_of_birth",
        "plot_keywords",
        "production_code",
        "production_companies",
        "production_countries",
        "releases",
        "revenue",
        "runtime",
        "season",
        "season_number",
        "season_regular",
        "spoken_languages",
        "status",
        "tagline",
        "title",
        "translations",
        "tvdb_id",
        "tvrage_id",
        "type",
        "video",
        "videos",
    ],
}

# Synthetic entries: unknown date, no genres, missing images, odd runtimes / statuses.
# 9000001 is popular enough to land on page 1 of popular and trending/day.
SYNTHETIC_MOVIES: list[dict[str, Any]] = [
    {
        "id": 9000001,
        "title": "Untitled Lighthouse Project",
        "original_title": "Untitled Lighthouse Project",
        "original_language": "en",
        "release_date": "",
        "genre_ids": [],
        "vote_average": 0.0,
        "vote_count": 0,
        "popularity": 99.9,
        "runtime": 0,
        "imdb_id": None,
        "_status": "Post Production",
        "_homepage": "",
        "_images": (False, False),
        "_videos": True,
    },
    {
        "id": 9000002,
        "title": "Off-Peak Hours",
        "original_title": "Les Heures creuses",
        "original_language": "fr",
        "release_date": "",
        "genre_ids": [],
        "vote_average": 0.0,
        "vote_count": 0,
        "popularity": 3.214,
        "runtime": None,
        "imdb_id": None,
        "_status": "Rumored",
        "_homepage": None,
        "_images": (True, False),
        "_videos": False,
    },
    {
        "id": 9000003,
        "title": "Static Bloom",
        "original_title": "Static Bloom",
        "original_language": "en",
        "release_date": "",
        "genre_ids": [18, 878],
        "vote_average": 6.0,
        "vote_count": 4,
        "popularity": 1.407,
        "runtime": 0,
        "imdb_id": None,
        "_status": "In Production",
        "_homepage": "",
        "_images": (True, True),
        "_videos": True,
    },
]

# Real TMDb collection ids; poster/backdrop paths are fake.
_COLLECTIONS = {
    10: ("Star Wars Collection", (11, 1891, 1892)),
    119: ("The Lord of the Rings Collection", (120, 121, 122)),
    230: ("The Godfather Collection", (238, 240)),
    263: ("The Dark Knight Collection", (272, 155, 49026)),
    264: ("Back to the Future Collection", (105,)),
    1241: ("Harry Potter Collection", (671, 672, 673)),
    2344: ("The Matrix Collection", (603, 604)),
    10194: ("Toy Story Collection", (862, 10193)),
}
COLLECTION_BY_MOVIE = {
    movie_id: {
        "id": cid,
        "name": name,
        "poster_path": f"/c{cid}p.jpg",
        "backdrop_path": None if cid % 2 else f"/c{cid}b.jpg",
    }
    for cid, (name, movie_ids) in _COLLECTIONS.items()
    for movie_id in movie_ids
}

# original_language -> (english_name, native name, origin country)
LANGUAGES = {
    "en": ("English", "English", "US"),
    "ja": ("Japanese", "日本語", "JP"),
    "ko": ("Korean", "한국어/조선말", "KR"),
    "fr": ("French", "Français", "FR"),
    "it": ("Italian", "Italiano", "IT"),
    "de": ("German", "Deutsch", "DE"),
    "es": ("Spanish", "Español", "ES"),
    "pt": ("Portuguese", "Português", "BR"),
    "zh": ("Mandarin", "普通话", "TW"),
    "hi": ("Hindi", "हिन्दी", "IN"),
    "te": ("Telugu", "తెలుగు", "IN"),
    "ru": ("Russian", "Русский", "SU"),
    "sv": ("Swedish", "svenska", "SE"),
}
COUNTRY_OVERRIDES = {55: "MX", 426426: "MX", 1417: "MX"}
COUNTRY_NAMES = {
    "US": "United States of America",
    "GB": "United Kingdom",
    "JP": "Japan",
    "KR": "South Korea",
    "FR": "France",
    "IT": "Italy",
    "DE": "Germany",
    "ES": "Spain",
    "MX": "Mexico",
    "BR": "Brazil",
    "TW": "Taiwan",
    "IN": "India",
    "SU": "Soviet Union",
    "SE": "Sweden",
}


def _hex24(*parts: Any) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()[:24]


def _video_key(movie_id: int) -> str:
    digest = hashlib.sha1(f"trailer:{movie_id}".encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode()[:11]


class Catalogue:
    """Read-only movie data shared by all servers in the process."""

    def __init__(self, path: Path, *, synthetic: bool = True):
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        self.genres: list[dict[str, Any]] = [{"id": int(g["id"]), "name": str(g["name"])} for g in raw["genres"]]
        self.genre_names = {g["id"]: g["name"] for g in self.genres}
        self.records: dict[int, dict[str, Any]] = {}
        self.items: list[dict[str, Any]] = []  # MovieListItem, catalogue order
        for index, movie in enumerate(raw["movies"]):
            no_images = index % 10 == 9
            self._add(dict(movie), has_poster=not no_images, has_backdrop=not no_images)
        for movie in SYNTHETIC_MOVIES if synthetic else ():
            has_poster, has_backdrop = movie["_images"]
            self._add(dict(movie), has_poster=has_poster, has_backdrop=has_backdrop)

        def by(key, items=None):
            base = sorted(self.items if items is None else items, key=lambda it: it["id"])
            return sorted(base, key=key, reverse=True)  # stable: ties stay in id order

        self.popular = by(lambda it: it["popularity"])
        self.top_rated = by(
            lambda it: (it["vote_average"], it["vote_count"]),
            [it for it in self.items if it["vote_count"] >= 100],
        )
        self.trending_day = self.popular
        self.trending_week = by(
            lambda it: round(it["vote_average"] * math.log10(it["vote_count"] + 10) + it["popularity"] / 25, 6)
        )

    def _add(self, movie: dict[str, Any], *, has_poster: bool, has_backdrop: bool) -> None:
        movie_id = int(movie["id"])
        if movie_id in self.records:
            raise ValueError(f"duplicate movie id {movie_id} in catalogue")
        item = {
            "adult": False,
            "backdrop_path": f"/{movie_id}b.jpg" if has_backdrop else None,
            "genre_ids": [int(g) for g in movie.get("genre_ids") or []],
            "id": movie_id,
            "original_language": movie.get("original_language") or "en",
            "original_title": movie.get("original_title") or movie["title"],
            "overview": f"Demo entry for {movie['title']}.",
            "popularity": float(movie.get("popularity") or 0.0),
            "poster_path": f"/{movie_id}p.jpg" if has_poster else None,
            "release_date": movie.get("release_date") or "",
            "title": movie["title"],
            "video": False,
            "vote_average": float(movie.get("vote_average") or 0.0),
            "vote_count": int(movie.get("vote_count") or 0),
        }
        self.items.append(item)
        self.records[movie_id] = {"item": item, "movie": movie}

    # -- derived data --------------------------------------------------------------------
    def get(self, movie_id: int) -> dict[str, Any] | None:
        return self.records.get(movie_id)

    @staticmethod
    def budget(record: dict[str, Any]) -> int:
        item = record["item"]
        if item["id"] >= 9_000_000 or item["release_date"][:4] < "1960":
            return 0
        return ((item["id"] * 7919) % 180 + 5) * 1_000_000

    def revenue(self, record: dict[str, Any]) -> int:
        budget = self.budget(record)
        return budget * (1 + record["item"]["id"] % 7) + (record["item"]["id"] % 997) * 1000 if budget else 0

    def related(self, movie_id: int, kind: str) -> list[dict[str, Any]]:
        """Movies sharing at least one genre (recommendations / similar)."""
        record = self.records[movie_id]
        genres = set(record["item"]["genre_ids"])
        if not genres:
            return []
        scored = [
            (len(genres & set(it["genre_ids"])), it)
            for it in self.items
            if it["id"] != movie_id and genres & set(it["genre_ids"])
        ]
        if kind == "recommendations":
            scored.sort(key=lambda pair: (-pair[0], -pair[1]["popularity"], pair[1]["id"]))
        else:
            scored.sort(key=lambda pair: (-pair[0], -pair[1]["vote_count"], pair[1]["id"]))
        return [it for _, it in scored]

    def details(self, record: dict[str, Any]) -> dict[str, Any]:
        item, movie = record["item"], record["movie"]
        lang = item["original_language"]
        english_name, native_name, country = LANGUAGES.get(lang, (lang, lang, "US"))
        country = COUNTRY_OVERRIDES.get(item["id"], country)
        return {
            "adult": False,
            "backdrop_path": item["backdrop_path"],
            "belongs_to_collection": COLLECTION_BY_MOVIE.get(item["id"]),
            "budget": self.budget(record),
            "genres": [{"id": g, "name": self.genre_names.get(g, str(g))} for g in item["genre_ids"]],
            "homepage": movie.get("_homepage", ""),
            "id": item["id"],
            "imdb_id": movie.get("imdb_id"),
            "origin_country": [country],
            "original_language": lang,
            "original_title": item["original_title"],
            "overview": item["overview"],
            "popularity": item["popularity"],
            "poster_path": item["poster_path"],
            "production_companies": [],
            "production_countries": [{"iso_3166_1": country, "name": COUNTRY_NAMES.get(country, country)}],
            "release_date": item["release_date"],
            "revenue": self.revenue(record),
            "runtime": movie.get("runtime"),
            "spoken_languages": [{"english_name": english_name, "iso_639_1": lang, "name": native_name}],
            "status": movie.get("_status", "Released"),
            "tagline": "",
            "title": item["title"],
            "video": False,
            "vote_average": item["vote_average"],
            "vote_count": item["vote_count"],
        }

    @staticmethod
    def credits(record: dict[str, Any]) -> dict[str, Any]:
        movie_id = record["item"]["id"]
        cast = []
        for order in range(3):
            person_id = 10_000_000 + movie_id * 10 + order
            name = f"Demo Performer {movie_id}-{order + 1}"
            cast.append(
                {
                    "adult": False,
                    "gender": (2, 1, 0)[order],
                    "id": person_id,
                    "known_for_department": "Acting",
                    "name": name,
                    "original_name": name,
                    "popularity": round(12.5 - order * 3.1, 3),
                    "profile_path": f"/{person_id}f.jpg" if order == 0 else None,
                    "cast_id": order + 1,
                    "character": f"Character {order + 1}",
                    "credit_id": _hex24(movie_id, "cast", order),
                    "order": order,
                }
            )
        director_id = 10_000_000 + movie_id * 10 + 9
        director = f"Demo Director {movie_id}"
        crew = [
            {
                "adult": False,
                "gender": 2,
                "id": director_id,
                "known_for_department": "Directing",
                "name": director,
                "original_name": director,
                "popularity": 4.2,
                "profile_path": None,
                "credit_id": _hex24(movie_id, "crew", "director"),
                "department": "Directing",
                "job": "Director",
            }
        ]
        return {"cast": cast, "crew": crew}

    @staticmethod
    def videos(record: dict[str, Any]) -> dict[str, Any]:
        item, movie = record["item"], record["movie"]
        if not movie.get("_videos", True):
            return {"results": []}
        published = item["release_date"] or "2024-01-01"
        return {
            "results": [
                {
                    "iso_639_1": "en",
                    "iso_3166_1": "US",
                    "name": "Official Trailer",
                    "key": _video_key(item["id"]),
                    "site": "YouTube",
                    "size": 1080,
                    "type": "Trailer",
                    "official": True,
                    "published_at": f"{published}T16:00:00.000Z",
                    "id": _hex24(item["id"], "video"),
                }
            ]
        }

    @staticmethod
    def images(record: dict[str, Any]) -> dict[str, Any]:
        item = record["item"]

        def image(path, width, height):
            return {
                "aspect_ratio": round(width / height, 3),
                "height": height,
                "iso_639_1": None if width > height else "en",
                "file_path": path,
                "vote_average": 5.3,
                "vote_count": 2,
                "width": width,
            }

        return {
            "backdrops": [image(item["backdrop_path"], 1920, 1080)] if item["backdrop_path"] else [],
            "logos": [],
            "posters": [image(item["poster_path"], 1000, 1500)] if item["poster_path"] else [],
        }

    @staticmethod
    def release_dates(record: dict[str, Any]) -> dict[str, Any]:
        item = record["item"]
        if not item["release_date"]:
            return {"results": []}
        return {
            "results": [
                {
                    "iso_3166_1": "US",
                    "release_dates": [
                        {
                            "certification": "",
                            "descriptors": [],
                            "iso_639_1": "",
                            "note": "",
                            "release_date": f"{item['release_date']}T00:00:00.000Z",
                            "type": 3,
                        }
                    ],
                }
            ]
        }

    @staticmethod
    def external_ids(record: dict[str, Any]) -> dict[str, Any]:
        return {
            "imdb_id": record["movie"].get("imdb_id"),
            "wikidata_id": None,
            "facebook_id": None,
            "instagram_id": None,
            "twitter_id": None,
        }


@functools.lru_cache(maxsize=8)
def load_catalogue(path: str | None = None, *, synthetic: bool = True) -> Catalogue:
    """The catalogue file (default: the demo's), plus the synthetic awkward entries unless told not to."""
    return Catalogue(Path(path) if path else CATALOGUE_PATH, synthetic=synthetic)

