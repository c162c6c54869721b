"""Read a YAML (or JSON) file into plain Python data, remembering where every node was.

One job: reading a file safely and parsing it with ruamel.yaml into plain
``dict``/``list``/scalars plus a position index. Called by
:mod:`personalize_reconcile.manifest.loader` for the manifest itself and by
:mod:`personalize_reconcile.manifest.checks` for schema files (``.avsc`` is JSON, which
this parser reads too).

Hostile input is bounded before it can cost time or memory:

* only regular files are opened (checked with ``os.stat`` first, then again on the open
  descriptor), never a FIFO, a device or a directory, and at most
  :data:`MAX_FILE_BYTES` are read;
* ruamel.yaml composes the node graph (linear in the text); a composer hook measures
  every node as it is composed, so aliases may repeat at most :data:`MAX_ALIAS_CHARS`
  characters in all (the "billion laughs" pattern is refused at the alias that crosses the
  limit), an alias may not refer to a value that contains it, and nesting — aliases
  included — stops at :data:`MAX_DEPTH` levels;
* the node graph is then turned into plain data here, not by ruamel's constructor, so
  merge keys (``<<``), explicit tags (``!!omap``, ``!!python/...``), non-scalar keys and
  duplicate keys each get a located error, and no arbitrary object is ever built.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer, MaxDepthExceededError
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from personalize_reconcile.manifest.diagnostics import Diagnostic
from personalize_reconcile.rules.problems import SHOWN_MAX, PathPart, a_or_an, dotted, shown

Path_ = tuple[PathPart, ...]

MAX_FILE_BYTES = 1024 * 1024
"""The largest manifest or schema file read, in bytes (1 MiB). A schema's JSON may have
at most 20,000 characters (botocore ``AvroSchema``); a manifest of hundreds of resources
is a few hundred KiB."""

MAX_DEPTH = 50
"""The deepest nesting of mappings and lists, aliases expanded (a manifest needs about 10)."""

MAX_ALIAS_CHARS = 1_000_000
"""How much YAML aliases may repeat in one file, in characters: each use of an alias
costs the characters of every key and scalar in its anchor's value, each value counting at
least 1."""

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = frozenset(_CORE + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_TAG_HINTS = {
    _CORE + "omap": "remove !!omap and write a plain mapping (key: value lines); key order "
    "is kept anyway",
    _CORE + "pairs": "remove !!pairs and write a plain mapping (key: value lines)",
    _CORE + "set": "remove !!set and write a list ('- value' lines)",
}
_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


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
        front of the dotted path shown to the user (not used for the position). Keys
        longer than 80 characters are cut in the shown path."""
        line, col = self.position(path, key=key)
        return Diagnostic(
            self.file, line, col, shown_path(tuple(prefix) + tuple(path)), message, hint
        )


def shown_path(path: Path_) -> str:
    """Render ``path`` dotted (``a.b[2].c``), each key cut to 80 characters with ``…``."""
    return dotted(
        tuple(p[:SHOWN_MAX] + "…" if isinstance(p, str) and len(p) > SHOWN_MAX else p for p in path)
    )


class SourceError(Exception):
    """The file could not be read or parsed; ``diagnostic`` says where and why."""

    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(diagnostic.render())


def file_problem(path: Path) -> str | None:
    """Return why ``path`` is not a regular file that can be read, or ``None``.

    Uses ``os.stat`` (symbolic links followed) and never opens the file, so a FIFO or a
    device cannot block or stream. The answer is a phrase to follow the file's name:
    ``"file not found"``, ``"is a directory, not a file"``, ``"is a FIFO (named pipe), not a
    regular file"``, ``"cannot be read: Permission denied"``.
    """
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "file not found"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    except ValueError:  # an embedded NUL in the path
        return "file not found"
    return _kind_problem(st.st_mode)


