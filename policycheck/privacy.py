"""Keyed pseudonyms for personal identifiers, so reports do not become a store of personal data.

An owner's e-mail, a person's name, a serial number or a host name is replaced by
``<kind>-<16 hex digits>``: the first 64 bits of HMAC-SHA256 under a secret key. The same key
gives the same pseudonym in every run (baselines and waivers keep working); without the key
the pseudonym cannot be reversed by hashing a list of candidate e-mails. The key comes from
``ProviderContext.pseudonym_key`` (set from the config) or the environment variable
``POLICYCHECK_PSEUDONYM_KEY``. ``--reveal-identities`` turns pseudonymisation off.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from _hashlib import HASH

ENV_VAR = "POLICYCHECK_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16

__all__ = ["ENV_VAR", "Pseudonymiser", "resolve_key"]


def resolve_key(explicit: bytes | str | None = None, env: Mapping[str, str] | None = None) -> bytes | None:
    """The pseudonym key: the explicit one (config) first, then the environment; None if neither is set."""
    env = os.environ if env is None else env
    for candidate in (explicit, env.get(ENV_VAR)):
        if candidate:
            key = candidate.encode("utf-8") if isinstance(candidate, str) else bytes(candidate)
            if len(key) < MIN_KEY_BYTES:
                raise ConfigError(f"the pseudonym key ({ENV_VAR}) must be at least {MIN_KEY_BYTES} bytes long")
            return key
    return None


def _hmac_pads(key: bytes) -> tuple[HASH, HASH]:
    """SHA-256 states after the HMAC inner and outer key pads (RFC 2104), copied per message.

    The same result as ``hmac.new(key, msg, "sha256")``, without its per-call Python wrapper.
    """
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))


_BLOCK = 64
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))


def _normal(kind: str, value: str) -> str:
    """The canonical text of an identifier: e-mails and serials ignore case and surrounding space."""
    return f"{kind}\x1f{value.strip().casefold()}"


class Pseudonymiser:
    """Replaces identifiers by keyed pseudonyms, or passes them through when identities are revealed."""

    __slots__ = ("_cache", "_inner", "_outer", "reveal")

    #: Kinds whose values recur across many records (one owner, many devices): worth remembering.
    repeating = frozenset({"owner"})
    CACHE_SIZE = 65536

    def __init__(self, key: bytes | None, *, reveal: bool = False):
        self.reveal = reveal
        if not reveal and not key:
            raise ConfigError(
                f"set {ENV_VAR} (a secret of at least {MIN_KEY_BYTES} characters, the same in every run) so owners "
                "and serial numbers can be pseudonymised, or pass --reveal-identities"
            )
        self._inner: HASH | None
        self._outer: HASH | None
        self._inner, self._outer = (None, None) if reveal else _hmac_pads(key or b"")
        self._cache: dict[tuple[str, str], str] = {}

    @classmethod
    def from_context(cls, key: bytes | str | None, *, reveal: bool, env: Mapping[str, str] | None = None
                     ) -> Pseudonymiser:
        """Build from the run's settings: ``key`` from the config, else the environment."""
        return cls(None if reveal else resolve_key(key, env), reveal=reveal)

    def __call__(self, kind: str, value: str | None) -> str | None:
        """``kind-<hex>`` for ``value`` (None stays None); ``value`` itself when identities are revealed."""
        if value is None or value == "":
            return None
        if self._inner is None or self._outer is None:
            return value
        repeating = kind in self.repeating
        if repeating:
            cached = self._cache.get((kind, value))
            if cached is not None:
                return cached
        inner, outer = self._inner.copy(), self._outer.copy()
        inner.update(_normal(kind, value).encode("utf-8"))
        outer.update(inner.digest())
        pseudonym = f"{kind}-{outer.hexdigest()[:16]}"
        if repeating:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[(kind, value)] = pseudonym
        return pseudonym
