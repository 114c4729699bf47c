"""The command line: parses, resolves settings and hands off to the run layer (:mod:`policycheck.run`).

Only this layer turns errors into exit codes: 0 no failing finding at or above the threshold,
1 failing findings (or collection errors), 2 usage, configuration or policy error, 128 + the
signal number when interrupted (130 for SIGINT, 143 for SIGTERM): the signal becomes an
exception, so every output being written is removed and previous reports stay as they were; a
second signal exits at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .context import RunContext
from .errors import ConfigError, PolicycheckError, WaiverError
from .model import SEVERITIES, Resource
from .progress import UnitProgress
from .provider import BROKEN_PROVIDERS, load_providers
from .resolution import Resolved, flag_key, resolve, shared_dest
from .run_settings import DEFAULT_PACK, FAIL_ON_CHOICES, RunSettings
from .settings import SettingSpec

__all__ = ["main"]


class ProviderCommand(click.Command):
    """A command whose ``--provider`` choices and provider flags come from the provider registry.

    They are read when the command is parsed or its help is shown, not at import: ``policycheck
    --help`` loads no provider, and a provider registered later (a plugin, a test) is included.
    Each provider's flags come from its settings declaration and sit right after ``--provider``.
    """

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        names = [p.name or "" for p in self.params]
        if "provider_names" in names:
            added = [_click_option(*_option(spec, flag_key(name, spec.key), f"[{name}] ", name))
                     for name, cls in load_providers().items() for spec in cls.settings_class.specs()
                     if spec.flag and spec.claims is None and flag_key(name, spec.key) not in names]
            added += _shared_options(names)
            position = max(i for i, name in enumerate(names)
                           if name == "provider_names" or "__" in name or name.startswith("shared_flag_"))
            self.params[position + 1:position + 1] = added
            self.params[names.index("provider_names")].type = click.Choice(_provider_choices())
        return super().get_params(ctx)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: unwinds like KeyboardInterrupt (partial outputs are removed on the way)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.exit_code = 128 + signum


_INTERRUPTS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _interrupts_raise() -> Any:
    """While a command runs, SIGINT and SIGTERM raise :class:`Interrupted`; a second one exits at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if received:  # cleanup is taking too long for the user: leave now
            os._exit(128 + signum)
        received.append(signum)
        raise Interrupted(signum)

    previous = {number: signal.signal(number, handler) for number in _INTERRUPTS}
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


class PolicycheckGroup(click.Group):
    """Turns every PolicycheckError into one line on stderr and its exit code; --debug shows tracebacks."""

    command_class = ProviderCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with _interrupts_raise():
                return super().invoke(ctx)
        except (Interrupted, KeyboardInterrupt) as exc:
            code = exc.exit_code if isinstance(exc, Interrupted) else 128 + signal.SIGINT
            click.echo(f"policycheck: interrupted ({signal.Signals(code - 128).name}); no partial output was kept",
                       err=True)
            ctx.exit(code)
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


# -- options derived from the settings declarations -------------------------------------------------
_CLICK_TYPES: dict[str, Any] = {"integer": click.INT, "number": click.FLOAT}


def _option(spec: SettingSpec, dest: str, prefix: str = "", section: str = "") -> tuple[list[str], dict[str, Any]]:
    """The click declaration of a setting's flag; its value arrives under ``dest`` (None when not given)."""
    decls = [*spec.flag.split(), dest] if spec.flag else [dest]
    kwargs: dict[str, Any] = {"default": None, "help": prefix + spec.help, "metavar": spec.metavar}
    if spec.repeatable:
        kwargs["multiple"] = True
    elif spec.kind == "boolean":
        kwargs["is_flag"] = True
        kwargs.pop("metavar")
    elif "enum" in spec.schema:
        kwargs["type"] = click.Choice([str(v) for v in spec.schema["enum"]])
        kwargs.pop("metavar")
    elif spec.kind in _CLICK_TYPES:
        kwargs["type"] = _CLICK_TYPES[spec.kind]
    if spec.env:
        kwargs["help"] += f" [env {spec.env_var(section)}]"
    return decls, kwargs


