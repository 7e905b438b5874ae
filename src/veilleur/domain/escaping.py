"""Text made safe for the machine-read contexts Veilleur writes by hand: XML (badges, feeds) and
CSS strings (the report's page margins).

HTML goes through Django's autoescaping and JSON through ``json.dumps``; these two are the
contexts where a name typed by a tenant would otherwise be pasted into markup as it is. Names
should not hold control characters in the first place, but rows saved before that rule, or a
public update pasted from elsewhere, must never break an output: they are dropped or replaced
here, as a last line of defence.
"""

from __future__ import annotations

import re

# XML 1.0 "Char": everything else (C0 controls but tab, CR and LF; lone surrogates; U+FFFE and
# U+FFFF) makes a document that no conforming parser reads.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAKS = re.compile("[\t\n\r\u0085\u2028\u2029]+")
# C1 controls are legal XML but mean nothing in a name; shown, they are invisible or boxes.
_C1_CONTROLS = re.compile("[\u007f-\u009f]")


def xml_text(value: str, *, one_line: bool = False) -> str:
    """``value`` without the characters XML 1.0 cannot carry (nor C1 controls); with
    ``one_line``, runs of line breaks and tabs become one space. The result still needs the XML
    writer's escaping of ``<``, ``&`` and quotes: this only makes it representable."""
    text = _NOT_XML_CHAR.sub("", value)
    text = _C1_CONTROLS.sub("", text)
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    return text


def _kept_in_css_string(char: str) -> bool:
    # Letters, digits and the space are written as they are (readable in the source); anything
    # else, quotes, backslashes, "<" of a "</style>" and punctuation included, as an escape.
    return char == " " or char.isalnum()


def css_string(value: str) -> str:
    """``value`` as a double-quoted CSS string, e.g. for ``content:`` in a page margin box.

    Every character but letters, digits and the space is written as a hexadecimal escape closed
    by one space (``-`` → ``\\2d ``; a parser takes that space as the end of the escape, even
    after six digits, so it is always written). The result holds no quote, backslash but its
    escapes', ``<``, ``&`` or line break, so it is also inert inside an HTML ``<style>`` element.
    Control characters are dropped (NUL has no CSS escape at all) and line breaks become spaces:
    a margin box holds one line.
    """
    text = xml_text(value, one_line=True)
    return '"' + "".join(char if _kept_in_css_string(char) else f"\\{ord(char):x} " for char in text) + '"'
