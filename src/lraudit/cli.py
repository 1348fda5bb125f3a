"""The ``lraudit`` command: check, explain, notes, rules, rule. Thin: parses options, calls the library,
hands results to renderers, maps outcomes to exit codes (0 clean, 1 findings, 2 usage/config/internal)."""

from __future__ import annotations

import os
import sys
from typing import Any, Sequence

import click

from . import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return ["check", "explain", "notes", "rules", "rule"]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="lraudit", message="%(prog)s %(version)s")
def main() -> None:
    """lraudit: a static auditor for learning-rate schedules in ML training code.

    It reads training scripts (never runs them), finds every optimizer and learning-rate scheduler, resolves
    their arguments, simulates the exact learning-rate curve, explains it, and flags settings that are
    probably wrong.

    \b
    Examples:
      lraudit check .                     lint a repository (exit 1 on findings)
      lraudit explain train.py            what does this schedule do?
      lraudit notes . -o ONBOARDING.md    write onboarding notes for the repo
      lraudit rule LR101                  why a rule exists, with examples
    """


def _fail(message: str) -> "click.exceptions.Exit":
    click.echo(f"lraudit: error: {message}", err=True)
    return click.exceptions.Exit(EXIT_ERROR)


def _check_paths(paths: Sequence[str]) -> list[str]:
    paths = list(paths) or ["."]
    for p in paths:
        if not os.path.lexists(p):
            raise _fail(f"path not found: {p}")
    return paths


def _load(paths: list[str], config_file: str | None) -> tuple[Any, list[Any]]:
    from .config import ConfigError, load_config
    from .registry import RegistryError

    try:
        from .engine import bound_rules

        rules = [r for r, _ in bound_rules().values()]
    except RegistryError as exc:
        raise _fail(f"rule catalog is invalid: {exc}") from None
    try:
        config = load_config(paths, config_file, rules)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    return config, rules


def _jobs(jobs: int | None) -> int:
    return jobs if jobs and jobs > 0 else (os.cpu_count() or 1)


def _cache_dir(config: Any, no_cache: bool) -> str | None:
    if no_cache or os.environ.get("LRAUDIT_NO_CACHE"):
        return None
    root = config.path.parent if getattr(config, "path", None) else None
    base = str(root) if root else os.getcwd()
    return os.path.join(base, ".lraudit_cache")


_common_paths = click.argument("paths", nargs=-1, type=click.Path(path_type=str))


def _common(f: Any) -> Any:
    f = click.option("--exclude", "excludes", multiple=True, metavar="GLOB",
                     help="Skip files or directories matching GLOB (repeatable).")(f)
    f = click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
                     help="Use this pyproject.toml (or lraudit.toml) instead of searching for one.")(f)
    f = click.option("--jobs", "-j", type=int, default=None, help="Processes to use (default: CPU count).")(f)
    f = click.option("--no-cache", is_flag=True, help="Do not read or write the result cache.")(f)
    f = click.option("--no-gitignore", is_flag=True, help="Also audit files that .gitignore excludes.")(f)
    f = click.option("--debug", is_flag=True, help="Show tracebacks of internal errors.")(f)
    f = click.option("--target-version", "target_versions", multiple=True, metavar="SPEC", expose_value=False,
                     callback=_store_targets, help="Library version the code targets, like keras==2.4.3 or "
                     "torch>=2.7 (repeatable; overrides the repository's pins).")(f)
    f = click.option("--quiet", "-q", is_flag=True,
                     help="No progress line and no notes on standard error (the report itself is unchanged).")(f)
    return f


def _store_targets(ctx: Any, _param: Any, value: tuple[str, ...]) -> None:
    ctx.meta["lraudit.target_versions"] = tuple(value)


def _targets(paths: list[str], config: Any) -> Any:
    """The library versions the checked repository targets (versions.py); a bad --target-version exits 2."""
    from .versions import VersionError, resolve

    cli = click.get_current_context().meta.get("lraudit.target_versions", ())
    try:
        return resolve(paths, cli, getattr(config, "target_versions", ()),
                       f"{getattr(config, 'path', None) or 'pyproject.toml'}: [tool.lraudit] target-versions")
    except VersionError as exc:
        raise _fail(f"--target-version {exc}") from None
def _set_option(f: Any) -> Any:
    return click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                        help="Analyse the run with this option or config key set (repeatable): an argparse dest or "
                             "flag, a click parameter, a dataclass field or a config key.")(f)


def _overrides(sets: Sequence[str]) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for item in sets:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise click.UsageError(f"--set expects KEY=VALUE, got {item!r}")
        out[key] = value
    return tuple(sorted(out.items()))


