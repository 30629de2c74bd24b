"""The API bench's TMDb catalogue: the MovieLens items as the stub's movies, content-only neighbours."""

import importlib.util
import sys
from pathlib import Path

import numpy as np

from tools.tmdb_stub.server import load_catalogue

_BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(_BENCH))
_SPEC = importlib.util.spec_from_file_location("recs_api_eval", _BENCH / "recs_api_eval.py")
api_eval = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("recs_api_eval", api_eval)
_SPEC.loader.exec_module(api_eval)
ml = api_eval.ml


def test_write_catalogue_serves_items_with_training_popularity_and_same_genre_recommendations(tmp_path):
    ratings = ml.Ratings(
        user=np.array([0, 0, 1, 1, 1]), item=np.array([0, 1, 1, 2, 0]), timestamp=np.arange(5),
        user_ids=np.array([7, 8]), item_ids=np.array([10, 20, 30]),
        titles=["A", "B", "C"], years=[1995, None, 1977], genres=[["Drama"], ["Drama", "War"], ["Comedy"]],
    )
    train_mask = np.array([True, True, True, True, False])  # user 8's rating of item 10 is held out
    path = tmp_path / "catalogue.json"

    api_eval.write_catalogue(ratings, train_mask, path)
    catalogue = load_catalogue(str(path), synthetic=False)

    assert [(m["id"], m["popularity"], m["vote_count"], m["release_date"]) for m in catalogue.popular] == [
        (20, 2.0, 2, ""), (10, 1.0, 1, "1995-01-01"), (30, 1.0, 1, "1977-01-01")
    ]
    assert catalogue.get(20)["item"]["genre_ids"] == [18, 10752]
    assert [m["id"] for m in catalogue.related(10, "recommendations")] == [20]
    assert catalogue.related(30, "recommendations") == []
