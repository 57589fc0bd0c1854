"""A short model card (Mitchell et al. 2019): what a model was trained on, what it is for, how
well it did on held-out images, and where it should not be trusted.

Lesson 18 writes one for the model it exports, with every number taken from its own run.
"""
from __future__ import annotations

from pathlib import Path


def model_card(name: str, data: str, intended_use: str, results: dict[str, str],
               limits: list[str], files: dict[str, str] | None = None) -> str:
    """The card as Markdown. ``results`` maps a measured quantity to its printed value;
    ``limits`` are the known limitations; ``files`` maps each exported format to its file."""
    for label, value in (("name", name), ("data", data), ("intended_use", intended_use)):
        if not value.strip():
            raise ValueError(f"The model card's {label} is empty; say it in one sentence.")
    if not results or not limits:
        raise ValueError("A model card needs measured results and at least one limitation.")
    lines = [f"# Model card: {name}", "", "## Data", data, "", "## Intended use", intended_use,
             "", "## Measured results"]
    lines += [f"- {key}: {value}" for key, value in results.items()]
    lines += ["", "## Limits"] + [f"- {limit}" for limit in limits]
    if files:
        lines += ["", "## Files"] + [f"- {fmt}: `{path}`" for fmt, path in files.items()]
    return "\n".join(lines) + "\n"


def write_model_card(path: str | Path, card: str) -> Path:
    """Write the card next to the exported model (``README.md`` or ``MODEL_CARD.md``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(card, encoding="utf-8")
    return path
