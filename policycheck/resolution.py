"""Settings resolved in one place: defaults < config file < environment < flags.

Every layer is checked against the schema the settings classes declare (flags and environment
included), and an error names the layer the bad value came from: ``policycheck.yaml:4:10``,
``POLICYCHECK_FAIL_ON`` or ``--fail-on``. ``scan``, ``collect``, ``validate``, ``rules`` and
``permissions`` all resolve through :func:`resolve`; none merges fields by hand.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .provider import BROKEN_PROVIDERS, Provider, load_providers
from .run_settings import RunSettings
from .schema import DRAFT, error_path, explain_schema_error, validation_error
from .settings import Settings, SettingSpec, value_problem
from .yamlsource import YamlDocument, format_path, load_yaml, parse_yaml

__all__ = ["DEFAULT_CONFIG", "Resolved", "config_file_schema", "flag_key", "resolve", "shared_dest"]

DEFAULT_CONFIG = "policycheck.yaml"


def shared_dest(flag: str) -> str:
    """Name under which the values of a flag several providers share arrive (``--dsn`` -> ``shared_flag_dsn``)."""
    return "shared_flag_" + flag.split()[0].lstrip("-").replace("-", "_")


def flag_key(provider: str, key: str) -> str:
    """Name under which a provider flag's value arrives from the command line."""
    return f"{provider}__{key}"


def config_file_schema(providers: Mapping[str, type[Provider]] | None = None) -> dict[str, Any]:
    """JSON Schema of ``policycheck.yaml``: the run settings plus a section per provider."""
    providers = dict(load_providers().items()) if providers is None else providers
    schema = RunSettings.json_schema(config_only=True)
    schema["properties"]["providers"] = {
        "type": "object", "additionalProperties": False,
        "description": "Settings of each provider; a provider configured here is scanned when no --provider is named.",
        "properties": {name: cls.settings_class.json_schema(config_only=True) for name, cls in providers.items()},
    }
    return {"$schema": DRAFT, "title": "policycheck config file", **schema}


@dataclass(frozen=True)
class Resolved:
    """The outcome: run settings, the chosen providers' settings, and the config file used (if any)."""

    run: RunSettings
    providers: dict[str, Settings] = field(default_factory=dict)
    config_source: str | None = None
    #: Run setting -> where its value came from (a file place, a variable, a flag).
    origins: dict[str, str] = field(default_factory=dict)


def resolve(config_path: str | None, flags: Mapping[str, Any], *, provider_names: tuple[str, ...] = (),
            providers_wanted: bool = True, env: Mapping[str, str] | None = None, read_config: bool = True,
            provider_configs: Mapping[str, Mapping[str, Any]] | None = None) -> Resolved:
    """Merge every layer into typed settings.

    ``flags`` are the parsed command-line values (run settings by key, provider settings under
    :func:`flag_key`). Providers are those named with ``--provider`` or implied by one of their
    flags; with none named, every provider the config file sets up. ``provider_configs`` replaces
    the config file's provider sections (the demo estates hand theirs in this way).
    """
    env = os.environ if env is None else env
    registry = load_providers()
    document = _load_file(config_path) if read_config else None
    data = document.data if document and isinstance(document.data, dict) else {}
    origins: dict[str, str] = {}
    run = _resolve_section(RunSettings, _file_layer(RunSettings, data, document), env, flags, "", origins)
    source = document.source if document else None
    if not providers_wanted:
        return Resolved(run, {}, source, origins)
    sections = dict(provider_configs) if provider_configs is not None else dict(data.get("providers") or {})
    flags = _routed(flags, registry)
    chosen = dict.fromkeys(provider_names)
    for key, value in flags.items():
        if "__" in key and _given(value):
            chosen.setdefault(key.split("__", 1)[0])
    if not chosen:
        chosen = dict.fromkeys(sections)
    resolved: dict[str, Settings] = {}
    for name in chosen:
        if name in BROKEN_PROVIDERS:
            raise ConfigError(BROKEN_PROVIDERS[name])
        try:
            cls = registry.get(name)
        except KeyError as exc:
            raise ConfigError(str(exc.args[0]), source="--provider") from None
        section = sections.get(name) or {}
        origin = _FileLayer(section, document, ("providers", name)) if provider_configs is None \
            else _FileLayer(section, None, (), label=f"{name} demo estate")
        provider_flags = {k.split("__", 1)[1]: v for k, v in flags.items() if k.startswith(f"{name}__")}
        resolved[name] = _resolve_section(cls.settings_class, origin, env, provider_flags, name, {})
    return Resolved(run, resolved, source, origins)


