"""Reading a template from a YAML or JSON document, or from already-decoded data.

A decoded template is also checked (`check_template`), so whatever `parse_template` returns
can be shown and filled in; every failure comes back as problems with paths, never as a
msgspec or YAML exception.
"""

import re
from typing import Any, Literal

import msgspec

from checklists.consistency import check_template
from checklists.problems import InvalidTemplate, Problem
from checklists.templates import Template

# msgspec ends a validation message with " - at `$.items[3].label`" when it knows where.
_AT = re.compile(r"^(?P<reason>.*) - at `\$\.?(?P<path>.*)`$", re.DOTALL)


def parse_template(
    data: bytes | str | dict[str, Any], *, format: Literal["yaml", "json"] = "yaml"
) -> Template:
    """Raises `InvalidTemplate` carrying every problem found; `format` is ignored for a dict."""
    try:
        if isinstance(data, dict):
            template = msgspec.convert(data, Template)
        elif format == "json":
            template = msgspec.json.decode(data, type=Template)
        elif format == "yaml":
            template = msgspec.yaml.decode(data, type=Template)
        else:
            raise InvalidTemplate(
                [Problem(path="", code="template.bad_format", reason="format is yaml or json")]
            )
    except msgspec.ValidationError as error:
        raise InvalidTemplate([_problem(error, "template.invalid")]) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        raise InvalidTemplate([_problem(error, "template.malformed")]) from None
    problems = check_template(template)
    if problems:
        raise InvalidTemplate(problems)
    return template


def _problem(error: Exception, code: str) -> Problem:
    message = str(error)
    found = _AT.match(message)
    if found is None:
        return Problem(path="", code=code, reason=message)
    return Problem(path=found["path"], code=code, reason=found["reason"])
