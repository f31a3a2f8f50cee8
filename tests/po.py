"""A small reader for gettext .po catalogs (what the translation tests need, no dependency)."""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("id", "it", "fr")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index -> text; index 0 alone when singular
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def key(self) -> str:
        return f"{self.msgctxt}\x04{self.msgid}" if self.msgctxt else self.msgid


def read_po(path: Path) -> list[Entry]:
    """Entries of a .po file; obsolete (#~) entries are left out."""
    entries, entry, target = [], None, None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#,"):
            entry = _finish(entries, entry, target)
            entry = Entry(line=number, flags={f.strip() for f in line[2:].split(",")})
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            _append(entry, target, ast.literal_eval(line))
            continue
        if keyword in ("msgctxt", "msgid") and (entry is None or entry.msgstr):
            entry = _finish(entries, entry, target)
            entry = Entry(line=number)
        if keyword == "msgctxt" and entry.msgid:
            entry = _finish(entries, entry, target)
            entry = Entry(line=number)
        entry = entry or Entry(line=number)
        target = keyword
        _append(entry, target, ast.literal_eval(rest))
    _finish(entries, entry, target)
    return entries


def _append(entry: Entry, target: str, text: str) -> None:
    if target == "msgid":
        entry.msgid += text
    elif target == "msgid_plural":
        entry.msgid_plural = (entry.msgid_plural or "") + text
    elif target == "msgctxt":
        entry.msgctxt = (entry.msgctxt or "") + text
    else:
        match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", target)
        index = int(match.group(1) or 0)
        entry.msgstr[index] = entry.msgstr.get(index, "") + text


def _finish(entries: list[Entry], entry: Entry | None, target) -> None:
    if entry is not None and (entry.msgstr or entry.msgid):
        entries.append(entry)
    return None


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next(e for e in entries if e.is_header)
    return dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)


def nplurals(entries: list[Entry]) -> int:
    match = re.search(r"nplurals\s*=\s*(\d+)", header_fields(entries).get("Plural-Forms", ""))
    return int(match.group(1)) if match else 0


def catalog(language: str) -> list[Entry]:
    return read_po(LOCALE_DIR / language / "LC_MESSAGES" / "django.po")
