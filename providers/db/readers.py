"""Who can read a table: direct grants expanded through role membership (both engines)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["PUBLIC", "expand"]

PUBLIC = "PUBLIC"


def expand(grantees: Iterable[str], members: Mapping[str, Iterable[str]], logins: set[str] | None = None) -> list[str]:
    """Grantees plus every role that is (transitively) a member of one; only login roles when ``logins`` is given.

    ``members`` maps a role to the roles that inherit its privileges. ``PUBLIC`` stays as is.
    """
    seen: set[str] = set()
    todo = list(grantees)
    while todo:
        role = todo.pop()
        if role in seen:
            continue
        seen.add(role)
        todo.extend(members.get(role, ()))
    return sorted(r for r in seen if r == PUBLIC or logins is None or r in logins)
