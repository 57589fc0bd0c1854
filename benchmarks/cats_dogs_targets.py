"""Head-only and fine-tuned validation accuracy of the course pipeline, over several seeds.

    python benchmarks/cats_dogs_targets.py                       # cats vs. dogs, then flowers
    python benchmarks/cats_dogs_targets.py --datasets cats_and_dogs_filtered --seeds 0 1 2 3 4
    python benchmarks/cats_dogs_targets.py --out benchmarks/targets.json

The pipeline is the one lessons 05 and 06 teach, with the default backbone (MobileNetV2 alpha 0.35
at 224 px): the frozen base's pooled features are computed once and a new dense head is trained on
them (head only); then the top ``--depth`` layers of the base are unfrozen (BatchNormalization
stays frozen, base in inference mode) and trained with the head at a much lower learning rate,
on activations of the frozen bottom that are also computed once (``helpers.finetune``).
``--flip-copies 1`` adds a horizontally mirrored copy of every training image (augmentation that
can be cached). No early stopping: the validation set is only measured, never used to choose.

Cats vs. dogs: ``cats_and_dogs_filtered`` with its own train/validation folders. On the full
download (2,000 train / 1,000 validation) the course's targets are >= 0.95 validation accuracy
after head training and >= 0.965 after fine-tuning; the script prints whether they are met. On a
subset (the offline 400/200 copy) it reports the numbers without judging them.
Flowers: ``flower_photos``, up to ``--flowers-per-class`` images per class, split half/half
(stratified, fixed split), as in lesson 06.
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

TARGETS = {"head": 0.95, "fine-tuned": 0.965}  # cats vs. dogs, full download only
FULL_CATS_DOGS = (2000, 1000)


def load(name: str, size: int, flowers_per_class: int):
    """(x_train, y_train, x_val, y_val, class names) of one dataset."""
    from helpers import assets, data

    root = assets.dataset_dir(name)
    if name == "cats_and_dogs_filtered":
        train, val = data.scan_image_folder(root / "train"), data.scan_image_folder(root / "validation")
        return (data.load_images(train.paths, size), train.labels,
                data.load_images(val.paths, size), val.labels, train.class_names)
    folder = data.scan_image_folder(root)
    n = min(flowers_per_class, *folder.counts().values())
    folder = folder.subset(data.take_per_class(folder.labels, n, seed=0))
    images = data.load_images(folder.paths, size)
    tr, va = data.stratified_split(folder.labels, 0.5, seed=0)
    return images[tr], folder.labels[tr], images[va], folder.labels[va], folder.class_names


def run_dataset(name: str, args) -> dict:
    """All seeds of head-only and fine-tuning on one dataset."""
    import keras

    from helpers import finetune, models, training

    spec = models.spec(args.backbone)
    start = time.perf_counter()
    x_train, y_train, x_val, y_val, classes = load(name, spec.input_size, args.flowers_per_class)
    if args.flip_copies:
        x_train = np.concatenate([x_train, x_train[:, :, ::-1]])
        y_train = np.concatenate([y_train, y_train])
    base = models.build_backbone(args.backbone)
    cache = finetune.ActivationCache(base, {"train": x_train, "val": x_val}, deepest=args.depth)
    pooled = cache.pooled()
    trainer = finetune.TopTrainer(base, cache, args.depth, len(classes), optimizer=args.optimizer)
    print(f"{name}: {len(x_train)} train / {len(x_val)} validation images, "
          f"{len(classes)} classes; cache {cache.seconds:.0f} s", flush=True)
    per_seed = []
    for seed in args.seeds:
        keras.utils.set_random_seed(seed)
        head, _ = training.train_head(pooled["train"], y_train, len(classes),
                                      epochs=args.head_epochs, learning_rate=args.head_lr)
        head_acc = float(head.evaluate(pooled["val"], y_val, verbose=0)[1])
        run = trainer.run(y_train, y_val, epochs=args.epochs, learning_rate=args.lr, seed=seed,
                          head=head)
        per_seed.append({"seed": seed, "head": head_acc, "fine-tuned": run.final,
                         "curve": [round(float(v), 4) for v in run.history["val_accuracy"]],
                         "train accuracy": float(run.extra["train_accuracy"]),
                         "fine-tune seconds": round(run.seconds, 1)})
        print(f"  seed {seed}: head {head_acc:.3f} -> fine-tuned {run.final:.3f} "
              f"(curve {per_seed[-1]['curve']}, {run.seconds:.0f} s)", flush=True)
    trainer.restore()
    head = np.array([r["head"] for r in per_seed])
    tuned = np.array([r["fine-tuned"] for r in per_seed])
    gain = tuned - head
    result = {"dataset": name, "train images": len(x_train),
              "validation images": len(x_val),
              "head": {"mean": float(head.mean()), "std": float(head.std())},
              "fine-tuned": {"mean": float(tuned.mean()), "std": float(tuned.std())},
              "gain": {"mean": float(gain.mean()), "std": float(gain.std()),
                       "seeds improved": int((gain > 0).sum()), "seeds": len(gain)},
              "seeds": per_seed, "seconds": round(time.perf_counter() - start, 1)}
    print(f"  head only   {head.mean():.3f} ± {head.std():.3f}\n"
          f"  fine-tuned  {tuned.mean():.3f} ± {tuned.std():.3f}\n"
          f"  gain        {gain.mean():+.3f} ± {gain.std():.3f} "
          f"({(gain > 0).sum()} of {len(gain)} seeds improved)", flush=True)
    if name == "cats_and_dogs_filtered":
        full = (len(x_train) // (1 + args.flip_copies), len(x_val)) == FULL_CATS_DOGS
        result["full download"] = full
        if full:
            result["targets met"] = {k: bool(result[k]["mean"] >= v) for k, v in TARGETS.items()}
            for k, v in TARGETS.items():
                verdict = "MET" if result["targets met"][k] else "NOT MET"
                print(f"  target {k} >= {v}: {verdict} ({result[k]['mean']:.3f})")
        else:
            print("  (a subset: the targets apply to the full 2,000/1,000 download)")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["cats_and_dogs_filtered", "flower_photos"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--backbone", default="mobilenet_v2_0.35")
    parser.add_argument("--head-epochs", type=int, default=100)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--depth", type=int, default=38, help="top layers of the base unfrozen")
    parser.add_argument("--epochs", type=int, default=8, help="fine-tuning epochs")
    parser.add_argument("--lr", type=float, default=1e-4, help="fine-tuning learning rate")
    parser.add_argument("--optimizer", default="adam", choices=["adam", "rmsprop", "sgd", "adamw"])
    parser.add_argument("--flip-copies", type=int, default=0, choices=[0, 1])
    parser.add_argument("--flowers-per-class", type=int, default=40)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)

    from helpers import environment

    environment.seed_everything(0)
    results = {"settings": {k: (str(v) if isinstance(v, Path) else v)
                            for k, v in vars(args).items()},
               "machine": {"python": platform.python_version(), "platform": platform.platform(),
                           "date": datetime.date.today().isoformat()},
               "results": [run_dataset(name, args) for name in args.datasets]}
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