def _shared_options(present: list[str]) -> list[click.Option]:
    """One option per flag several providers share (``--dsn``); resolution routes each value by its form."""
    owners: dict[str, list[tuple[str, SettingSpec]]] = {}
    for name, cls in load_providers().items():
        for spec in cls.settings_class.specs():
            if spec.flag and spec.claims is not None:
                owners.setdefault(spec.flag, []).append((name, spec))
    options = []
    for flag, specs in owners.items():
        dest = shared_dest(flag)
        if dest in present:
            continue
        names = ", ".join(name for name, _ in specs)
        options.append(click.Option([*flag.split(), dest], multiple=True, default=None,
                                    metavar=specs[0][1].metavar, help=f"[{names}] " + " ".join(
                                        f"{name}: {spec.help}" for name, spec in specs)))
    return options


def _click_option(decls: list[str], kwargs: dict[str, Any]) -> click.Option:
    return click.Option(decls, **kwargs)


def _settings(*keys: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the flags of these run settings, and --config, to a command."""
    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        for key in reversed(keys):
            decls, kwargs = _option(RunSettings.spec(key), key)
            func = click.option(*decls, **kwargs)(func)
        return click.option("--config", "config_path", type=click.Path(dir_okay=False),
                            help="Config file (default ./policycheck.yaml if present).")(func)
    return decorate


def _provider_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --provider; its choices and each provider's own flags are filled in by :class:`ProviderCommand`."""
    return click.option("--provider", "provider_names", multiple=True, type=click.Choice([]),
                        help="Provider to collect from (repeatable; implied by its options or the config file).")(func)


def _output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--output", "-o", "output_paths", multiple=True, metavar="PATH",
                        help="File for the matching --format (in order); '-' is standard output.")(func)
    return click.option("--format", "-f", "formats", multiple=True, metavar="FORMAT[=PATH]",
                        help="Output format (repeatable): " + _formats_help("report") + ".")(func)


def _provider_choices() -> list[str]:
    """Loaded providers, plus plugins that failed to load: asking for one reports why."""
    return sorted({*load_providers().names(), *BROKEN_PROVIDERS})


def _resolve(values: dict[str, Any], *, providers: bool = True, **kwargs: Any) -> Resolved:
    config_path = values.pop("config_path", None)
    names = tuple(values.pop("provider_names", ()) or ())
    return resolve(config_path, values, provider_names=names, providers_wanted=providers, **kwargs)


#: Seconds between progress lines when stderr is not a terminal (a CI log shows the scan is alive).
PROGRESS_INTERVAL = 10.0


@contextlib.contextmanager
def _progress_lines(count: list[int], clock: Callable[[], float], units: UnitProgress | None = None) -> Any:
    """One line on stderr every :data:`PROGRESS_INTERVAL` seconds while the scan runs, also while nothing moves;
    it says how many units (accounts, projects) the providers have done when they count them."""

    started, done = clock(), threading.Event()

    def tick() -> None:
        while not done.wait(PROGRESS_INTERVAL):
            summary = units.summary() if units is not None else ""
            print(f"policycheck: {count[0]} resources evaluated, " + (f"{summary}, " if summary else "")
                  + f"{clock() - started:.0f} s", file=sys.stderr, flush=True)

    ticker = threading.Thread(target=tick, name="policycheck-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join(timeout=1)


def _progress(units: UnitProgress) -> tuple[contextlib.AbstractContextManager[Any], Callable[[Resource], None] | None]:
    """A live counter on stderr when it is a terminal; else a progress line every ~10 s."""
    if not sys.stderr.isatty():
        import time

        count = [0]

        def seen(resource: Resource) -> None:
            count[0] += 1

        return _progress_lines(count, time.monotonic, units), seen
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class UnitsColumn(ProgressColumn):
        """``accounts 3/12 done``: read at every refresh, so it moves while listing yields no resource yet."""

        def render(self, task: Any) -> Text:
            return Text(units.summary())

    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} resources"),
                        UnitsColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True)
    task = progress.add_task("scanning", total=None)
    return progress, lambda resource: progress.update(task, advance=1, description=f"scanning {resource.type}")


def _report_and_notify(report: Any, outputs: list[Any], run: RunSettings, context: RunContext) -> list[str]:
    """Show the run's problems, write every output, notify and print the verdict; the output failures."""
    from .console import write_verdict
    from .outputs import write_outputs

    for problem in report.problems:
        if not problem.is_error or problem.provider == "policycheck":
            click.echo(f"policycheck: {problem.level}: [{problem.provider}] {problem.scope}: {problem.message}",
                       err=True)
    failures = write_outputs(report, outputs)  # first: a failed notification never loses a report
    for failure in failures:
        click.echo(f"policycheck: error: {failure}", err=True)
    if run.notify:
        from .notify import notify, report_link

        link = report_link(run.report_url, os.environ)
        for warning in notify(report, run.notify, always=run.notify_always, link=link,
                              identities_revealed=context.reveal_identities):
            click.echo(f"policycheck: warning: {warning}", err=True)
    write_verdict(report, sys.stderr)
    return failures


def _scan_and_write(settings: Resolved, context: RunContext, formats: tuple[str, ...], paths: tuple[str, ...],
                    snapshots: tuple[str, ...] = ()) -> None:
    from .console import console_outputs
    from .outputs import resolve_outputs
    from .run import input_paths, run_scan

    run = settings.run
    outputs = console_outputs(resolve_outputs(list(formats), list(paths), list(run.outputs),
                                              inputs=[*input_paths(settings), *snapshots]),
                              quiet=run.quiet, compact=run.compact)
    display, progress = _progress(context.progress)
    with display:
        report = run_scan(settings, context, snapshots=[Path(s) for s in snapshots], progress=progress)
    with report:  # its findings may be on disk: removed however this ends
        failures = _report_and_notify(report, outputs, run, context)
        code = 2 if failures else report.exit_code
    if context.timed_out:  # threads stuck in a read cannot be cancelled: end without waiting for them
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


#: The flags that choose which rules run (scan, collect, rules, permissions).
_SELECTION = ("select_rules", "skip_rules", "severities", "references")


def _formats_help(subject: str) -> str:
    """The format names of ``subject`` for a help text, from the renderer registry."""
    from .reporters import formats_for

    return ", ".join(formats_for(subject))


_SCAN_SETTINGS = ("policies", "params", *_SELECTION, "waivers", "max_waiver_days", "baseline", "sla", "fail_on",
                  "fail_on_error", "workers", "evaluation_date", "quiet", "compact", "notify", "notify_always",
                  "report_url", "max_input_mb", "fail_on_empty", "timeout", "shard", "shard_count")


# -- scan ------------------------------------------------------------------------------------------
@main.command()
@_settings(*_SCAN_SETTINGS)
@_provider_options
@click.option("--snapshot", "snapshots", multiple=True, type=click.Path(dir_okay=False),
              help="Evaluate a snapshot written by 'policycheck collect' (no cloud access).")
@_output_options
@click.option("--no-passed", is_flag=True, help="Leave passing findings out of reports (counts remain).")
@click.option("--reveal-identities", is_flag=True, help="Show device owners and serials instead of pseudonyms.")
def scan(snapshots: tuple[str, ...], formats: tuple[str, ...], output_paths: tuple[str, ...], no_passed: bool,
         reveal_identities: bool, **values: Any) -> None:
    """Collect resources and evaluate the policies against them."""
    if snapshots and (values.get("provider_names") or any("__" in key and value not in (None, (), False)
                                                          for key, value in values.items())):
        raise ConfigError("a --snapshot scan never contacts a provider: drop --provider and provider options, or "
                          "scan live without --snapshot", source="--snapshot")
    settings = _resolve(values, providers=not snapshots)  # a snapshot scan ignores the config's providers
    context = RunContext.build(settings.run, keep_passed=not no_passed, reveal_identities=reveal_identities)
    _scan_and_write(settings, context, formats, output_paths, snapshots)


# -- collect ---------------------------------------------------------------------------------------
@main.command()
@_settings("policies", "params", *_SELECTION, "workers", "evaluation_date", "shard", "shard_count", "timeout")
@_provider_options
@click.option("--all-attributes", is_flag=True, help="Collect every attribute, not only those the policies read.")
@click.option("--output", "-o", "output_path", default="-", metavar="PATH", help="Snapshot file (default stdout).")
@click.option("--reveal-identities", is_flag=True, help="Keep device owners and serials instead of pseudonyms.")
def collect(all_attributes: bool, output_path: str, reveal_identities: bool, **values: Any) -> None:
    """Collect resources into a versioned JSON snapshot for later offline scans."""
    from .outputs import check_output_paths, replace_on_success
    from .run import input_paths, run_collect

    settings = _resolve(values)
    context = RunContext.build(settings.run, reveal_identities=reveal_identities)
    if output_path != "-":
        check_output_paths([output_path], input_paths(settings))
    if output_path == "-":
        outcome = run_collect(settings, context, sys.stdout, all_attributes=all_attributes)
    else:
        with replace_on_success(output_path) as handle:
            outcome = run_collect(settings, context, handle, all_attributes=all_attributes)
    click.echo(f"collected {outcome.count} resources", err=True)
    for problem in outcome.problems:  # kept in the snapshot too, so a scan of it fails the same way
        click.echo(f"policycheck: collection error [{problem.provider}] {problem.scope}: {problem.message}", err=True)
    code = 1 if outcome.problems else 0
    if context.timed_out:  # threads stuck in a read cannot be cancelled: end without waiting for them
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


# -- merge and report ------------------------------------------------------------------------------
@main.command()
@click.argument("reports", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--output", "-o", "output_path", default="-", metavar="PATH", help="Merged JSON report (default stdout).")
@click.option("--max-input-mb", type=click.IntRange(min=1), default=RunSettings.max_input_mb,
              help=RunSettings.spec("max_input_mb").help)
def merge(reports: tuple[str, ...], output_path: str, max_input_mb: int) -> None:
    """Join the JSON reports of shards 1..N (--shard I/N) into the report of the whole run.

    The shards must be of one run (same packs, params, evaluation date, waivers) and each shard
    present exactly once; otherwise nothing is written (exit 2). Exit code 0 or 1 as the merged
    report's, like 'scan'; render other formats from it with 'policycheck report'.
    """
    from .inputs import MB
    from .merge import merge_files
    from .outputs import Output, write_outputs

    with merge_files([Path(r) for r in reports], cap=max_input_mb * MB) as merged:
        write_outputs(merged, [Output("json", output_path)])
        code = merged.exit_code
    sys.exit(code)


@main.command()
@click.argument("report_path", metavar="REPORT", type=click.Path(dir_okay=False))
@_output_options
@click.option("--max-input-mb", type=click.IntRange(min=1), default=RunSettings.max_input_mb,
              help=RunSettings.spec("max_input_mb").help)
def report(report_path: str, formats: tuple[str, ...], output_paths: tuple[str, ...], max_input_mb: int) -> None:
    """Render a JSON report (a scan's or a merged one) in any format, with the same reporters as 'scan'.

    Exit code 0 once written (2 for a malformed report); the report's own verdict is its run.exit_code.
    """
    from .inputs import MB
    from .outputs import resolve_outputs, write_outputs
    from .report_file import read_report

    outputs = resolve_outputs(list(formats), list(output_paths), [])
    with read_report(Path(report_path), cap=max_input_mb * MB) as read:
        write_outputs(read, outputs)


# -- validate --------------------------------------------------------------------------------------
@main.command()
@_settings("policies", "params", "waivers", "max_waiver_days", "evaluation_date")
@click.argument("files", nargs=-1, type=click.Path())
def validate(files: tuple[str, ...], **values: Any) -> None:
    """Check policy and waiver files without scanning.

    FILES may name policy files or folders and one waiver file (recognised by 'kind: Waivers'),
    as an alternative to --policy and --waivers.
    """
    from .run import load_rules
    from .waivers import check_waiver_rules, load_waivers

    waiver_files = [f for f in files if _is_waiver_file(Path(f))]
    if len(waiver_files) + bool(values.get("waivers")) > 1:
        raise ConfigError("give one waiver file at a time", source=waiver_files[-1])
    if waiver_files:
        values["waivers"] = waiver_files[0]
    values["policies"] = (*(values.get("policies") or ()), *(f for f in files if f not in waiver_files))
    settings = _resolve(values, providers=False)
    context = RunContext.build(settings.run)
    packs = load_rules(settings)
    message = f"ok: {len(packs)} pack(s), {sum(len(p.rules) for p in packs)} rule(s)"
    if settings.run.waivers:
        today = context.evaluation_date
        loaded = load_waivers(Path(settings.run.waivers), today=today, max_days=settings.run.max_waiver_days)
        try:
            check_waiver_rules(loaded, [rule.id for pack in packs for rule in pack.rules])
        except WaiverError as exc:
            if settings.run.policies:
                raise
            raise WaiverError(f"{exc.message} of the built-in pack {DEFAULT_PACK} (add -p for your own pack)",
                              source=exc.source, place=exc.place) from None
        expired = sum(1 for w in loaded if w.expired(today))
        message += f", {len(loaded)} waiver(s)" + (f" ({expired} expired)" if expired else "")
    click.echo(message)


def _is_waiver_file(path: Path) -> bool:
    """Whether a file declares ``kind: Waivers`` (a cheap look before any parsing)."""
    if not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:  # unreadable: the policy loader says why
        return False
    return re.search(r"^kind:\s*['\"]?Waivers\b", head, re.MULTILINE) is not None


# -- test ------------------------------------------------------------------------------------------
@main.command("test")
@_settings("policies", "params", "evaluation_date")
@click.argument("paths", nargs=-1, type=click.Path())
def test_command(paths: tuple[str, ...], **values: Any) -> None:
    """Run policy tests: sample resources and the result each rule must give them.

    PATHS are test files or folders (default: the current folder; files declaring 'kind:
    PolicyTests'). Exit 1 when a rule gives another result than expected, with its trace.
    """
    from .run import run_policy_tests

    settings = _resolve(values, providers=False)
    text, ok = run_policy_tests(settings, RunContext.build(settings.run), list(paths) or ["."])
    click.echo(text, nl=False)
    sys.exit(0 if ok else 1)


# -- rules -----------------------------------------------------------------------------------------
@main.command()
@_settings("policies", "params", *_SELECTION)
@click.option("--format", "-f", "fmt", default="text", metavar="FORMAT",
              help="Output format: " + _formats_help("rules") + " (default text).")
@click.option("--attributes", "attributes_of", is_flag=False, flag_value="*", default=None, metavar="[TYPE]",
              help="List the attribute schema (of one resource type, or all) instead of rules.")
def rules(fmt: str, attributes_of: str | None, **values: Any) -> None:
    """List the rules with their GDPR references, or the attributes rules can read."""
    from .docs import render_attributes, render_rules
    from .run import load_rules

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
    click.echo(render_rules(load_rules(_resolve(values, providers=False)), fmt), nl=False)


# -- schema ----------------------------------------------------------------------------------------
@main.command()
@click.argument("name", default="policy-pack",
                type=click.Choice(["policy-pack", "waivers", "report", "config", "policy-tests"]))
@click.option("--write", "write_dir", type=click.Path(file_okay=False), help="Write every schema file to DIR.")
def schema(name: str, write_dir: str | None) -> None:
    """Print a JSON Schema (policy packs by default) for editors and CI."""
    from .resolution import config_file_schema
    from .schema import published_schemas

    load_providers()
    documents = {**published_schemas(), "config.schema.json": config_file_schema()}
    if write_dir:
        for filename, document in documents.items():
            target = Path(write_dir) / filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            click.echo(f"wrote {target}", err=True)
        return
    click.echo(json.dumps(documents[f"{name}.schema.json"], indent=2))


# -- formats ---------------------------------------------------------------------------------------
@main.command()
@click.option("--extension", "extension_of", metavar="FORMAT", help="Print only this report format's file extension.")
def formats(extension_of: str | None) -> None:
    """List the report formats (name, file extension, description), from the reporter registry."""
    from .reporters import REPORTERS, formats_for, renderer_of

    if extension_of is not None:
        click.echo(renderer_of("report", extension_of, source="--extension").extension)
        return
    for name in formats_for("report"):
        entry = REPORTERS.get(name)
        click.echo(f"{name}\t{entry.extension}\t{entry.description}")


# -- permissions -----------------------------------------------------------------------------------
@main.command()
@_settings("policies", "params", *_SELECTION)
@_provider_options
def permissions(**values: Any) -> None:
    """Print the read-only permissions the loaded rules need, per provider (AWS as an IAM policy)."""
    from .run import permissions_documents

    settings = _resolve(values)
    documents, notes = permissions_documents(settings, RunContext.build(settings.run, reveal_identities=True))
    for note in notes:  # stdout carries only documents: 'policycheck permissions > iam.json' is valid JSON
        click.echo(note, err=True)
    for document in documents:
        click.echo(document)


# -- demo ------------------------------------------------------------------------------------------
@main.command()
@_output_options
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES), default="low",
              help="Lowest severity that fails the run (default low; 'never': report only).")
