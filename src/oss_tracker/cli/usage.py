"""Running the command group: global options moved before the command, every usage error as
one line naming the fix, a closed pipe ending quietly.

Typer (Click) would print a four-line usage block without our `oss-tracker: error:` prefix,
suggest options by spelling alone (`report --debug` -> "--db"), and end a broken pipe with
exit 1, the code of a failed sync. Its exceptions are caught here through Typer's public
types (`typer.TyperException` is the base of every Click error, `typer.BadParameter`,
`typer.Exit`, `typer.Abort`); their fields (`ctx`, `param`, `option_name`) are Click's.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable
from typing import Any

import typer

PROG = "oss-tracker"
BROKEN_PIPE = 128 + 13  # the exit status of a command killed by SIGPIPE (`cat`, `grep` in a pipe)
INTERRUPTED = 128 + 2


def _options(command: Any) -> dict[str, bool]:
    """A command's option names (`--org`, `-f`, `--no-check`...) -> whether each takes a value;
    the help option left out."""
    out: dict[str, bool] = {}
    for param in getattr(command, "params", []):
        names = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        if getattr(param, "param_type_name", "") != "option":
            continue
        takes = not getattr(param, "is_flag", False) and not getattr(param, "count", False)
        for name in names:
            out[name] = takes
    return out


def hoist_globals(root: Any, args: list[str]) -> list[str]:
    """`oss-tracker report --org X --debug` as `oss-tracker --debug report --org X`: a global
    option (one the command does not have itself) given after the command is moved before it.
    Option values are skipped as Click would read them, and nothing after `--` is touched."""
    glob = _options(root)
    glob.pop("--help", None)
    glob.pop("-h", None)
    front: list[str] = []
    rest: list[str] = []
    command = root
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg.startswith("-") and len(arg) > 1:
            name = arg.split("=", 1)[0]
            own = _options(command) if command is not root else glob
            if command is not root and name not in own:
                if name in glob:
                    n = 2 if glob[name] and "=" not in arg else 1
                    front += args[i : i + n]
                    i += n
                    continue
                cluster = [f"-{c}" for c in arg[1:]] if not arg.startswith("--") else []
                if cluster and all(c in glob and not glob[c] for c in cluster):  # -qv
                    front.append(arg)
                    i += 1
                    continue
            n = 2 if own.get(name) and "=" not in arg else 1
            rest += args[i : i + n]
            i += n
            continue
        rest.append(arg)
        sub = getattr(command, "commands", {}).get(arg)
        if sub is not None:
            command = sub
        i += 1
    return front + rest


def run_group(group: Any, args: list[str], extra: dict[str, Any]) -> int:
    """Parse and run; every way out is an exit code (the caller exits with it)."""
    try:
        try:
            with group.make_context(PROG, args, **extra) as ctx:
                group.invoke(ctx)
            _flush()
            return 0
        except typer.Exit as done:
            _flush()
            return done.exit_code
        except typer.TyperException as err:
            # `oss-tracker`, `oss-tracker watch` alone: what a new user typing the name wants is
            # the help, on stdout like `-h`, and no failure (Click calls it a usage error, exit 2).
            ctx = getattr(err, "ctx", None)
            if type(err).__name__ != "NoArgsIsHelpError" or ctx is None:
                raise
            typer.echo(ctx.get_help())
            _flush()
            return 0
    except BrokenPipeError:
        return pipe_closed()
    except OSError as err:  # stdout failed outside a command (help to a full disk...)
        if err.errno is None or err.filename is not None:
            raise  # not a write to stdout: a command's own error shows itself
        return output_failed(err)
    except typer.Abort:
        typer.echo(f"{PROG}: error: aborted", err=True)
        return 1
    except KeyboardInterrupt:
        typer.echo(f"{PROG}: error: interrupted", err=True)
        return INTERRUPTED
    except typer.TyperException as err:  # Click's usage errors (and any ClickException)
        from oss_tracker.escape import visible

        typer.echo(f"{PROG}: error: {visible(usage_line(err, _locate(group, args)))}", err=True)
        return err.exit_code


def _flush() -> None:
    """Write what stdout still buffers now, so that a closed pipe is met here, not at exit."""
    sys.stdout.flush()


def pipe_closed() -> int:
    """The reader of stdout went away (`| head`): stop quietly, as a command killed by SIGPIPE
    would. Anything still buffered goes to /dev/null, so that Python's own flush at exit meets
    no broken pipe either."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # not a real file (tests): nothing to protect
        pass
    return BROKEN_PIPE


def _locate(root: Any, args: list[str]) -> tuple[str, Any]:
    """The command the arguments name (path and object): where an error without a context was met."""
    path, command = [PROG], root
    for arg in args:
        if arg == "--":
            break
        sub = getattr(command, "commands", {}).get(arg)
        if sub is not None:
            path.append(arg)
            command = sub
    return " ".join(path), command


def output_failed(err: OSError) -> int:
    """Writing to stdout failed (`> /dev/full`): one line, exit 1, and nothing more written."""
    pipe_closed()  # what stdout still buffers goes nowhere: no second error at exit
    typer.echo(f"{PROG}: error: cannot write the output: {err.strerror}", err=True)
    return 1


