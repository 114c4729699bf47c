"""The command line: scan, collect, validate, rules, schema, permissions, demo.

Only this layer turns errors into exit codes: 0 no failing finding at or above the threshold,
1 failing findings (or collection errors), 2 usage, configuration or policy error.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click
import yaml

from . import __version__
from .config import Config, load_config
from .engine import DEFAULT_WORKERS
from .errors import ConfigError, PolicycheckError
from .loader import Overrides
from .model import SEVERITIES, Severity
from .outputs import resolve_outputs, write_outputs
from .provider import BROKEN_PROVIDERS, ProviderOption, load_providers
from .report import Report, Thresholds
from .run import ScanOptions, run_scan
from .waivers import DEFAULT_MAX_DAYS

__all__ = ["main"]

DEFAULT_PACK = "gdpr-customer-service"


class ProviderCommand(click.Command):
    """A command whose ``--provider`` choices and provider options come from the provider registry.

    They are read when the command is parsed or its help is shown, not at import: ``policycheck
    --help`` loads no provider, and a provider registered later (a plugin, a test) is included.
    Each provider option sits right after ``--provider``, in registry order.
    """

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        names = [p.name or "" for p in self.params]
        if "provider_names" in names:
            added = []
            for name, cls in load_providers().items():
                for option in cls.options:
                    decls, kwargs = _provider_option(name, option)
                    if decls[1] not in names:
                        added.append(click.Option(decls, **kwargs))
            # after --provider and the provider options already there ("NAME__KEY")
            position = max(i for i, name in enumerate(names) if name == "provider_names" or "__" in name)
            self.params[position + 1:position + 1] = added
            self.params[names.index("provider_names")].type = click.Choice(_provider_choices())
        return super().get_params(ctx)


class PolicycheckGroup(click.Group):
    """Turns every PolicycheckError into one line on stderr and exit code 2; --debug shows tracebacks."""

    command_class = ProviderCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicycheckError as exc:
            if ctx.meta.get("debug"):
                traceback.print_exc()
            click.echo(f"policycheck: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # a bug: still one line unless --debug
            if ctx.meta.get("debug"):
                traceback.print_exc()
            click.echo(f"policycheck: internal error: {type(exc).__name__}: {exc} (run with --debug for details)",
                       err=True)
            ctx.exit(2)


@click.group(cls=PolicycheckGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policycheck")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Check the data stores and devices of a customer-service operation against GDPR policies."""
    ctx.meta["debug"] = debug


# -- shared options ------------------------------------------------------------------------
def _policy_options(func: Callable) -> Callable:
    func = click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
                        help="Override a policy param (value in YAML syntax, e.g. '[EU, EEA]').")(func)
    func = click.option("--policy", "-p", "policies", multiple=True, metavar="FILE|DIR|PACK",
                        help=f"Policy file, folder or built-in pack (repeatable; default {DEFAULT_PACK}).")(func)
    return click.option("--config", "config_path", type=click.Path(dir_okay=False),
                        help="Config file (default ./policycheck.yaml if present).")(func)


def _provider_options(func: Callable) -> Callable:
    """Add --provider; its choices and each provider's own options are filled in by :class:`ProviderCommand`."""
    return click.option("--provider", "provider_names", multiple=True, type=click.Choice([]),
                        help="Provider to collect from (repeatable; implied by its options or the config file).")(func)


def _provider_option(name: str, option: ProviderOption) -> tuple[list[str], dict[str, Any]]:
    """click declarations and settings of one provider option; its value lands in ``NAME__KEY``."""
    return [option.flag, f"{name}__{option.key}"], {
        "multiple": option.multiple and not option.is_flag, "is_flag": option.is_flag, "default": None,
        "help": f"[{name}] {option.help}"}


