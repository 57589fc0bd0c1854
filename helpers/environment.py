"""Where the course runs: Colab or local, quick mode for tests, seeding, an environment report,
and ``start_lesson``, the one call at the top of every lesson."""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

QUICK_ENV = "TL_COURSE_QUICK"
T = TypeVar("T")


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def quick_mode() -> bool:
    """True when the environment variable ``TL_COURSE_QUICK`` is set to 1/true/yes.

    The tests set it so every notebook runs the same code on fewer epochs and images.
    """
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes"}


def pick(full: T, quick: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise (e.g. ``EPOCHS = pick(20, 2)``)."""
    return quick if quick_mode() else full


def seed_everything(seed: int = 42) -> None:
    """Seed Python, NumPy and TensorFlow so that a run repeats bit for bit on the same machine."""
    import keras

    keras.utils.set_random_seed(seed)


def environment_report(print_it: bool = True) -> dict[str, str]:
    """Collect versions and devices; print them as a small table when ``print_it``."""
    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    report = {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "platform": "Google Colab" if in_colab() else f"{platform.system()} (local)",
        "cpu cores": str(os.cpu_count()),
        "gpu": ", ".join(g.name for g in gpus) if gpus else "none (CPU only)",
        "quick mode": "on" if quick_mode() else "off",
    }
    for module in ("tensorflow_hub", "tf_keras", "ipywidgets"):
        try:
            report[module] = __import__(module).__version__
        except ImportError:
            report[module] = "not installed"
    if print_it:
        width = max(len(k) for k in report)
        for key, value in report.items():
            print(f"{key:<{width}}  {value}")
    return report


def provenance(made_by: str | None = None) -> dict[str, object]:
    """How and where a stored result was made (the benchmark scripts that write data/*.json):
    the command (default: this process's), UTC time, machine, the 1-minute load average and
    the library versions."""
    import datetime

    made_by = made_by or " ".join(["python", *sys.argv])
    report = environment_report(print_it=False)
    return {"made_by": made_by,
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.platform()}, {report['cpu cores']} CPU cores, GPU: "
                       f"{report['gpu']}",
            "load_average_1min": round(os.getloadavg()[0], 1),
            **{k: report[k] for k in ("python", "tensorflow", "keras")}}


@dataclass
class Lesson:
    """What :func:`start_lesson` returns: the environment ``report`` and a clock
    (``elapsed()`` gives the seconds since the lesson started)."""

    report: dict[str, str]
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        """Seconds since the lesson started."""
        return time.perf_counter() - self.started


@contextmanager
def native_stderr_hidden() -> Iterator[None]:
    """Send what C++ code writes to stderr (file descriptor 2) to a temporary file for the
    duration of the block; if the block raises, print what was written, then re-raise."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up lines (oneDNN notice, "could not find cuda
    drivers", a cuInit error on machines without a GPU) and hide its Python notices about
    tracing. Those C++ lines are written before TensorFlow reads TF_CPP_MIN_LOG_LEVEL, so only
    hiding the stream while importing removes them; an import that fails still shows them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with native_stderr_hidden():
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the cuInit attempt happens here, once
    tf.get_logger().setLevel("ERROR")


def start_lesson(seed: int = 42, report: bool = True) -> Lesson:
    """The setup of every lesson in one call: quiet TensorFlow's logs, seed Python, NumPy and
    TensorFlow, print the environment report (unless ``report=False``), start the clock."""
    quiet_tensorflow()
    seed_everything(seed)
    return Lesson(environment_report(print_it=report))
