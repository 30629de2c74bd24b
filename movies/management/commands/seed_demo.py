import json
from pathlib import Path

from django.core.management.base import BaseCommand

from movies.catalogue import catalogue_upsert, genres_upsert

DEMO_CATALOGUE = Path(__file__).resolve().parents[2] / "fixtures" / "demo_catalogue.json"


class Command(BaseCommand):
    help = "Load the bundled demo catalogue (the 19 TMDb genres and 176 well-known films). Idempotent."

    def handle(self, *args, **options):
        data = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
        genres_upsert(data["genres"])
        movies = [
            {
                "id": m["id"], "title": m["title"], "original_title": m["original_title"], "overview": "",
                "release_date": m["release_date"], "original_language": m["original_language"],
                "vote_average": m["vote_average"], "vote_count": m["vote_count"], "popularity": m["popularity"],
                "poster_path": None, "backdrop_path": None, "genre_ids": m["genre_ids"],
            }
            for m in data["movies"]
        ]
        catalogue_upsert(movies)
        self.stdout.write(self.style.SUCCESS(f"Demo catalogue: {len(data['genres'])} genres, {len(movies)} movies."))
