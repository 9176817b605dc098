"""Which recognition settings find more of the hard photos (steep angle, part of the painting, dim room)?

    python docs/experiments/hard_photos.py ../shared/data/best-artworks ["VARIANT" ...]   # default: all

The photos of `museum bench match` (app/bench/match.py), validation half only: its hard photos and its photos of
paintings not in the collection (no record may be named). Each variant of the settings measures every photo with
the app's own shortlist and verification, at the shipped inlier threshold. The test half is not read.
"""

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))
from app.bench import match
from app.conversation import warm
from app.serving.resources import Resources
from app.settings import Settings
from data.corpora import load_best_artworks

# With words counted as often as they occur (before 2026-12-07), on the validation photos (hard right,
# shortlisted, wrong records of 137): shortlist 15 + 5 (the settings before this experiment) 0.828, 0.828, 0; with it,
# photo 1600 px and 4000 keypoints 0.759, 0.770, 0; 1024 px and 4000 keypoints 0.644, 0.644, 0; ratio 0.85 0.828,
# 0.828, 0; shortlist 20 + 10 0.897, 0.897, 0; 30 + 10 0.954, 0.966, 0; 30 + 20 (shipped then) 0.966, 0.977, 0;
# 45 + 15 and 60 + 20 0.977, 0.989, 1. On 2026-12-07 at 30 + 20: photo 800 px 0.920, 0.943, 0; 800 px and 1500
# keypoints 0.943, 0.966, 0; 1024 px and 1500 keypoints 0.966, 0.989, 1; 640 px 0.931, 0.966, 0.
VARIANTS = {
    # Then words counted once per image (retrieval/local/vocabulary.py, docs/experiments/word_ranks.py):
    "photo 800 px": {"photo_side": 800},
    "photo 640 px": {"photo_side": 640},
    "shortlist 10 + 5": {"match_shortlist": 10, "match_global": 5},
    "shortlist 15 + 10": {"match_shortlist": 15, "match_global": 10},
    "shortlist 20 + 10": {"match_shortlist": 20, "match_global": 10},
    "shortlist 30 + 20": {"match_shortlist": 30, "match_global": 20},
    "shortlist 45 + 15": {"match_shortlist": 45, "match_global": 15},
    # Then three hard views of each painting (261 validation photos, app/bench/match.py `hard_views`), on
    # 2026-12-07 (hard right, shortlisted, wrong records of 311, seconds a photo): 15 + 10 0.962, 0.981, 0, 0.354;
    # 30 + 10 (shipped) 0.969, 0.992, 0, 0.373; 40 + 10 0.969, 0.992, 0, 0.386; 50 + 10 0.973, 0.996, 1, 0.409.
    "shortlist 30 + 10": {"match_shortlist": 30, "match_global": 10},
    "shortlist 40 + 10": {"match_shortlist": 40, "match_global": 10},
    "shortlist 50 + 10": {"match_shortlist": 50, "match_global": 10},
}


def validation_cases(best_artworks: str, kinds: tuple[str, ...]):
    """(settings, resources, the validation photos of `museum bench match` of these kinds); 100 Kaggle paintings
    are the ones not in the collection, as the bench samples them."""
    settings = Settings()
    records = load_best_artworks(best_artworks).records
    others = [r.image_path for r in random.Random(settings.seed).sample(records, 100)]
    resources = Resources.from_settings(settings)
    warm(resources)
    cases = [c for c in match.make_cases(resources, others, settings.seed)
             if c.split == "validation" and c.kind in kinds]
    return settings, resources, cases


def main(best_artworks: str, names: list[str]) -> None:
    base, _, cases = validation_cases(best_artworks, ("hard", "not in the collection"))
    for name in names or VARIANTS:
        overrides = VARIANTS[name]
        variant = Resources.from_settings(base.with_overrides(**overrides))
        started = time.perf_counter()
        for case in cases:
            match.measure(variant, case)
        seconds = (time.perf_counter() - started) / len(cases)
        hard = [c for c in cases if c.kind == "hard"]
        outcomes = [match.outcome(c, base.match_min_inliers) for c in hard]
        wrong = sum(match.outcome(c, base.match_min_inliers) == "wrong" for c in cases)
        shortlisted = sum(c.seconds["shortlisted"] for c in hard)
        print(f"{name}: hard right {outcomes.count('right') / len(hard):.3f} ({len(hard)}), shortlisted "
              f"{shortlisted / len(hard):.3f}, wrong records {wrong} (of {len(cases)}), {seconds:.3f} s a photo",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