def _run(paths: list[str], config: Any, rules: list[Any], *, excludes: Sequence[str], jobs: int | None,
         no_cache: bool, no_gitignore: bool, debug: bool, enabled: frozenset[str] | None,
         steps: int | None = None, want_curves: bool = True, sets: Sequence[str] = (), quiet: bool = False,
         siblings: bool = False) -> Any:
    from .api import audit_paths
    from .discover import MissingPath
    from .progress import progress_for

    opts = _options(paths, config, enabled, debug, steps, want_curves, sets, siblings)
    progress = progress_for(sys.stderr, quiet)
    try:
        return audit_paths(paths, opts, exclude=list(config.all_excludes) + list(excludes), jobs=_jobs(jobs),
                           cache_dir=_cache_dir(config, no_cache), respect_gitignore=not no_gitignore,
                           progress=progress)
    except MissingPath as exc:
        raise _fail(f"path not found: {exc}") from None
    finally:
        if progress is not None:
            progress.close()


def _options(paths: list[str], config: Any, enabled: frozenset[str] | None, debug: bool, steps: int | None = None,
             want_curves: bool = True, sets: Sequence[str] = (), siblings: bool = False) -> Any:
    from .analyze import AnalysisOptions

    return AnalysisOptions(
        steps=steps,
        enabled=enabled,
        rule_options=tuple(sorted((c, tuple(sorted(o.items()))) for c, o in config.rules.items())),
        severity=tuple(sorted(config.severity.items())),
        want_curves=want_curves,
        siblings=siblings,
        debug=debug,
        targets=_targets(paths, config),
        overrides=_overrides(sets),
    )


def _enabled(rules: list[Any], config: Any, select: Sequence[str], ignore: Sequence[str]) -> frozenset[str]:
    from .config import ConfigError
    from .selection import select_rules

    sel = _split(select) if select else (list(config.select) if config.select is not None else None)
    ign = list(config.ignore) + _split(ignore)
    try:
        return frozenset(select_rules(rules, sel, ign))
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _split(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


# ------------------------------------------------------------------------------------------- check
@main.command()
@_common_paths
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]), default=None,
              help="Output format (default: text, or `format` from the configuration).")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules: codes, prefixes (LR2) or names.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules: codes, prefixes or names.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning).")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Report only findings that are not in this baseline file.")
@click.option("--write-baseline", "write_baseline_file", type=click.Path(dir_okay=False), default=None,
              help="Record today's findings in this file (then exit 0).")
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None,
              help="Write the report to this file instead of standard output.")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Apply safe fixes in place (only the code a fix names changes); remaining findings decide "
                   "the exit code.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix or --diff, also apply fixes that change behaviour (review them).")
@click.option("--diff", "show_diff", is_flag=True,
              help="Print the fixes as a unified diff and write nothing (exit 1 when there is something to fix).")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@_common