def _routed(flags: Mapping[str, Any], registry: Any) -> dict[str, Any]:
    """The values of shared flags (``--dsn``) handed to the providers whose setting claims each one."""
    owners_of: dict[str, list[tuple[str, SettingSpec]]] = {}
    for name, cls in registry.items():
        for spec in cls.settings_class.specs():
            if spec.claims is not None and spec.flag:
                owners_of.setdefault(shared_dest(spec.flag), []).append((name, spec))
    out = {k: v for k, v in flags.items() if k not in owners_of}
    for key, owners in owners_of.items():
        values = flags.get(key) or ()
        if not _given(values):
            continue
        flag = owners[0][1].flag.split()[0]  # type: ignore[union-attr]
        for position, value in enumerate(values, 1):
            takers = [(name, spec) for name, spec in owners if spec.claims(value)]  # type: ignore[misc]
            if not takers:  # the value is not echoed: a DSN may carry a password
                names = ", ".join(sorted({name for name, _ in owners}))
                raise ConfigError(f"value {position} belongs to no provider ({names}): check its form (a DSN "
                                  "starts with its engine's scheme, e.g. postgresql:// or mysql://)", source=flag)
            for name, spec in takers:
                target = flag_key(name, spec.key)
                out[target] = (*(out.get(target) or ()), value)
    return out


# -- layers ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _FileLayer:
    """Values of one config-file section and where each stands."""

    values: Mapping[str, Any]
    document: YamlDocument | None
    prefix: tuple[str, ...]
    label: str | None = None

    def origin(self, *keys: str) -> str:
        if self.document is None:
            return self.label or "config"
        return f"{self.document.source}:{self.document.place((*self.prefix, *keys))}"


def _load_file(config_path: str | None) -> YamlDocument | None:
    """``--config`` or ``./policycheck.yaml`` if present, validated against the generated schema."""
    path = Path(config_path) if config_path else Path(DEFAULT_CONFIG)
    if not config_path and not path.exists():
        return None
    document = load_yaml(path, ConfigError, what="config file", allow_empty=True)
    if document.data is None:
        return document
    schema = config_file_schema({**dict(load_providers().items())})
    for name in BROKEN_PROVIDERS:  # a broken plugin's section is reported when the provider is used
        schema["properties"]["providers"]["properties"].setdefault(name, {})
    error = validation_error(schema, document.data)
    if error is not None:
        where = tuple(error.absolute_path)
        raise ConfigError(f"{format_path(where)}: {explain_schema_error(error)}", source=str(path),
                          place=document.place(error_path(error)))
    return document


def _file_layer(model: type[Settings], data: Mapping[str, Any], document: YamlDocument | None) -> _FileLayer:
    keys = {s.key for s in model.specs() if s.config}
    return _FileLayer({k: v for k, v in data.items() if k in keys}, document, ())


