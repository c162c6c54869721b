"""The ``preconcile`` command line: the only module that prints or chooses exit codes.

Exit codes (design §5): 0 success, 1 error (invalid input included), 2 changes present
(only with ``--detailed-exitcode``). Usage errors exit 1 too, so a gate that reads 2 as
"changes" is never fooled by a typo.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from personalize_reconcile.cli_local import local_app
from personalize_reconcile.manifest import ManifestError, json_schema, load_manifest, parse_var

app = typer.Typer(
    name="preconcile",
    help="GitOps for Amazon Personalize: validate, plan and apply a YAML manifest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(local_app, name="local")

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

_state = {"debug": False, "changes_exit": False}

ManifestArg = Annotated[
    Path, typer.Argument(help="The manifest file (YAML).", metavar="FILE", show_default=False)
]
VarOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--var",
        help="Set a variable: name=value (repeatable); overrides the manifest's variables.",
        show_default=False,
    ),
]


class UserError(Exception):
    """A problem in what the user gave us: printed as one paragraph, exit 1."""


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


def _vars(values: list[str] | None) -> dict[str, str]:
    result = {}
    for v in values or []:
        try:
            name, value = parse_var(v)
        except ValueError as e:
            raise UserError(f"{e}; for example --var bucket=my-bucket") from None
        result[name] = value
    return result


@app.command()
def validate(
    file: ManifestArg,
    var: VarOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print diagnostics as JSON.")] = False,
) -> None:
    """Check a manifest without calling any API. Exit 0 when valid, 1 when not."""
    try:
        loaded = load_manifest(file, _vars(var))
    except ManifestError as e:
        if as_json:
            out.print_json(
                json.dumps(
                    {
                        "valid": False,
                        "error_count": len(e.diagnostics),
                        "diagnostics": [d.to_json() for d in e.diagnostics],
                    }
                )
            )
        else:
            for d in e.diagnostics:
                err.print(d.render(), markup=False)
            n = len(e.diagnostics)
            err.print(f"\n{n} problem{'s' if n != 1 else ''} found in {file}.", markup=False)
        raise typer.Exit(1) from None
    m = loaded.manifest
    datasets = m.datasets.by_type()
    counts = {
        "schemas": len(m.schemas),
        "datasets": len(datasets),
        "imports": sum(len(d.imports) for d in datasets.values()),
        "solutions": len(m.solutions),
        "campaigns": len(m.campaigns),
    }
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "valid": True,
                    "error_count": 0,
                    "diagnostics": [],
                    "dataset_group": m.dataset_group.name,
                    "counts": counts,
                }
            )
        )
        return
    parts = ", ".join(f"{n} {k[:-1] if n == 1 else k}" for k, n in counts.items())
    out.print(f"{file} is valid: dataset group {m.dataset_group.name}, {parts}.", markup=False)


@app.command()
def schema() -> None:
    """Print the manifest's JSON Schema (for editors: see docs/editor.md)."""
    out.print(json.dumps(json_schema(), indent=2), markup=False)


def exit_with_changes() -> typer.Exit:
    """Return the Exit that says "changes present" (code 2, ``--detailed-exitcode``).

    Commands must use this rather than ``typer.Exit(2)``: :func:`main` turns any other
    exit code 2 (click's usage errors) into 1.
    """
    _state["changes_exit"] = True
    return typer.Exit(2)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app; map every failure to exit code 1."""
    _state["changes_exit"] = False
    try:
        app(args=argv, prog_name="preconcile")
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if code == 2 and not _state["changes_exit"]:
            code = 1  # a usage error, not "changes present"
        sys.exit(code)
    except UserError as e:
        err.print(f"Error: {e}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("Interrupted.")
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - last line of defence: no traceback for users
        if _state["debug"]:
            traceback.print_exc()
        else:
            err.print(
                f"Error: unexpected {type(e).__name__}: {e}\n"
                "Run again with --debug for the traceback.",
                markup=False,
            )
        sys.exit(1)
