"""Text for XML and CSS strings: whatever a name holds, the output parses back to the same text
(less the characters the format cannot carry), and never leaves its string or element."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import tinycss2
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.escaping import css_string, xml_text

HOSTILE_NAMES = [
    'x" onload="alert(document.domain)//',
    "Agence-Dupont",
    "</style><script>alert(1)</script>",
    "Martin & fils <b>",
    "back\\slash \\00002d \\",
    "line\nbreak\r\ttab",
    "nul\x00 bell\x07 esc\x1b del\x7f c1\x85",
    "l'apostrophe « guillemets »",
]
# Every character a name could hold, lone surrogates and non-characters included.
any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40) | st.text(
    alphabet=" -\"'\\<>&;{}\n\r\t\x00\x85aé9", max_size=20
)

XML_CHAR = re.compile("[\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _expected_one_line(value: str) -> str:
    """The oracle: keep XML characters that are not C1 controls, one space per run of breaks."""
    kept = "".join(c for c in value if XML_CHAR.fullmatch(c) and not "\x7f" <= c <= "\x9f")
    return re.sub("[\t\n\r\u0085\u2028\u2029]+", " ", kept)


def _css_string_value(css: str) -> str:
    """The value a CSS parser reads from ``content: <css>``; it must be one string token."""
    tokens = [t for t in tinycss2.parse_component_value_list(css) if t.type != "whitespace"]
    assert len(tokens) == 1 and tokens[0].type == "string", tokens
    return str(tokens[0].value)


@given(any_text)
def test_xml_text_parses_back_as_itself_in_text_and_attributes(value: str) -> None:
    text = xml_text(value)
    element = ET.Element("e", {"a": text})
    element.text = text
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    # A raw CR in element text is read back as LF (XML end-of-line handling); in attribute
    # values the writer uses character references, so every character survives.
    assert (parsed.text or "") == text.replace("\r\n", "\n").replace("\r", "\n")
    assert parsed.get("a") == text
    assert all(XML_CHAR.fullmatch(c) for c in text)


@given(any_text)
def test_xml_text_one_line_matches_the_oracle(value: str) -> None:
    assert xml_text(value, one_line=True) == _expected_one_line(value)


@given(any_text)
def test_css_string_reads_back_as_the_text(value: str) -> None:
    css = css_string(value)
    assert _css_string_value(css) == _expected_one_line(value)


@given(any_text)
def test_css_string_is_inert_inside_an_html_style_element(value: str) -> None:
    inner = css_string(value)[1:-1]
    assert not set(inner) & set("\"'<>&\n\r\f;{}"), inner
    assert "\\" not in re.sub(r"\\[0-9a-f]{1,6} ", "", inner)


def test_hostile_names() -> None:
    for name in HOSTILE_NAMES:
        assert _css_string_value(css_string(name)) == _expected_one_line(name)
    assert css_string("Agence-Dupont") == '"Agence\\2d Dupont"'
    assert xml_text("a\x00b\x1fc\ufffed", one_line=True) == "abcd"
