"""On-demand check: run every lesson the way Google Colab would, from a pip-installed course.

For each Keras version asked for, this builds (once) a virtual environment with Colab's package
versions (TensorFlow 2.19, ipywidgets 7.7.1, pandas 2.2, NumPy 2.0, scikit-learn 1.6), installs
the course WITHOUT -e (as `pip install git+...` does on Colab), copies the notebooks to a folder
outside the repository (so `helpers` can only come from site-packages), seeds the offline
fixtures as the tests do, and executes every lesson in quick mode.

    python tests/colab_like.py                        # Keras 3.8 and 3.10, every lesson
    python tests/colab_like.py --keras 3.10.0 --lessons 02 10

Needs the package index (PyPI) the first time, ~3 GB of disk per environment, and time: on a
2-core CPU the two environments take about 10 minutes to build and each full pass takes about as
long as the test suite. It prints one line per lesson and exits 1 if any lesson failed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLAB = ["tensorflow==2.19.*", "tf-keras==2.19.*", "tensorflow-hub==0.16.1", "ipywidgets==7.7.1",
         "pandas==2.2.*", "numpy==2.0.*", "scikit-learn==1.6.*", "scipy==1.14.*",
         "matplotlib==3.9.*", "h5py", "pillow", "nbconvert", "ipykernel", "jupyter_client"]


def environment(keras: str, base: Path) -> Path:
    """A venv with Colab's versions and Keras ``keras``, and the course installed without -e."""
    venv = base / f"colab_keras_{keras}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *COLAB, f"keras=={keras}"],
                       check=True)
    # the course itself, as Colab gets it: a regular (non-editable) install of the repository
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                    str(ROOT)], check=True)
    return python


def run_lessons(python: Path, lessons: list[str]) -> dict[str, str]:
    """Execute the lessons from a copy outside the repository; return {lesson: '' or error}."""
    sys.path.insert(0, str(ROOT))
    from conftest import seed_caches

    work = Path(tempfile.mkdtemp(prefix="tl_colab_like_"))
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    env = dict(os.environ, TL_COURSE_QUICK="1", MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONPATH="", **seed_caches(work / "caches"))
    results = {}
    for path in sorted((work / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        if lessons and not any(path.name.startswith(n) for n in lessons):
            continue
        proc = subprocess.run([str(python), "-m", "jupyter", "nbconvert", "--to", "notebook",
                               "--execute", "--ExecutePreprocessor.timeout=1800", "--output",
                               str(work / f"out_{path.name}"), str(path)],
                              cwd=work / "notebooks", env=env, capture_output=True, text=True,
                              check=False)
        errors = [line for line in proc.stderr.splitlines() if "Error" in line]
        results[path.name] = "" if proc.returncode == 0 else (errors or [proc.stderr[-300:]])[-1]
        print(f"{'ok    ' if proc.returncode == 0 else 'FAILED'} {path.name} "
              f"{results[path.name][:200]}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keras", nargs="+", default=["3.8.0", "3.10.0"])
    parser.add_argument("--lessons", nargs="*", default=[], help="lesson prefixes, e.g. 02 10")
    parser.add_argument("--envs", type=Path, default=Path(tempfile.gettempdir()),
                        help="where to keep the environments (reused by later runs)")
    args = parser.parse_args()
    failed = 0
    for keras in args.keras:
        print(f"== Colab-like environment, Keras {keras}", flush=True)
        results = run_lessons(environment(keras, args.envs), args.lessons)
        failed += sum(bool(error) for error in results.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
