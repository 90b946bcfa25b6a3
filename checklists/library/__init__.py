"""The built-in bilingual checklists, one YAML file per template, named after its key.

Schools start from these and copy them to make their own; a built-in template's key and
version never change meaning, so a change to one is a new version in its file.
"""

import functools
from importlib import resources

from checklists.decoding import parse_template
from checklists.problems import UnknownTemplate
from checklists.templates import Template


@functools.cache
def _templates() -> tuple[Template, ...]:
    files = sorted(
        (entry for entry in resources.files(__name__).iterdir() if entry.name.endswith(".yaml")),
        key=lambda entry: entry.name,
    )
    return tuple(parse_template(entry.read_bytes(), format="yaml") for entry in files)


def library_files() -> list[str]:
    return sorted(
        entry.name for entry in resources.files(__name__).iterdir() if entry.name.endswith(".yaml")
    )


def load_library() -> dict[str, Template]:
    """Every built-in template by key, in key order; a fresh dict each call."""
    return {template.key: template for template in sorted(_templates(), key=lambda t: t.key)}


def library_template(key: str) -> Template:
    for template in _templates():
        if template.key == key:
            return template
    raise UnknownTemplate(key)
