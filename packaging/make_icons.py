"""Draw ArtDesk's app icon: an SVG and PNGs in the usual sizes, in the hicolor layout.

    python packaging/make_icons.py            # writes resources/icons/hicolor/...

The icon is a sheet of paper on a blue desk tile with one thing from each engine: a Bauhaus
square, circle and triangle at the top and a doodle line below. The SVG is written here as text
and every PNG is rendered from it with Qt's SVG renderer; sizes of 24 px and less use a simpler
drawing (no Bauhaus shapes, a bolder line) so they stay readable. Rerunnable; the output is
deterministic for a given Qt version.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from artdesk import APP_ID  # noqa: E402

SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
SMALL = 24  # sizes up to this use the simple drawing


def icon_svg(simple: bool = False) -> str:
    line = 22 if simple else 13
    bauhaus = "" if simple else """
  <rect x="76" y="62" width="34" height="34" fill="#d7263d"/>
  <circle cx="136" cy="79" r="18" fill="#f4b400"/>
  <path d="M162 96 L180 62 L198 96 Z" fill="#1b4fbf"/>"""
    doodle = ("M70 178 C 86 128, 112 200, 132 160 S 170 112, 188 150"
              if not simple else "M68 170 C 90 110, 118 214, 140 152 S 178 120, 190 150")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">
  <title>ArtDesk</title>
  <defs>
    <linearGradient id="desk" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#4a63e0"/>
      <stop offset="1" stop-color="#262d7a"/>
    </linearGradient>
  </defs>
  <rect x="8" y="8" width="240" height="240" rx="52" fill="url(#desk)"/>
  <rect x="52" y="{38 if not simple else 40}" width="152" height="{182 if not simple else 178}" rx="10"
        fill="#fbf7ee" stroke="#1a1c3a" stroke-opacity="0.25" stroke-width="3"/>{bauhaus}
  <path d="{doodle}" fill="none" stroke="#1d1d1f" stroke-width="{line}" stroke-linecap="round"
        stroke-linejoin="round"/>
</svg>
"""


def render_png(svg: str, size: int, path: Path) -> None:
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise SystemExit("the icon SVG does not parse")
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(path), "PNG"):
        raise SystemExit(f"could not write {path}")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "icons" / "hicolor")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QImage and QSvgRenderer need one
    full, simple = icon_svg(False), icon_svg(True)
    scalable = args.out / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_text(full, encoding="utf-8")
    print(scalable.relative_to(ROOT) if scalable.is_relative_to(ROOT) else scalable)
    for size in SIZES:
        path = args.out / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        render_png(simple if size <= SMALL else full, size, path)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size} bytes")
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
