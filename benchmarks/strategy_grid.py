"""Measure lesson 10's strategy grid and write data/strategy_grid.json (with provenance).

    python benchmarks/strategy_grid.py [--seeds 0 1 2] [--out data/strategy_grid.json]

Grid: target data size (small / larger per class) x similarity to ImageNet (flowers / spoken-digit
spectrograms) x strategy (from scratch, feature extraction, partial and full fine-tuning), every
cell over several seeds. About 6 minutes on an idle 2-core CPU. Lesson 10 loads the file and re-runs
any cell live with `helpers.strategies` (same code, same settings).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEST_PER_CLASS, POOL_PER_CLASS = 10, 30


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "strategy_grid.json")
    args = parser.parse_args(argv)

    import keras

    from helpers import assets, environment, models, strategies

    environment.seed_everything(0)
    settings = strategies.Settings()
    base = models.build_backbone("mobilenet_v2_0.35")
    start = time.perf_counter()
    targets = {
        "similar": ("flowers", strategies.similar_target(
            assets.dataset_dir("flower_photos"), TEST_PER_CLASS, POOL_PER_CLASS,
            settings.scratch_size)),
        "dissimilar": ("spoken-digit spectrograms", strategies.dissimilar_target(
            assets.dataset_dir("fsdd"), TEST_PER_CLASS, POOL_PER_CLASS, settings.scratch_size)),
    }
    cells, one_off = {}, {}
    for similarity, (name, (pixels, small, labels, names)) in targets.items():
        target = strategies.Target(name, similarity, pixels, small, labels, len(names), base,
                                   settings)
        one_off[similarity] = target.cache_seconds
        for size, per_class in (("small", settings.small_per_class),
                                ("larger", settings.larger_per_class)):
            runs = [target.run(per_class, seed) for seed in args.seeds]
            cells[f"{size}/{similarity}"] = {
                "target": name, "per_class": per_class, "classes": len(names),
                "test_images": len(labels["test"]), "runs": runs,
                "stats": strategies.cell_stats(runs)}
        del target
        keras.backend.clear_session()
    payload = {
        "provenance": {
            **environment.provenance(),
            "source_model": "MobileNetV2 alpha 0.35, ImageNet, 224 px",
            "seeds": args.seeds, "settings": dataclasses.asdict(settings),
            "test_per_class": TEST_PER_CLASS, "pool_per_class": POOL_PER_CLASS,
            "one_off_cache_seconds": one_off,
            "total_seconds": round(time.perf_counter() - start, 1),
            "note": "seconds = training wall time per run (fine-tuning includes its head "
                    "training); the one-off pass of the frozen bottom over all images is "
                    "one_off_cache_seconds per target. Timings on a shared, noisy CPU.",
        },
        "cells": cells,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    strategies.save_grid(args.out, payload)
    print(f"wrote {args.out} in {payload['provenance']['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
