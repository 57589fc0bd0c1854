"""Self-checks for the lessons: print a clear success line, or raise with a hint that says
what to change. A failing check stops the notebook (and the notebook tests)."""
from __future__ import annotations

import numpy as np


class SelfCheckError(AssertionError):
    """A self-check failed; the message says what is wrong and what to do."""


def passed(message: str) -> None:
    """Print the success line every check uses."""
    print(f"✅ Check passed: {message}")


def require(condition: bool, success: str, failure: str, hint: str) -> None:
    """Print ``success`` if ``condition`` holds, else raise with ``failure`` and ``hint``."""
    if not condition:
        raise SelfCheckError(f"❌ {failure}\n   Hint: {hint}")
    passed(success)


def check_frozen(layer, name: str = "the base") -> None:
    """The layer (or model) has no trainable weights."""
    n = len(layer.trainable_weights)
    require(n == 0, f"{name} is frozen (0 trainable weights).",
            f"{name} still has {n} trainable weight tensors.",
            f"set {name}.trainable = False, then compile the model again.")


def check_trainable(layer, name: str = "the base", min_weights: int = 1) -> None:
    """The layer (or model) has at least ``min_weights`` trainable weight tensors."""
    n = len(layer.trainable_weights)
    require(n >= min_weights, f"{name} has {n} trainable weight tensors.",
            f"{name} has only {n} trainable weight tensors; nothing would be fine-tuned.",
            f"set {name}.trainable = True (and refreeze the layers you want frozen), "
            "then compile again.")


def snapshot(layer) -> list[np.ndarray]:
    """Copies of all weights of a layer or model, to compare before and after training."""
    return [np.array(w) for w in layer.get_weights()]


def max_change(before: list[np.ndarray], after: list[np.ndarray]) -> float:
    """Largest absolute difference between two snapshots."""
    if len(before) != len(after):
        raise ValueError(f"Snapshots differ in length: {len(before)} vs {len(after)}.")
    return max((float(np.max(np.abs(a - b))) for a, b in zip(before, after) if a.size), default=0.0)


def check_unchanged(before: list[np.ndarray], after: list[np.ndarray], name: str = "the base",
                    hint: str = "freeze it (trainable = False) and compile again before fit."
                    ) -> None:
    """No weight moved during training."""
    change = max_change(before, after)
    require(change == 0.0, f"no weight of {name} changed during training.",
            f"weights of {name} changed during training (max change {change:.2e}).", hint)


def check_changed(before: list[np.ndarray], after: list[np.ndarray], name: str = "the model",
                  hint: str = "make it trainable and compile again before fit.") -> None:
    """Some weight moved during training."""
    change = max_change(before, after)
    require(change > 0.0, f"{name} was updated (max change {change:.2e}).",
            f"no weight of {name} changed during training.", hint)


def check_at_least(value: float, threshold: float, what: str, hint: str) -> None:
    """``value`` (e.g. an accuracy) is at least ``threshold``."""
    require(value >= threshold, f"{what} = {value:.3f} (>= {threshold:.3f}).",
            f"{what} = {value:.3f} is below {threshold:.3f}.", hint)


def check_shape(actual: tuple, expected: tuple, what: str, hint: str) -> None:
    """A shape matches, with ``None`` in ``expected`` matching any size."""
    ok = len(actual) == len(expected) and all(e is None or a == e
                                              for a, e in zip(actual, expected))
    require(ok, f"{what} has shape {tuple(actual)}.",
            f"{what} has shape {tuple(actual)}, expected {tuple(expected)}.", hint)
