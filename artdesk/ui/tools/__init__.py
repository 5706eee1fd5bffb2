"""Canvas tools, one class per tool (see base.py). Importing this package registers them all, in
toolbar order."""

from artdesk.ui.tools import brush, eraser, move, select  # noqa: F401  (registers)
from artdesk.ui.tools.base import TOOLS, Tool, ToolEvent, register

__all__ = ["TOOLS", "Tool", "ToolEvent", "register"]
