"""Measure lesson 12's methods over several seeds and write data/domain_adaptation.json.

    python benchmarks/domain_adaptation.py [--seeds 0 1 2 3 4] [--out data/domain_adaptation.json]

MNIST -> USPS at 16 x 16 pixels, both domains resized full-frame. Per seed: source only, AdaBN,
DANN, DANN + softmax pseudo-labels, DANN + prototype pseudo-labels (the lesson's unsupervised
method), the target oracle, 100 target labels on the source-only and on the adapted model, and a
source cropped to the digit. Target labels are used only to measure (the USPS test set, and the
pseudo-labels' accuracy per round), except by the oracle and the 100-label runs, which are
supervised by design. About 10 minutes per seed on a shared 2-core CPU at load 12-21 (idle: not
measured). The file is rewritten after every seed, so an interrupted run keeps the seeds it
finished.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FEW_SHOTS, FEW_EPOCHS, FEW_LR = 10, 20, 3e-4  # the "100 target labels" runs


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of a grey-image classifier."""
    return float(np.mean(model.predict(x[..., None], batch_size=512, verbose=0).argmax(1) == y))


def run_seed(seed: int, d: dict, settings) -> dict:
    """Every method for one seed: accuracies on the USPS test set, seconds, pseudo-label rounds."""
    import keras

    from helpers import data, mnist_to_usps, models, training
    from helpers import domain_adaptation as da

    x_test, y_test, hidden = d["x_test"], d["y_test"], d["y_target_hidden"]
    acc, seconds, rounds = {}, {}, {}
    start = time.perf_counter()
    source = mnist_to_usps.train_source_only(d["x_source"], d["y_source"], seed, settings)
    seconds["source only"] = time.perf_counter() - start
    acc["source only"] = accuracy(source, x_test, y_test)
    acc["source only, MNIST test"] = accuracy(source, d["x_source_test"], d["y_source_test"])
    copy = models.copy_model(source)
    da.adabn(copy, d["x_target"])
    acc["AdaBN"] = accuracy(copy, x_test, y_test)
    start = time.perf_counter()
    dann = mnist_to_usps.train_dann(d["x_source"], d["y_source"], d["x_target"], seed, settings)
    seconds["DANN"] = time.perf_counter() - start
    acc["DANN"] = accuracy(dann, x_test, y_test)
    adapted = None
    for labeller, name in (("softmax", "DANN + softmax pseudo-labels"),
                           ("prototype", "DANN + prototype pseudo-labels")):
        start = time.perf_counter()
        model, chosen = mnist_to_usps.self_train(dann.features, dann.classifier, d["x_target"],
                                                 seed, settings, labeller)
        seconds[name] = time.perf_counter() - start
        acc[name] = accuracy(model, x_test, y_test)
        rounds[name] = [round(float(np.mean(labels == hidden[pos])), 4) for pos, labels in chosen]
        adapted = model
    oracle = mnist_to_usps.train_source_only(d["x_target"], hidden, seed, settings)
    acc["target oracle"] = accuracy(oracle, x_test, y_test)
    labelled = data.take_per_class(hidden, FEW_SHOTS, seed=seed)
    for name, start_model in (("source only + 100 labels", source),
                              ("adapted + 100 labels", adapted)):
        keras.utils.set_random_seed(seed)
        model = training.compile_classifier(models.copy_model(start_model), learning_rate=FEW_LR)
        model.fit(d["x_target"][labelled, ..., None], hidden[labelled], epochs=FEW_EPOCHS,
                  batch_size=32, verbose=0)
        acc[name] = accuracy(model, x_test, y_test)
    cropped = da.crop_to_content(d["mnist_train_images"], settings.size)
    acc["source cropped (preprocessing fix)"] = accuracy(
        mnist_to_usps.train_source_only(cropped, d["y_source"], seed, settings), x_test, y_test)
    keras.backend.clear_session()
    return {"seed": seed, "accuracy": acc, "pseudo_label_accuracy_per_round": rounds,
            "seconds": {k: round(v, 1) for k, v in seconds.items()}}


def summarise(runs: list[dict]) -> dict:
    """mean and population std of every method over the seeds."""
    names = runs[0]["accuracy"]
    return {name: {"mean": round(float(np.mean([r["accuracy"][name] for r in runs])), 4),
                   "std": round(float(np.std([r["accuracy"][name] for r in runs])), 4)}
            for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "domain_adaptation.json")
    args = parser.parse_args(argv)

    from helpers import digits, environment, mnist_to_usps

    environment.seed_everything(0)
    settings = mnist_to_usps.Settings()
    d = mnist_to_usps.load_domains(settings)
    d["mnist_train_images"] = digits.load_mnist()["train"][0][d["source_subset"]]
    print(f"source {len(d['x_source'])}, target {len(d['x_target'])}, test {len(d['x_test'])}")
    runs, begin = [], time.perf_counter()
    for seed in args.seeds:
        runs.append(run_seed(seed, d, settings))
        print(f"seed {seed}: " + ", ".join(f"{k} {v:.3f}" for k, v in runs[-1]["accuracy"].items()),
              flush=True)
        payload = {
            "provenance": {
                **environment.provenance(),
                "data": {"source": f"MNIST, {len(d['x_source'])} training digits (balanced, "
                                   "seed 0)", "target": f"USPS, {len(d['x_target'])} unlabelled "
                         "training digits", "test": f"USPS test, {len(d['x_test'])} digits"},
                "seeds": [r["seed"] for r in runs],
                "settings": dataclasses.asdict(settings),
                "few_labels": {"per_class": FEW_SHOTS, "epochs": FEW_EPOCHS, "lr": FEW_LR},
                "total_seconds": round(time.perf_counter() - begin, 1),
                "note": "target labels are used only to measure, except by the target oracle "
                        "and the 100-label runs (supervised by design). Seconds: wall time on a "
                        "shared, noisy CPU.",
            },
            "runs": runs, "stats": summarise(runs)}
        args.out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {args.out} ({time.perf_counter() - begin:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
