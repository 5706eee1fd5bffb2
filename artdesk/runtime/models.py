"""The one place that opens ONNX models.

Models are listed in models/manifest.json (`{"format": 1, "models": [{"id", "file", "sha256",
"task", "licence", "inputs", "training"}, ...]}`). A model is opened by id: its file's sha256 is
checked against the manifest, the provider is CUDA when onnxruntime offers it and it works,
else CPU ("force CPU" turns CUDA off), and sessions are cached. Every failure is a ModelError
whose message tells the user what is wrong and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from artdesk.errors import ModelError
from artdesk.paths import models_dir, resources_dir

__all__ = ["ModelError", "load_manifest", "open_session", "verify", "read_model_description", "verified_path"]


@dataclass(frozen=True)
class ModelEntry:
    id: str
    path: Path
    sha256: str
    info: dict


_lock = threading.RLock()
_force_cpu = False
_provider_probe: list[str] | None = None
_sessions: dict[tuple, object] = {}
_verified: dict[tuple, bool] = {}


def set_force_cpu(value: bool) -> None:
    global _force_cpu
    with _lock:
        if bool(value) != _force_cpu:
            _force_cpu = bool(value)
            _sessions.clear()


def force_cpu() -> bool:
    return _force_cpu


def available_providers() -> list[str]:
    """Providers that really work here, probed once, quietly (onnxruntime-gpu lists CUDA even
    without a GPU and then logs loudly when asked for it)."""
    global _provider_probe
    with _lock:
        if _provider_probe is None:
            import onnxruntime as ort

            listed = ort.get_available_providers()
            found = ["CPUExecutionProvider"]
            if "CUDAExecutionProvider" in listed and _cuda_works(ort):
                found.insert(0, "CUDAExecutionProvider")
            _provider_probe = found
        return list(_provider_probe)


def _cuda_works(ort) -> bool:
    """Open a one-node model on CUDA with logging silenced; True only if CUDA was really used.

    onnxruntime-gpu lists CUDA whenever its provider library is there, even without a GPU or
    without the CUDA/cuDNN libraries it needs; asked for it, it logs an error on its default
    logger and falls back to the CPU, which this notices (session.get_providers())."""
    quiet = hasattr(ort, "set_default_logger_severity")
    try:
        if quiet:
            ort.set_default_logger_severity(4)  # fatal only: the failed CUDA load is expected here
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(str(resources_dir() / "probe_identity.onnx"), opts,
                                    providers=["CUDAExecutionProvider"])
        return "CUDAExecutionProvider" in sess.get_providers()
    except Exception:  # any failure means: no usable GPU
        return False
    finally:
        if quiet:
            ort.set_default_logger_severity(2)  # onnxruntime's own default (warnings)


def active_provider() -> str:
    providers = available_providers()
    return "CPUExecutionProvider" if _force_cpu else providers[0]


def provider_description() -> str:
    name = active_provider()
    text = {"CUDAExecutionProvider": "GPU (CUDA)", "CPUExecutionProvider": "CPU"}.get(name, name)
    if _force_cpu and "CUDAExecutionProvider" in available_providers():
        text += " (forced; a GPU is available)"
    return text


ORT_DISTRIBUTIONS = ("onnxruntime", "onnxruntime-gpu")


def onnxruntime_packages() -> list[tuple[str, str]]:
    """The onnxruntime wheels installed, as (name, version): `onnxruntime` (CPU) and/or
    `onnxruntime-gpu`. Both put their files in the same `onnxruntime` folder, so only one of them
    should be installed (see package_conflict)."""
    from importlib import metadata

    found = []
    for name in ORT_DISTRIBUTIONS:
        try:
            found.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return found


def package_conflict() -> str:
    """Words for people when both onnxruntime wheels are installed (`pip install artdesk[gpu]`
    does that: pip cannot swap a dependency for an extra), else ''."""
    names = {name for name, _ in onnxruntime_packages()}
    if set(ORT_DISTRIBUTIONS) <= names:
        return ("both onnxruntime and onnxruntime-gpu are installed and overwrite each other's files; "
                "for the GPU run `pip uninstall -y onnxruntime` then "
                "`pip install --force-reinstall --no-deps onnxruntime-gpu`.")
    return ""


def load_manifest(directory: Path | None = None) -> dict[str, ModelEntry]:
    directory = Path(directory or models_dir())
    manifest = directory / "manifest.json"
    if not manifest.is_file():
        raise ModelError(f"The model list {manifest} is missing; reinstall ArtDesk or run `artdesk train`.")
    try:
        data = json.loads(manifest.read_text("utf-8"))
        entries = {}
        for item in data["models"]:
            entries[item["id"]] = ModelEntry(item["id"], directory / item["file"], item["sha256"].lower(), item)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
        raise ModelError(f"The model list {manifest} is damaged ({exc}); reinstall ArtDesk.") from exc
    return entries


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(entry: ModelEntry) -> None:
    if not entry.path.is_file():
        raise ModelError(f"The model '{entry.id}' is missing ({entry.path.name}); reinstall ArtDesk or "
                         f"re-make it with `artdesk train`.")
    stat = entry.path.stat()
    key = (str(entry.path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        if _verified.get(key):
            return
    if file_sha256(entry.path) != entry.sha256:
        raise ModelError(f"The model '{entry.id}' is damaged (its checksum does not match the manifest); "
                         "reinstall ArtDesk or re-make it with `artdesk train`.")
    with _lock:
        _verified[key] = True


MAX_DESCRIPTION_BYTES = 4 * 1024 * 1024


def verified_path(rel: str, directory: Path | None = None) -> Path:
    """A shipped file other than ONNX (a model description, a Bauhaus chain), by its path relative
    to the models folder, after checking its sha256 against the manifest: its own entry (`file`)
    or the `meta_sha256` of the model it describes. A file the manifest does not cover is refused."""
    directory = Path(directory or models_dir())
    entries = load_manifest(directory)
    for entry in entries.values():
        if entry.info.get("file") == rel:
            verify(entry)
            return entry.path
    for entry in entries.values():
        digest = entry.info.get("meta_sha256")
        if entry.info.get("meta") == rel and isinstance(digest, str):
            verify(ModelEntry(f"{entry.id} (description)", directory / rel, digest.lower(), entry.info))
            return directory / rel
    raise ModelError(f"The model file {rel} is not covered by the model list's checksums; reinstall ArtDesk, "
                     "or run `python -m artdesk.training.manifest` after training a model yourself.")


def read_model_description(model_id: str, directory: Path | None = None) -> dict:
    """The JSON description (`meta`) of a manifest model, checksum-checked and size-bounded."""
    from artdesk.safe_read import load_json_file

    entries = load_manifest(directory)
    if model_id not in entries:
        raise ModelError(f"No model called '{model_id}' is installed. Reinstall ArtDesk.")
    rel = entries[model_id].info.get("meta")
    if not isinstance(rel, str):
        raise ModelError(f"The model '{model_id}' has no description in the model list; reinstall ArtDesk.")
    path = verified_path(rel, directory)
    data = load_json_file(path, MAX_DESCRIPTION_BYTES, f"The description of '{model_id}' ({rel})", ModelError)
    if not isinstance(data, dict):
        raise ModelError(f"The description of '{model_id}' ({rel}) is damaged; reinstall ArtDesk.")
    return data


def open_session(model_id: str, directory: Path | None = None, threads: int | None = None):
    """An onnxruntime InferenceSession for a manifest model, cached, checked, on the right provider.
    threads: its intra-op threads (default: up to 4); 1 for a session that several threads run
    at once, each on its own tile (artdesk.engines.neural_fill)."""
    entries = load_manifest(directory)
    if model_id not in entries:
        raise ModelError(f"No model called '{model_id}' is installed. Reinstall ArtDesk, or train it "
                         f"with the project's scripts (see the model cards in models/).")
    entry = entries[model_id]
    verify(entry)
    provider = active_provider()
    key = (str(entry.path), entry.sha256, provider, threads)
    with _lock:
        if key in _sessions:
            return _sessions[key]
    session = open_onnx_file(entry.path, provider, label=entry.id, threads=threads)
    with _lock:
        _sessions[key] = session
    return session


def open_onnx_file(path: Path, provider: str | None = None, label: str | None = None,
                   threads: int | None = None):
    """Open any ONNX file (also user-supplied ones) with clear errors."""
    import onnxruntime as ort

    label = label or Path(path).name
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = threads or max(1, min(4, (os.cpu_count() or 2)))
    providers = [provider or active_provider()]
    if providers[0] == "CPUExecutionProvider" and _shared_cpu_arena():
        opts.add_session_config_entry("session.use_env_allocators", "1")
    if providers[0] != "CPUExecutionProvider":
        providers.append("CPUExecutionProvider")
    try:
        return ort.InferenceSession(str(path), opts, providers=providers)
    except Exception as exc:  # onnxruntime raises its own exception types for bad graphs
        raise ModelError(f"The model '{label}' could not be loaded; the file is damaged or not an ONNX "
                         f"model ({type(exc).__name__}).") from exc


_arena: list[bool] = []  # whether the shared CPU arena is registered (tried once)


def _shared_cpu_arena() -> bool:
    """One CPU memory arena for all sessions, grown by what a run asks for (kSameAsRequested)
    instead of in powers of two, and shared: each session's own arena keeps its largest run's
    memory for the session's life (a 4500x5400 neural page peaked at 1.02 GB with the one-tile
    and the page sessions' arenas, 0.85 GB with this one)."""
    with _lock:
        if not _arena:
            import onnxruntime as ort

            try:
                info = ort.OrtMemoryInfo("Cpu", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
                ort.create_and_register_allocator(info, ort.OrtArenaCfg(0, 1, -1, -1))  # 1: kSameAsRequested
                _arena.append(True)
            except Exception:  # an onnxruntime without shared allocators: each session keeps its own
                _arena.append(False)
        return _arena[0]


def clear_cache() -> None:
    with _lock:
        _sessions.clear()
        _verified.clear()
