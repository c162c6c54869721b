"""Diagnostics: one problem in a manifest (or a file it points to), with its location.

Used by every step of manifest loading and validation, and rendered by the CLI as
``file:line:col  dotted.path: message`` followed by a ``hint:`` line, or as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

TEXT_MAX = 1000
"""The longest path, message or hint a diagnostic keeps, in characters."""


@dataclass(frozen=True)
class Diagnostic:
    """A problem found before any API call.

    A path, message or hint longer than :data:`TEXT_MAX` characters is cut to that length
    with an ellipsis and its full length.

    Attributes:
        file: the path of the file the problem is in, as the user named it.
        line: 1-based line, or 0 when the problem is about the whole file.
        column: 1-based column, or 0 when unknown.
        path: the dotted path inside the document (``solutions.s1.recipe``), or ``""``.
        message: what is wrong.
        hint: how to fix it, or ``None``.
    """

    file: str
    line: int
    column: int
    path: str
    message: str
    hint: str | None = None

    def __post_init__(self) -> None:
        # The last guard against printing megabytes: the rules already cut quoted values
        # (rules.problems.shown); whatever still runs long is cut here.
        for name in ("path", "message", "hint"):
            text = getattr(self, name)
            if text is not None and len(text) > TEXT_MAX:
                cut = f"{text[:TEXT_MAX]}… ({len(text):,} characters)"
                object.__setattr__(self, name, cut)

    def render(self) -> str:
        """Return the text form: ``file:line:col  path: message`` and an indented hint."""
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        head = f"{where}  {self.path}: {self.message}" if self.path else f"{where}  {self.message}"
        return head + (f"\n    hint: {self.hint}" if self.hint else "")

    def to_json(self) -> dict:
        """Return the JSON form (the dataclass fields as a dict)."""
        return asdict(self)


class ManifestError(Exception):
    """The manifest is invalid; ``diagnostics`` lists every problem found, in file order.

    Raised by :func:`personalize_reconcile.manifest.load_manifest`.
    """

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.file, d.line, d.column, d.path))
        super().__init__("\n".join(d.render() for d in self.diagnostics))
