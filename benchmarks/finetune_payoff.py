"""Measure lesson 06's spoken-digit fine-tuning experiments and write data/finetune_payoff.json.

    python benchmarks/finetune_payoff.py [--seeds 0 1 2 3 4] [--only payoff dip rates steps gradual]
                                         [--activations /tmp/fsdd_cache.npz]

On spectrograms of the Free Spoken Digit Dataset (test: 50 clips per digit; training: 30 or 200
per digit from one pool), MobileNetV2 alpha 0.35 with its top 38 layers unfrozen on cached
activations (``finetune.TopTrainer``), every run starting from a head trained on pooled features:

- payoff:  feature extraction, head-only control (the same recipe, base frozen) and fine-tuning
           (the lesson's recipe), per seed and size, with a paired bootstrap of fine-tuned minus
           control over the test clips;
- dip:     two earlier recipes without the weight average (peak 3e-4 for 6 epochs; peak 1e-4 for
           8 epochs): per-epoch test accuracy, per seed (200 clips per digit), to set beside the
           lesson's recipe in the payoff section;
- rates:   a sweep of the peak rate at both sizes (seed 0);
- steps:   the sweep at 8 and at 2 epochs (30 per digit, seed 0), without the weight average, to
           see whether the best rate depends on the number of steps;
- gradual: gradual unfreezing (ULMFiT) against unfreezing all at once, both without the weight
           average (200 per digit, per seed).

``--only`` re-measures some sections and keeps the others from the existing file. About 40
minutes on an idle 2-core CPU (the frozen pass over 2,500 clips is about a minute of it; pass
``--activations`` to store it and skip it next time). Lesson 06 loads the file and re-runs one
seed of the pay-off live.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BACKBONE, DEPTH, TEST_PER_DIGIT, SIZES = "mobilenet_v2_0.35", 38, 50, (30, 200)
EARLIER = {"old": {"rate": 3e-4, "epochs": 6, "ema_momentum": None},  # recipes that dipped
           "previous": {"rate": 1e-4, "epochs": 8, "ema_momentum": None}}
RATES = (1e-5, 1e-4, 3e-4, 1e-3, 1e-2)
SHORT_EPOCHS = 2  # the "steps" section: the rate sweep with a quarter of the recipe's epochs
SECTIONS = ("payoff", "dip", "rates", "steps", "gradual")
STAGES = ((11, 1), (20, 1), (29, 1), (38, 5))  # one block more per epoch, then all (ULMFiT)


def summary(run, y_test, head, control, control_curve) -> dict:
    """What the JSON keeps of one pay-off run."""
    from helpers import evaluation

    tuned = run.extra["val_predictions"]
    return {"feature_extraction": float((head == y_test).mean()),
            "control": float((control == y_test).mean()), "tuned": run.final,
            "curve": [round(float(v), 4) for v in run.history["val_accuracy"]],
            "control_curve": [round(float(v), 4) for v in control_curve],
            "worst": run.worst, "base_moved": run.base_change, "seconds": round(run.seconds, 1),
            "vs_control": evaluation.paired_bootstrap(y_test, control, tuned, seed=0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--only", nargs="+", default=list(SECTIONS), choices=SECTIONS)
    parser.add_argument("--rate-sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--activations", type=Path, help="npz to reuse/store the frozen pass")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "finetune_payoff.json")
    args = parser.parse_args(argv)

    import numpy as np

    from helpers import assets, audio, data, environment, evaluation, finetune, models

    start = time.perf_counter()
    environment.seed_everything(0)
    recipe = finetune.Recipe()
    paths, digits, _ = audio.fsdd_index(assets.dataset_dir("fsdd"))
    split = data.split_per_class(digits, {"test": TEST_PER_DIGIT, "train": max(SIZES)}, seed=0)
    y_train, y_test = digits[split["train"]], digits[split["test"]]
    base = models.build_backbone(BACKBONE)
    if args.activations and args.activations.exists():
        cache = finetune.ActivationCache.load(base, args.activations)
    else:
        picked = [paths[i] for i in np.concatenate([split["train"], split["test"]])]
        pixels = audio.spectrogram_images(picked, (models.spec(BACKBONE).input_size,))
        pixels = next(iter(pixels.values()))
        cache = finetune.ActivationCache(base, {"train": pixels[:len(y_train)],
                                                "val": pixels[len(y_train):]}, deepest=DEPTH)
        if args.activations:
            cache.save(args.activations)
    pooled = cache.pooled(store=False)
    trainer = finetune.TopTrainer(base, cache, DEPTH, 10)
    subsets = {(n, s): data.take_per_class(y_train, n, seed=s) for n in SIZES for s in args.seeds}
    out = json.loads(args.out.read_text()) if args.out.exists() else {}

    def payoff(n, seed, rec):
        trainer.compile_for(rec)
        got = finetune.payoff(trainer, pooled, y_train, y_test, seed, rec, subsets[(n, seed)])
        return got, summary(got["tuned"], y_test, got["head"], got["control"],
                            got["control_curve"])

    if "payoff" in args.only:
        out["payoff"] = {}
        for n in SIZES:
            for seed in args.seeds:
                _, row = payoff(n, seed, recipe)
                out["payoff"][f"{n}/{seed}"] = row
                print(f"payoff {n}/digit seed {seed}: {row['feature_extraction']:.3f} "
                      f"{row['control']:.3f} {row['tuned']:.3f} curve {row['curve']}", flush=True)
    if "dip" in args.only:
        out["dip"] = {"recipes": {}, "runs": {}}  # the lesson's recipe: the payoff section
        for name, change in EARLIER.items():
            earlier = replace(recipe, **change)
            out["dip"]["recipes"][name] = asdict(earlier)
            out["dip"]["runs"][name] = {}
            for seed in args.seeds:
                _, row = payoff(max(SIZES), seed, earlier)
                out["dip"]["runs"][name][str(seed)] = row
                print(f"dip, {name} recipe, seed {seed}: curve {row['curve']} control "
                      f"{row['control']:.3f}", flush=True)
    if "rates" in args.only:
        out["rates"] = {}
        for n in args.rate_sizes:
            for rate in RATES:
                _, row = payoff(n, args.seeds[0], replace(recipe, rate=rate))
                out["rates"][f"{n}/{rate:g}"] = row
                print(f"rate {rate:g} at {n}/digit: {row['tuned']:.3f} worst {row['worst']:.3f}",
                      flush=True)
    if "steps" in args.only:
        # raw weights: a fixed-momentum average would remember most of a 20-step run's start
        n, lengths = min(SIZES), (SHORT_EPOCHS, recipe.epochs)
        out["steps"] = {"per_digit": n, "seed": args.seeds[0], "epochs": list(lengths),
                        "ema_momentum": None, "runs": {}}
        for epochs in lengths:
            for rate in RATES:
                _, row = payoff(n, args.seeds[0],
                                replace(recipe, rate=rate, epochs=epochs, ema_momentum=None))
                out["steps"]["runs"][f"{epochs}/{rate:g}"] = row
                print(f"rate {rate:g}, {epochs} epochs at {n}/digit, no average: "
                      f"{row['tuned']:.3f}", flush=True)
    if "gradual" in args.only:
        # raw weights in both arms: each stage compiles a new optimizer, which restarts an average
        raw = replace(recipe, ema_momentum=None)
        out["gradual"] = {"stages": [list(s) for s in STAGES], "recipe": asdict(raw), "runs": {}}
        n = max(SIZES)
        for seed in args.seeds:
            at_once, at_once_row = payoff(n, seed, raw)
            trainer.compile_for(raw)
            run = trainer.gradual(y_train, y_test, list(STAGES), raw, seed,
                                  head=at_once["head_model"], train_subset=subsets[(n, seed)])
            row = summary(run, y_test, at_once["head"], at_once["control"],
                          at_once["control_curve"])
            row["all_at_once"] = at_once_row
            row["vs_all_at_once"] = evaluation.paired_bootstrap(
                y_test, at_once["tuned"].extra["val_predictions"], run.extra["val_predictions"],
                seed=0)
            out["gradual"]["runs"][str(seed)] = row
            print(f"gradual seed {seed}: {row['tuned']:.3f} curve {row['curve']} vs all at once "
                  f"{at_once_row['tuned']:.3f}: {row['vs_all_at_once']}", flush=True)
    trainer.restore()
    made = {
        **environment.provenance(), "source_model": BACKBONE, "unfrozen_layers": DEPTH,
        "seeds": args.seeds, "sizes_per_digit": list(SIZES), "test_per_digit": TEST_PER_DIGIT,
        "split_seed": 0, "recipe": asdict(recipe), "rates": list(RATES),
        "sections_made_now": args.only, "frozen_pass_seconds": round(cache.seconds, 1),
        "total_seconds": round(time.perf_counter() - start, 1)}
    if "provenance" in out and set(args.only) != set(SECTIONS):  # some sections re-made
        out["provenance"].setdefault("sections", {}).update({name: made for name in args.only})
    else:
        out["provenance"] = made
    args.out.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
