"""Crash-recovery copies, without Qt.

Each running window autosaves to `recovery-<pid>-<token>.artdesk` in the recovery folder and holds
an exclusive lock on `recovery-<pid>-<token>.lock` while it runs. The operating system drops the
lock when the process dies (kill -9 included), so a copy whose lock nobody holds belongs to a
session that crashed, whatever has become of its PID since (a reused PID no longer hides it).
Every such copy is offered back; one the user declines is moved to `recovery/kept/` under a
readable name and stays there until the user deletes it.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path

from artdesk.atomic import pid_alive, remove_orphans

EXTENSION = ".artdesk"
KEPT = "kept"
_COPY = re.compile(r"^recovery-(?P<token>(?P<pid>\d+)(?:-[0-9a-f]{8})?)$")


def _try_lock(fh) -> bool:
    """Take an exclusive lock on an open file without waiting; False if someone holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            fh.seek(0)
            getattr(msvcrt, "locking")(fh.fileno(), getattr(msvcrt, "LK_NBLCK"), 1)  # noqa: B009 (Windows-only names: mypy on other systems knows none)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fh) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        try:
            fh.seek(0)
            getattr(msvcrt, "locking")(fh.fileno(), getattr(msvcrt, "LK_UNLCK"), 1)  # noqa: B009 (Windows-only names: mypy on other systems knows none)
        except OSError:
            pass
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Session:
    """This process's recovery copy and the lock that says it is alive."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.token = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.copy_path = self.folder / f"recovery-{self.token}{EXTENSION}"
        self.lock_path = self.folder / f"recovery-{self.token}.lock"
        self._fh = open(self.lock_path, "a+b")
        if not _try_lock(self._fh):  # cannot happen for a fresh name, but never share a copy
            self._fh.close()
            raise OSError(f"the recovery lock {self.lock_path} is taken")

    def release(self) -> None:
        """On a clean exit: the copy is dropped and the lock with it."""
        self.copy_path.unlink(missing_ok=True)
        if self._fh is not None and not self._fh.closed:
            _unlock(self._fh)
            self._fh.close()
        self.lock_path.unlink(missing_ok=True)


def _lock_held(lock_path: Path) -> bool:
    try:
        fh = open(lock_path, "a+b")
    except OSError:
        return True  # cannot tell: leave it alone
    try:
        if _try_lock(fh):
            _unlock(fh)
            return False
        return True
    finally:
        fh.close()


def _legacy_alive(pid: int) -> bool:
    """Copies named by PID only (older ArtDesk): alive if that PID runs an ArtDesk."""
    if pid == os.getpid() or not pid_alive(pid):
        return pid == os.getpid()
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS, Windows): trust the PID
    return b"artdesk" in cmdline.lower()


def crashed_copies(folder: Path, own: Path | None = None) -> list[Path]:
    """Copies left by sessions that ended without closing (newest first)."""
    found = []
    for path in Path(folder).glob(f"recovery-*{EXTENSION}"):
        match = _COPY.match(path.stem)
        if not match or (own is not None and path == own):
            continue
        lock = path.with_suffix(".lock")
        alive = _lock_held(lock) if lock.exists() else _legacy_alive(int(match["pid"]))
        if not alive:
            found.append(path)
    return sorted(found, key=_mtime, reverse=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def discard(copy: Path) -> None:
    copy.unlink(missing_ok=True)
    copy.with_suffix(".lock").unlink(missing_ok=True)


def keep_aside(copy: Path) -> Path:
    """Move a declined copy to recovery/kept/ under a name that says when it was saved."""
    kept = copy.parent / KEPT
    kept.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H.%M.%S", time.localtime(_mtime(copy)))
    target = kept / f"Recovered drawing {stamp}{EXTENSION}"
    n = 2
    while target.exists():
        target = kept / f"Recovered drawing {stamp} ({n}){EXTENSION}"
        n += 1
    os.replace(copy, target)
    copy.with_suffix(".lock").unlink(missing_ok=True)
    return target


def clean_at_start(folder: Path) -> int:
    """Orphan temporaries of dead writers, and locks of dead sessions that left no copy."""
    folder = Path(folder)
    count = remove_orphans(folder)
    for lock in folder.glob("recovery-*.lock"):
        if not lock.with_suffix(EXTENSION).exists() and not _lock_held(lock):
            lock.unlink(missing_ok=True)
            count += 1
    return count
