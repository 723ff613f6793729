"""Loading untrusted YAML safely, keeping the line and column of every value.

Rule files and fixtures are data. This loader builds plain Python values
(dict, list, str, int, float, bool, None, date) from the parser's event stream
and refuses what data does not need: explicit tags (``!!python/object`` and
friends), duplicate keys, aliases that expand beyond a size limit or refer to
themselves, nesting beyond a depth limit, files beyond a size limit, and
invalid UTF-8. It never constructs objects from tags and never runs code.

``marks`` maps a path (a tuple of keys and list indexes) to the (line, col)
of the value at that path; ``path + (KEY,)`` holds the mark of a mapping key.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import yaml

from .._errors import Problem, RuleFileError
from .._io._json import line_col

__all__ = ["KEY", "MAX_ALIAS_NODES", "MAX_DEPTH", "MAX_FILE_BYTES", "Loaded", "load_yaml"]

KEY = "<key>"
MAX_FILE_BYTES = 2 << 20
MAX_DEPTH = 48
MAX_ALIAS_NODES = 50_000
MAX_INT_DIGITS = 30

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCT = yaml.constructor.SafeConstructor()
_ALLOWED = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}


@dataclass(eq=False)
class _Node:
    kind: str  # "scalar" | "map" | "seq"
    line: int
    col: int
    value: Any = None
    items: list[Any] = field(default_factory=list)  # map: (key, key_line, key_col, node)


@dataclass(frozen=True)
class Loaded:
    value: Any
    marks: dict[tuple[Any, ...], tuple[int, int]]
    sha256: str
    size: int


def _fail(
    path: str, code: str, en: str, zh: str, line: int | None = None, col: int | None = None
) -> RuleFileError:
    return RuleFileError(f"{path}: refused", (Problem(path, code, zh, en, line=line, col=col),))


def _tag_refused(where: str, line: int, col: int) -> RuleFileError:
    return _fail(
        where,
        "yaml-tag",
        "YAML tags are not allowed in rule files",
        "规则文件中不允许使用 YAML 标签",
        line,
        col,
    )


def _scalar(event: Any, where: str) -> Any:
    line, col = event.start_mark.line + 1, event.start_mark.column + 1
    if event.tag not in (None, "!"):
        raise _tag_refused(where, line, col)
    if not event.implicit[0]:
        return event.value  # quoted: a string, whatever it looks like
    tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
    if tag not in _ALLOWED:
        raise _fail(where, "yaml-tag", "unsupported YAML value", "不支持的 YAML 值", line, col)
    if tag == "tag:yaml.org,2002:int" and len(event.value.lstrip("+-")) > MAX_INT_DIGITS:
        # Python refuses to convert very long integers (an untyped ValueError).
        raise _fail(
            where,
            "yaml-number",
            f"a number has more than {MAX_INT_DIGITS} digits",
            f"数字超过 {MAX_INT_DIGITS} 位",
            line,
            col,
        )
    node = yaml.ScalarNode(tag, event.value)
    # The tag's own constructor, not construct_object: that one caches every node it
    # sees in the shared constructor, which would grow with every file loaded.
    try:
        value = _CONSTRUCT.yaml_constructors[tag](_CONSTRUCT, node)
    except (ValueError, TypeError, OverflowError):
        raise _fail(
            where, "yaml-value", "a value cannot be read", "无法读取的值", line, col
        ) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail(where, "yaml-number", "numbers must be finite", "数值必须是有限数", line, col)
    return value


def _events(text: str, where: str) -> _Node | None:
    """Build a node tree from parser events, refusing tags, depth and bad aliases."""
    tree = _Tree(where)
    events = 0
    try:
        for event in yaml.parse(text, Loader=_Parser):
            events += 1
            if events > 4 * MAX_ALIAS_NODES:
                raise _fail(where, "yaml-too-large", "too many YAML nodes", "YAML 节点过多")
            tree.add(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        problem = exc.problem or "invalid YAML"
        raise _fail(
            where,
            "yaml-syntax",
            f"invalid YAML: {problem}",
            "YAML 语法错误",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError:
        raise _fail(where, "yaml-syntax", "invalid YAML", "YAML 语法错误") from None
    return tree.root


class _Tree:
    """A node tree as parser events build it: the anchors seen, the collections still
    open (each with its anchor and the nodes read into it), and the one document."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.anchors: dict[str, _Node] = {}
        self.open: list[tuple[_Node, str | None, list[Any]]] = []
        self.root: _Node | None = None

    def add(self, event: Any) -> None:
        line = event.start_mark.line + 1 if event.start_mark else 0
        col = event.start_mark.column + 1 if event.start_mark else 0
        if isinstance(event, yaml.ScalarEvent):
            node = _Node("scalar", line, col, value=_scalar(event, self.where))
            node.value = (node.value, event.value)  # keep the raw text for keys
            anchor = event.anchor
        elif isinstance(event, yaml.AliasEvent):
            node, anchor = self._alias(event.anchor, line, col), None
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._start(event, line, col)
            return
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            node, anchor = self._end(line, col)
        else:
            return  # stream and document markers
        if anchor:
            self.anchors[anchor] = node
        self._place(node, line, col)

    def _alias(self, anchor: str | None, line: int, col: int) -> _Node:
        if anchor is None or anchor not in self.anchors:
            raise _fail(
                self.where,
                "yaml-alias",
                "an alias refers to an unknown or enclosing anchor",
                "别名指向未知或外层的锚点",
                line,
                col,
            )
        return self.anchors[anchor]

    def _start(self, event: Any, line: int, col: int) -> None:
        if event.tag not in (None, "!") and not event.implicit:
            raise _tag_refused(self.where, line, col)
        if len(self.open) >= MAX_DEPTH:
            raise _fail(
                self.where,
                "yaml-too-deep",
                f"nested deeper than {MAX_DEPTH} levels",
                f"嵌套超过 {MAX_DEPTH} 层",
                line,
                col,
            )
        kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
        self.open.append((_Node(kind, line, col), event.anchor, []))

    def _end(self, line: int, col: int) -> tuple[_Node, str | None]:
        node, anchor, pending = self.open.pop()
        if node.kind == "seq":
            node.items = pending
            return node, anchor
        if len(pending) % 2:
            raise _fail(self.where, "yaml-syntax", "a key has no value", "键缺少值", line, col)
        for key_node, value_node in zip(pending[::2], pending[1::2], strict=True):
            if key_node.kind != "scalar":
                raise _fail(
                    self.where,
                    "yaml-key",
                    "mapping keys must be plain text",
                    "映射的键必须是纯文本",
                    key_node.line,
                    key_node.col,
                )
            node.items.append((key_node.value[1], key_node.line, key_node.col, value_node))
        return node, anchor

    def _place(self, node: _Node, line: int, col: int) -> None:
        """Into the collection still open, or as the document."""
        if self.open:
            self.open[-1][2].append(node)
        elif self.root is None:
            self.root = node
        else:
            raise _fail(
                self.where,
                "yaml-documents",
                "a rule file holds one YAML document",
                "规则文件只能包含一个 YAML 文档",
                line,
                col,
            )


