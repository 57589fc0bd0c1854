"""The course's downloads from the command line: where the resolver looks, what is on disk, and
one folder with everything for an offline classroom (``TL_COURSE_ASSETS``).

    python -m helpers.assets status              # where it looks, what is there, what is not
    python -m helpers.assets download-all DIR    # fetch everything once; run again to resume

Lesson 00 explains the classroom set-up; ``helpers.assets`` is the resolver the lessons use.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from helpers import assets


def where_it_looks() -> list[str]:
    """The places the resolver searches, in order, with a warning for a missing local copy."""
    local = assets.local_copy_dir()
    if local is None:
        first = f"1. local copy: not set (set {assets.ASSETS_ENV} to a folder made by download-all)"
    elif not local.is_dir():
        first = (f"1. local copy: {assets.ASSETS_ENV}={local} DOES NOT EXIST - misspelled? "
                 "Nothing will be found there.")
    else:
        first = f"1. local copy ({assets.ASSETS_ENV}): {local}"
    return [first, f"2. Keras cache: {assets.keras_home()} (models/, datasets/)",
            f"3. TF Hub cache: {assets.hub_cache_dir()}", "4. otherwise: download (needs internet)"]


def print_status() -> None:
    """The ``status`` command: where the resolver looks, then every asset."""
    print("Where the course looks for each download, in order:")
    for line in where_it_looks():
        print(f"  {line}")
    rows = assets.status_table()
    print(f"\n{'asset':<32} {'kind':<8} status")
    for row in rows:
        print("{:<32} {:<8} {}".format(*row))
    missing = [assets.get(name).size_mb for name, _, status in rows if status != "on disk"]
    unknown = " + the sizes not known" if None in missing else ""
    print(f"\n{len(rows) - len(missing)} of {len(rows)} on disk; to download: "
          f"{len(missing)} (~{sum(m or 0 for m in missing):g} MB{unknown})")


def in_folder(asset: assets.Asset, dest: Path) -> bool:
    """True when ``dest`` (a download-all folder) already holds a good copy of ``asset``."""
    if asset.kind == "tfhub":
        return (dest / "tfhub" / assets.hub_folder_name(asset.url) / "saved_model.pb").exists()
    if asset.kind == "dataset":
        return assets.find_dataset_root(dest / asset.name, asset.expected) is not None
    path = dest / "models" / asset.filename
    try:
        assets.check_file(path, asset)
    except (assets.AssetError, OSError):
        return False
    return True


def _fetch_into(asset: assets.Asset, dest: Path) -> None:
    """Download one asset into a download-all folder."""
    if asset.kind == "tfhub":
        import tensorflow_hub as hub

        previous = os.environ.assets.get("TFHUB_CACHE_DIR")
        os.environ["TFHUB_CACHE_DIR"] = str(dest / "tfhub")
        try:
            hub.resolve(asset.url)
        finally:
            os.environ.pop("TFHUB_CACHE_DIR") if previous is None else \
                os.environ.update(TFHUB_CACHE_DIR=previous)
    elif asset.kind == "dataset":
        assets._download(asset, "datasets", dest, extract=True)
        shutil.rmtree(dest / asset.name, ignore_errors=True)  # an incomplete earlier try
        shutil.move(str(dest / "datasets" / asset.name), str(dest / asset.name))
    else:
        assets.check_file(assets._download(asset, "models", dest, extract=False), asset)


def download_all(dest: Path) -> int:
    """Fetch every asset into ``dest`` laid out as a ``TL_COURSE_ASSETS`` folder; skip what is
    there already (so a second run resumes). Returns the number of assets that failed."""
    dest = Path(dest).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    failed = []
    for asset in assets.REGISTRY.values():
        if in_folder(asset, dest):
            print(f"- {asset.name}: already there", flush=True)
            continue
        print(f"- {asset.name} ({asset.size}) ...", flush=True)
        try:
            _fetch_into(asset, dest)
        except Exception as error:  # noqa: BLE001 - network errors come in many types
            failed.append(asset.name)
            reason = f"{type(error).__name__}: {error}".splitlines()[0][:200]
            print(f"  FAILED ({reason})", flush=True)
    shutil.rmtree(dest / "datasets", ignore_errors=True)  # the downloaded archives
    if failed:
        print(f"\n{len(failed)} of {len(assets.REGISTRY)} downloads failed: {', '.join(failed)}.\n"
              "Check the internet connection (the course downloads from the addresses in "
              "helpers/assets.py), then run the same command again: it resumes.")
    else:
        print(f"Done. On each machine: export {assets.ASSETS_ENV}={dest.resolve()}")
    return len(failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.assets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="show which assets are on disk")
    download = sub.add_parser("download-all", help="download every asset into a folder")
    download.add_argument("dest", type=Path, help="folder to fill (point TL_COURSE_ASSETS at it)")
    args = parser.parse_args(argv)
    if args.command == "status":
        print_status()
        return 0
    return 1 if download_all(args.dest) else 0




if __name__ == "__main__":
    sys.exit(main())
