"""The ``preconcile`` command line: the only module that prints or chooses exit codes."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="preconcile",
    help="GitOps for Amazon Personalize: validate, plan and apply a YAML manifest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def main() -> None:
    """Console-script entry point."""
    app()
