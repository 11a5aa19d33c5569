"""Reading a policy file's text into plain data plus the line of every key, so that validation errors
can name the line: ``tomllib`` keeps no positions (we scan the text), YAML nodes carry marks."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from hegui.core.errors import PolicyError

KeyPath = tuple[str | int, ...]


def parse_toml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"{source}: invalid TOML: {err}") from None
    return data, _toml_key_lines(text)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise PolicyError(f"{source}:{where} invalid YAML: {getattr(err, 'problem', None) or err}") from None
    lines: dict[KeyPath, int] = {}

    def walk(n: Any, path: KeyPath) -> None:
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                lines[(*path, str(key.value))] = key.start_mark.line + 1
                walk(value, (*path, str(key.value)))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[(*path, i)] = item.start_mark.line + 1
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return data if data is not None else {}, lines


_TOML_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_BARE_OR_QUOTED = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_TOML_KEY = re.compile(rf"^\s*({_TOML_BARE_OR_QUOTED}(?:\s*\.\s*{_TOML_BARE_OR_QUOTED})*)\s*=")
_TOML_PART = re.compile(r"""[A-Za-z0-9_-]+|"([^"]*)"|'([^']*)'""")


def _toml_parts(dotted: str) -> tuple[str, ...]:
    return tuple(m.group(1) if m.group(1) is not None else m.group(2) if m.group(2) is not None
                 else m.group(0) for m in _TOML_PART.finditer(dotted))


def _toml_key_lines(text: str) -> dict[KeyPath, int]:
    """Line of every table header and key (``tomllib`` keeps no positions, so scan the text)."""
    lines: dict[KeyPath, int] = {}
    table: KeyPath = ()
    array_counts: dict[tuple[str, ...], int] = {}
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _TOML_HEADER.match(line)
        if header:
            parts = _toml_parts(header.group(2))
            if header.group(1) == "[[":
                index = array_counts.get(parts, 0)
                array_counts[parts] = index + 1
                table = (*parts, index)
            else:
                table = parts
            for end in range(1, len(table) + 1):  # [a.b.c] also defines a and a.b here if not before
                lines.setdefault(table[:end], number)
            continue
        key = _TOML_KEY.match(line)
        if key:
            lines.setdefault((*table, *_toml_parts(key.group(1))), number)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_multiline = quote
    return lines