def demo(formats: tuple[str, ...], output_paths: tuple[str, ...], fail_on: str) -> None:
    """Build a local demo estate (no cloud account needed), scan it with the built-in pack, print the report."""
    from .run import demo_configs

    def skipped(name: str, extra: str, exc: ImportError) -> None:
        click.echo(f"policycheck: demo of '{name}' skipped: install policycheck[demo] ({exc.name} missing)",
                   err=True)

    with contextlib.ExitStack() as stack:
        configs = demo_configs(stack, skipped)
        settings = resolve(None, {"fail_on": fail_on}, provider_names=tuple(configs), provider_configs=configs,
                           read_config=False)
        _scan_and_write(settings, RunContext.build(settings.run), formats, output_paths)


# -- diff ------------------------------------------------------------------------------------------
@main.command()
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", type=click.Path(dir_okay=False))
@click.option("--format", "-f", "fmt", default="text", metavar="FORMAT",
              help="Output format: " + _formats_help("diff") + " (default text).")
@click.option("--output", "-o", "output_path", default="-", metavar="PATH", help="File to write (default stdout).")
@click.option("--fail-on", type=click.Choice(SEVERITIES), help="Lowest severity of a new finding that fails "
              "(default: NEW's own threshold).")
@click.option("--fail-on-error/--no-fail-on-error", default=None,
              help="Whether new error results fail (default: as in NEW).")
@click.option("--max-input-mb", type=click.IntRange(min=1), default=RunSettings.max_input_mb,
              help=RunSettings.spec("max_input_mb").help)
def diff(old: str, new: str, fmt: str, output_path: str, fail_on: str | None, fail_on_error: bool | None,
         max_input_mb: int) -> None:
    """Compare two JSON reports: new, resolved and unchanged failing findings.

    Exit code 1 when a new finding fails at or above the threshold, else 0.
    """
    from .diff import diff_files
    from .inputs import MB
    from .model import Severity
    from .outputs import check_output_paths, write_text
    from .reporters import renderer_of

    chosen = renderer_of("diff", fmt)
    if output_path != "-":
        check_output_paths([output_path], [old, new])
    changes = diff_files(Path(old), Path(new), fail_on=Severity.parse(fail_on) if fail_on else None,
                         fail_on_error=fail_on_error, cap=max_input_mb * MB)
    write_text(output_path, chosen.renderers["diff"](changes, False))
    sys.exit(1 if changes.failing_new else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
