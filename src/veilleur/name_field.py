"""``NameField``: the model field of every one-line name or title people type.

A ``CharField`` whose values are checked by ``domain.validators.check_name`` (no control
characters, line breaks or tabs) in forms, the admin and the config file (which runs the model
field's validators); the API's ``Name`` type runs the same check.

It deconstructs as a plain ``CharField``: the check is code, not schema, so adding it needs no
migration and changing it later needs none either.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from veilleur.validators import validate_name


class NameField(models.CharField):
    default_validators = [validate_name]

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs
