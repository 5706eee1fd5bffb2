import sys

import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_pyside_keeps_none_alive(qapp):
    """PySide6 6.12.0 under Python 3.11 drops a reference to None on every void call and the app
    dies with 'none_dealloc' after a few thousand strokes. pyproject pins it out; this guards it."""
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(1000):
        obj.setObjectName("x")
    assert sys.getrefcount(None) - before > -10
