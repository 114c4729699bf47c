"""Where each requested output format goes: ``-f json -o report.json`` or ``-f json=report.json``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .errors import ConfigError
from .registry import did_you_mean
from .report import Report
from .reporters import REPORTERS, formats_for

__all__ = ["STDOUT", "Output", "replace_on_success", "resolve_outputs", "write_outputs", "write_text"]

STDOUT = "-"


@dataclass(frozen=True)
class Output:
    """One report to write: a registered format and where it goes."""

    format: str
    path: str  # "-" for standard output


def resolve_outputs(formats: list[str], paths: list[str], configured: list[dict[str, str]]) -> list[Output]:
    """Pair formats with paths; the default is ``text`` on standard output."""
    choices = formats_for("report")
    requested = [_split(f) for f in formats]
    without_path = [i for i, (_, path) in enumerate(requested) if path is None]
    if paths:
        if len(paths) != len(without_path):
            raise ConfigError(f"{len(paths)} --output value(s) for {len(without_path)} --format value(s) without a "
                              "path; pair them in order or write --format FORMAT=PATH")
        for index, path in zip(without_path, paths, strict=True):
            requested[index] = (requested[index][0], path)
    outputs = [Output(name, path or STDOUT) for name, path in requested]
    if not outputs:
        outputs = [Output(c["format"], c.get("path", STDOUT)) for c in configured] or [Output("text", STDOUT)]
    for output in outputs:
        if output.format not in choices:
            raise ConfigError(f"unknown output format '{output.format}'{did_you_mean(output.format, choices)}"
                              f"; choose from: {', '.join(choices)}", source="--format")
    if sum(1 for o in outputs if o.path == STDOUT) > 1:
        raise ConfigError("only one format can go to standard output; give the others a path with --output",
                          source="--format")
    return outputs


def _split(text: str) -> tuple[str, str | None]:
    name, sep, path = text.partition("=")
    return name.strip(), (path.strip() or None) if sep else None


def write_outputs(report: Report, outputs: list[Output]) -> None:
    """Render and write every output (files first, so a broken terminal loses nothing)."""
    for output in sorted(outputs, key=lambda o: o.path == STDOUT):
        chosen = REPORTERS.get(output.format)
        if output.path == STDOUT:
            sys.stdout.writelines(chosen.chunks(report, _colour()))
            sys.stdout.flush()
            continue
        with replace_on_success(output.path) as handle:
            handle.writelines(chosen.chunks(report, False))


def write_text(path: str, text: str) -> None:
    """``text`` to standard output (``-``) or, completely or not at all, to a file."""
    if path == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with replace_on_success(path) as handle:
        handle.write(text)


@contextlib.contextmanager
def replace_on_success(path: str) -> Iterator[TextIO]:
    """Write beside ``path`` and move the file into place only once complete, so a failed run neither
    leaves a truncated file nor clobbers a previous good one."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = open(partial, "w", encoding="utf-8")  # noqa: SIM115 (closed below, then renamed)
    except OSError as exc:
        raise ConfigError(f"cannot write output: {exc.strerror}", source=path) from None
    try:
        with handle:
            yield handle
        os.replace(partial, target)
    except OSError as exc:
        raise ConfigError(f"cannot write output: {exc.strerror}", source=path) from None
    finally:
        partial.unlink(missing_ok=True)


def _colour() -> bool:
    from .console import wants_colour

    return wants_colour(sys.stdout)
