import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from helpers import input_pipeline, scaling
from tests.test_input_pipeline import image_folder

TINY = {"model": "tiny_cnn", "size": 32, "global_batch": 4, "epochs": 2}


def test_tf_config_names_the_cluster_and_the_task():
    config = scaling.tf_config([1234, 1235], index=1)
    assert config["cluster"]["worker"] == ["localhost:1234", "localhost:1235"]
    assert config["task"] == {"type": "worker", "index": 1}
    with pytest.raises(ValueError, match="outside the cluster of 2"):
        scaling.tf_config([1234, 1235], index=2)


def test_free_ports_are_distinct_and_bindable():
    ports = scaling.free_ports(3)
    assert len(set(ports)) == 3 and all(1024 < p < 65536 for p in ports)


def test_split_cpu_works_before_the_first_op_and_explains_after():
    script = ("from helpers import scaling\nimport tensorflow as tf\n"
              "print(len(scaling.split_cpu(2)))\n"
              "print(len(scaling.split_cpu(2)))\n"  # a second call with the same split is fine
              "try:\n    scaling.split_cpu(3)\nexcept RuntimeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    assert out[:2] == ["2", "2"]
    assert "Restart the kernel" in out[2]


def test_fine_tune_reports_losses_and_the_batch_split(tmp_path):
    split = input_pipeline.load_split(image_folder(tmp_path / "images", per_class=6), 4, 2)
    result = scaling.fine_tune(split, 2, **TINY)
    assert len(result["loss"]) == 2 and len(result["epoch_seconds"]) == 2
    assert result["replicas"] == 1 and result["per_replica_batch"] == 4
    assert 0.0 <= result["val_accuracy"] <= 1.0 and np.isfinite(result["loss"]).all()


def test_build_model_keeps_a_float32_output_under_mixed_precision():
    try:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
        model = scaling.build_model("tiny_cnn", 3, size=32)
        report = scaling.policy_report(model)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert report == {"policy": "mixed_bfloat16", "variables": "float32",
                      "computation": "bfloat16", "model output": "float32"}
    images, labels = np.zeros((2, 32, 32, 3), "float32"), np.array([0, 1])
    assert scaling.step_seconds(model, images, labels, steps=1) > 0
    with pytest.raises(KeyError, match="tiny_cnn"):
        scaling.build_model("resnet", 3)


def test_two_workers_train_the_same_model(tmp_path):
    image_folder(tmp_path / "images", per_class=6)
    args = ["--folder", str(tmp_path / "images"), "--train-per-class", "4", "--val-per-class", "2",
            "--model", "tiny_cnn", "--size", "32", "--global-batch", "4", "--epochs", "1"]
    results = scaling.launch_workers(2, tmp_path / "out", args, timeout=240)
    assert [r["worker"] for r in results] == [0, 1]
    assert results[0]["replicas"] == 2 and results[0]["per_replica_batch"] == 2
    assert abs(results[0]["loss"][0] - results[1]["loss"][0]) < 1e-5
    assert json.loads((tmp_path / "out" / "worker0.json").read_text())["workers"] == 2


def test_a_failing_worker_raises_with_its_stderr(tmp_path):
    with pytest.raises(scaling.WorkerError, match="nowhere is not a folder"):
        scaling.launch_workers(2, tmp_path / "out", ["--folder", str(tmp_path / "nowhere")],
                               timeout=240)
