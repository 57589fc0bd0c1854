"""Measure lesson 01's same-architecture comparison and write data/init_comparison.json.

    python benchmarks/init_comparison.py [--seeds 0 1 2] [--out data/init_comparison.json]

MobileNetV2 alpha 0.35 at 96 px, ImageNet weights vs random initialisation, both trained end to
end with identical settings (``helpers.init_comparison.Settings``) on the flower photos: 30 per
class for training, a fixed test set of 10 per class (the split of lesson 01). Lesson 01 loads
the file and re-runs one seed live with the same code.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEST_PER_CLASS, TRAIN_PER_CLASS = 10, 30


def flower_split(size: int):
    """Lesson 01's split: a fixed test set of 10 per class, a training pool of 30 per class."""
    from helpers import assets, data

    flowers = data.scan_image_folder(assets.dataset_dir("flower_photos"))
    parts = data.split_per_class(flowers.labels, {"test": TEST_PER_CLASS,
                                                  "pool": TRAIN_PER_CLASS}, seed=0)
    images = data.load_images([flowers.paths[i] for i in parts["pool"]] +
                              [flowers.paths[i] for i in parts["test"]], size)
    n = len(parts["pool"])
    return ((images[:n], flowers.labels[parts["pool"]]),
            (images[n:], flowers.labels[parts["test"]]), len(flowers.class_names))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "init_comparison.json")
    args = parser.parse_args(argv)


    from helpers import environment, init_comparison

    environment.seed_everything(0)
    settings = init_comparison.Settings()
    start = time.perf_counter()
    train, test, num_classes = flower_split(settings.input_size)
    contest = init_comparison.Contest(num_classes, settings)
    runs = []
    for seed in args.seeds:
        for which in init_comparison.STARTS:
            runs.append(contest.run(which, seed, train, test))
            print(json.dumps(runs[-1]), flush=True)
    payload = {
        "provenance": {
            **environment.provenance(),
            "data": f"flower photos, {TRAIN_PER_CLASS} per class for training, a fixed test "
                    f"set of {TEST_PER_CLASS} per class ({len(train[1])} / {len(test[1])} "
                    "images)",
            "seeds": args.seeds, "settings": dataclasses.asdict(settings),
            "total_seconds": round(time.perf_counter() - start, 1),
        },
        "runs": runs,
        "summary": init_comparison.summarize(runs, settings.target_accuracy),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out} in {payload['provenance']['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
