"""Where each requested output format goes: ``-f json -o report.json`` or ``-f json=report.json``."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .registry import did_you_mean
from .report import Report
from .reporters import REPORTERS, load_reporters

__all__ = ["STDOUT", "Output", "resolve_outputs", "write_outputs"]

STDOUT = "-"


@dataclass(frozen=True)
class Output:
    """One report to write: a registered format and where it goes."""

    format: str
    path: str  # "-" for standard output


def resolve_outputs(formats: list[str], paths: list[str], configured: list[dict[str, str]]) -> list[Output]:
    """Pair formats with paths; the default is ``text`` on standard output."""
    load_reporters()
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
        if output.format not in REPORTERS:
            raise ConfigError(f"unknown output format '{output.format}'{did_you_mean(output.format, REPORTERS.names())}"
                              f"; choose from: {', '.join(REPORTERS.names())}", source="--format")
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
        path = Path(output.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as handle:
                handle.writelines(chosen.chunks(report, False))
        except OSError as exc:
            raise ConfigError(f"cannot write output: {exc.strerror}", source=output.path) from None


def _colour() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
