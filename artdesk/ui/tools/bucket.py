"""The bucket: click inside a closed shape to fill it with the brush colour (a new layer just
below the active one, so the outline stays on top; above it when recolouring a painted area). The region is found at print resolution on
a worker; the fill is one undo step."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QCursor

from artdesk.document import commands as cmds
from artdesk.export.bucket import FillRefused, bucket_fill
from artdesk.ui.tools.base import Tool, ToolEvent, register


@register
class BucketTool(Tool):
    name = "bucket"
    label = "B&ucket fill"
    shortcut = "G"
    icon = "tools/bucket.png"
    tip = "Bucket: click inside a closed shape to fill it with the brush colour"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.job = None

    def cursor(self) -> QCursor:
        return QCursor(Qt.PointingHandCursor)

    def release(self, event: ToolEvent) -> None:
        self.fill_at(event.doc.x(), event.doc.y())

    def fill_at(self, x: float, y: float):
        """Start the fill job; returns it (None when there is no document)."""
        from artdesk.document.snapshot import snapshot

        doc = self.canvas.document
        if doc is None:
            return None
        window = self.canvas.window()
        colour = self.canvas.brush_color.name()
        active = self.canvas.active_layer()
        index = doc.layers.index(active) if active is not None else len(doc.layers)
        from artdesk.ui.tools.eyedropper import colour_at

        if colour_at(doc, QPointF(x, y)) is not None:  # recolouring a painted area: the fill goes on top
            index += 1
        name = doc.unique_layer_name("Fill")

        def done(layer):
            if self.canvas.document is doc:
                self.canvas.push(cmds.AddLayer(layer, index=min(index, len(doc.layers)), text="Bucket fill"))

        def failed(message, _tb=None):
            show = getattr(window, "show_warning", None)
            if show is not None:
                show("Nothing filled", message)

        run_job = getattr(window, "run_job", None)
        if run_job is None:  # a bare canvas (tests, embedding): fill in place
            from artdesk.engines.progress import run_to_end

            try:
                done(run_to_end(bucket_fill(snapshot(doc), x, y, colour, name=name)))
            except FillRefused as exc:
                failed(str(exc))
            return None
        # a click outside a closed shape ends as the window's error note, in the FillRefused's words
        self.job = run_job("Bucket fill", bucket_fill, snapshot(doc), x, y, colour, name=name, on_result=done)
        return self.job
