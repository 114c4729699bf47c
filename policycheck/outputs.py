"""Where each requested output format goes: ``-f json -o report.json`` or ``-f json=report.json``.

Every file is written atomically (:func:`replace_on_success`): to a temporary file beside it,
renamed into place only once complete, removed on failure or interrupt, so the previous good
report survives anything short of success. An output path that is a symlink, one of the run's
inputs, or given for two formats is refused before anything is collected.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .errors import ConfigError, PolicycheckError
from .registry import did_you_mean
from .report import Report
from .reporters import REPORTERS, formats_for

__all__ = ["STDOUT", "Output", "check_output_paths", "replace_on_success", "resolve_outputs", "write_outputs",
           "write_text"]

STDOUT = "-"


@dataclass(frozen=True)
class Output:
    """One report to write: a registered format and where it goes."""

    format: str
    path: str  # "-" for standard output


def resolve_outputs(formats: list[str], paths: list[str], configured: list[dict[str, str]],
                    inputs: Sequence[str] = ()) -> list[Output]:
    """Pair formats with paths; the default is ``text`` on standard output. ``inputs``: files the run reads,
    which no output may overwrite (see :func:`check_output_paths`)."""
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
    check_output_paths([o.path for o in outputs if o.path != STDOUT], inputs)
    return outputs


def check_output_paths(paths: Sequence[str], inputs: Sequence[str] = ()) -> None:
    """Refuse an output path given twice, one that is an input of the run, or a symlink."""
    seen: dict[str, str] = {}
    read = {_identity(p): p for p in inputs if p and p != STDOUT}
    for path in paths:
        key = _identity(path)
        if key in seen:
            raise ConfigError(f"given for two outputs (also as '{seen[key]}'); each format needs its own file",
                              source=path)
        if key in read:
            raise ConfigError(f"is an input of this run ('{read[key]}'); choose another output path", source=path)
        seen[key] = path
        _refuse_symlink(Path(path))


def _identity(path: str) -> str:
    """The file a path names, with symlinks and ``..`` resolved (it need not exist)."""
    return os.path.realpath(os.path.abspath(path))


def _refuse_symlink(target: Path) -> None:
    if target.is_symlink():
        raise ConfigError("is a symbolic link; policycheck does not write through links (give the real path)",
                          source=str(target))


def _split(text: str) -> tuple[str, str | None]:
    name, sep, path = text.partition("=")
    return name.strip(), (path.strip() or None) if sep else None


def write_outputs(report: Report, outputs: list[Output]) -> list[str]:
    """Render and write every output (files first, so a broken terminal loses nothing); the failures.

    One failing output never stops the others: each failure is one line (``report.json: cannot
    write output: ...``) and the caller exits 2 once every output was tried. A failed
    file output leaves the previous file as it was.
    """
    failures = []
    for output in sorted(outputs, key=lambda o: o.path == STDOUT):
        chosen = REPORTERS.get(output.format)
        try:
            if output.path == STDOUT:
                sys.stdout.writelines(chosen.chunks(report, _colour()))
                sys.stdout.flush()
                continue
            with replace_on_success(output.path) as handle:
                handle.writelines(chosen.chunks(report, False))
        except PolicycheckError as exc:
            failures.append(str(exc))
        except Exception as exc:  # a writer's bug must not cost the other formats their report
            failures.append(f"{output.path}: cannot render {output.format}: {type(exc).__name__}: {exc}")
    return failures


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
    """Write to a temporary file beside ``path`` and rename it into place only once complete, so a failed or
    interrupted run (the CLI turns SIGINT/SIGTERM into exceptions) neither leaves a truncated file nor
    clobbers a previous good one. A symlink at ``path`` is refused, not followed."""
    target = Path(path)
    _refuse_symlink(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write output: {exc.strerror}", source=path) from None
    # named before it exists, so an interrupt at any point after its creation still removes it
    partial = target.parent / f".{target.name}.{secrets.token_hex(6)}.partial"
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(descriptor, "w", encoding="utf-8") as handle:
            yield handle
        _refuse_symlink(target)  # not planted while we wrote
        os.chmod(partial, 0o666 & ~_umask())
        os.replace(partial, target)
    except OSError as exc:
        raise ConfigError(f"cannot write output: {exc.strerror}", source=path) from None
    finally:
        partial.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _colour() -> bool:
    from .console import wants_colour

    return wants_colour(sys.stdout)