@_set_option
def check(paths: tuple[str, ...], fmt: str | None, select: tuple[str, ...], ignore: tuple[str, ...],
          fail_on: str | None, baseline_file: str | None, write_baseline_file: str | None, output: str | None,
          apply_fixes: bool, unsafe_fixes: bool, show_diff: bool, statistics: bool,
          excludes: tuple[str, ...], config_file: str | None, jobs: int | None, no_cache: bool,
          no_gitignore: bool, debug: bool, quiet: bool, sets: tuple[str, ...] = ()) -> None:
    """Lint training code for learning-rate mistakes.

    Exit status: 0 when nothing at or above --fail-on was found, 1 when something was, 2 on a usage,
    configuration or internal error. After --fix, the findings that remain decide; with --diff, 1 when
    there is something to fix.
    """
    plist = _check_paths(paths)
    config, rules = _load(plist, config_file)
    enabled = _enabled(rules, config, select, ignore)
    if write_baseline_file and (apply_fixes or show_diff):
        raise _fail("--write-baseline cannot be combined with --fix or --diff")
    report = _run(plist, config, rules, excludes=excludes, jobs=jobs, no_cache=no_cache,
                  no_gitignore=no_gitignore, debug=debug, enabled=enabled, want_curves=False, quiet=quiet, sets=sets)
    from .baseline import BaselineError, filter_new, load_baseline, write_baseline

    known = None
    if baseline_file and not write_baseline_file:
        try:
            known = load_baseline(baseline_file)
        except (OSError, BaselineError) as exc:
            raise _fail(f"cannot read baseline {baseline_file}: {exc}") from None

    def keep(found: list[Any]) -> list[Any]:
        if config.per_file_ignores:
            found = [f for f in found if f.code not in config.per_file_ignored(f.path, rules)]
        return filter_new(found, known) if known is not None else found

    fixed = None
    if apply_fixes or show_diff:
        from .fix_run import run_fixes

        fixed = run_fixes(report, _options(plist, config, enabled, debug, want_curves=False, sets=sets), unsafe=unsafe_fixes,
                          keep=keep, write=not show_diff)
        if show_diff:
            click.echo(fixed.diff(), nl=False)
            if not quiet:
                click.echo(fixed.diff_summary(), err=True)
            raise click.exceptions.Exit(EXIT_FINDINGS if fixed.applied else EXIT_CLEAN)
        for message in fixed.refusals():
            click.echo(f"lraudit: {message}", err=True)
    findings = report.findings
    if config.per_file_ignores:
        findings = [f for f in findings if f.code not in config.per_file_ignored(f.path, rules)]
    lr901_paths = {f.path for f in findings if f.code == "LR901"}
    errors = [(p, m) for p, m in report.all_errors() if p not in lr901_paths]

    if write_baseline_file:
        try:
            write_baseline(write_baseline_file, findings)
        except (OSError, BaselineError) as exc:
            raise _fail(f"cannot write baseline {write_baseline_file}: {exc}") from None
        click.echo(f"lraudit: recorded {len(findings)} finding(s) in {write_baseline_file}", err=True)
        raise click.exceptions.Exit(EXIT_CLEAN)
    if known is not None:
        findings = filter_new(findings, known)
    fmt = fmt or config.format or "text"
    if statistics:
        from .render.statistics import render_statistics

        text = render_statistics(findings, fmt, unsafe_fixes)
    else:
        text = _render_check(fmt, findings, errors, report.files_checked, rules, output, report.config_summary())
        if fmt == "text":
            text += _fix_summary(findings, fixed, unsafe_fixes)
        elif not quiet and fixed is not None:
            click.echo(_fix_summary(findings, fixed, unsafe_fixes).rstrip("\n"), err=True)
    _emit(text, output)
    threshold = SEVERITY_RANK[fail_on or config.fail_on]
    failing = any(SEVERITY_RANK.get(f.severity, 2) >= threshold for f in findings) or bool(errors)
    raise click.exceptions.Exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


def _fix_summary(findings: list[Any], fixed: Any, unsafe: bool) -> str:
    """ruff's lines after the report: what was fixed, and what ``--fix`` / ``--unsafe-fixes`` would do."""
    lines = []
    if fixed is not None and fixed.applied:
        lines.append(f"Fixed {fixed.applied} problem{'s' if fixed.applied != 1 else ''} in "
                     f"{fixed.files_changed} file{'s' if fixed.files_changed != 1 else ''}; "
                     f"{len(findings)} remain{'s' if len(findings) == 1 else ''}.")
    safe = sum(1 for f in findings if f.fixable(unsafe))
    hidden = 0 if unsafe else sum(1 for f in findings if f.fixable(True) and not f.fixable(False))
    if safe and fixed is None:
        lines.append(f"[*] {safe} fixable with the --fix option"
                     + (f" ({hidden} more with --unsafe-fixes)." if hidden else "."))
    elif hidden and fixed is None and not safe:
        lines.append(f"No safe fixes; {hidden} fixable with --fix --unsafe-fixes (they change behaviour: review them).")
    elif hidden:
        lines.append(f"{hidden} more fixable with --fix --unsafe-fixes (they change behaviour: review them).")
    return "".join(line + "\n" for line in lines)


def _render_check(fmt: str, findings: list[Any], errors: list[tuple[str, str]], files: int, rules: list[Any],
                  output: str | None, configs: dict[str, Any] | None = None) -> str:
    if fmt == "json":
        from .render.check_json import render_check_json

        return render_check_json(findings, errors, files, __version__, configs)
    if fmt == "sarif":
        from .render.sarif import render_sarif

        return render_sarif(findings, errors, rules, __version__)
    if fmt == "github":
        from .render.github import render_github

        return render_github(findings, errors)
    from .render.check_text import render_findings_text, should_color

    color = output is None and should_color(sys.stdout)
    return render_findings_text(findings, errors, files, color, configs)


def _emit(text: str, output: str | None) -> None:
    if output:
        from .safe_write import write_atomic

        try:
            write_atomic(output, text)
        except OSError as exc:
            raise _fail(f"cannot write {output}: {exc}") from None
    else:
        click.echo(text, nl=False)


# ----------------------------------------------------------------------------------------- explain
@main.command()
@_common_paths
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("--steps", type=click.IntRange(min=1, max=10_000_000), default=None,
              help="Simulate exactly N scheduler steps (default: the run's horizon).")