def _resolve_section(model: type[Settings], file_layer: _FileLayer, env: Mapping[str, str],
                     flags: Mapping[str, Any], section: str, origins: dict[str, str]) -> Any:
    """One section's settings from its file values, its environment variables and its flags; maps merge
    key by key across layers, every other value is replaced by the later layer."""
    values: dict[str, Any] = {}
    base = Path(file_layer.document.source).parent if file_layer.document else None
    for spec in model.specs():
        variable = spec.env_var(section)
        layers: tuple[tuple[Any, Callable[..., Any], str], ...] = (
            (file_layer.values.get(spec.key), lambda v, s=spec: _relative(s, v, base), file_layer.origin(spec.key)),
            (_env_value(env, variable) if spec.env else None, lambda v, s=spec, n=variable: _from_env(s, v, n),
             variable),
            (_flag_value(spec, flags.get(spec.key)), lambda v, s=spec: _from_flag(s, v),
             spec.flag.split("/")[0].split()[0] if spec.flag else ""),
        )
        for raw, convert, origin in layers:
            if not _given(raw):
                continue
            value = convert(raw)
            if isinstance(value, dict):
                from_file = raw is file_layer.values.get(spec.key)
                origins.update({f"{spec.key}.{name}": file_layer.origin(spec.key, name) if from_file else origin
                                for name in value})
                if isinstance(values.get(spec.key), dict):
                    value = {**values[spec.key], **value}
            values[spec.key] = value
            origins[spec.key] = origin
            _check_value(spec, value, origin)
    try:
        return model.from_values(values)
    except ConfigError as exc:
        key = next((k for k in origins if exc.message.startswith((f"{k}:", f"{k}[", f"{k}."))), None)
        if exc.source is None and key is not None:  # name the layer the offending value came from
            raise ConfigError(exc.message, source=origins[key]) from None
        raise


def _check_value(spec: SettingSpec, value: Any, origin: str) -> None:
    problem = value_problem(spec, value)
    if problem is not None:
        raise ConfigError(problem, source=origin)


def _flag_value(spec: SettingSpec, value: Any) -> Any:
    """A flag's value; None when it was not given (a plain switch left off reads False)."""
    if spec.flag is None or (value is False and "/" not in spec.flag):
        return None
    return value


def _env_value(env: Mapping[str, str], variable: str) -> str:
    """A variable's value; empty counts as unset, but only white space is a mistake (a blank key is no secret)."""
    text = env.get(variable, "")
    if text and not text.strip():
        raise ConfigError("set to only white space; unset it or give a value", source=variable)
    return text.strip()


def _given(value: Any) -> bool:
    return value not in (None, "", (), [], {})


def _relative(spec: SettingSpec, value: Any, base: Path | None) -> Any:
    """Paths in a config file are relative to its folder (a built-in pack name stays as written)."""
    if base is None or spec.path is None:
        return value

    def one(item: Any) -> Any:
        if not isinstance(item, str) or Path(item).is_absolute():
            return item
        candidate = base / item
        return str(candidate) if spec.path == "always" or candidate.exists() else item

    return [one(v) for v in value] if isinstance(value, list) else one(value)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _from_env(spec: SettingSpec, text: str, variable: str) -> Any:
    """An environment value in the setting's type: lists comma-separated, maps as YAML."""
    text = text.strip()
    if spec.kind == "array":
        return [part.strip() for part in text.split(",") if part.strip()]
    if spec.kind == "boolean":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ConfigError(f"expected true or false, got {text!r}", source=variable)
    if spec.kind in ("integer", "number"):
        try:
            return int(text) if spec.kind == "integer" else float(text)
        except ValueError:
            what = "a whole number" if spec.kind == "integer" else "a number"
            raise ConfigError(f"expected {what}, got {text!r}", source=variable) from None
    if spec.kind == "object":
        return _yaml_value(text, variable)
    return text


def _from_flag(spec: SettingSpec, value: Any) -> Any:
    if spec.kind == "object":
        return _pairs(spec, value)
    if spec.kind == "array":
        return list(value)
    return value


def _pairs(spec: SettingSpec, items: tuple[str, ...]) -> dict[str, Any]:
    """``KEY=VALUE`` flags as a map: YAML values where the map holds any value, else text; a key given
    twice in a map of lists collects both."""
    flag = spec.flag.split()[0] if spec.flag else spec.key
    collect = spec.pairs == "collect"
    result: dict[str, Any] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ConfigError(f"{flag} needs {spec.metavar or 'KEY=VALUE'}, got {item!r}", source=flag)
        if collect:
            result.setdefault(name, []).append(raw.strip())
            continue
        try:
            result[name] = _yaml_value(raw, flag) if raw.strip() else ""
        except ConfigError as exc:
            raise ConfigError(f"{flag} {name}: value is not valid YAML ({exc.message})", source=flag) from None
    return result


def _yaml_value(text: str, source: str) -> Any:
    """A value in YAML syntax, with the same safe loader and node budget as files."""
    return parse_yaml(text, source, ConfigError, allow_empty=True).data
