"""How trainers publish models: atomic files and read-modify-write of models/manifest.json under
one advisory lock (several trainers may run at once and must not lose each other's entries)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from artdesk.atomic import atomic_file
from artdesk.paths import models_dir
from artdesk.runtime.models import file_sha256 as sha256_of

__all__ = ["atomic_write_bytes", "sha256_of", "write_manifest_entries"]  # sha256_of: re-exported for trainers


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def _lock_path(manifest_path: Path) -> Path:
    key = hashlib.sha256(str(manifest_path.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"artdesk-manifest-{key}.lock"  # outside the repository


def write_manifest_entries(entries: list[dict], manifest_path: Path | None = None) -> None:
    """Insert or replace entries (by id) in the manifest, keeping every other entry."""
    path = Path(manifest_path or models_dir() / "manifest.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_path(path), "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # Windows: no concurrent trainers expected
            pass
        data = {"format": 1, "models": []}
        if path.exists():
            data = json.loads(path.read_text(encoding="utf-8"))
        by_id = {e["id"]: e for e in entries}
        models = [by_id.pop(m["id"]) if m.get("id") in by_id else m for m in data.get("models", [])]
        models.extend(by_id.values())
        data["models"] = models
        atomic_write_bytes(path, (json.dumps(data, indent=1) + "\n").encode())
