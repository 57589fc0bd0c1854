"""Scaling up training: logical CPU devices, one fine-tuning function that runs unchanged
under any ``tf.distribute`` strategy, ``TF_CONFIG`` and local worker processes for
``MultiWorkerMirroredStrategy``, mixed-precision dtypes.

Lesson 19 explains all of it. ``python -m helpers.scaling worker --out FILE ...`` is the entry
point each worker process runs (it reads its role from ``TF_CONFIG``).
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from helpers import input_pipeline

MODELS = ("mobilenet_v2_0.35", "tiny_cnn")  # what fine_tune and the workers can build


class WorkerError(RuntimeError):
    """A worker process failed or timed out; the message holds the tail of its stderr."""


def split_cpu(n: int) -> list[str]:
    """Split the physical CPU into ``n`` logical devices (for ``MirroredStrategy`` without GPUs)
    and return their names. Works only before TensorFlow initialises its devices, i.e. before
    the first tensor operation of the process."""
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError as error:
        devices = tf.config.list_logical_devices("CPU")
        if len(devices) == n:  # already split this way (a cell run twice)
            return [d.name for d in devices]
        raise RuntimeError(f"TensorFlow already initialised {len(devices)} CPU device(s), so it "
                           f"cannot be split into {n} now. Restart the kernel and call "
                           "split_cpu before any other TensorFlow operation.") from error
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def build_model(name: str, num_classes: int, unfreeze: int = 0, size: int = 32):
    """A compiled classifier: ``mobilenet_v2_0.35`` (ImageNet base, top ``unfreeze`` layers
    trainable, new head; 224 px) or ``tiny_cnn`` (a small CNN from scratch at ``size`` px, for
    quick tests)."""
    from helpers import models, training

    if name == "mobilenet_v2_0.35":
        base = models.build_backbone(name)
        if unfreeze:
            models.unfreeze_top(base, unfreeze)
        model = models.build_classifier(base, num_classes, dropout=0.0)
    elif name == "tiny_cnn":
        model = models.scratch_cnn(size, num_classes, pooling="average")
    else:
        raise KeyError(f"Unknown model {name!r}; choose one of {MODELS}.")
    return training.compile_classifier(model, learning_rate=1e-3)


def fine_tune(split: dict, num_classes: int, strategy=None, model: str = "mobilenet_v2_0.35",
              size: int = 224, global_batch: int = 32, epochs: int = 2, unfreeze: int = 0,
              seed: int = 0) -> dict:
    """Build, compile and fit the classifier under ``strategy`` (default: one device) and
    return what happened: loss and accuracy per epoch, validation accuracy, seconds, replicas.

    The only line that knows about distribution is ``with strategy.scope()``: variables made
    inside it are mirrored on every replica, and ``fit`` splits each global batch between them."""
    import keras
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        classifier = build_model(model, num_classes, unfreeze, size)
        classifier.optimizer.build(classifier.trainable_variables)  # its slots, mirrored too
    options = tf.data.Options()  # each worker reads all files and keeps its share of batches
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train = input_pipeline.image_pipeline(*split["train"], size=size, batch_size=global_batch, cache=True,
                           shuffle_seed=seed).with_options(options)
    val = input_pipeline.image_pipeline(*split["val"], size=size, batch_size=global_batch,
                         cache=True).with_options(options)
    start = time.perf_counter()
    history = train_loop(classifier, train, strategy, epochs)
    seconds = time.perf_counter() - start
    val_accuracy = evaluate(classifier, val, strategy)
    replicas = strategy.num_replicas_in_sync
    return {**history, "val_accuracy": val_accuracy, "seconds": seconds, "replicas": replicas,
            "global_batch": global_batch, "per_replica_batch": global_batch // replicas,
            "images_per_second": epochs * len(split["train"][1]) / seconds}


def _replica_step(model, strategy, train: bool):
    """One distributed step: every replica runs ``step`` on its share of the batch, then the
    summed loss (already divided by the global batch) and correct counts are reduced."""
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction="none")

    def step(images, labels):
        with tf.GradientTape() as tape:
            probabilities = model(images, training=train)
            loss = tf.nn.compute_average_loss(loss_fn(labels, probabilities))
        if train:
            variables = model.trainable_variables
            model.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        hits = tf.reduce_sum(tf.cast(tf.equal(tf.argmax(probabilities, axis=-1, output_type=tf.int32),
                                              tf.cast(labels, tf.int32)), tf.float32))
        return loss, hits, tf.cast(tf.shape(labels)[0], tf.float32)

    step = tf.autograph.experimental.do_not_convert(step)  # no Python control flow to convert

    @tf.function(autograph=False)
    def distributed(images, labels):
        results = strategy.run(step, args=(images, labels))
        return [strategy.reduce(tf.distribute.ReduceOp.SUM, r, axis=None) for r in results]

    return distributed


def train_loop(model, dataset, strategy, epochs: int) -> dict[str, list[float]]:
    """The training loop ``fit`` runs, written out so it works under every strategy (Keras 3's
    ``fit`` fails under ``MultiWorkerMirroredStrategy``: keras-team/keras #20585). Returns the
    mean loss, accuracy and seconds of every epoch (the first includes tracing)."""
    step = _replica_step(model, strategy, train=True)
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "epoch_seconds": []}
    for _ in range(epochs):
        total = hits = seen = 0.0
        start = time.perf_counter()
        for images, labels in strategy.experimental_distribute_dataset(dataset):
            loss, correct, count = step(images, labels)
            total, hits, seen = total + float(loss) * float(count), hits + float(correct), \
                seen + float(count)
        history["loss"].append(total / seen)
        history["accuracy"].append(hits / seen)
        history["epoch_seconds"].append(time.perf_counter() - start)
    return history


def evaluate(model, dataset, strategy) -> float:
    """Accuracy of ``model`` on ``dataset``, computed under ``strategy``."""
    step = _replica_step(model, strategy, train=False)
    hits = seen = 0.0
    for images, labels in strategy.experimental_distribute_dataset(dataset):
        _, correct, count = step(images, labels)
        hits, seen = hits + float(correct), seen + float(count)
    return hits / seen


def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports on localhost that are free right now."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports: list[int], index: int) -> dict:
    """The ``TF_CONFIG`` of worker ``index`` in a cluster of local workers on ``ports``."""
    if not 0 <= index < len(ports):
        raise ValueError(f"worker index {index} is outside the cluster of {len(ports)} workers.")
    return {"cluster": {"worker": [f"localhost:{port}" for port in ports]},
            "task": {"type": "worker", "index": index}}


def _tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty)"


def launch_workers(n: int, out_dir: str | Path, args: list[str], timeout: float = 300
                   ) -> list[dict]:
    """Start ``n`` local worker processes (``python -m helpers.scaling worker``), each with its
    own ``TF_CONFIG``; wait for all, and return their JSON results in worker order. On a failure
    or timeout every worker is stopped and :class:`WorkerError` shows the failed one's stderr."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ports, root = free_ports(n), str(Path(__file__).resolve().parent.parent)
    procs = []
    try:
        for i in range(n):
            env = {**os.environ, "TF_CONFIG": json.dumps(tf_config(ports, i)),
                   "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
            command = [sys.executable, "-m", "helpers.scaling", "worker",
                       "--out", str(out_dir / f"worker{i}.json"), *args]
            with open(out_dir / f"worker{i}.stderr", "w") as err:
                procs.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                              stderr=err))
        deadline = time.monotonic() + timeout
        while any(p.poll() is None for p in procs):
            failed = [i for i, p in enumerate(procs) if p.poll()]
            if failed or time.monotonic() > deadline:
                i = failed[0] if failed else 0
                what = f"exited with code {procs[i].returncode}" if failed else \
                    f"did not finish within {timeout:.0f} s"
                raise WorkerError(f"worker {i} {what}. Its stderr ends with:\n"
                                  f"{_tail(out_dir / f'worker{i}.stderr')}")
            time.sleep(0.2)
        for i, p in enumerate(procs):
            if p.returncode:
                raise WorkerError(f"worker {i} exited with code {p.returncode}. Its stderr ends "
                                  f"with:\n{_tail(out_dir / f'worker{i}.stderr')}")
        return [json.loads((out_dir / f"worker{i}.json").read_text()) for i in range(n)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


def step_seconds(model, images: np.ndarray, labels: np.ndarray, steps: int = 3) -> float:
    """Median seconds of one ``train_on_batch`` step, after one warm-up step (tracing)."""
    model.train_on_batch(images, labels)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(images, labels)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def policy_report(model) -> dict[str, str]:
    """Mixed precision at a glance: the dtype of the variables, of the computation in the
    body, and of the output layer's result."""
    first = next(layer for layer in model.layers if layer.weights)
    return {"policy": str(first.dtype_policy.name), "variables": str(first.weights[0].dtype),
            "computation": str(first.compute_dtype),
            "model output": str(model.outputs[0].dtype)}


def _worker(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.scaling worker")
    parser.add_argument("--out", required=True, help="JSON file for this worker's result")
    parser.add_argument("--folder", required=True, help="image folder: root/<class>/<files>")
    parser.add_argument("--train-per-class", type=int, default=20)
    parser.add_argument("--val-per-class", type=int, default=8)
    parser.add_argument("--model", choices=MODELS, default=MODELS[0])
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--global-batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--unfreeze", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args(argv)
    from helpers import environment

    environment.quiet_tensorflow()
    import tensorflow as tf

    if "TF_CONFIG" not in os.environ:
        raise SystemExit("TF_CONFIG is not set: start workers with scaling.launch_workers.")
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # first, before any other TF op
    split = input_pipeline.load_split(a.folder, a.train_per_class, a.val_per_class, seed=a.seed)
    result = fine_tune(split, len(set(split["train"][1].tolist())), strategy, a.model, a.size,
                       a.global_batch, a.epochs, a.unfreeze, a.seed)
    result["worker"] = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    result["workers"] = strategy.cluster_resolver.cluster_spec().num_tasks("worker")
    Path(a.out).write_text(json.dumps(result))


if __name__ == "__main__":
    if sys.argv[1:2] != ["worker"]:
        raise SystemExit("usage: python -m helpers.scaling worker --out FILE --folder DIR [...]")
    _worker(sys.argv[2:])