def _kind_problem(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
    return f"is {kind}, not a regular file"


def _whole_file(shown: str, message: str, hint: str | None = None) -> SourceError:
    return _located(shown, (0, 0), message, hint)


_NOT_REGULAR_HINT = "give the path of a regular file"


def _too_big(shown: str, limit: int) -> SourceError:
    return _whole_file(
        shown,
        f"is larger than {limit:,} bytes ({limit / 1024 / 1024:g} MiB), the limit for a "
        "manifest or schema file",
        "check that this is the right file: a manifest of hundreds of resources takes a few "
        "hundred KiB, a schema at most 20,000 characters",
    )


def read_text(path: Path, shown_as: str | None = None, *, limit: int = MAX_FILE_BYTES) -> str:
    """Read a regular file of at most ``limit`` bytes as UTF-8 text.

    The file is checked with :func:`file_problem` before it is opened, opened
    non-blocking, checked again on the descriptor (it may have been swapped meanwhile) and
    read with a cap of ``limit + 1`` bytes.

    Args:
        path: the file.
        shown_as: the name to use in diagnostics (default: ``str(path)``).
        limit: the largest size accepted, in bytes (default :data:`MAX_FILE_BYTES`).

    Raises:
        SourceError: missing, not a regular file, unreadable, larger than ``limit`` or
            not UTF-8 (line 0: about the whole file).
    """
    shown = shown_as or str(path)
    problem = file_problem(path)
    if problem == "file not found":
        raise _whole_file(shown, problem, "check the path")
    if problem:
        raise _whole_file(shown, problem, _NOT_REGULAR_HINT)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise _whole_file(shown, f"cannot be read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        problem = _kind_problem(st.st_mode)
        if problem:
            raise _whole_file(shown, problem, _NOT_REGULAR_HINT)
        if st.st_size > limit:
            raise _too_big(shown, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise _whole_file(shown, f"cannot be read: {e.strerror}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise _too_big(shown, limit)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as e:
        raise _whole_file(
            shown, f"is not UTF-8 text (byte {e.start})", "save the file as UTF-8"
        ) from None


def read_source(path: Path, shown_as: str | None = None) -> Source:
    """Read and parse ``path`` (at most :data:`MAX_FILE_BYTES`; see :func:`read_text`).

    Args:
        path: the file to read (UTF-8).
        shown_as: the name to use in diagnostics (default: ``str(path)``).

    Raises:
        SourceError: the file is missing, not a regular file, too large, unreadable, not
            UTF-8, not valid YAML/JSON, or breaks a rule of :func:`parse_source`.
    """
    shown = shown_as or str(path)
    return parse_source(read_text(path, shown), shown)


class _LimitError(MarkedYAMLError):
    """A bound of this module was crossed; carries its own fix hint."""

    def __init__(self, problem: str, mark: Any, hint: str):
        super().__init__(problem=problem, problem_mark=mark)
        self.hint = hint


def _anchor_name(anchor: str) -> str:
    return anchor if len(anchor) <= SHOWN_MAX else anchor[:SHOWN_MAX] + "…"


class _MeasuringComposer(Composer):
    """ruamel's composer, measuring each node as it is built: its size with aliases
    expanded (characters of its scalars, each node at least 1) and its height. An alias
    adds its target's size to a running total, bounded by :data:`MAX_ALIAS_CHARS`; an
    alias of a node still being composed (a recursive alias) and an alias that nests
    deeper than :data:`MAX_DEPTH` are refused. Work is linear in the number of nodes."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.measured: dict[int, tuple[int, int]] = {}
        self.repeated = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.parser.check_event(AliasEvent):
            node = super().compose_node(parent, index)
            self.measured[id(node)] = self._measure(node)
            return node
        event = self.parser.peek_event()
        node = super().compose_node(parent, index)
        name = _anchor_name(str(event.anchor))
        if id(node) not in self.measured:
            raise _LimitError(
                f"alias *{name} is used inside the value of its own anchor (a recursive alias)",
                event.start_mark,
                "an alias may only repeat a value that is complete before it",
            )
        size, height = self.measured[id(node)]
        self.repeated += size
        if self.repeated > MAX_ALIAS_CHARS:
            raise _LimitError(
                f"alias *{name} brings what aliases repeat to more than "
                f"{MAX_ALIAS_CHARS:,} characters, the limit",
                event.start_mark,
                "each alias repeats its anchor's whole value, so aliases of aliases multiply "
                "(the 'billion laughs' pattern); write the values out, or use fewer aliases",
            )
        if self.depth + height > MAX_DEPTH:
            raise _LimitError(
                f"nesting is deeper than {MAX_DEPTH} levels once alias *{name} is expanded",
                event.start_mark,
                "a manifest needs about 10 levels; flatten this value",
            )
        return node

    def _measure(self, node: Node) -> tuple[int, int]:
        if isinstance(node, ScalarNode):
            return max(1, len(node.value)), 1
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, MappingNode)
            else node.value
        )
        size, height = 1, 0
        for child in children:
            s, h = self.measured.get(id(child), (1, 1))
            size += s
            height = max(height, h)
        return size, height + 1


def _located(file: str, where: tuple[int, int], message: str, hint: str | None) -> SourceError:
    return SourceError(Diagnostic(file, where[0], where[1], "", message, hint))


def _position(i: int, text: str) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, i) + 1
    return text.count("\n", 0, i) + 1, i - line_start + 1


def parse_source(text: str, shown_as: str) -> Source:
    """Parse YAML/JSON ``text`` into a :class:`Source`.

    Raises:
        SourceError: the text holds a NUL or another control character, is not valid
            YAML/JSON, nests deeper than :data:`MAX_DEPTH`, repeats more than
            :data:`MAX_ALIAS_CHARS` through aliases or through a recursive alias, has a
            duplicate key, a merge key (``<<``), a non-scalar key or an explicit tag. Each
            error is located (line and column, 1-based) and carries a hint.
    """
    kind = "JSON" if shown_as.endswith((".avsc", ".json")) else "YAML"
    nul = text.find("\x00")
    if nul >= 0:
        raise _located(
            shown_as,
            _position(nul, text),
            f"the file contains a NUL character, so it is binary data, not {kind} text",
            "check that this is the right file, and save it as UTF-8 text",
        )
    yaml = YAML(typ="safe", pure=True)  # no comment gathering; nodes keep their marks
    yaml.Composer = _MeasuringComposer
    yaml.max_depth = MAX_DEPTH
    try:
        root = yaml.compose(text)
    except ReaderError as e:
        char = e.character if isinstance(e.character, int) else 0
        raise _located(
            shown_as,
            _position(e.position, text) if isinstance(e.position, int) else (0, 0),
            f"invalid {kind}: the control character U+{char:04X} is not allowed",
            "remove it; the text may hold tabs and line breaks but no other control characters",
        ) from None
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = (e.problem or e.context or "invalid YAML").strip()
        if isinstance(e, _LimitError):
            hint = e.hint
        elif isinstance(e, MaxDepthExceededError):
            problem = f"nesting is deeper than {MAX_DEPTH} levels"
            hint = "a manifest needs about 10 levels; flatten this value"
        elif problem == "but found another document":  # ruamel's ComposerError wording
            problem = "a second document starts here; the file may hold only one"
            hint = "remove this '---' and what follows it, or split the file in two"
        elif kind == "JSON":
            hint = (
                "check the brackets, commas, colons and double quotes around this place (a "
                "missing or extra comma, or an unclosed { or [)"
            )
        else:
            problem = _TOKEN_WORDS.sub(lambda m: _TOKENS[m.group(0)], problem)
            hint = "check indentation, colons and quoting around this place"
        where = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise _located(shown_as, where, f"invalid {kind}: {problem}", hint) from None
    except YAMLError as e:
        raise _whole_file(shown_as, f"invalid {kind}: {e}") from None
    src = Source(shown_as, None)
    src.values[()] = (1, 1)
    if root is not None:
        src.data = _Builder(src, SafeConstructor(loader=yaml), kind).build(root, ())
    return src


_TOKENS = {
    "'?'": "a key (name: value)",
    "'-'": "a list item (- ...)",
    "'<document start>'": "a new document (---)",
    "<block end>": "the end of the block",
    "<block mapping start>": "a mapping (name: value lines)",
    "<block sequence start>": "a list (- lines)",
    "<scalar>": "a plain value",
}
"""ruamel.yaml's names for parser tokens in its messages, and the words a manifest's author
knows them by: ``expected <block end>, but found '?'`` reads ``expected the end of the
block, but found a key (name: value)``."""
_TOKEN_WORDS = re.compile("|".join(re.escape(t) for t in _TOKENS))


def _pos(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a composed node graph into plain data and fills ``src``'s position tables.

    Recursion depth is bounded by the composer (:data:`MAX_DEPTH`, aliases included), and
    the work by the file size plus :data:`MAX_ALIAS_CHARS`.
    """

    def __init__(self, src: Source, constructor: SafeConstructor, kind: str):
        self.src = src
        self.constructor = constructor
        self.kind = kind

    def fail(self, node: Node, path: Path_, message: str, hint: str | None) -> SourceError:
        line, col = _pos(node)
        return SourceError(Diagnostic(self.src.file, line, col, shown_path(path), message, hint))

    def check_tag(self, node: Node, path: Path_, allowed: frozenset[str]) -> None:
        tag = node.tag or ""
        if node.ctag is not None and node.ctag.handle is None and tag in allowed:
            return
        short = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
        if tag in _TAG_HINTS:
            raise self.fail(node, path, f"the YAML tag {short} is not supported", _TAG_HINTS[tag])
        raise self.fail(
            node,
            path,
            f"explicit YAML tag {tag} is not allowed",
            "remove the tag; write the value as plain YAML",
        )

    def build(self, node: Node, path: Path_) -> Any:
        if isinstance(node, MappingNode):
            self.check_tag(node, path, frozenset({_CORE + "map"}))
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            self.check_tag(node, path, frozenset({_CORE + "seq"}))
            out = []
            for i, item in enumerate(node.value):
                self.src.values[path + (i,)] = _pos(item)
                out.append(self.build(item, path + (i,)))
            return out
        self.check_tag(node, path, _SCALAR_TAGS)
        return self.scalar(node, path)

    def scalar(self, node: Node, path: Path_) -> Any:
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError, OverflowError):
            what = node.tag[len(_CORE) :] if node.tag.startswith(_CORE) else node.tag
            raise self.fail(
                node,
                path,
                f"invalid {self.kind}: {shown(node.value)} cannot be read as {a_or_an(what)}",
                "quote it to make it a string, or check the value",
            ) from None
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, (_dt.date, _dt.datetime)):
            return value.isoformat()
        return str(value)

    def mapping(self, node: MappingNode, path: Path_) -> dict:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                raise self.fail(
                    key_node,
                    path,
                    "YAML merge keys (<<) are not supported",
                    "write the keys out in this mapping; an alias can still repeat a whole "
                    "value (key: *anchor)",
                )
            if not isinstance(key_node, ScalarNode):
                what = "a mapping" if isinstance(key_node, MappingNode) else "a list"
                raise self.fail(
                    key_node,
                    path,
                    f"a key must be a plain value, not {what}",
                    "write the key as text",
                )
            self.check_tag(key_node, path, _SCALAR_TAGS)
            key = self.scalar(key_node, path)
            # a key YAML reads as null, a boolean or a number keeps the text it was written
            # with (``true``, ``~``, ``1e3``), not Python's spelling of the value (True, None)
            key = key if isinstance(key, str) else str(key_node.value)
            if key in out:
                raise _located(
                    self.src.file,
                    _pos(key_node),
                    f'invalid {self.kind}: found duplicate key "{shown_path((key,))}"',
                    "each key may appear once in a mapping; remove or rename one",
                )
            self.src.keys[path + (key,)] = _pos(key_node)
            self.src.values[path + (key,)] = _pos(value_node)
            out[key] = self.build(value_node, path + (key,))
        return out
