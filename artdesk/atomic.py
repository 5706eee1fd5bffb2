"""Write files so that a crash or a kill mid-write never leaves a half-written target.

The temporary file is `.<name>.<pid>.<random>.tmp` beside the target; a writer killed before the
rename leaves it behind, and `remove_orphans` (run when a document is opened or saved and when
the app starts) deletes those whose process is gone."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Iterator

# A temporary untouched this long is an orphan even if its PID runs again (reused by another
# program) or its name has no PID (older ArtDesk): a live save writes it within seconds.
STALE_TMP_AGE_S = 600


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Yield a temporary file beside `path`; on success fsync it and rename it over `path`."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _set_mode(tmp_name, _mode_for(path))
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _set_mode(name: str, mode: int) -> None:
    """chmod by name (os.fchmod exists on Windows only from Python 3.13; os.chmod everywhere)."""
    try:
        os.chmod(name, mode)
    except OSError:
        pass  # a file system without permissions (FAT, some network shares): keep mkstemp's


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; a new file gets the usual 0666 less the umask
    (mkstemp alone would leave it readable by its owner only)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs now (it may be another program that reused the id)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        import ctypes

        kernel32 = getattr(ctypes, "windll").kernel32  # noqa: B009 (Windows-only names: mypy on other systems knows none)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


_TMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]{6,}\.tmp$")
_LEGACY_TMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")


def orphans(folder: str | os.PathLike, name: str | None = None) -> list[Path]:
    """Temporary files in `folder` left by writers that died (for the target `name`, or any)."""
    found = []
    try:
        entries = list(os.scandir(os.fspath(folder)))
    except OSError:
        return []
    now = time.time()
    for entry in entries:
        match = _TMP.match(entry.name)
        if match:
            if (name is None or match["name"] == name) and int(match["pid"]) != os.getpid() \
                    and (not pid_alive(int(match["pid"])) or _age(entry, now) > STALE_TMP_AGE_S):
                found.append(Path(entry.path))
            continue
        legacy = _LEGACY_TMP.match(entry.name)
        if legacy and (name is None or legacy["name"] == name) and _age(entry, now) > STALE_TMP_AGE_S:
            found.append(Path(entry.path))
    return found


def _age(entry: os.DirEntry[str], now: float) -> float:
    try:
        return now - entry.stat().st_mtime
    except OSError:
        return 0.0


def remove_orphans(folder: str | os.PathLike, name: str | None = None) -> int:
    """Delete the orphans `orphans()` finds; how many went."""
    count = 0
    for path in orphans(folder, name):
        try:
            path.unlink()
            count += 1
        except OSError:
            pass
    return count
