"""How trainers publish models: atomic files and read-modify-write of models/manifest.json under
one advisory lock (several trainers may run at once and must not lose each other's entries).

Every file the runtime reads is covered by a checksum: an entry's own `sha256`, and for an entry
with a JSON description (`meta`) its `meta_sha256`, filled in here whenever entries are written.
Built-in Bauhaus chains have entries of their own (task "bauhaus-chain").

`python -m artdesk.training.manifest` refreshes the description checksums of every entry and the
chain entries of models/bauhaus (run it after editing a description or adding a chain by hand)."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from artdesk.atomic import atomic_file
from artdesk.paths import models_dir
from artdesk.runtime.models import file_sha256 as sha256_of

__all__ = ["atomic_write_bytes", "sha256_of", "write_manifest_entries", "chain_entry", "refresh"]  # sha256_of: re-exported for trainers


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
        by_id = {e["id"]: _with_meta_sha(e, path.parent) for e in entries}
        models = [by_id.pop(m["id"]) if m.get("id") in by_id else m for m in data.get("models", [])]
        models.extend(by_id.values())
        data["models"] = models
        atomic_write_bytes(path, (json.dumps(data, indent=1) + "\n").encode())


def _with_meta_sha(entry: dict, folder: Path) -> dict:
    meta = entry.get("meta")
    if isinstance(meta, str) and (folder / meta).is_file():
        entry = {**entry, "meta_sha256": sha256_of(folder / meta)}
    return entry


def chain_entry(path: Path, models_folder: Path) -> dict:
    """The manifest entry of a built-in Bauhaus chain (models/bauhaus/<name>.npz)."""
    rel = path.relative_to(models_folder).as_posix()
    return {"id": f"bauhaus/{path.stem}", "file": rel, "sha256": sha256_of(path), "task": "bauhaus-chain",
            "licence": "see models/bauhaus/MODEL_CARD.md", "card": "bauhaus/MODEL_CARD.md"}


def refresh(models_folder: Path | None = None) -> list[str]:
    """Recompute meta_sha256 for every entry with a description, and the entries of the chains."""
    folder = Path(models_folder or models_dir())
    path = folder / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = [e for e in data.get("models", []) if isinstance(e.get("meta"), str)]
    entries += [chain_entry(p, folder) for p in sorted((folder / "bauhaus").glob("*.npz"))]
    write_manifest_entries(entries, path)
    return [e["id"] for e in entries]


if __name__ == "__main__":
    for model_id in refresh():
        print(f"checksummed {model_id}")
