"""Can Qt open a window here? Qt's X11 platform plugin (libqxcb.so) needs a dozen system
libraries that a fresh Debian or Ubuntu machine may lack, and Qt's own message names only one
of them (often one that is installed). This looks at the plugin with `ldd` and names every
missing library with the exact install command. No Qt is imported: it runs before the app.

    python -m artdesk.platform_check     # exit status 1 and the apt-get line if something is missing
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# Debian package names that the soname rule below does not give.
PACKAGE_OF = {
    "libglib-2.0.so.0": "libglib2.0-0t64",
    "libgthread-2.0.so.0": "libglib2.0-0t64",
    "libgobject-2.0.so.0": "libglib2.0-0t64",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libxcb-util.so.1": "libxcb-util1",
}


def package_for(soname: str) -> str:
    """'libxcb-icccm.so.4' -> 'libxcb-icccm4', 'libxkbcommon-x11.so.0' -> 'libxkbcommon-x11-0':
    the Debian rule for library packages (a dash before the version when the name ends in a digit)."""
    if soname in PACKAGE_OF:
        return PACKAGE_OF[soname]
    match = re.fullmatch(r"(lib.+?)\.so\.(\d+)(?:\..*)?", soname)
    if not match:
        return soname
    name, version = match.group(1).lower(), match.group(2)
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def missing_from_ldd(output: str) -> list[str]:
    """The sonames `ldd` reports as "not found"."""
    return sorted({line.split("=>")[0].strip() for line in output.splitlines() if "not found" in line})


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_qt_libraries() -> list[str]:
    """Sonames the X11 platform plugin (and Qt's XCB library it loads) cannot find; [] when all
    are there, or when this cannot be told (no ldd, no PySide6, not Linux)."""
    plugin = xcb_plugin()
    ldd = shutil.which("ldd")
    if plugin is None or ldd is None or not sys.platform.startswith("linux"):
        return []
    missing: set[str] = set()
    for path in (plugin, plugin.parents[2] / "lib" / "libQt6XcbQpa.so.6"):
        if path.is_file():
            try:
                done = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20)
            except (OSError, subprocess.SubprocessError):
                return []
            missing.update(missing_from_ldd(done.stdout))
    return sorted(missing)


def uses_xcb(environ: dict | None = None) -> bool:
    """Whether Qt will pick its X11 plugin: asked for it, or no Wayland session to prefer."""
    env = os.environ if environ is None else environ
    platform = env.get("QT_QPA_PLATFORM", "")
    if platform:
        return platform.split(";")[0].split(":")[0] == "xcb"
    return not env.get("WAYLAND_DISPLAY")


def advice(missing: list[str]) -> str:
    packages = sorted({package_for(name) for name in missing})
    return (f"Qt cannot open a window: its X11 platform plugin needs {', '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed. On Debian or Ubuntu:\n"
            f"    sudo apt-get install {' '.join(packages)}")


def main() -> int:
    if not uses_xcb():
        return 0
    missing = missing_qt_libraries()
    if missing:
        print(advice(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
