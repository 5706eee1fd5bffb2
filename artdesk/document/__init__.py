"""What a picture is: strokes, layers, documents, undoable edits, project files."""

from artdesk.document.model import (DEFAULT_SIZE, Document, Layer, RasterLayer, Stroke,
                                    VectorLayer)

__all__ = ["DEFAULT_SIZE", "Document", "Layer", "RasterLayer", "Stroke", "VectorLayer"]
