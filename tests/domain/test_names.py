"""Names refuse control characters; keys and colours refuse a trailing newline; stored names are
folded to one line where they reach mail headers."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veilleur.domain.validators import check_color, check_key, check_name, check_text, one_line

LINE_SEPARATORS = {"\u2028", "\u2029"}


def is_refused_in_a_name(char: str) -> bool:
    """The oracle: Unicode's own list of control characters (C0, DEL, C1), and the two
    separators that end a line."""
    return unicodedata.category(char) == "Cc" or char in LINE_SEPARATORS


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_a_name_is_refused_exactly_when_it_holds_a_control_character(text: str) -> None:
    refused = any(is_refused_in_a_name(char) for char in text)
    try:
        check_name(text)
    except ValueError:
        assert refused
    else:
        assert not refused


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("Boulangerie\r\nBcc: everyone@example.com", "a carriage return"),
        ("Shop\n", "a line break"),
        ("Marie\tCurie", "a tab"),
        ("Bell\x07", "the control character U+0007"),
        ("Next\x85line", "the control character U+0085"),
        ("Nightly\u2028backup", "the control character U+2028"),
    ],
)
def test_the_refusal_says_which_character(name: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        check_name(name)


@pytest.mark.parametrize("name", ["Boulangerie Martin", "Café « Le Zinc » — 24/7", "Été 🌞", "a"])
def test_ordinary_names_pass_unchanged(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("key", ["shop\n", "shop\r\n", "\nshop", "sh\nop"])
def test_keys_refuse_line_breaks_anywhere(key: str) -> None:
    with pytest.raises(ValueError, match="invalid key"):
        check_key(key)


def test_colours_refuse_a_trailing_newline() -> None:
    with pytest.raises(ValueError, match="invalid colour"):
        check_color("#123456\n")


@given(st.text(max_size=60))
def test_one_line_leaves_no_control_character_and_no_outer_space(text: str) -> None:
    folded = one_line(text)
    assert not any(is_refused_in_a_name(char) for char in folded)
    assert folded == folded.strip()
    if not any(is_refused_in_a_name(char) or char.isspace() for char in text):
        assert folded == text


def test_paragraphs_keep_line_breaks_and_tabs_and_refuse_other_controls() -> None:
    assert check_text("Mise à jour\r\n\tWordPress 6.9\n") == "Mise à jour\r\n\tWordPress 6.9\n"
    for bad in ("Colours \x1b[31mred", "nul\x00", "Next\x85line", "del\x7f"):
        with pytest.raises(ValueError, match="the text contains the control character U\\+"):
            check_text(bad)
