"""
Realistic example payloads for the API docs (Swagger UI, ReDoc): one user, alice, and real-looking
movies, so the docs read like documentation rather than generated `"string"` / `0` noise. Only used
by the OpenAPI schema; tests check that every operation has them.
"""

from drf_spectacular.utils import OpenApiExample

IMAGES = "https://image.tmdb.org/t/p/"


def movie(movie_id, title, date, genres, vote_average, vote_count, popularity, poster, backdrop, overview,
          original_title=None, language="en") -> dict:
    return {
        "id": movie_id, "title": title, "original_title": original_title or title, "overview": overview,
        "release_date": date, "genre_ids": [g["id"] for g in genres], "genres": genres,
        "vote_average": vote_average, "vote_count": vote_count, "popularity": popularity,
        "original_language": language,
        "poster_path": poster, "poster_url": f"{IMAGES}w500{poster}",
        "backdrop_path": backdrop, "backdrop_url": f"{IMAGES}w1280{backdrop}",
    }


ACTION, SCIFI, HORROR, ADVENTURE, DRAMA = (
    {"id": 28, "name": "Action"}, {"id": 878, "name": "Science Fiction"}, {"id": 27, "name": "Horror"},
    {"id": 12, "name": "Adventure"}, {"id": 18, "name": "Drama"},
)
MATRIX = movie(
    603, "The Matrix", "1999-03-31", [ACTION, SCIFI], 8.2, 26419, 84.6,
    "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg", "/ncEsesgOJDNrTUED89hYbA117wo.jpg",
    "Set in the 22nd century, The Matrix tells the story of a computer hacker who joins a group of "
    "underground insurgents fighting the vast and powerful computers who now rule the earth.",
)
ALIEN = movie(
    348, "Alien", "1979-05-25", [HORROR, SCIFI], 8.2, 15170, 52.3,
    "/vfrQk5IPloGg1v9Rzbh2Eg3VGyM.jpg", "/AmR3JG1VQVxU8TfAvljUhfSFUOx.jpg",
    "During its return to the earth, commercial spaceship Nostromo intercepts a distress signal from "
    "a distant planet.",
)
INTERSTELLAR = movie(
    157336, "Interstellar", "2014-11-05", [ADVENTURE, DRAMA, SCIFI], 8.4, 37552, 140.2,
    "/gEU2QniE6E77NI6lCU6MxlNBvIx.jpg", "/xJHokMbljvjADYdit5fK5VQsXEG.jpg",
    "The adventures of a group of explorers who make use of a newly discovered wormhole to surpass the "
    "limitations on human space travel and conquer the vast distances involved in an interstellar voyage.",
)
MATRIX_DETAIL = {
    **MATRIX,
    "tagline": "Welcome to the Real World.", "runtime": 136, "status": "Released", "imdb_id": "tt0133093",
    "homepage": "http://www.warnerbros.com/matrix", "budget": 63000000, "revenue": 463517383,
    "cast": [
        {"id": 6384, "name": "Keanu Reeves", "character": "Thomas A. Anderson / Neo",
         "profile_url": f"{IMAGES}w185/4D0PpNI0kmP58hgrwGC3wCjxhnm.jpg"},
        {"id": 2975, "name": "Laurence Fishburne", "character": "Morpheus",
         "profile_url": f"{IMAGES}w185/8suOhUmPbfKqDQ17jQ1Gy0mI3P4.jpg"},
        {"id": 530, "name": "Carrie-Anne Moss", "character": "Trinity",
         "profile_url": f"{IMAGES}w185/xD4jTA3KmVp5Rq3aHcymL9DUGjD.jpg"},
    ],
    "directors": [{"id": 9340, "name": "Lana Wachowski"}, {"id": 9339, "name": "Lilly Wachowski"}],
    "trailer": {"site": "YouTube", "key": "vKQi3bBA1y8", "url": "https://www.youtube.com/watch?v=vKQi3bBA1y8"},
}


def page(*results: dict, page_number: int = 1, total_results: int = 433) -> dict:
    return {"page": page_number, "total_pages": -(-total_results // 20), "total_results": total_results,
            "results": list(results)}


MOVIE_PAGE = page(MATRIX, INTERSTELLAR, ALIEN)
GENRES = {"results": [{"id": 28, "name": "Action"}, {"id": 12, "name": "Adventure"}, {"id": 16, "name": "Animation"},
                      {"id": 35, "name": "Comedy"}, {"id": 18, "name": "Drama"}, {"id": 27, "name": "Horror"},
                      {"id": 878, "name": "Science Fiction"}, {"id": 53, "name": "Thriller"}]}

ACCESS = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzY0MDg0NDAwLCJ1c2VyX2lkIjoiNDIifQ"
          ".3q0yP8d0Cw0sTz6oQm2W4r1nH8aU7kLxVbE9fJcZgYs")
REFRESH = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc2NDE3MDUwMCwidXNlcl9pZCI6IjQyIn0"
           ".Xb1vN6pQ2sR8tY4uW0zA3cE5gI7kM9oL1nJ2hF4dK6s")
TOKENS = {"access": ACCESS, "refresh": REFRESH}
ALICE = {"id": 42, "username": "alice", "email": "alice@example.com"}
ALICE_PASSWORD = "correct-Horse-battery-9"  # noqa: S105 - the docs' example, as in README and docs/auth.md
ME = {**ALICE, "date_joined": "2026-11-02T09:14:03Z", "preferred_genres": [878, 27]}
FAVORITE = {"movie": ALIEN, "added_at": "2026-11-20T18:42:10Z"}
NOT_INTERESTED = {"movie": INTERSTELLAR, "created_at": "2026-11-21T08:05:44Z"}
RECOMMENDATIONS = page(
    {**INTERSTELLAR, "reason": {"kind": "because_you_liked", "movie_id": 348, "text": "Because you liked Alien"}},
    {**MATRIX, "reason": {"kind": "genre", "text": "Because you like Science Fiction"}},
    total_results=3 * 20 + 2,
)


def request(name: str, value, summary: str | None = None) -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary, request_only=True)


def response(name: str, value, status: int = 200, summary: str | None = None) -> OpenApiExample:
    return OpenApiExample(name, value=value, summary=summary, response_only=True, status_codes=[str(status)])
