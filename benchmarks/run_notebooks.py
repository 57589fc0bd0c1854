"""Run every lesson notebook once and record wall time, peak memory and its key result.

Writes data/lesson_runtimes.json (read by lesson 00's lesson map) and benchmarks/RESULTS.md, and
rewrites the table between the BENCHMARK markers in README.md.

    python benchmarks/run_notebooks.py                    # full mode, every notebook
    python benchmarks/run_notebooks.py 01 05              # only lessons whose name starts so
    python benchmarks/run_notebooks.py --quick            # the tests' quick mode
    python benchmarks/run_notebooks.py --fixtures         # offline: seed caches from ../shared

Run it on an otherwise idle machine: these are the runtimes the lessons quote.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers import course

KEY = re.compile(r"^Key result: (.*)$", re.MULTILINE)
START, END = "<!-- BENCHMARK:START -->", "<!-- BENCHMARK:END -->"


def run_notebook(path: Path, env: dict[str, str], allow_errors: bool = False) -> dict:
    """Execute one notebook in a fresh kernel; return seconds, peak MiB and key results
    (with ``allow_errors`` every cell runs even after one raised; their count is returned)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, log = Path(tmp) / path.name, Path(tmp) / "stderr.txt"
        cmd = [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=1800", "--output", str(out), str(path),
               *(["--allow-errors"] if allow_errors else [])]
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        with open(log, "w") as stderr:
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            # wait4 reports the child's peak RSS including its descendants (the kernel), in KiB
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            return {"seconds": round(seconds, 1), "error": log.read_text().strip()[-300:]}
        cells = json.loads(out.read_text())["cells"]
        outputs = "\n".join("".join(o.get("text", "")) for cell in cells
                            for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        errors = sum(o.get("output_type") == "error" for cell in cells for o in cell.get("outputs", []))
    # the 1-minute load average at the end: above ~2.5 other work shared the 2 cores
    return {"seconds": round(seconds, 1), "peak_mib": round(usage.ru_maxrss / 1024),
            "load": round(max(load_before, os.getloadavg()[0]), 1),
            "key_results": KEY.findall(outputs), **({"cell_errors": errors} if allow_errors else {})}


def markdown_table(results: dict, link_prefix: str = "") -> str:
    """The lesson map table: lesson, wall time, peak memory, key result; links to the notebooks
    start with ``link_prefix`` (the table's folder relative to the repository root)."""
    lines = [(f"Measured {results['date']} on {results['machine']} ({results['mode']} mode, on "
              f"{results.get('data', 'the data on disk')}). "
             "'load' is the 1-minute load average during the run: on 2 cores, above ~2.5 means "
             "other work shared the CPU and the time is an overestimate."), "",
             "| lesson | CPU wall time | peak memory | load | key result (from the run) |",
             "|---|---|---|---|---|"]
    for name, title in course.lessons():
        run, link = results["notebooks"].get(name), f"[{title}]({link_prefix}notebooks/{name})"
        if run is None:
            lines.append(f"| {link} | not measured | | | |")
        elif "error" in run:
            lines.append(f"| {link} | failed | | | {run['error']} |")
        else:
            key = "; ".join(run["key_results"]) or "-"
            lines.append(f"| {link} | {run['seconds'] / 60:.1f} min | "
                         f"{run['peak_mib'] / 1024:.1f} GiB | {run.get('load', '?')} | {key} |")
    done = [run["seconds"] for run in results["notebooks"].values() if "error" not in run]
    lines.append(f"| all lessons measured ({len(done)}) | {sum(done) / 60:.1f} min | | | |")
    return "\n".join(lines)


def write_reports(results: dict) -> None:
    """lesson_runtimes.json, RESULTS.md and the table between the README's BENCHMARK markers."""
    course.stored_file(course.RUNTIMES).write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "benchmarks" / "RESULTS.md").write_text(
        f"# Benchmark\n\n{markdown_table(results, link_prefix='../')}\n")
    readme = ROOT / "README.md"
    text = readme.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        readme.write_text(f"{head}{START}\n{markdown_table(results)}\n{END}{rest.split(END, 1)[1]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="lesson number prefixes, e.g. 01 05")
    parser.add_argument("--quick", action="store_true", help="quick mode (TL_COURSE_QUICK=1)")
    parser.add_argument("--fixtures", action="store_true",
                        help="seed the caches from ../shared/fixtures (offline machines)")
    args = parser.parse_args()
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", MPLBACKEND="Agg",
               TL_COURSE_QUICK="1" if args.quick else "0")
    if args.fixtures:
        from conftest import seed_caches

        env.update(seed_caches(Path(tempfile.mkdtemp(prefix="tl_course_bench_"))))
    record = course.ROOT / "data" / course.RUNTIMES
    previous = json.loads(record.read_text()) if record.exists() else {}
    results = {"date": datetime.date.today().isoformat(),
               "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, no GPU "
                          f"(Python {platform.python_version()})",
               "mode": "quick" if args.quick else "full",
               "data": ("the offline subsets in ../shared/fixtures (see its README), not the "
                        "full downloads" if args.fixtures else "the full downloads"),
               "notebooks": dict(previous.get("notebooks", {})) if args.only else {}}
    for path in sorted(course.NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if args.only and not any(path.name.startswith(p) for p in args.only):
            continue
        run = run_notebook(path, env)
        run["title"] = dict(course.lessons())[path.name]
        results["notebooks"][path.name] = run
        print(f"{path.name:<45} {json.dumps(run)}", flush=True)
    write_reports(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