def _output_options(func: Callable) -> Callable:
    func = click.option("--output", "-o", "output_paths", multiple=True, metavar="PATH",
                        help="File for the matching --format (in order); '-' is standard output.")(func)
    return click.option("--format", "-f", "formats", multiple=True, metavar="FORMAT[=PATH]",
                        help="Output format (repeatable): text, json, sarif, junit, markdown.")(func)


def _parse_params(config: Config, params: tuple[str, ...]) -> dict[str, Any]:
    configured = config.get("params") or {}
    merged = Overrides(configured, dict.fromkeys(configured, f"{config.source}: params"))
    for item in params:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--param needs NAME=VALUE, got {item!r}", source="--param")
        try:
            merged[name.strip()] = yaml.safe_load(raw) if raw.strip() else ""
            merged.sources[name.strip()] = "--param"
        except yaml.YAMLError as exc:
            raise ConfigError(f"--param {name}: value is not valid YAML ({exc.problem})", source="--param") from None
    return merged


def _provider_configs(config: Config, names: tuple[str, ...], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    chosen = dict.fromkeys(names)
    configs = {name: config.provider(name) for name in (config.get("providers") or {})}
    for key, value in values.items():
        if "__" not in key or value in (None, (), False):
            continue
        provider, option = key.split("__", 1)
        configs.setdefault(provider, {})[option] = list(value) if isinstance(value, tuple) else value
        chosen.setdefault(provider)
    if not chosen:  # none named on the command line: every provider the config file sets up
        chosen = dict.fromkeys(configs)
    return {name: configs.get(name, {}) for name in chosen}


def _provider_choices() -> list[str]:
    """Loaded providers, plus plugins that failed to load: asking for one reports why (see run.instantiate)."""
    return sorted({*load_providers().names(), *BROKEN_PROVIDERS})


def _load(config_path: str | None) -> Config:
    schemas = {name: cls.config_schema for name, cls in load_providers().items()}
    schemas.update({name: {} for name in BROKEN_PROVIDERS if name not in schemas})  # reported when used
    return load_config(config_path, schemas)


def _policies(config: Config, policies: tuple[str, ...]) -> list[str]:
    return list(policies) or config.policies() or [DEFAULT_PACK]


def _scan_with_progress(options: ScanOptions) -> Report:
    """Run the scan, with a live counter on a terminal."""
    display, progress = _progress()
    with display:
        return run_scan(options, progress=progress)


def _progress() -> tuple[contextlib.AbstractContextManager, Callable | None]:
    """A live counter on stderr when it is a terminal; nothing otherwise."""
    if not sys.stderr.isatty():
        return contextlib.nullcontext(), None
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} resources"),
                        TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("scanning", total=None)
    return progress, lambda resource: progress.update(task, advance=1, description=f"scanning {resource.type}")


# -- scan ------------------------------------------------------------------------------------
@main.command()
@_policy_options
@_provider_options
@click.option("--snapshot", "snapshots", multiple=True, type=click.Path(dir_okay=False),
              help="Evaluate a snapshot written by 'policycheck collect' (no cloud access).")
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waiver file.")
@click.option("--max-waiver-days", type=click.IntRange(min=1),
              help=f"Longest allowed waiver (default {DEFAULT_MAX_DAYS} days).")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Previous JSON report: fail only on new findings.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity that fails the run (default low).")
@click.option("--fail-on-error/--no-fail-on-error", default=None,
              help="Whether error results (values that could not be read) fail the run (default: they do).")
@_output_options
@click.option("--no-passed", is_flag=True, help="Leave passing findings out of reports (counts remain).")
@click.option("--reveal-identities", is_flag=True, help="Show device owners and serials instead of pseudonyms.")
@click.option("--workers", type=click.IntRange(1, 256),
              help=f"Concurrent resource evaluations (default {DEFAULT_WORKERS}).")
@click.option("--evaluation-date", type=click.DateTime(["%Y-%m-%d"]), help="Evaluate as of this date "
              "(default today), for reproducible reports.")
