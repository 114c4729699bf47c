"""What a CI log shows: colour decided by ``NO_COLOR``/``FORCE_COLOR``, ``--quiet``/``--compact``, the verdict line."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

from .outputs import STDOUT, Output
from .report import Report
from .verdict import STATUS_STYLE, Verdict, verdict_line

__all__ = ["console_outputs", "wants_colour", "write_verdict"]

#: ANSI codes of the verdict styles (no terminal library needed for one line).
_ANSI = {"bold red": "\x1b[1;31m", "bold green": "\x1b[1;32m", "bold yellow": "\x1b[1;33m"}
_RESET = "\x1b[0m"


def wants_colour(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour on ``stream``: never with a non-empty ``NO_COLOR`` (no-color.org), always with ``FORCE_COLOR``
    set to anything but empty/0/false (CI logs that render ANSI), else only on a terminal."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "").strip().lower() not in ("", "0", "false", "no"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def console_outputs(outputs: list[Output], *, quiet: bool, compact: bool) -> list[Output]:
    """``--quiet``: nothing on standard output (files are still written); ``--compact``: the text report on
    standard output becomes one line per failing finding."""
    if quiet:
        return [o for o in outputs if o.path != STDOUT]
    if compact:
        return [Output("compact", STDOUT) if o.path == STDOUT and o.format == "text" else o for o in outputs]
    return outputs


def write_verdict(report: Report, stream: TextIO) -> None:
    """The one verdict line, on ``stream`` (stderr), coloured when wanted."""
    line = verdict_line(report)
    if wants_colour(stream):
        status = Verdict.of(report).status
        line = line.replace(status, f"{_ANSI[STATUS_STYLE[status]]}{status}{_RESET}", 1)
    stream.write(line + "\n")
    stream.flush()
