"""A refused value is explained in the reader's language: the forms in French or English, the API
and the config file in English, with the same facts in both."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

import veilleur
from veilleur import validators
from veilleur.domain.refusals import Refused

DOMAIN = Path(veilleur.__file__).parent / "domain"


def _marked_templates() -> list[str]:
    """Every message the domain marks with gettext_noop (implicit concatenation is one constant)."""
    found = []
    for path in sorted(DOMAIN.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "gettext_noop"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
    return found


def test_the_domain_marks_its_refusals() -> None:
    assert len(_marked_templates()) > 40


@pytest.mark.parametrize("template", _marked_templates())
def test_every_refusal_of_the_domain_has_a_french_translation(template: str) -> None:
    with translation.override("fr"):
        french = translation.gettext(template)
    assert french != template
    # The same values go into both: every placeholder of the English is in the French.
    names = {part.split(")")[0] for part in template.split("%(")[1:]}
    assert {part.split(")")[0] for part in french.split("%(")[1:]} == names


@pytest.mark.parametrize(
    ("validate", "value", "english", "french"),
    [
        (
            validators.validate_color,
            "blue",
            "invalid colour 'blue': expected #RRGGBB, e.g. '#1d4ed8'",
            "couleur 'blue' non valide : attendu #RRGGBB, par exemple « #1d4ed8 »",
        ),
        (
            validators.validate_name,
            "A\nB",
            "'A\\nB' contains a line break: a name is one line of text",
            "'A\\nB' contient un saut de ligne : un nom tient sur une ligne",
        ),
        (
            validators.validate_time_zone,
            "Mars/Olympus",
            "unknown time zone 'Mars/Olympus'",
            "fuseau horaire 'Mars/Olympus' inconnu",
        ),
        (
            validators.validate_headers,
            {"X-A": "1\r\n2"},
            "header 'X-A' contains a line break",
            "l’en-tête 'X-A' contient un saut de ligne",
        ),
    ],
)
def test_a_form_says_it_in_the_active_language(
    validate: Callable[[Any], None], value: object, english: str, french: str
) -> None:
    for language, words in (("en", english), ("fr", french)):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                validate(value)
            message = refused.value.messages[0]  # rendered in the language active where it is read
        assert message.startswith(words), (language, message)


def test_the_plain_message_stays_english_whatever_the_language() -> None:
    """``str()`` of a refusal is what the API and the config file print."""
    with translation.override("fr"), pytest.raises(Refused) as refused:
        veilleur.domain.validators.check_color("blue")
    assert str(refused.value) == "invalid colour 'blue': expected #RRGGBB, e.g. '#1d4ed8'"
