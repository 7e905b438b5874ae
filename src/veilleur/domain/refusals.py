"""A refused value: the English message, and what a translation needs to say it in the reader's language.

The domain speaks no Django: ``gettext_noop`` only marks a template for the catalogue, and the web
layer (``veilleur.validators.refusal_text``) translates it for the forms a person reads. The config
file and the API answer in English, as ``str()`` of the refusal.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    """Marks ``message`` for the catalogue; the translation happens where the message is shown."""
    return message


class Refused(ValueError):
    """A ``ValueError`` whose message is ``template % values``, kept apart for a translation."""

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = values
        super().__init__(template % values if values else template)
