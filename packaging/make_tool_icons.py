"""Draw the toolbox icons of the painting tools (shapes, text, bucket, eyedropper, pixel eraser).

    python packaging/make_tool_icons.py      # writes resources/icons/tools/*.png (48 px)

Drawn with QPainter from a few lines each, so nothing comes from outside the project.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "icons" / "tools"
SIZE = 48
INK = "#3a3a3c"


def _star(p, QPointF, QPolygonF):
    pts = []
    for i in range(10):
        r = 20 if i % 2 == 0 else 8.5
        a = -math.pi / 2 + i * math.pi / 5
        pts.append(QPointF(24 + r * math.cos(a), 25 + r * math.sin(a)))
    p.drawPolygon(QPolygonF(pts))


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPainterPath, QPen, QPolygonF

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (fonts need it)
    OUT.mkdir(parents=True, exist_ok=True)
    pen = QPen(QColor(INK), 3.2, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin)

    def icon(name, draw):
        image = QImage(SIZE, SIZE, QImage.Format_ARGB32_Premultiplied)
        image.fill(Qt.transparent)
        p = QPainter(image)
        p.setRenderHint(QPainter.Antialiasing)
        p.setPen(pen)
        draw(p)
        p.end()
        image.save(str(OUT / f"{name}.png"))
        print(OUT / f"{name}.png")

    def shapes(p):
        p.setBrush(QColor("#f2c230"))
        _star(p, QPointF, QPolygonF)

    def text(p):
        font = QFont("DejaVu Serif")
        font.setPixelSize(40)
        font.setBold(True)
        p.setFont(font)
        p.drawText(QRectF(0, 0, SIZE, SIZE), Qt.AlignCenter, "T")

    def bucket(p):
        p.save()
        p.translate(22, 26)
        p.rotate(-30)
        body = QPainterPath()
        body.moveTo(-11, -10)
        body.lineTo(11, -10)
        body.lineTo(8, 13)
        body.lineTo(-8, 13)
        body.closeSubpath()
        p.setBrush(QColor("#ffffff"))
        p.drawPath(body)
        p.drawArc(QRectF(-11, -22, 22, 22), 0, 180 * 16)
        p.restore()
        p.setPen(Qt.NoPen)
        p.setBrush(QColor("#2f7de1"))
        drop = QPainterPath()
        drop.moveTo(39, 27)
        drop.cubicTo(45, 36, 45, 42, 39, 42)
        drop.cubicTo(33, 42, 33, 36, 39, 27)
        p.drawPath(drop)

    def eyedropper(p):
        p.save()
        p.translate(24, 24)
        p.rotate(45)
        p.setBrush(QColor(INK))
        p.drawRoundedRect(QRectF(-5, -21, 10, 11), 3, 3)  # the bulb
        p.setBrush(QColor("#ffffff"))
        p.drawRect(QRectF(-3.5, -10, 7, 20))  # the glass
        p.drawLine(QPointF(0, 10), QPointF(0, 19))  # the tip
        p.restore()

    def pixel_eraser(p):
        p.save()
        p.translate(24, 22)
        p.rotate(-35)
        p.setBrush(QColor("#f08caa"))
        p.drawRoundedRect(QRectF(-15, -8, 30, 16), 3, 3)
        p.setBrush(QColor("#ffffff"))
        p.drawRoundedRect(QRectF(-15, -8, 11, 16), 3, 3)
        p.restore()
        p.setPen(Qt.NoPen)
        p.setBrush(QColor(INK))
        for x in (8, 14, 20):  # the crumbs of pixels it rubbed out
            p.drawRect(QRectF(x, 40, 4, 4))

    for name, draw in (("shapes", shapes), ("text", text), ("bucket", bucket), ("eyedropper", eyedropper),
                       ("pixel_eraser", pixel_eraser)):
        icon(name, draw)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
