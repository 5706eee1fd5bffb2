"""Canvas tools, one class per tool (see base.py). Importing this package registers them all, in
toolbar order."""

from artdesk.ui.tools.base import TOOLS, Tool, ToolEvent, register
from artdesk.ui.tools import brush, eraser, move, select  # noqa: F401,E402  (registers)

__all__ = ["TOOLS", "Tool", "ToolEvent", "register"]
