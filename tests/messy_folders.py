"""Sample folders for trying a pipeline on data as learners really have it.

Lesson 18 runs its folder-to-model pipeline on one of these in its tests.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from helpers import data


def make_messy_folder(source: str | Path, target: str | Path, per_class: int = 6,
                      max_classes: int = 3) -> Path:
    """Copy ``per_class`` images of the first ``max_classes`` classes of ``source`` (a folder of
    class sub-folders) into ``target``, then add what real folders contain: a ``notes.txt`` at the
    top, a ``Thumbs.db`` and a corrupt ``broken.jpg`` in the first class, a hidden ``.DS_Store``,
    and a sub-folder ``more/`` holding two of the second class's images. Returns ``target``."""
    found = data.scan_image_folder(source, check_images=False, verbose=False)
    if len(found.class_names) < 2:
        raise data.DataError(f"{source} needs at least 2 class folders to make a sample.")
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty; pass a new or empty folder.")
    names = found.class_names[:max_classes]
    for label, name in enumerate(names):
        members = [p for p, y in zip(found.paths, found.labels) if y == label][:per_class]
        if len(members) < per_class:
            raise data.DataError(f"Class {name!r} in {source} has {len(members)} images; "
                                 f"asked for {per_class}.")
        folder = target / name
        folder.mkdir(parents=True)
        for i, path in enumerate(members):
            nested = label == 1 and i >= per_class - 2
            destination = folder / "more" if nested else folder
            destination.mkdir(exist_ok=True)
            shutil.copy(path, destination / path.name)
    (target / "notes.txt").write_text("photos from the weekend\n")
    (target / names[0] / "Thumbs.db").write_bytes(b"\x00" * 64)
    (target / names[0] / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (target / names[0] / ".DS_Store").write_bytes(b"\x00\x00")
    return target
