"""Where a test's recordings live and what they hold.

One file per test: `<recordings>/<test file>/<test name>.jsonl`, in llmcache's reviewable
recording form (a header line, then one entry per line in key order). Each test's requests are
stored under a namespace of its own — its node id — so a test's entries are found only by it.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Iterable, List, Optional, Tuple

MAX_NAMESPACE = 128
MAX_FILE_NAME = 200


def namespace(nodeid: str) -> str:
    """The namespace of a test: its node id, bytes outside printable ASCII percent-encoded, and a
    long one cut to a readable prefix plus a hash of the whole (llmcache takes 128 characters)."""
    text = "".join(
        c if 0x21 <= ord(c) <= 0x7E and c != "%" else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in nodeid
    )
    if len(text) > MAX_NAMESPACE:
        digest = hashlib.sha256(nodeid.encode("utf-8")).hexdigest()[:16]
        text = text[: MAX_NAMESPACE - 17] + "~" + digest
    return text


def _safe(part: str) -> str:
    return "".join(
        c if c.isascii() and (c.isalnum() or c in "-_.[]=+,") else "".join(f"%{b:02X}" for b in c.encode("utf-8"))
        for c in part
    )


def path_for(directory: str, nodeid: str) -> str:
    """`<directory>/<test file>/<rest of the node id>.jsonl` (`::` becomes `.`)."""
    module, _, rest = nodeid.partition("::")
    name = _safe(rest.replace("::", ".") or "module")
    if len(name) > MAX_FILE_NAME:
        name = name[: MAX_FILE_NAME - 17] + "~" + hashlib.sha256(rest.encode("utf-8")).hexdigest()[:16]
    parts = [_safe(p) for p in module.split("/") if p not in ("", ".", "..")]
    return os.path.join(directory, *parts, name + ".jsonl")


def all_files(directory: str) -> List[str]:
    found = []
    for root, _, names in os.walk(directory):
        found += [os.path.join(root, n) for n in names if n.endswith(".jsonl")]
    return sorted(found)


class Recording:
    """The lines of one recording file: its header and its entries with their keys."""

    def __init__(self, header: str, entries: List[Tuple[str, str, str]]):
        self.header = header
        # (namespace, key, line) in file order.
        self.entries = entries

    @property
    def keys(self) -> List[str]:
        return [key for _, key, _ in self.entries]

    def namespaces(self) -> List[str]:
        return sorted({ns for ns, _, _ in self.entries})

    def entry(self, key: str) -> Optional[dict]:
        for _, found, line in self.entries:
            if found == key:
                return json.loads(line)
        return None

    @classmethod
    def read(cls, path: str) -> "Recording":
        header, entries = "", []
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                if not header:
                    header = line
                    continue
                try:
                    value = json.loads(line)
                    entries.append((value.get("namespace", ""), value.get("key", ""), line))
                except ValueError:
                    entries.append(("", "", line))  # import names the bad line
        return cls(header, entries)

    def split(self) -> Dict[str, "Recording"]:
        """One recording per namespace, entries in their order."""
        parts: Dict[str, List[Tuple[str, str, str]]] = {}
        for entry in self.entries:
            parts.setdefault(entry[0], []).append(entry)
        return {ns: Recording(self.header, lines) for ns, lines in parts.items()}

    def write(self, path: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(self.header + "\n")
            for _, _, line in self.entries:
                handle.write(line + "\n")
        os.replace(temporary, path)


def read_all(paths: Iterable[str]) -> Dict[str, Recording]:
    return {path: Recording.read(path) for path in paths}
