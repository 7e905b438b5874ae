"""Config as code: the agency described in one YAML file, applied and exported."""
