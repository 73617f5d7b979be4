"""Run records: one JSON file per benchmark cell (schema ``drugscreen.run/1``, DEVELOPERS.md).

Beyond the shared schema a benchmark record carries ``command`` (the one line that re-runs the
cell), ``split_file``, ``sizes`` (molecules per split), ``throughput`` and ``notes``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drugscreen.jsonio import write_json

__all__ = ["SCHEMA", "code_version", "host_info", "load_records", "peak_rss_mb", "versions", "write_evidence", "write_record", "write_table_text"]

SCHEMA = "drugscreen.run/1"


def code_version() -> str | None:
    """The git commit of the drugscreen source this process runs, with ``+dirty`` when files
    under ``drugscreen/`` differ from it; ``None`` outside a git checkout (an installed package).

    ``__version__`` alone names every commit of a release the same, so a record could not say
    which code made it.
    """
    import subprocess

    pkg = Path(__file__).resolve().parents[1]

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(pkg), *args], capture_output=True, text=True, timeout=20,
                              check=True).stdout.strip()

    try:
        top = Path(git("rev-parse", "--show-toplevel")).resolve()
        if top / pkg.name != pkg:  # a package installed inside some other repository
            return None
        sha = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".")
    except (OSError, subprocess.SubprocessError):
        return None
    return sha + ("+dirty" if dirty else "")


def versions() -> dict[str, str]:
    """Versions of drugscreen (``git``: its commit, when run from a checkout) and of the libraries
    that decide the numbers."""
    from drugscreen._version import __version__

    out = {"drugscreen": __version__, "python": platform.python_version()}
    commit = code_version()
    if commit:
        out["git"] = commit
    for mod in ("rdkit", "torch", "torch_geometric", "sklearn", "numpy"):
        m = sys.modules.get(mod)
        if m is None:
            try:
                m = __import__(mod)
            except ImportError:
                continue
        out[mod] = getattr(m, "__version__", "unknown")
    return out


def host_info() -> dict[str, Any]:
    """CPU count (usable by this process), CPU model and platform."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 0
    return {"cpus": cpus, "cpu_model": cpu, "platform": platform.platform(), "gpu": False}


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size of this process (or its waited-for children) in MiB."""
    kb = resource.getrusage(who).ru_maxrss  # kilobytes on Linux
    return round(kb / 1024.0, 1)


def write_record(record: dict[str, Any], path: str | Path) -> Path:
    """Write a run record atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"schema": SCHEMA, **record}
    record.setdefault("finished_at", datetime.now(UTC).isoformat(timespec="seconds"))
    return write_json(path, record)


def write_table_text(out: str | Path | None, lines: list[str]) -> str:
    """Join a script's table ``lines``; with ``out``, also write them there (folders made).
    Return the text (the script prints it)."""
    text = "\n".join(lines) + "\n"
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text)
    return text


def write_evidence(out: str | Path | None, result: dict[str, Any], lines: list[str]) -> str:
    """Join an evidence script's markdown ``lines``; with ``out``, write the figures as
    ``<out>.json`` and the markdown as ``<out>.md``. Return the markdown (the script prints it)."""
    text = "\n".join(lines) + "\n"
    if out:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path.with_suffix(".json"), result, fallback=float)
        path.with_suffix(".md").write_text(text)
    return text



def load_records(results_dir: str | Path) -> list[dict[str, Any]]:
    """Every ``*.json`` run record under ``results_dir`` (recursively), with ``_path`` added."""
    out = []
    for p in sorted(Path(results_dir).rglob("*.json")):
        try:
            rec = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(rec, dict) and rec.get("schema") == SCHEMA:
            rec["_path"] = str(p)
            out.append(rec)
    return out