@_common
@_set_option
def explain(paths: tuple[str, ...], fmt: str, steps: int | None, excludes: tuple[str, ...],
            config_file: str | None, jobs: int | None, no_cache: bool, no_gitignore: bool, debug: bool,
            quiet: bool, sets: tuple[str, ...] = ()) -> None:
    """Describe every optimizer and learning-rate schedule: values, sources, curve and what it means."""
    plist = _check_paths(paths)
    config, rules = _load(plist, config_file)
    report = _run(plist, config, rules, excludes=excludes, jobs=jobs, no_cache=no_cache,
                  no_gitignore=no_gitignore, debug=debug, enabled=frozenset(), steps=steps, quiet=quiet, sets=sets)
    if fmt == "json":
        from .render.explain_json import render_explain_json

        click.echo(render_explain_json(report.results, report.errors, __version__), nl=False)
    else:
        from .render.explain_text import render_explain_text

        click.echo(render_explain_text(report.results, report.errors), nl=False)
    raise click.exceptions.Exit(EXIT_CLEAN)


# ------------------------------------------------------------------------------------------- notes
@main.command()
@_common_paths
@click.option("--output", "-o", "output", type=click.Path(dir_okay=False), default=None,
              help="Markdown file to create or update (only the generated block is replaced).")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False), default=None,
              help="Also write one chart image per schedule here (needs the `plot` extra: matplotlib).")
@click.option("--steps", type=click.IntRange(min=1, max=10_000_000), default=None,
              help="Simulate exactly N scheduler steps.")
@_common
@_set_option
def notes(paths: tuple[str, ...], output: str | None, plots_dir: str | None, steps: int | None,
          excludes: tuple[str, ...], config_file: str | None, jobs: int | None, no_cache: bool,
          no_gitignore: bool, debug: bool, quiet: bool, sets: tuple[str, ...] = ()) -> None:
    """Write Markdown onboarding notes: each training script's optimizers, schedules, charts and findings."""
    plist = _check_paths(paths)
    config, rules = _load(plist, config_file)
    enabled = _enabled(rules, config, (), ())
    report = _run(plist, config, rules, excludes=excludes, jobs=jobs, no_cache=no_cache,
                  no_gitignore=no_gitignore, debug=debug, enabled=enabled, steps=steps, quiet=quiet, sets=sets,
                  siblings=True)
    from .render.notes import render_notes

    plots: dict[str, str] = {}
    if plots_dir:
        from .render.plots import PlotError, write_plots

        try:
            plots = write_plots(report.results, plots_dir, relative_to=os.path.dirname(output) if output else ".")
        except PlotError as exc:
            raise _fail(str(exc)) from None
    rule_by_code = {r.code: r for r in rules}
    markdown = render_notes(report.results, report.all_errors(), rule_by_code, plots=plots, version=__version__)
    if output is None:
        click.echo(markdown, nl=False)
        raise click.exceptions.Exit(EXIT_CLEAN)
    from .safe_write import MarkerError, merge_generated_block, read_existing, write_atomic

    try:
        existing = read_existing(output)
        merged = merge_generated_block(existing, markdown)
        write_atomic(output, merged)
    except MarkerError as exc:
        raise _fail(f"{output}: {exc}; fix the <!-- lraudit:begin --> / <!-- lraudit:end --> markers by hand "
                    "(nothing was written)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot write {output}: {exc}") from None
    if not quiet:
        click.echo(f"lraudit: wrote {output}", err=True)
    raise click.exceptions.Exit(EXIT_CLEAN)


# ------------------------------------------------------------------------------------------- rules
@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules_cmd(fmt: str) -> None:
    """List the rule catalog: code, name, severity and summary."""
    from .registry import RegistryError, load_rules

    try:
        rules = load_rules()
    except RegistryError as exc:
        raise _fail(f"rule catalog is invalid: {exc}") from None
    from .render.rules_doc import render_rules_json, render_rules_markdown, render_rules_text

    if fmt == "json":
        click.echo(render_rules_json(rules), nl=False)
    elif fmt == "markdown":
        click.echo(render_rules_markdown(rules), nl=False)
    else:
        click.echo(render_rules_text(rules), nl=False)


@main.command("rule")
@click.argument("code")
def rule_cmd(code: str) -> None:
    """Show a rule's full documentation: why, options and examples. CODE may be a code or a name."""
    from .registry import RegistryError, load_rules

    try:
        rules = load_rules()
    except RegistryError as exc:
        raise _fail(f"rule catalog is invalid: {exc}") from None
    wanted = code.strip()
    for r in rules:
        if r.code.lower() == wanted.lower() or r.name == wanted:
            from .render.rules_doc import render_rule_doc

            click.echo(render_rule_doc(r), nl=False)
            return
    raise _fail(f"unknown rule {code!r} (see `lraudit rules`)")


if __name__ == "__main__":  # pragma: no cover
    main()
