"""Output formats, registered in one table: a new format is one module and one ``register`` call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ..registry import Registry
from ..report import Report

__all__ = ["REPORTERS", "Reporter", "load_reporters", "reporter"]


@dataclass(frozen=True)
class Reporter:
    name: str
    description: str
    extension: str
    render: Callable[[Report, bool], str]  # (report, colour) -> text
    #: Optional: the same text in chunks, so a large report is written without holding it whole.
    stream: Callable[[Report, bool], Iterable[str]] | None = None

    def chunks(self, report: Report, colour: bool) -> Iterable[str]:
        return self.stream(report, colour) if self.stream else (self.render(report, colour),)


REPORTERS: Registry[Reporter] = Registry("output format")


def reporter(name: str, description: str, extension: str, *,
             stream: Callable[[Report, bool], Iterable[str]] | None = None,
             ) -> Callable[[Callable[[Report, bool], str]], Callable]:
    """Decorator registering a render function as an output format (``stream``: its chunked form)."""
    def decorate(render: Callable[[Report, bool], str]) -> Callable[[Report, bool], str]:
        REPORTERS.register(name, Reporter(name, description, extension, render, stream))
        return render
    return decorate


def load_reporters() -> Registry[Reporter]:
    """Import the built-in format modules (each registers itself)."""
    from . import json_report, junit, markdown, sarif, text  # noqa: F401

    return REPORTERS
