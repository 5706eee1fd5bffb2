"""Vector exports of the strokes: SVG and Quick, Draw! ndjson."""

from __future__ import annotations

import json
import os
import time

import numpy as np

from artdesk import __version__
from artdesk.atomic import atomic_file
from artdesk.document.model import Document


def quoteattr(text: str) -> str:
    """xml.sax.saxutils.quoteattr, the same output, without the urllib that module imports (a
    noticeable part of `artdesk doodle random`'s start-up)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' in text:
        if "'" in text:
            return '"%s"' % text.replace('"', "&quot;")
        return "'%s'" % text
    return '"%s"' % text


def svg_text(doc: Document) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{doc.width}" height="{doc.height}" '
           f'viewBox="0 0 {doc.width} {doc.height}">',
           f"<!-- ArtDesk {__version__} -->"]
    for layer in doc.vector_layers():
        if not layer.visible or layer.is_guide:
            continue
        out.append(f'<g id={quoteattr(layer.id)} inkscape:label={quoteattr(layer.name)} '
                   f'opacity="{layer.opacity:.3f}" fill="none" stroke-linecap="round" '
                   f'stroke-linejoin="round" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape">')
        for stroke in layer.strokes:
            pts = stroke.points
            width = stroke.width * float(np.clip(pts[:, 2].mean(), 0.08, 1.0))
            if len(pts) == 1:
                x, y = pts[0, :2]
                out.append(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="{width / 2:.2f}" fill={quoteattr(stroke.color)}/>')
                continue
            d = "M" + " L".join(f"{x:.2f},{y:.2f}" for x, y in pts[:, :2].tolist()) + (" Z" if stroke.closed else "")
            paint = f' fill={quoteattr(stroke.fill)}' if stroke.fill else ""
            line = quoteattr(stroke.color) if stroke.outline or not stroke.fill else '"none"'
            out.append(f'<path d="{d}" stroke={line} stroke-width="{width:.2f}"{paint}/>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def export_svg(doc: Document, path: str | os.PathLike) -> None:
    with atomic_file(path) as fh:
        fh.write(svg_text(doc).encode("utf-8"))


def quickdraw_record(doc: Document, word: str = "doodle") -> dict:
    """The visible strokes in Quick, Draw!'s raw format: drawing = [[xs], [ys], [t ms]] per stroke."""
    strokes = doc.all_strokes()
    t0 = min((float(s.points[0, 3]) for s in strokes), default=0.0)
    drawing = []
    for s in strokes:
        xs, ys = np.round(s.points[:, 0], 1), np.round(s.points[:, 1], 1)
        ts = np.round((s.points[:, 3] - t0) * 1000).astype(int)
        drawing.append([xs.tolist(), ys.tolist(), ts.tolist()])
    return {"word": word, "countrycode": "ZZ", "timestamp": time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime()),
            "recognized": True, "key_id": str(int(time.time() * 1000)), "drawing": drawing}


def export_ndjson(doc: Document, path: str | os.PathLike, word: str = "doodle") -> None:
    with atomic_file(path) as fh:
        fh.write((json.dumps(quickdraw_record(doc, word)) + "\n").encode("utf-8"))
