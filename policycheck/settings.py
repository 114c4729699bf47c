"""Settings declared once, as typed fields: the config-file schema, flags and environment derive from them.

A settings class is a frozen dataclass whose fields are made with :func:`setting`::

    @dataclass(frozen=True)
    class AwsSettings(Settings):
        regions: tuple[str, ...] = setting((), "AWS region to scan.", flag="--region",
                                           items={"pattern": REGION})

From that one declaration come the field's JSON Schema (from its type plus ``schema``/``items``),
its command-line flag (``--region``, repeatable because the type is a tuple), its environment
variable (``POLICYCHECK_AWS_REGIONS``), and the typed value a provider reads
(``settings.regions``). Values from every layer are validated against the same schema, so a
flag is checked exactly like the config file. :mod:`policycheck.resolution` merges the layers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Self, cast

from .errors import ConfigError

__all__ = ["SettingSpec", "Settings", "setting", "value_problem"]

_SPEC = "policycheck.setting"


@dataclass(frozen=True)
class SettingSpec:
    """One declared setting: where it can come from and what it must look like."""

    key: str
    help: str
    schema: Mapping[str, Any]
    flag: str | None = None  # "--region"; "--x/--no-x" for a switch with both forms
    config: bool = True  # may be set in the config file
    env: bool = True  # may be set from the environment
    env_name: str | None = None  # an established variable name instead of the derived one
    metavar: str | None = None
    expect: str | None = None  # what a value must be, for messages: "a region code (e.g. eu-central-1)"
    path: str | None = None  # "always": a path relative to the config file; "if-exists": only when it exists there
    pairs: str = "last"  # KEY=VALUE flags of a map: "last" (YAML value, last wins) or "collect" (texts, a list)
    #: For a flag several providers share (``--dsn``): whether a value given with it belongs to this provider.
    claims: Callable[[str], bool] | None = None

    @property
    def kind(self) -> str:
        """The JSON type: string, integer, number, boolean, array, object."""
        return str(self.schema.get("type", "string"))

    @property
    def repeatable(self) -> bool:
        """The flag may be given several times (a list, or KEY=VALUE pairs of a map)."""
        return self.kind in ("array", "object")

    def env_var(self, section: str) -> str:
        """``POLICYCHECK_[SECTION_]KEY`` unless the setting names its own variable."""
        if self.env_name:
            return self.env_name
        prefix = f"POLICYCHECK_{section}_" if section else "POLICYCHECK_"
        return (prefix + self.key).upper().replace("-", "_")


def setting(default: Any, help: str, *, flag: str | None = None, schema: Mapping[str, Any] | None = None,
            items: Mapping[str, Any] | None = None, config: bool = True, env: bool = True,
            env_name: str | None = None, metavar: str | None = None, path: str | None = None,
            pairs: str = "last", expect: str | None = None, claims: Callable[[str], bool] | None = None) -> Any:
    """A settings field: its default, help text and sources; ``schema`` adds JSON Schema keywords to the
    type's own (``items`` those of a list's items), or replaces them when it has a ``type``/``oneOf``.
    ``claims`` lets providers share one flag: each value goes to the providers whose ``claims`` accepts it."""
    extra = {"schema": dict(schema or {}), "items": dict(items or {}), "help": help, "flag": flag, "config": config,
             "env": env, "env_name": env_name, "metavar": metavar, "path": path, "pairs": pairs,
             "expect": expect, "claims": claims}
    if isinstance(default, list | dict):
        raise TypeError("use a tuple or None as the default of a list or map setting")
    return dataclasses.field(default=default, metadata={_SPEC: extra})


class Settings:
    """Base of a settings dataclass; ``section`` names it in the config file and environment."""

    section: ClassVar[str] = ""
    description: ClassVar[str] = ""

    @classmethod
    def specs(cls) -> tuple[SettingSpec, ...]:
        """The declared settings, in declaration order."""
        return _specs(cast(type, cls))  # cast: mypy finds a class object unhashable

    @classmethod
    def spec(cls, key: str) -> SettingSpec:
        """The declared setting ``key``; KeyError for an undeclared one."""
        return {s.key: s for s in cls.specs()}[key]

    @classmethod
    def json_schema(cls, *, config_only: bool = False) -> dict[str, Any]:
        """JSON Schema of the section: every setting (``config_only``: those a config file may set)."""
        return {
            "type": "object",
            "additionalProperties": False,
            **({"description": cls.description} if cls.description else {}),
            "properties": {s.key: {**s.schema, "description": s.help}
                           for s in cls.specs() if s.config or not config_only},
        }

    @classmethod
    def parse(cls, values: Mapping[str, Any], source: str | None = None) -> Self:
        """Check a mapping of settings (the Python API, a demo estate) against the declaration; one-line
        ConfigError naming the key for an unknown or ill-typed value."""
        from .registry import did_you_mean

        source = source or cls.section or None
        known = [s.key for s in cls.specs()]
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"unknown setting '{key}'{did_you_mean(key, known)}; known: {', '.join(known)}",
                                  source=source)
            if value is None:
                continue
            problem = value_problem(cls.spec(key), _jsonable(value))
            if problem is not None:
                raise ConfigError(problem, source=source)
        try:
            return cls.from_values(values)
        except ConfigError as exc:
            if exc.source is None:
                raise ConfigError(exc.message, source=source) from None
            raise

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> Self:
        """An instance from validated values (JSON shapes: lists become tuples, dates are parsed)."""
        hints = _hints(cast(type, cls))  # cast: mypy finds a class object unhashable
        converted = {}
        for key, value in values.items():
            if value is None:
                continue
            try:
                converted[key] = _convert(hints[key], value)
            except ValueError as exc:
                raise ConfigError(f"{key}: {exc}") from None
        instance = cls(**converted)
        instance.check()
        return instance

    def check(self) -> None:
        """Checks beyond the schema (known regions, ...); raise ConfigError naming the setting."""

    def input_paths(self) -> list[str]:
        """Files the settings name as inputs (settings declared with ``path``), so no output overwrites one."""
        found: list[str] = []
        for spec in self.specs():
            if spec.path:
                value = getattr(self, spec.key)
                found += [str(v) for v in value] if isinstance(value, tuple) else [str(value)] if value else []
        return found

    def values(self) -> dict[str, Any]:
        """The settings as JSON-ready values (for reports and messages)."""
        return {s.key: _jsonable(getattr(self, s.key)) for s in self.specs()}


def value_problem(spec: SettingSpec, value: Any) -> str | None:
    """Why ``value`` does not fit the setting (``regions[0]: 'eu-central-l' is not a region code ...``), or None."""
    from .schema import explain_schema_error, validation_error
    from .yamlsource import format_path

    error = validation_error(dict(spec.schema), value)
    if error is None:
        return None
    where = format_path((spec.key, *error.absolute_path))
    if spec.expect and error.validator in ("pattern", "type", "enum", "format", "minimum", "maximum",
                                           "exclusiveMinimum", "exclusiveMaximum", "oneOf", "anyOf", "minItems"):
        return f"{where}: {error.instance!r} is not {spec.expect}"
    return f"{where}: {explain_schema_error(error)}"


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _specs(cls: type) -> tuple[SettingSpec, ...]:
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        extra = f.metadata.get(_SPEC)
        if extra is None:
            continue
        schema = dict(extra["schema"])
        if not ({"type", "oneOf", "anyOf", "enum"} & schema.keys()):
            schema = {**_type_schema(hints[f.name], extra["items"]), **schema}
        out.append(SettingSpec(f.name, extra["help"], schema, extra["flag"], extra["config"], extra["env"],
                               extra["env_name"], extra["metavar"], extra["expect"], extra["path"], extra["pairs"],
                               extra["claims"]))
    return tuple(out)


_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"}, bool: {"type": "boolean"}, int: {"type": "integer"}, float: {"type": "number"},
    dt.date: {"type": "string", "format": "date"},
}


def _type_schema(hint: Any, items: Mapping[str, Any]) -> dict[str, Any]:
    """JSON Schema of a field type: scalars, ``X | None``, ``tuple[X, ...]`` and ``dict[str, X]``."""
    hint = _without_none(hint)
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple:
        return {"type": "array", "items": {**_type_schema(args[0], {}), **items}}
    if origin is dict:
        value = args[1] if len(args) == 2 else Any
        return {"type": "object", **({"additionalProperties": _type_schema(value, {})} if value is not Any else {})}
    if hint is Any:
        return {}
    raise TypeError(f"no JSON Schema for setting type {hint!r}")


def _without_none(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        return rest[0] if len(rest) == 1 else hint
    return hint


def _convert(hint: Any, value: Any) -> Any:
    hint = _without_none(hint)
    if hint is dt.date and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not a date {value!r} (use YYYY-MM-DD)") from None
    if hint is float and isinstance(value, int):
        return float(value)
    if typing.get_origin(hint) is tuple and isinstance(value, list | tuple):
        item = typing.get_args(hint)[0]
        return tuple(_convert(item, v) for v in value)
    if typing.get_origin(hint) is dict and isinstance(value, Mapping):
        return dict(value)
    return value


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
