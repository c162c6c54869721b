"""Read a YAML (or JSON) file into plain Python data, remembering where every node was.

One job: parsing with ruamel.yaml's round-trip loader (safe: no arbitrary objects are
built; explicit tags are refused) and turning the result into plain ``dict``/``list``/scalars
plus a position index. Called by :mod:`personalize_reconcile.manifest.loader` for the
manifest itself and for schema files (``.avsc`` is JSON, which this parser reads too).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from personalize_reconcile.manifest.diagnostics import Diagnostic
from personalize_reconcile.rules.problems import PathPart, dotted

Path_ = tuple[PathPart, ...]


@dataclass
class Source:
    """A parsed document and where its nodes came from.

    Attributes:
        file: the file name as the user gave it (used in diagnostics).
        data: the document as plain Python data.
        values: path -> (line, column), 1-based, of each value node.
        keys: path -> (line, column), 1-based, of each mapping key.
    """

    file: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Return (line, column) for ``path``: the nearest known ancestor if ``path`` itself
        is absent (a missing field is reported where its parent is); (1, 1) at worst."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.keys:
                return self.keys[p]
            p = p[:-1]
        return self.values.get((), (1, 1))

    def diagnostic(
        self,
        path: Path_,
        message: str,
        hint: str | None = None,
        *,
        key: bool = False,
        prefix: Path_ = (),
    ) -> Diagnostic:
        """Build a :class:`Diagnostic` for ``path`` in this document; ``prefix`` is put in
        front of the dotted path shown to the user (not used for the position)."""
        line, col = self.position(path, key=key)
        return Diagnostic(self.file, line, col, dotted(tuple(prefix) + tuple(path)), message, hint)


class SourceError(Exception):
    """The file could not be read or parsed; ``diagnostic`` says where and why."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


def read_source(path: Path, shown_as: str | None = None) -> Source:
    """Read and parse ``path``.

    Args:
        path: the file to read (UTF-8).
        shown_as: the name to use in diagnostics (default: ``str(path)``).

    Raises:
        SourceError: the file is missing, unreadable, not UTF-8, not valid YAML/JSON, has a
            duplicate key or uses an explicit tag.
    """
    shown = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(Diagnostic(shown, 0, 0, "", "file not found", "check the path")) from None
    except IsADirectoryError:
        raise SourceError(Diagnostic(shown, 0, 0, "", "is a directory, not a file")) from None
    except UnicodeDecodeError as e:
        raise SourceError(
            Diagnostic(
                shown, 0, 0, "", f"is not UTF-8 text (byte {e.start})", "save the file as UTF-8"
            )
        ) from None
    except OSError as e:
        raise SourceError(Diagnostic(shown, 0, 0, "", f"cannot be read: {e.strerror}")) from None
    return parse_source(text, shown)


def parse_source(text: str, shown_as: str) -> Source:
    """Parse YAML/JSON ``text``; see :func:`read_source` for the errors raised."""
    yaml = YAML(typ="rt", pure=True)
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = (e.problem or e.context or "invalid YAML").strip()
        if "duplicate key" in problem:
            hint = "each key may appear once in a mapping; remove or rename one"
            problem = problem.split(" with value")[0]
        else:
            hint = "check indentation, colons and quoting around this place"
        kind = "JSON" if shown_as.endswith((".avsc", ".json")) else "YAML"
        raise SourceError(
            Diagnostic(shown_as, line, col, "", f"invalid {kind}: {problem}", hint)
        ) from None
    except YAMLError as e:
        raise SourceError(Diagnostic(shown_as, 0, 0, "", f"invalid YAML: {e}")) from None
    src = Source(shown_as, None)
    src.values[()] = (1, 1)
    src.data = _plain(raw, (), src)
    return src


def _refuse_tag(tag: str, path: Path_, src: Source) -> None:
    line, col = src.position(path)
    raise SourceError(
        Diagnostic(
            src.file,
            line,
            col,
            dotted(path),
            f"explicit YAML tag {tag} is not allowed",
            "remove the tag; write the value as plain YAML",
        )
    )


def _plain(node: Any, path: Path_, src: Source) -> Any:
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and isinstance(node, (CommentedMap, CommentedSeq, TaggedScalar)):
        _refuse_tag(tag, path, src)
    if isinstance(node, CommentedMap):
        out = {}
        for k, v in node.items():
            key = _plain(k, path, src) if not isinstance(k, (str, int)) else k
            key = str(key) if not isinstance(key, str) else key
            kl, kc = node.lc.key(k)
            vl, vc = node.lc.value(k)
            src.keys[path + (key,)] = (kl + 1, kc + 1)
            src.values[path + (key,)] = (vl + 1, vc + 1)
            out[key] = _plain(v, path + (key,), src)
        return out
    if isinstance(node, CommentedSeq):
        out_l = []
        for i, v in enumerate(node):
            il, ic = node.lc.item(i)
            src.values[path + (i,)] = (il + 1, ic + 1)
            out_l.append(_plain(v, path + (i,), src))
        return out_l
    if isinstance(node, TaggedScalar):
        _refuse_tag(str(node.tag.value), path, src)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, (_dt.date, _dt.datetime)):
        return node.isoformat()
    return node
