"""The human view of a plan, rendered from the same data as the JSON plan.

One job: turn a :class:`~personalize_reconcile.engine.plan.Plan` into Terraform-like text
with rich markup (``+`` create, ``~`` update, ``-/+`` replace, ``+/-`` replace with the new
one made first, ``-`` delete, ``~ ... will be adopted`` for an existing resource apply
tags as this manifest's, ``= ... will be adopted`` for a schema, which apply simply uses), fields as
``before -> after``, "forces replacement" markers and a summary line. Called by the CLI,
which decides whether colour is shown.
"""

from __future__ import annotations

import json
from typing import Any

from rich.markup import escape

from personalize_reconcile.engine.plan import Change, Plan
from personalize_reconcile.resources import UNKNOWN

MARKS = {
    "create": ("+", "green"),
    "update": ("~", "yellow"),
    "replace": ("-/+", "magenta"),
    "delete": ("-", "red"),
    "no-op": (" ", "dim"),
}
VERBS = {
    "create": "created",
    "update": "updated in place",
    "replace": "replaced",
    "delete": "deleted",
}


def value(v: Any) -> str:
    """A field value as shown to people: JSON for data, ``(known after apply)``, ``null``."""
    if v is UNKNOWN:
        return "(known after apply)"
    if v is None:
        return "null"
    text = json.dumps(v, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def change_lines(c: Change) -> list[str]:
    """The lines for one change (empty for a no-op that needs no wait)."""
    action = c.action
    if action == "no-op" and c.adopting:
        return [
            f"  [cyan]  =[/cyan] [bold]{escape(c.address)}[/bold] will be adopted: "
            f"{escape(c.reason)}"
        ]
    if action == "no-op":
        if not c.wait:
            return []
        return [f"  [dim]  …[/dim] [bold]{escape(c.address)}[/bold] {escape(c.reason)}"]
    mark, colour = MARKS[action]
    if c.create_first:
        mark = "+/-"
    verb = "adopted" if c.adopting else VERBS[action]
    name = (
        ""
        if c.name is UNKNOWN or c.name in (None, c.address.split(".", 1)[1])
        else f" [dim]({escape(str(c.name))})[/dim]"
    )
    lines = [
        f"  [{colour}]{mark:>3}[/{colour}] [bold]{escape(c.address)}[/bold]{name} will be "
        f"{verb}: {escape(c.reason)}"
    ]
    for fc in c.changes:
        tail = (
            " [red]# forces replacement[/red]"
            if fc.forces_replacement and action == "replace"
            else ""
        )
        lines.append(
            f"      [yellow]~[/yellow] {escape(fc.path)}: {escape(value(fc.before))} "
            f"-> {escape(value(fc.after))}{tail}"
        )
    return lines


def summary_line(plan: Plan) -> str:
    """``Plan: 7 to create, 0 to update, 0 to replace, 0 to delete.``, with
    ``, 2 to adopt`` before the full stop when the plan adopts existing resources (an
    adopted taggable resource also counts as an update: apply tags it)."""
    s = plan.summary()
    adopted = sum(1 for c in plan.changes if c.adopting)
    return (
        f"[bold]Plan:[/bold] {s['create']} to create, {s['update']} to update, "
        f"{s['replace']} to replace, {s['delete']} to delete"
        + (f", {adopted} to adopt." if adopted else ".")
    )


def render_plan(plan: Plan) -> str:
    """The whole plan as rich markup."""
    if not plan.has_changes:
        waits = [line for c in plan.changes if c.wait for line in change_lines(c)]
        head = [
            "[green]No changes.[/green] The live resources match "
            f"{escape(plan.manifest)} ({plan.target}, {plan.region})."
        ]
        if waits:
            head += ["", "Still settling (apply waits for them):"] + waits
        return "\n".join(head)
    lines = [
        f"preconcile will make these changes on the [bold]{plan.target}[/bold] target "
        f"({plan.region}):",
        "",
    ]
    for c in plan.changes:
        lines.extend(change_lines(c))
    lines += ["", summary_line(plan)]
    return "\n".join(lines)