def _size(node: _Node, memo: dict[int, int]) -> int:
    """Nodes after alias expansion, computed without expanding."""
    key = id(node)
    if key in memo:
        return memo[key]
    if node.kind == "scalar":
        total = 1
    elif node.kind == "map":
        total = 1 + sum(1 + _size(v, memo) for _, _, _, v in node.items)
    else:
        total = 1 + sum(_size(v, memo) for v in node.items)
    memo[key] = total
    return total


def _excess(node: _Node, sizes: dict[int, int]) -> tuple[int, int]:
    """Where the expansion goes over the limit: the first value, in document order,
    that takes the running total past it (descending while one value alone does)."""
    while node.kind != "scalar":
        children = [v for *_, v in node.items] if node.kind == "map" else list(node.items)
        total, over = 0, None
        for child in children:
            total += sizes[id(child)]
            if total > MAX_ALIAS_NODES:
                over = child
                break
        if over is None or sizes[id(over)] <= MAX_ALIAS_NODES:
            return (over or node).line, (over or node).col
        node = over
    return node.line, node.col


def _build(
    node: _Node, path: tuple[Any, ...], marks: dict[tuple[Any, ...], tuple[int, int]], where: str
) -> Any:
    marks[path] = (node.line, node.col)
    if node.kind == "scalar":
        return node.value[0]
    if node.kind == "seq":
        return [_build(child, (*path, i), marks, where) for i, child in enumerate(node.items)]
    out: dict[str, Any] = {}
    for key, line, col, child in node.items:
        if key in out:
            raise _fail(
                where, "duplicate-key", f"duplicate key '{key}'", f"重复的键 '{key}'", line, col
            )
        marks[(*path, key, KEY)] = (line, col)
        out[key] = _build(child, (*path, key), marks, where)
    return out


def load_yaml(data: bytes, where: str, max_bytes: int = MAX_FILE_BYTES) -> Loaded:
    """Parse one YAML document of untrusted bytes into plain values and marks."""
    if len(data) > max_bytes:
        raise _fail(
            where, "file-too-large", f"larger than {max_bytes} bytes", f"超过 {max_bytes} 字节"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            where,
            "encoding",
            "not valid UTF-8",
            "不是有效的 UTF-8 编码",
            *line_col(data, exc.start),
        ) from None
    if "\x00" in text:
        raise _fail(where, "encoding", "contains a NUL character", "包含 NUL 字符")
    try:
        root = _events(text, where)
    except RecursionError:
        raise _fail(where, "yaml-too-deep", "nested too deeply", "嵌套过深") from None
    if root is None:
        raise _fail(where, "empty", "the file is empty", "文件为空")
    sizes: dict[int, int] = {}
    if _size(root, sizes) > MAX_ALIAS_NODES:
        line, col = _excess(root, sizes)
        raise _fail(
            where,
            "yaml-too-large",
            f"more than {MAX_ALIAS_NODES} values once aliases are expanded",
            f"展开别名后超过 {MAX_ALIAS_NODES} 个值",
            line,
            col,
        )
    marks: dict[tuple[Any, ...], tuple[int, int]] = {}
    value = _build(root, (), marks, where)
    return Loaded(value, marks, hashlib.sha256(data).hexdigest(), len(data))