def scan(config_path, policies, params, provider_names, snapshots, waivers, max_waiver_days, baseline, fail_on,
         fail_on_error, formats, output_paths, no_passed, reveal_identities, workers, evaluation_date,
         **provider_values):
    """Collect resources and evaluate the policies against them."""
    config = _load(config_path)
    outputs = resolve_outputs(list(formats), list(output_paths), config.get("outputs") or [])
    options = ScanOptions(
        policies=_policies(config, policies),
        params=_parse_params(config, params),
        providers=_provider_configs(config, provider_names, provider_values),
        snapshots=[Path(s) for s in snapshots],
        waivers=Path(waivers) if waivers else (Path(config.path("waivers")) if config.get("waivers") else None),
        max_waiver_days=max_waiver_days or config.get("max_waiver_days", DEFAULT_MAX_DAYS),
        baseline=Path(baseline) if baseline else (Path(config.path("baseline")) if config.get("baseline") else None),
        thresholds=Thresholds(
            Severity.parse(fail_on or config.get("fail_on", "low")),
            fail_on_error if fail_on_error is not None else config.get("fail_on_error", True)),
        workers=workers or config.get("workers", DEFAULT_WORKERS),
        keep_passed=not no_passed,
        reveal_identities=reveal_identities,
        today=evaluation_date.date() if evaluation_date else None,
    )
    report = _scan_with_progress(options)
    write_outputs(report, outputs)
    sys.exit(report.exit_code)


# -- collect -----------------------------------------------------------------------------------
@main.command()
@_policy_options
@_provider_options
@click.option("--all-attributes", is_flag=True, help="Collect every attribute, not only those the policies read.")
@click.option("--output", "-o", "output_path", default="-", metavar="PATH", help="Snapshot file (default stdout).")
@click.option("--reveal-identities", is_flag=True, help="Keep device owners and serials instead of pseudonyms.")
def collect(config_path, policies, params, provider_names, all_attributes, output_path, reveal_identities,
            **provider_values):
    """Collect resources into a versioned JSON snapshot for later offline scans."""
    from .attributes import RESOURCE_TYPES
    from .concurrency import map_bounded
    from .loader import load_packs
    from .provider import CollectPlan
    from .run import collect_resources, instantiate, plan_for, provider_context
    from .snapshot import write_snapshot

    config = _load(config_path)
    configs = _provider_configs(config, provider_names, provider_values)
    if not configs:
        raise ConfigError("nothing to collect: name a --provider (or configure one in policycheck.yaml)")
    plan = CollectPlan() if all_attributes else plan_for(load_packs(_policies(config, policies),
                                                                    _parse_params(config, params)))
    providers = {n: instantiate(n, c, provider_context(reveal_identities)) for n, c in configs.items()}

    def materialised(resource):
        known_type = resource.type in RESOURCE_TYPES
        resource.load(sorted(plan.groups(RESOURCE_TYPES.get(resource.type)) | {"tags"})
                      if known_type and plan.needs is not None else None)
        return resource

    loaded = map_bounded(materialised, collect_resources(providers, plan), workers=plan.max_workers,
                         inline=lambda resource: not resource.has_pending_fetch)
    def problems() -> list[dict[str, str]]:
        return sorted(({"provider": name, "scope": scope, "message": message}
                       for name, provider in providers.items() for scope, message in provider.context.problems),
                      key=lambda p: (p["provider"], p["scope"], p["message"]))

    if output_path == "-":
        count = write_snapshot(loaded, sys.stdout, version=__version__, sources=list(configs), problems=problems)
    else:
        with _replace_on_success(output_path) as handle:
            count = write_snapshot(loaded, handle, version=__version__, sources=list(configs), problems=problems)
    click.echo(f"collected {count} resources", err=True)
    for problem in problems():  # kept in the snapshot too, so a scan of it fails the same way
        click.echo(f"policycheck: collection error [{problem['provider']}] {problem['scope']}: {problem['message']}",
                   err=True)
    sys.exit(1 if problems() else 0)


