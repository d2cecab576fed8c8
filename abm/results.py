"""Write, read and verify a run's results folder.

A run's results are data first (DESIGN.md §7, §8): one tidy table of monthly
measurements, a dict of per-run summary outcomes, and a manifest that says how
they were made. Every figure is drawn later from these files, never from a live
model, so any figure can be regenerated from a results folder alone.

A results folder holds

``timeseries.parquet``
    the monthly table, the file that analysis code reads;
``timeseries.csv``
    the same table as text, for spreadsheets and quick inspection;
``summary.json``
    the per-run outcomes (``None`` for a missing value, never NaN);
``manifest.json``
    the resolved scenario, the seed, the versions of Python, the platform and
    every dependency, the git commit of the model source, and the SHA-256 of
    every other file in the folder;

plus any extra files added with the data or afterwards (e.g. the dashboard).

Why atomic
    A run killed half-way through writing (out of memory, Ctrl-C, a cluster
    pre-empting the job) must not leave a folder that looks like a finished
    run. :func:`write_run` builds the whole folder in a temporary sibling
    directory, fsyncs it, and only then renames it to its final name; an
    existing run is renamed aside first and deleted only once the new one is in
    place. :func:`add_files` writes each file under a temporary name and
    ``os.replace``-s it, so a reader sees the old file or the new one, never a
    partial one.

Why reproducible
    The same scenario and seed must give the same bytes. Parquet is written
    with pinned writer options and no index; JSON with sorted keys; neither
    holds a clock time. The manifest's hashes therefore check a reproduction
    file by file (:func:`verify_run`), not just "it ran". The only clock time
    is the manifest's ``created_at``, and the manifest is not itself hashed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import importlib.metadata
import io
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CORE_FILES",
    "MANIFEST",
    "PARQUET",
    "CSV",
    "SUMMARY",
    "add_files",
    "read_run",
    "verify_run",
    "write_run",
]

PARQUET = "timeseries.parquet"
CSV = "timeseries.csv"
SUMMARY = "summary.json"
MANIFEST = "manifest.json"
#: Files that :func:`write_run` owns; :func:`add_files` may not replace them.
CORE_FILES = frozenset({PARQUET, CSV, SUMMARY, MANIFEST})

#: Distribution names whose versions go into the manifest.
DEPENDENCIES = (
    "mesa",
    "numba",
    "llvmlite",
    "numpy",
    "networkx",
    "matplotlib",
    "pandas",
    "pyarrow",
)
PACKAGE = "capex-abm"
MANIFEST_FORMAT = 1
GIT_TIMEOUT_S = 10.0

# Pinned so that equal frames give equal bytes whatever pyarrow's defaults
# become; pyarrow writes no clock time into the file.
_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1 << 20,
    "store_schema": True,
}


# --------------------------------------------------------------------------- write


def write_run(
    out_dir: str | os.PathLike[str],
    timeseries: pd.DataFrame,
    summary: Mapping[str, Any],
    scenario: Mapping[str, Any],
    seed: int,
    *,
    extra_files: Mapping[str, bytes] | None = None,
) -> Path:
    """Write one run's results folder atomically.

    Parameters
    ----------
    out_dir : path
        Final folder. Its parent is created if needed. If it exists it must be
        a previous results folder (it holds ``manifest.json``) or be empty; it
        is then replaced, and only after the new folder is complete.
    timeseries : pandas.DataFrame
        The monthly table, one row per month, snake_case string column names.
        The index is not written: keep the month in a column. A *named* index
        is refused, since dropping it would lose data (call ``reset_index()``).
    summary : mapping
        Per-run outcomes; JSON-serialisable, ``None`` for a missing value.
    scenario : mapping
        The full resolved scenario, stored verbatim in the manifest.
    seed : int
        The run's seed (``0`` is a seed like any other).
    extra_files : mapping of str to bytes, optional
        More files to write into the folder (and hash), by file name.

    Returns
    -------
    pathlib.Path
        The final folder.

    Raises
    ------
    ValueError
        If ``summary`` or ``scenario`` holds NaN or ±inf, if the timeseries has
        a named index or non-string column names, or if a file name in
        ``extra_files`` is not a plain file name or is reserved.
    TypeError
        If ``seed`` is not an integer.
    FileExistsError
        If ``out_dir`` exists and is neither empty nor a results folder.

    Notes
    -----
    Files are written to a temporary sibling directory (same parent, so the
    rename is atomic), each file and the directory are fsynced, then the
    directory is renamed to ``out_dir``. An existing ``out_dir`` is renamed
    aside, the new folder renamed in, and the old one deleted; if the second
    rename fails the old folder is put back. If anything fails, the temporary
    directory is removed and ``out_dir`` is untouched. Only a crash between
    the two renames leaves no folder under the final name; the previous run is
    then still complete in the hidden ``.<name>.old-*`` sibling.
    """
    out_dir = Path(out_dir)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {seed!r}")
    summary_bytes = _json_bytes(dict(summary), "summary")
    _json_bytes(dict(scenario), "scenario")  # refuse NaN before touching the disk
    extra = dict(extra_files or {})
    for name in extra:
        _check_file_name(name, reserved=CORE_FILES)
    table = _to_table(timeseries)
    _check_replaceable(out_dir)

    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    try:
        hashes: dict[str, str] = {}
        hashes[CSV] = _write_bytes(tmp / CSV, _csv_bytes(timeseries))
        hashes[PARQUET] = _write_bytes(tmp / PARQUET, _parquet_bytes(table))
        hashes[SUMMARY] = _write_bytes(tmp / SUMMARY, summary_bytes)
        for name, data in extra.items():
            hashes[name] = _write_bytes(tmp / name, bytes(data))
        manifest = _build_manifest(scenario, int(seed), hashes)
        _write_bytes(tmp / MANIFEST, _json_bytes(manifest, "manifest"))
        _fsync_dir(tmp)
        _swap_into_place(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def add_files(out_dir: str | os.PathLike[str], files: Mapping[str, bytes]) -> list[Path]:
    """Add files to an existing results folder and record their hashes.

    Parameters
    ----------
    out_dir : path
        A folder written by :func:`write_run`.
    files : mapping of str to bytes
        File name → contents. A file of the same name is replaced, except the
        core files (timeseries, summary, manifest), which are refused.

    Returns
    -------
    list of pathlib.Path
        The paths written, in the order given.

    Raises
    ------
    ValueError
        If a name is not a plain file name or is a core file.
    FileNotFoundError
        If ``out_dir`` has no ``manifest.json``.

    Notes
    -----
    Each file is written under a temporary name, fsynced and ``os.replace``-d
    into place; then the manifest is rewritten the same way with the new
    hashes. A reader therefore never sees a partial file. Two processes adding
    files to the same folder at once may lose one's manifest update (there is
    no lock); add files from one process.
    """
    out_dir = Path(out_dir)
    files = dict(files)
    for name in files:
        _check_file_name(name, reserved=CORE_FILES)
    manifest = _read_json(out_dir / MANIFEST)
    # Stage every file first, so that a full disk fails before anything is replaced.
    staged: list[tuple[Path, Path]] = []
    try:
        for name, data in files.items():
            tmp = _temp_name(out_dir / name)
            staged.append((tmp, out_dir / name))
            manifest["files"][name] = _write_bytes(tmp, bytes(data))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise
    manifest["files"] = dict(sorted(manifest["files"].items()))
    _replace_file(out_dir / MANIFEST, _json_bytes(manifest, "manifest"))
    _fsync_dir(out_dir)
    return [path for _, path in staged]


# --------------------------------------------------------------------------- read


def read_run(out_dir: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict, dict]:
    """Read a results folder.

    Parameters
    ----------
    out_dir : path
        A folder written by :func:`write_run`.

    Returns
    -------
    timeseries : pandas.DataFrame
        The monthly table, read from ``timeseries.parquet``.
    summary : dict
        The per-run outcomes.
    manifest : dict
        The manifest (scenario, seed, versions, commit, file hashes).
    """
    out_dir = Path(out_dir)
    timeseries = pq.read_table(out_dir / PARQUET).to_pandas()
    return timeseries, _read_json(out_dir / SUMMARY), _read_json(out_dir / MANIFEST)


def verify_run(out_dir: str | os.PathLike[str]) -> list[str]:
    """Check every file listed in the manifest against its SHA-256.

    Parameters
    ----------
    out_dir : path
        A folder written by :func:`write_run`.

    Returns
    -------
    list of str
        Sorted names of the listed files that are missing or whose contents no
        longer match the manifest; empty if the folder is intact. Files not
        listed in the manifest are not checked.
    """
    out_dir = Path(out_dir)
    manifest = _read_json(out_dir / MANIFEST)
    bad = []
    for name, expected in manifest["files"].items():
        path = out_dir / name
        if not path.is_file() or _sha256(path.read_bytes()) != expected:
            bad.append(name)
    return sorted(bad)


# --------------------------------------------------------------------------- manifest


def _build_manifest(scenario: Mapping[str, Any], seed: int, hashes: dict[str, str]) -> dict:
    commit, dirty = _git_state(Path(__file__).resolve().parent)
    return {
        "format": MANIFEST_FORMAT,
        "scenario": dict(scenario),
        "seed": seed,
        "created_by": f"{PACKAGE} {_version(PACKAGE, 'unknown')}",
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {name: _version(name, "not installed") for name in DEPENDENCIES},
        "git_commit": commit,
        "git_dirty": dirty,
        "files": dict(sorted(hashes.items())),
    }


def _version(distribution: str, missing: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return missing


def _git_state(source_dir: Path) -> tuple[str | None, bool | None]:
    """Commit and dirtiness of the checkout holding ``source_dir``, or None.

    A package installed into a virtualenv that sits inside some repository
    (``.venv/`` in a checkout) is in a git work tree but git-ignored: that
    repository is not its source, so it gets None too.
    """
    if _git(source_dir, "check-ignore", "-q", Path(__file__).name) is not None:
        return None, None
    commit = _git(source_dir, "rev-parse", "HEAD")
    status = _git(source_dir, "status", "--porcelain")
    return commit, (None if status is None else status != "")


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git binary, or it hung
    return done.stdout.strip() if done.returncode == 0 else None


# --------------------------------------------------------------------------- encoding


def _to_table(timeseries: pd.DataFrame) -> pa.Table:
    if not isinstance(timeseries, pd.DataFrame):
        raise ValueError(f"timeseries must be a pandas DataFrame, got {type(timeseries)}")
    if any(name is not None for name in timeseries.index.names):
        raise ValueError(
            f"timeseries has a named index {list(timeseries.index.names)}, which would be "
            "dropped; move it into a column with timeseries.reset_index()"
        )
    bad = [name for name in timeseries.columns if not isinstance(name, str)]
    if bad:
        raise ValueError(f"timeseries column names must be strings, got {bad!r}")
    return pa.Table.from_pandas(timeseries, preserve_index=False)


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **_PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


def _csv_bytes(timeseries: pd.DataFrame) -> bytes:
    text = io.StringIO()
    timeseries.to_csv(text, index=False, lineterminator="\n")
    return text.getvalue().encode("utf-8")


def _json_bytes(obj: Any, what: str) -> bytes:
    _check_finite(obj, what)
    text = json.dumps(
        obj, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False, default=_json_default
    )
    return (text + "\n").encode("utf-8")


def _json_default(obj: Any) -> Any:
    # NumPy scalars and arrays turn up in summaries computed with NumPy.
    if isinstance(obj, np.generic | np.ndarray):
        return obj.tolist()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable: {obj!r}")


def _check_finite(obj: Any, where: str) -> None:
    """Raise ValueError naming the first NaN or ±inf found in ``obj``."""
    if isinstance(obj, Mapping):
        for key, value in obj.items():
            _check_finite(value, f"{where}[{key!r}]")
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            _check_finite(value, f"{where}[{i}]")
    elif isinstance(obj, np.ndarray):
        _check_finite(obj.tolist(), where)
    elif isinstance(obj, float | np.floating) and not math.isfinite(obj):
        raise ValueError(
            f"{where} is {obj!r}; JSON has no NaN or infinity, use None for a missing value"
        )


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- filesystem


def _check_file_name(name: str, *, reserved: frozenset[str]) -> None:
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or name.startswith(".")
        or Path(name).name != name
        or "/" in name
        or "\\" in name
    ):
        raise ValueError(
            f"file name {name!r} must be a plain, non-hidden file name (no directory part)"
        )
    if name in reserved:
        raise ValueError(f"file name {name!r} is reserved for the run's own files")


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace anything but a previous results folder or an empty one."""
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if not out_dir.is_dir() or out_dir.is_symlink():
        raise FileExistsError(f"{out_dir} exists and is not a directory; not replacing it")
    if (out_dir / MANIFEST).is_file() or not any(out_dir.iterdir()):
        return
    raise FileExistsError(
        f"{out_dir} exists, is not empty and holds no {MANIFEST}: it does not look like a "
        "results folder, so it is not replaced"
    )


def _write_bytes(path: Path, data: bytes) -> str:
    """Write ``data`` to a new file, fsync it, return its SHA-256."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return _sha256(data)


def _temp_name(path: Path) -> Path:
    """A hidden, unique sibling of ``path`` to write before ``os.replace``."""
    return path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex}")


def _replace_file(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` atomically (temp file + os.replace)."""
    tmp = _temp_name(path)
    try:
        digest = _write_bytes(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return digest


def _fsync_dir(path: Path) -> None:
    """Make a directory's entries durable (no-op where directories can't be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _swap_into_place(new: Path, final: Path) -> None:
    """Rename ``new`` to ``final``, replacing a previous ``final`` safely."""
    parent = final.parent
    if not final.exists():
        os.rename(new, final)
        _fsync_dir(parent)
        return
    old = parent / f".{final.name}.old-{uuid.uuid4().hex}"
    os.rename(final, old)
    try:
        os.rename(new, final)
    except BaseException:
        os.rename(old, final)
        raise
    _fsync_dir(parent)
    shutil.rmtree(old, ignore_errors=True)
