"""The garment a print lands on: print-area and safe-margin guides per preset, and a mockup of
the design on a procedurally drawn T-shirt at its real print size.

Uses QtGui only (QPainter on a QImage), so `artdesk mockup` runs headless without QtWidgets.
Nothing is loaded from outside: the shirt is a painter path in inches, shaded with gradients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from artdesk.document.model import Document
from artdesk.export.png import PRESETS, render_fitted

SAFE_MARGIN_IN = 0.5  # keep text and faces this far inside the print area
SHIRT_COLOURS = {"black": "#17171a", "white": "#f6f5f1", "navy": "#1f2a44", "grey": "#9a9ca0",
                 "red": "#b3202a"}
BACKDROP = "#dcd9d3"
# an adult L tee, in inches: chest 22 wide, 29 long from the high point of the shoulder
SHIRT_WIDTH_IN, SHIRT_HEIGHT_IN = 36.0, 31.0
SHIRT_SIZES = {"S": 18.0, "M": 20.0, "L": 22.0, "XL": 24.0, "2XL": 26.0}  # chest width, inches (flat)
PRINT_TOP_IN = 4.0  # print area's top edge below the shoulders' high point (about 3" under the collar)


@dataclass(frozen=True)
class PrintGuides:
    """Rectangles (x, y, w, h) in document units."""

    area: tuple[float, float, float, float]
    safe: tuple[float, float, float, float]
    inches: tuple[float, float]  # the print area's size on the garment
    label: str


def preset_size(doc: Document, preset: str) -> tuple[int, int, int]:
    if preset not in PRESETS:
        raise ValueError(f"unknown print preset {preset!r}; choose one of {', '.join(PRESETS)}")
    spec = PRESETS[preset]
    return (spec.width or doc.width), (spec.height or doc.height), spec.dpi


def print_guides(doc: Document, preset: str = "tshirt") -> PrintGuides:
    """Where the preset's printable area and its safe margin fall on the page. The export fits
    the page into the preset's size, centred, so the area may reach past the page on one axis."""
    width, height, dpi = preset_size(doc, preset)
    scale = min(width / doc.width, height / doc.height)  # print px per document unit
    w, h = width / scale, height / scale
    area = ((doc.width - w) / 2, (doc.height - h) / 2, w, h)
    inset = SAFE_MARGIN_IN * dpi / scale
    safe = (area[0] + inset, area[1] + inset, max(0.0, w - 2 * inset), max(0.0, h - 2 * inset))
    return PrintGuides(area, safe, (width / dpi, height / dpi), PRESETS[preset].label)


def shirt_colour(name: str) -> str:
    """'black', 'white' (or another named colour) or '#rrggbb' -> '#rrggbb'."""
    key = name.strip().lower()
    if key in SHIRT_COLOURS:
        return SHIRT_COLOURS[key]
    if re.fullmatch(r"#?[0-9a-f]{6}", key):
        return "#" + key.lstrip("#")
    raise ValueError(f"'{name}' is not a shirt colour: use {', '.join(SHIRT_COLOURS)} or #rrggbb (e.g. #336699)")


def _shirt_path(ppi: float, cx: float, top: float, k: float = 1.0):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QPainterPath

    def p(x, y):
        return QPointF(cx + x * ppi * k, top + y * ppi * k)

    path = QPainterPath(p(-3.6, 0.0))
    path.cubicTo(p(-3.0, 3.6), p(3.0, 3.6), p(3.6, 0.0))  # front neckline
    path.lineTo(p(9.6, 1.4))  # shoulder
    path.cubicTo(p(12.5, 2.6), p(15.2, 5.0), p(16.8, 7.8))  # sleeve top
    path.lineTo(p(13.4, 10.6))  # sleeve hem
    path.cubicTo(p(12.3, 9.7), p(11.4, 9.0), p(11.0, 8.6))  # underarm
    path.cubicTo(p(10.9, 16.0), p(11.2, 23.0), p(11.3, 29.0))  # side seam
    path.cubicTo(p(4.0, 29.5), p(-4.0, 29.5), p(-11.3, 29.0))  # hem
    path.cubicTo(p(-11.2, 23.0), p(-10.9, 16.0), p(-11.0, 8.6))
    path.cubicTo(p(-11.4, 9.0), p(-12.3, 9.7), p(-13.4, 10.6))
    path.lineTo(p(-16.8, 7.8))
    path.cubicTo(p(-15.2, 5.0), p(-12.5, 2.6), p(-9.6, 1.4))
    path.closeSubpath()
    return path, p


def _shade(colour, factor: float):
    from PySide6.QtGui import QColor

    c = QColor(colour)
    if factor >= 1:
        return c.lighter(int(factor * 100))
    return c.darker(int(100 / factor))


