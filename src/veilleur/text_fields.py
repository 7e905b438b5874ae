"""Model fields for the text people type, checked in forms, the admin and the config file
(which runs the model fields' validators); the API's types run the same checks.

- ``NameField``: a one-line name or title (``domain.validators.check_name``: no control
  characters, line breaks or tabs);
- ``ParagraphField``: a text of several lines (``check_text``: line breaks and tabs allowed,
  other control characters refused).

Both deconstruct as the plain Django field they extend: the check is code, not schema, so
adding it needs no migration and changing it later needs none either.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from veilleur.validators import validate_name, validate_text


class NameField(models.CharField):
    default_validators = [validate_name]

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


class ParagraphField(models.TextField):
    default_validators = [validate_text]

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.TextField", args, kwargs


class LowercaseEmailModel(models.Model):
    """A model whose ``email`` is stored stripped and lower-cased: sign-in and de-duplication look
    addresses up that way, so "Marie@…" and "marie@…" are one person. It is normalised before the
    fields are validated too, so uniqueness is checked on the value that will be stored."""

    email: Any

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalise()
        super().save(*args, **kwargs)

    def normalise(self) -> None:
        self.email = self.email.strip().lower()

    def clean_fields(self, exclude: Any = None) -> None:
        self.normalise()
        super().clean_fields(exclude)
