"""Where a rule is defined, as a path CI systems can show: relative to the checkout when possible.

A cloud resource has no source file, so CI reports point at the policy file and line that
define the rule. A policy file inside the working directory (the repository checkout) is
given relative to it; a built-in pack relative to the installed package, which keeps the
path stable across Python versions and machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["PACKAGE_ROOT", "SRCROOT", "SourcePath", "locate", "roots"]

#: SARIF base ids: the checkout (GitHub resolves relative paths against it) and the installed package.
SRCROOT = "%SRCROOT%"
PACKAGE_ROOT = "POLICYCHECK_PACKAGE"


@dataclass(frozen=True)
class SourcePath:
    """A policy file as a URI path relative to ``base`` (None when neither base contains it)."""

    path: str
    base: str | None


def roots() -> dict[str, Path]:
    """Base id -> absolute folder, checked in this order."""
    package_parent = Path(str(resources.files("policycheck"))).resolve().parent
    return {SRCROOT: Path.cwd().resolve(), PACKAGE_ROOT: package_parent}


def locate(source: str) -> SourcePath:
    """``source`` relative to the first root containing it, else its absolute path."""
    if not source:
        return SourcePath("policy", None)
    path = Path(source).resolve()
    for base, root in roots().items():
        if path.is_relative_to(root):
            return SourcePath(path.relative_to(root).as_posix(), base)
    return SourcePath(path.as_posix(), None)

