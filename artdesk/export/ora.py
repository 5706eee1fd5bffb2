"""OpenRaster (.ora) export: one PNG per layer plus stack.xml, as Krita, GIMP and MyPaint read it."""

from __future__ import annotations

import io
import os
import zipfile

from PIL import Image

from artdesk.atomic import atomic_file
from artdesk.document.model import Document
from artdesk.document.snapshot import snapshot
from artdesk.export.render import render_document
from artdesk.export.vector import quoteattr


def _png(pixels) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels, "RGBA").save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def _single_layer_doc(doc: Document, layer) -> Document:
    return snapshot(doc, [layer], visible=True, opacity=1.0)


def export_ora(doc: Document, path: str | os.PathLike, scale: float = 1.0) -> None:
    width, height = max(1, round(doc.width * scale)), max(1, round(doc.height * scale))
    stack = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<image version="0.0.5" w="{width}" h="{height}" xres="72" yres="72">', "<stack>"]
    with atomic_file(path) as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "image/openraster", compress_type=zipfile.ZIP_STORED)
        for i, layer in reversed(list(enumerate(doc.layers))):  # stack.xml lists the top layer first
            if layer.is_guide:
                continue  # not part of the picture
            src = f"data/layer{i:03d}.png"
            pixels = render_document(_single_layer_doc(doc, layer), width, height)
            zf.writestr(src, _png(pixels), compress_type=zipfile.ZIP_STORED)
            visibility = "visible" if layer.visible else "hidden"
            stack.append(f'<layer name={quoteattr(layer.name)} src="{src}" x="0" y="0" '
                         f'opacity="{layer.opacity:.3f}" visibility="{visibility}"/>')
        stack += ["</stack>", "</image>"]
        zf.writestr("stack.xml", "\n".join(stack))
        merged = render_document(doc, width, height)
        zf.writestr("mergedimage.png", _png(merged), compress_type=zipfile.ZIP_STORED)
        thumb = Image.fromarray(merged, "RGBA")
        thumb.thumbnail((256, 256))
        buf = io.BytesIO()
        thumb.save(buf, "PNG")
        zf.writestr("Thumbnails/thumbnail.png", buf.getvalue(), compress_type=zipfile.ZIP_STORED)