def usage_line(err: Any, located: tuple[str, Any] = (PROG, None)) -> str:
    """One line for a usage error, naming the fix (`located`: the command the arguments
    name, for the errors Click raises without a context)."""
    ctx = getattr(err, "ctx", None)
    command = getattr(ctx, "command", None) or located[1]
    where = getattr(ctx, "command_path", None) or located[0]
    name = where.removeprefix(PROG).strip() or PROG
    hint = f"see '{where} -h'"
    option = getattr(err, "option_name", None)
    if option is not None and hasattr(err, "possibilities"):
        return _no_such_option(option, command, ctx, name, hint)
    if isinstance(err, typer.BadParameter):
        return _bad_parameter(err, ctx, name, hint)
    message = str(getattr(err, "message", err)).strip()
    if m := re.match(r"No such command (.+?)\.", message):
        known = sorted(getattr(command, "commands", {}))
        typo = m.group(1).strip("'\"")
        close = difflib.get_close_matches(typo, known, n=1, cutoff=0.6)
        fix = f"did you mean '{close[0]}'?" if close else f"the commands are {', '.join(known)}"
        return f"no command '{typo}'{f' in {name}' if name != PROG else ''}: {fix}"
    if m := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message):
        extra = m.group(1)
        opts = _options(command)
        if "--org" in opts and not _has_arguments(command):
            return f"{name} takes no argument '{extra}': did you mean --org {extra.split()[0]}?"
        return f"{name}: unexpected argument '{extra}'; {hint}"
    if m := re.match(r"Option '(.+)' requires an argument", message):
        metavar = _metavar(command, m.group(1))
        return f"{m.group(1)} needs a value{f' ({metavar})' if metavar else ''}; {hint}"
    if m := re.match(r"Option '(.+)' does not take a value", message):
        if m.group(1) not in _options(command) and ctx is None:  # a global flag, moved before the command
            hint = f"see '{PROG} -h'"
        return f"{m.group(1)} takes no value; {hint}"
    return f"{message[:1].lower()}{message[1:].rstrip('.')}; {hint}"


def _metavar(command: Any, option: str) -> str | None:
    for param in getattr(command, "params", []):
        if option in getattr(param, "opts", []):
            return getattr(param, "metavar", None)
    return None


def _has_arguments(command: Any) -> bool:
    return any(getattr(p, "param_type_name", "") == "argument" for p in getattr(command, "params", []))


def _shown_options(command: Any) -> list[str]:
    """A command's long options as its help lists them (a hidden, deprecated one left out)."""
    shown = [p for p in getattr(command, "params", []) if not getattr(p, "hidden", False)]
    names = (n for p in shown for n in (*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])))
    return sorted(n for n in names if n.startswith("--"))


def _no_such_option(option: str, command: Any, ctx: Any, name: str, hint: str) -> str:
    own = _shown_options(command)
    close = difflib.get_close_matches(option, own, n=1, cutoff=0.75)
    if close:
        return f"{name} has no option {option}: did you mean {close[0]}?"
    elsewhere = _commands_with(option, ctx)
    if elsewhere:
        return f"{name} has no option {option} (it is an option of {', '.join(elsewhere)}); {hint}"
    return f"{name} has no option {option}; {hint}"


# Every command's Click object, for an error message that names the other commands with an
# option (`main` builds only the one it runs): set by `oss_tracker.cli.load`.
every_command: Callable[[], Any] | None = None


def _commands_with(option: str, ctx: Any) -> list[str]:
    """The other commands that have this option."""
    root = every_command() if every_command is not None else ctx.find_root().command
    found = []

    def walk(group: Any, prefix: str) -> None:
        for key, sub in sorted(getattr(group, "commands", {}).items()):
            if getattr(sub, "commands", None):
                walk(sub, f"{prefix}{key} ")
            elif option in _shown_options(sub):
                found.append(f"{prefix}{key}")

    walk(root, "")
    current = ctx.command_path.removeprefix(PROG).strip() if ctx is not None else ""
    return [c for c in found if c != current]


def _bad_parameter(err: Any, ctx: Any, name: str, hint: str) -> str:
    param = getattr(err, "param", None)
    message = str(getattr(err, "message", "") or "").strip().rstrip(".")
    if param is None and err.param_hint is None:
        return message  # our own sentence, written whole (cli.core.usage)
    if param is not None:
        opts = getattr(param, "opts", None) or []
        label = opts[0] if opts and opts[0].startswith("-") else (param.human_readable_name or "").upper()
        if type(err).__name__ == "MissingParameter":
            about = (getattr(param, "help", None) or "").rstrip(".")
            return (
                f"{name} needs {label}" + (f": {about[:1].lower()}{about[1:]}" if about else "") + f"; {hint}"
            )
        source = ctx.get_parameter_source(param.name) if ctx is not None and param.name else None
        if getattr(source, "name", "") == "ENVIRONMENT" and getattr(param, "envvar", None):
            label += f" (from ${param.envvar})"
    else:
        hints = err.param_hint if isinstance(err.param_hint, list | tuple) else [err.param_hint]
        label = " / ".join(str(h).strip("'") for h in hints)
    # Click's names for its types read as jargon: "'x' is not a valid int range".
    message = re.sub(r"is not a valid (?:int|integer)(?: range)?$", "is not a whole number", message)
    message = re.sub(r"is not a valid float(?: range)?$", "is not a number", message)
    return f"invalid value for {label}: {message}"
