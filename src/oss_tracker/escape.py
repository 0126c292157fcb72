"""Strings from outside made safe to show: every control character escaped, visibly.

Model ids, licence names, pipeline and library strings, error messages from the Hub and
names from a watch list reach terminals, spreadsheets and pages. A raw ESC or C1 CSI
(U+009B) there is a terminal command (clear the screen, set the window title, rewrite a
line), CR and BEL rewrite or ring, a newline starts a fake log line or Markdown heading, and
a bidi override (U+202E) makes text read backwards. `visible` shows each such character as
the escape Python's repr uses (ESC as `\\x1b`, U+202E as `\\u202e`, newline as `\\n`).

The rule is Python's own `str.isprintable()`: a character is escaped unless it is printable,
which leaves out C0 and DEL and C1 (category Cc), every format character (Cf: the bidi
embeddings, overrides, isolates and marks, zero-width spaces and joiners, the BOM, invisible
operators, tag characters), line and paragraph separators (Zl, Zp), every space but the
ASCII one (Zs, e.g. NBSP), lone surrogates (Cs, which could not even be encoded for output),
private-use and unassigned code points (Co, Cn). Printable text is kept exactly, so the
common case (plain text, CJK, emoji) costs one `isprintable()` call and no copy. (What may be
stored and what a label may hold are other rules, on purpose: see values._BAD_TEXT.)

A backslash is kept as it is: a literal `\\x1b` (four characters) and an escaped ESC look
the same. That is ambiguous to a reader but cannot inject anything, keeps paths and globs
readable, and the exact value is in the JSON form (`--format json`).

Imports nothing: render/ (report start-up) and the command line both use it.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """`text` with every non-printable character shown as an escape (`\\x1b`, `\\u202e`, `\\n`)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def json_visible(text: str) -> str:
    """JSON text (as json.dumps writes it) with every non-printable character but the line
    breaks between values written as a `\\uXXXX` escape: the same values after json.loads,
    and nothing a terminal would act on.

    json.dumps escapes C0 itself but writes DEL, C1, bidi and format characters, and lone
    surrogates, as they are. Those can only occur inside strings (the structure is ASCII), where
    `\\uXXXX` is exact; characters above U+FFFF become a surrogate pair, as JSON writes them.
    """
    lines = text.split("\n")
    if all(line.isprintable() for line in lines):
        return text
    return "\n".join(line if line.isprintable() else _json_line(line) for line in lines)


def _json_line(line: str) -> str:
    out = []
    for ch in line:
        if ch.isprintable():
            out.append(ch)
            continue
        n = ord(ch)
        if n > 0xFFFF:
            n -= 0x10000
            out.append(f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}")
        else:
            out.append(f"\\u{n:04x}")
    return "".join(out)