def _paint_shirt(painter, colour: str, ppi: float, cx: float, top: float, design=None, k: float = 1.0) -> None:
    """The shirt; `design()` is called after the fabric is laid down and before its shading,
    folds and seams, so the print follows the fabric as ink does."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QBrush, QColor, QLinearGradient, QPainterPath, QPen, QRadialGradient

    path, p = _shirt_path(ppi, cx, top, k)
    light = QColor(colour).lightnessF() > 0.5
    # a soft shadow under the shirt
    painter.save()
    painter.translate(0.25 * ppi, 0.35 * ppi)
    painter.fillPath(path, QColor(0, 0, 0, 40))
    painter.restore()
    painter.fillPath(path, QColor(colour))
    # back of the collar seen through the neck opening
    back = QPainterPath(p(-3.6, 0.0))
    back.cubicTo(p(-2.5, 1.0), p(2.5, 1.0), p(3.6, 0.0))
    back.cubicTo(p(2.4, -0.6), p(-2.4, -0.6), p(-3.6, 0.0))
    painter.fillPath(back, _shade(colour, 0.7))
    if design is not None:
        design()
    # roundness: darker towards the sides, a little light in the middle of the chest
    shade = QLinearGradient(p(-11.5, 0), p(11.5, 0))
    edge = QColor(0, 0, 0, 45 if light else 90)
    mid = QColor(255, 255, 255, 18 if light else 10)
    shade.setColorAt(0.0, edge)
    shade.setColorAt(0.22, QColor(0, 0, 0, 0))
    shade.setColorAt(0.5, mid)
    shade.setColorAt(0.78, QColor(0, 0, 0, 0))
    shade.setColorAt(1.0, edge)
    painter.fillPath(path, QBrush(shade))
    under = QRadialGradient(p(0, 8), 20 * ppi)
    under.setColorAt(0.6, QColor(0, 0, 0, 0))
    under.setColorAt(1.0, QColor(0, 0, 0, 50))
    painter.fillPath(path, QBrush(under))
    # rib collar, seams and hems
    seam = QPen(_shade(colour, 0.8 if light else 1.6), max(1.0, 0.06 * ppi), Qt.DashLine, Qt.FlatCap)
    rib = QPen(_shade(colour, 0.85 if light else 1.35), 0.55 * ppi, Qt.SolidLine, Qt.RoundCap)
    collar = QPainterPath(p(-3.6, 0.0))
    collar.cubicTo(p(-3.0, 3.6), p(3.0, 3.6), p(3.6, 0.0))
    painter.setBrush(Qt.NoBrush)
    painter.setPen(rib)
    painter.drawPath(collar)
    painter.setPen(seam)
    for a, b in (((-9.6, 1.4), (-11.0, 8.6)), ((9.6, 1.4), (11.0, 8.6))):
        painter.drawLine(p(*a), p(*b))
    painter.drawLine(p(-16.0, 8.6), p(-13.2, 11.0))
    painter.drawLine(p(16.0, 8.6), p(13.2, 11.0))
    hem = QPainterPath(p(-11.25, 28.2))
    hem.cubicTo(p(-4.0, 28.7), p(4.0, 28.7), p(11.25, 28.2))
    painter.drawPath(hem)


def render_mockup(doc: Document, shirt: str = "black", preset: str = "tshirt", width: int = 1200,
                  dtg: bool = False, size: str = "L") -> np.ndarray:
    """The design on a T-shirt, at the print area's real size in inches: RGBA uint8, opaque.
    dtg=True previews the DTG-safe halftone (rendered at print resolution, then reduced)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QImage, QPainter

    from artdesk.export.render import ensure_gui_app, numpy_to_qimage, qimage_to_numpy

    colour = shirt_colour(shirt)
    pw, ph, dpi = preset_size(doc, preset)
    width = max(200, min(int(width), 6000))
    if size not in SHIRT_SIZES:
        raise ValueError(f"'{size}' is not a shirt size: use {', '.join(SHIRT_SIZES)}")
    k = SHIRT_SIZES[size] / SHIRT_SIZES["L"]  # the shirt grows, the print keeps its inches
    ppi = width / (SHIRT_WIDTH_IN * k)
    height = int(round(SHIRT_HEIGHT_IN * k * ppi))
    area_w, area_h = pw / dpi * ppi, ph / dpi * ppi
    if area_w > 15.5 * ppi or area_h > 21 * ppi:  # a screen-size page at 96 dpi would not fit a shirt
        fit = min(15.0 * ppi / area_w, 18.0 * ppi / area_h)
        area_w, area_h = area_w * fit, area_h * fit
    ensure_gui_app()
    if dtg:
        from artdesk.export.halftone import halftone_alpha

        design = halftone_alpha(render_fitted(doc, pw, ph), dpi)
    else:
        design = render_fitted(doc, max(1, round(area_w * 2)), max(1, round(area_h * 2)))
    image = QImage(width, height, QImage.Format_ARGB32_Premultiplied)
    image.fill(QColor(BACKDROP))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing, True)
    painter.setRenderHint(QPainter.SmoothPixmapTransform, True)
    cx, top = width / 2, 0.8 * ppi * k
    target = QRectF(cx - area_w / 2, top + PRINT_TOP_IN * ppi * k, area_w, area_h)
    art = numpy_to_qimage(design)
    if dtg:
        art = art.scaled(max(1, round(area_w)), max(1, round(area_h)), Qt.IgnoreAspectRatio,
                         Qt.SmoothTransformation)
    _paint_shirt(painter, colour, ppi, cx, top, design=lambda: painter.drawImage(target, art), k=k)
    painter.end()
    return qimage_to_numpy(image)


def save_mockup(doc: Document, path, shirt: str = "black", preset: str = "tshirt", width: int = 1200,
                dtg: bool = False, size: str = "L") -> tuple[int, int]:
    from PIL import Image

    from artdesk.atomic import atomic_file

    pixels = render_mockup(doc, shirt, preset, width, dtg, size)
    with atomic_file(path) as fh:
        Image.fromarray(pixels, "RGBA").convert("RGB").save(fh, "PNG", optimize=False)
    return pixels.shape[1], pixels.shape[0]
