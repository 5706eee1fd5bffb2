"""Where ArtDesk finds its shipped files (models/, resources/) and keeps user data."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "ArtDesk"
_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped_dir(name: str) -> Path:
    env = os.environ.get(f"ARTDESK_{name.upper()}")
    if env:
        return Path(env)
    candidates = [
        _PACKAGE_DIR.parent / name,  # a checkout or an editable install
        Path(sys.prefix) / "share" / "artdesk" / name,  # pip install . (data-files)
    ]
    bundle = frozen_bundle_dir()
    if bundle is not None:  # a PyInstaller bundle: its own copy first, never the build machine's
        candidates.insert(0, bundle / name)
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]


def frozen_bundle_dir() -> Path | None:
    """The folder a PyInstaller bundle unpacked its data into (sys._MEIPASS), or None when
    ArtDesk runs from Python as usual."""
    if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
        return Path(sys._MEIPASS)
    return None


def models_dir() -> Path:
    return _shipped_dir("models")


def resources_dir() -> Path:
    return _shipped_dir("resources")


def user_data_dir() -> Path:
    path = Path(os.environ.get("ARTDESK_USER_DATA") or platformdirs.user_data_dir(APP_NAME, False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_log_dir() -> Path:
    path = Path(os.environ.get("ARTDESK_USER_LOG") or platformdirs.user_log_dir(APP_NAME, False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def recovery_dir() -> Path:
    path = user_data_dir() / "recovery"
    path.mkdir(parents=True, exist_ok=True)
    return path


def shared_data_dir() -> Path:
    """The real training/evaluation data that lives beside the project (never committed)."""
    env = os.environ.get("ARTDESK_SHARED_DATA")
    if env:
        return Path(env)
    return _PACKAGE_DIR.parent.parent / "shared" / "data"