@contextlib.contextmanager
def _replace_on_success(path: str) -> Iterator[TextIO]:
    """Write beside ``path`` and move the file into place only once complete, so a failed collection
    neither leaves a truncated snapshot nor clobbers a previous good one."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        handle = open(partial, "w", encoding="utf-8")  # noqa: SIM115 (closed below, then renamed)
    except OSError as exc:
        raise ConfigError(f"cannot write snapshot: {exc.strerror}", source=path) from None
    try:
        with handle:
            yield handle
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


# -- validate ----------------------------------------------------------------------------------
@main.command()
@_policy_options
@click.option("--waivers", type=click.Path(dir_okay=False), help="Waiver file to check too.")
@click.option("--max-waiver-days", type=click.IntRange(min=1), default=None)
@click.argument("files", nargs=-1, type=click.Path())
def validate(config_path, policies, params, waivers, max_waiver_days, files):
    """Check policy and waiver files without scanning.

    FILES may name policy files or folders and one waiver file (recognised by ``kind: Waivers``),
    as an alternative to --policy and --waivers.
    """
    from .loader import load_packs
    from .waivers import check_waiver_rules, load_waivers

    config = _load(config_path)
    waiver_files = [f for f in files if _is_waiver_file(Path(f))]
    if len(waiver_files) + bool(waivers) > 1:
        raise ConfigError("give one waiver file at a time", source=waiver_files[-1])
    waivers = waivers or (waiver_files[0] if waiver_files else None)
    policies = (*policies, *(f for f in files if f not in waiver_files))
    packs = load_packs(_policies(config, policies), _parse_params(config, params))
    rules = sum(len(p.rules) for p in packs)
    message = f"ok: {len(packs)} pack(s), {rules} rule(s)"
    waiver_path = waivers or config.path("waivers")
    if waiver_path:
        today = dt.datetime.now(dt.UTC).date()
        loaded = load_waivers(Path(waiver_path), today=today, max_days=max_waiver_days or
                              config.get("max_waiver_days", DEFAULT_MAX_DAYS))
        check_waiver_rules(loaded, [rule.id for pack in packs for rule in pack.rules])
        expired = sum(1 for w in loaded if w.expired(today))
        message += f", {len(loaded)} waiver(s)" + (f" ({expired} expired)" if expired else "")
    click.echo(message)


def _is_waiver_file(path: Path) -> bool:
    """Whether a file declares ``kind: Waivers`` (a cheap look before any parsing)."""
    if not path.is_file():
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096)
    return re.search(r"^kind:\s*['\"]?Waivers\b", head, re.MULTILINE) is not None


# -- rules -------------------------------------------------------------------------------------
@main.command()
@_policy_options
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("--attributes", "attributes_of", is_flag=False, flag_value="*", default=None, metavar="[TYPE]",
              help="List the attribute schema (of one resource type, or all) instead of rules.")
def rules(config_path, policies, params, fmt, attributes_of):
    """List the rules with their GDPR references, or the attributes rules can read."""
    from .docs import render_attributes, render_rules
    from .loader import load_packs

    if attributes_of is not None:
        load_providers()
        from .attributes import RESOURCE_TYPES
        from .registry import did_you_mean

        if attributes_of != "*" and attributes_of not in RESOURCE_TYPES:
            known = RESOURCE_TYPES.names()
            raise ConfigError(f"unknown resource type '{attributes_of}'{did_you_mean(attributes_of, known)}; known: "
                              f"{', '.join(known)}", source="--attributes")
        click.echo(render_attributes(None if attributes_of == "*" else attributes_of, fmt), nl=False)
        return
    config = _load(config_path)
    packs = load_packs(_policies(config, policies), _parse_params(config, params))
    click.echo(render_rules(packs, fmt), nl=False)


# -- schema ------------------------------------------------------------------------------------
@main.command()
@click.argument("name", default="policy-pack", type=click.Choice(["policy-pack", "waivers", "report"]))
@click.option("--write", "write_dir", type=click.Path(file_okay=False), help="Write every schema file to DIR.")
def schema(name, write_dir):
    """Print a JSON Schema (policy packs by default) for editors and CI."""
    from .schema import published_schemas

    load_providers()
    documents = published_schemas()
    if write_dir:
        for filename, document in documents.items():
            target = Path(write_dir) / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            click.echo(f"wrote {target}", err=True)
        return
    click.echo(json.dumps(documents[f"{name}.schema.json"], indent=2))


# -- permissions -------------------------------------------------------------------------------
@main.command()
@_policy_options
@_provider_options
def permissions(config_path, policies, params, provider_names, **provider_values):
    """Print the read-only permissions the loaded rules need, per provider (AWS as an IAM policy)."""
    from .loader import load_packs
    from .run import instantiate, plan_for, provider_context

    config = _load(config_path)
    plan = plan_for(load_packs(_policies(config, policies), _parse_params(config, params)))
    names = list(_provider_configs(config, provider_names, provider_values)) or load_providers().names()
    document = {}
    for name in names:
        provider = instantiate(name, config.provider(name), provider_context(False))
        document[name] = provider.permissions(plan)
    aws = document.pop("aws", None)
    if aws is not None:
        click.echo(json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "PolicycheckReadOnly", "Effect": "Allow", "Action": sorted(aws), "Resource": "*"}]}, indent=2))
    for name, actions in document.items():
        click.echo(f"# {name}: " + (", ".join(actions) if actions else "no permissions needed by the loaded rules"))


# -- demo --------------------------------------------------------------------------------------
@main.command()
@_output_options
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low")
def demo(formats, output_paths, fail_on):
    """Build a local demo estate (no cloud account needed), scan it with the built-in pack, print the report."""
    outputs = resolve_outputs(list(formats), list(output_paths), [])
    configs: dict[str, dict[str, Any]] = {}
    with contextlib.ExitStack() as stack:
        for name, cls in load_providers().items():
            try:
                estate = cls.demo_estate()
                if estate is not None:
                    configs[name] = stack.enter_context(estate)
            except ImportError as exc:
                click.echo(f"policycheck: demo of '{name}' skipped: install policycheck[{cls.extra or 'demo'}] "
                           f"({exc.name} missing)", err=True)
        if not configs:
            raise ConfigError("no provider offers a demo estate; install policycheck[demo]")
        options = ScanOptions(policies=[DEFAULT_PACK], providers=configs,
                              thresholds=Thresholds(Severity.parse(fail_on), True))
        report = _scan_with_progress(options)
    write_outputs(report, outputs)
    sys.exit(report.exit_code)


# -- diff --------------------------------------------------------------------------------------
@main.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
@click.option("--output", "-o", "output_path", default="-", metavar="PATH", help="File to write (default stdout).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity of a new finding that fails "
              "(default: NEW's own threshold).")
@click.option("--fail-on-error/--no-fail-on-error", default=None,
              help="Whether new error results fail (default: as in NEW).")
def diff(old, new, fmt, output_path, fail_on, fail_on_error):
    """Compare two JSON reports: new, resolved and unchanged failing findings.

    Exit code 1 when a new finding fails at or above the threshold, else 0.
    """
    from .diff import RENDERERS, diff_files

    changes = diff_files(Path(old), Path(new))
    failing = changes.failing_new(*changes.thresholds(fail_on, fail_on_error))
    text = RENDERERS[fmt](changes, failing)
    if output_path == "-":
        click.echo(text, nl=False)
    else:
        try:
            Path(output_path).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write output: {exc.strerror}", source=output_path) from None
    sys.exit(1 if failing else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
