"""Peak memory of the lessons when the datasets have their full download's size.

The offline fixtures are subsets (200 of the 3,670 flower photos, 600 of the 3,000 cats and dogs,
5,000 of the 70,000 MNIST digits, 50,000 of GloVe's 400,000 words). A lesson whose memory grows
with the size of the download would pass every test here and still run out of memory on a learner's
machine. This script builds FULL-SIZE STAND-INS from the fixtures (the subset's real files repeated,
under new names, to the original's file counts per class; MNIST tiled to 60,000 + 10,000 digits;
GloVe padded with renamed copies of its rows to 400,000 words), runs the lessons in full mode on
them and writes the peak memory of each to benchmarks/FULL_SIZE.md. The accuracies of such runs
mean nothing (repeated photos leak between training and test splits, so some self-checks fail:
every cell runs anyway, and the table counts the cells that raised); only memory is of interest.

    python benchmarks/full_size_memory.py            # every lesson that reads these datasets
    python benchmarks/full_size_memory.py 01 18      # some of them
"""
from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run_notebooks import run_notebook

from conftest import seed_caches
from helpers import course

# file counts per class folder of the original downloads
FULL_COUNTS = {
    "flower_photos": {"": {"daisy": 633, "dandelion": 898, "roses": 641, "sunflowers": 699,
                           "tulips": 799}},
    "cats_and_dogs_filtered": {"train": {"cats": 1000, "dogs": 1000},
                               "validation": {"cats": 500, "dogs": 500}},
}
MNIST_SIZES, GLOVE_WORDS = {"train": 60_000, "test": 10_000}, 400_000
LESSONS = ["01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "12", "14", "18"]


def repeat_folder(source: Path, target: Path, counts: dict[str, int]) -> None:
    """Link the photos of each class folder of ``source`` into ``target`` until it has ``counts``."""
    for name, count in counts.items():
        photos = sorted(p for p in (source / name).iterdir() if p.is_file())
        (target / name).mkdir(parents=True)
        for i in range(count):
            photo = photos[i % len(photos)]
            os.link(photo, target / name / f"{photo.stem}_copy{i // len(photos)}{photo.suffix}")


def full_size_assets(assets: Path) -> None:
    """Replace the seeded fixture links under ``assets`` by full-size stand-ins."""
    for dataset, parts in FULL_COUNTS.items():
        source = (assets / dataset).resolve()
        (assets / dataset).unlink()
        for part, counts in parts.items():
            repeat_folder(source / part, assets / dataset / part, counts)
    mnist = assets / "mnist"
    with np.load(mnist / "mnist.npz") as arrays:
        tiled = {f"{k}_{split}": np.resize(arrays[f"{k}_{split}"], (n, *arrays[f"{k}_{split}"].shape[1:]))
                 for split, n in MNIST_SIZES.items() for k in ("x", "y")}
    mnist.unlink()
    mnist.mkdir()
    np.savez_compressed(mnist / "mnist.npz", **tiled)
    glove = assets / "glove_6B_50d"
    (source_file,) = glove.resolve().glob("*.txt")
    rows = source_file.read_text(encoding="utf8").splitlines()
    glove.unlink()
    glove.mkdir()
    with open(glove / source_file.name, "w", encoding="utf8") as out:
        for i in range(GLOVE_WORDS):
            word, vector = rows[i % len(rows)].split(" ", 1)
            out.write(f"{word if i < len(rows) else f'{word}_{i // len(rows)}'} {vector}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", default=LESSONS, help="lesson number prefixes")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg", TL_COURSE_QUICK="0")
    env.update(seed_caches(Path(tempfile.mkdtemp(prefix="tl_course_full_size_"))))
    full_size_assets(Path(env["TL_COURSE_ASSETS"]))
    lines = [f"# Peak memory on full-size data ({datetime.date.today().isoformat()})", "",
             ("Full mode, on full-size stand-ins built from the fixtures by "
             "`benchmarks/full_size_memory.py` (see its docstring): the datasets have their "
             "full download's file counts, so memory that grows with the download shows here. "
             "Accuracies of these runs are meaningless and not reported."), "",
             "| lesson | peak memory | wall time | load | cells that raised |", "|---|---|---|---|---|"]
    for name, title in course.lessons():
        if not any(name.startswith(p) for p in args.only):
            continue
        run = run_notebook(course.NOTEBOOKS / name, env, allow_errors=True)
        print(name, run, flush=True)
        cells = (["failed", "", "", run["error"][-120:]] if "error" in run else
                 [f"{run['peak_mib'] / 1024:.1f} GiB", f"{run['seconds'] / 60:.1f} min",
                  str(run["load"]), str(run["cell_errors"])])
        lines.append(f"| {title} | {' | '.join(cells)} |")
    (ROOT / "benchmarks" / "FULL_SIZE.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
