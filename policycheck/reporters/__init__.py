"""Output formats, registered in one table.

A format renders one or more subjects: a scan ``report``, a report ``diff``, the loaded ``rules``,
the ``attributes`` schema. A renderer registers itself with :func:`renders` (or :func:`reporter`
for a report), so a new format, or a new subject of a format, is one module and one decorator:
``--format`` choices, ``diff -f``/``rules -f`` choices and the Action's output handling read this
table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError
from ..registry import Registry, did_you_mean
from ..report import Report

__all__ = ["REPORTERS", "SUBJECTS", "Reporter", "formats_for", "load_reporters", "renderer_of", "renders", "reporter"]

#: What can be rendered: a scan report, a diff of two reports, the loaded rules, the attribute schema.
SUBJECTS = ("report", "diff", "rules", "attributes")

Render = Callable[[Any, bool], str]  # (subject, colour) -> text
Stream = Callable[[Any, bool], Iterable[str]]


@dataclass
class Reporter:
    """One output format and the subjects it renders."""

    name: str
    description: str
    extension: str
    renderers: dict[str, Render] = field(default_factory=dict)
    streams: dict[str, Stream] = field(default_factory=dict)

    def render(self, report: Report, colour: bool = False) -> str:
        """The whole report as text."""
        return self.renderers["report"](report, colour)

    def chunks(self, subject: Any, colour: bool, *, kind: str = "report") -> Iterable[str]:
        """``subject`` as text in chunks, so a large report is written without holding it whole."""
        stream = self.streams.get(kind)
        return stream(subject, colour) if stream else (self.renderers[kind](subject, colour),)


REPORTERS: Registry[Reporter] = Registry("output format")


def renders(subject: str, name: str, description: str = "", extension: str = "", *,
            stream: Stream | None = None) -> Callable[[Render], Render]:
    """Decorator registering a function as format ``name``'s renderer of ``subject``."""
    if subject not in SUBJECTS:
        raise ValueError(f"unknown subject '{subject}'")

    def decorate(render: Render) -> Render:
        entry = REPORTERS.get(name) if name in REPORTERS else None
        if entry is None:
            entry = Reporter(name, description, extension or name)
            REPORTERS.register(name, entry)
        elif subject == "report":  # the report renderer describes the format
            entry.description, entry.extension = description or entry.description, extension or entry.extension
        entry.renderers[subject] = render
        if stream is not None:
            entry.streams[subject] = stream
        return render
    return decorate


def reporter(name: str, description: str, extension: str, *,
             stream: Stream | None = None) -> Callable[[Render], Render]:
    """Decorator registering a report renderer (the ``scan --format`` choices)."""
    return renders("report", name, description, extension, stream=stream)


def formats_for(subject: str) -> list[str]:
    """Format names that render ``subject``, sorted."""
    load_reporters()
    return [name for name, entry in REPORTERS.items() if subject in entry.renderers]


def renderer_of(subject: str, name: str, source: str = "--format") -> Reporter:
    """The format ``name`` for ``subject``; a one-line ConfigError naming the choices otherwise."""
    choices = formats_for(subject)
    if name not in choices:
        raise ConfigError(f"unknown output format '{name}'{did_you_mean(name, choices)}; choose from: "
                          f"{', '.join(choices)}", source=source)
    return REPORTERS.get(name)


def load_reporters() -> Registry[Reporter]:
    """Import the built-in renderer modules (each registers itself)."""
    from .. import diff, docs  # noqa: F401  (diff and rules renderers)
    from . import codequality, compact, html, json_report, junit, markdown, ocsf, sarif, text  # noqa: F401

    return REPORTERS
