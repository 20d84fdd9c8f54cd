"""``${Name}`` substitution in ASL text, done the way Step Functions does it but strictly.

moto ignores ``DefinitionSubstitutions``, so the local world renders definitions itself.
Strict on purpose: a placeholder without a value, or a value that no placeholder uses, means
the local wiring and the CDK stack have drifted apart, and that must fail loudly, not run.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

# Step Functions' substitution syntax: ${key}; keys are CloudFormation-ish identifiers.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")


class SubstitutionError(ValueError):
    """A definition and its substitutions do not fit together."""


def placeholders(text: str) -> set[str]:
    """The names of every ``${Name}`` in ``text``."""
    return set(PLACEHOLDER.findall(text))


def render_definition(text: str, substitutions: Mapping[str, str], *, allow_unused: bool = False) -> str:
    """Replace every ``${Name}`` in an ASL definition with ``substitutions[Name]``.

    Raises SubstitutionError when a placeholder has no value, when a value is unused (unless
    ``allow_unused``), or when the result is not JSON. Values are inserted verbatim, as
    CloudFormation does: placeholders belong inside JSON strings, so a value holding a quote
    or a backslash breaks the document there too.
    """
    wanted = placeholders(text)
    missing = sorted(wanted - substitutions.keys())
    if missing:
        raise SubstitutionError(f"no substitution for placeholder(s): {', '.join(missing)}")
    unused = sorted(substitutions.keys() - wanted)
    if unused and not allow_unused:
        raise SubstitutionError(f"substitution(s) not used by the definition: {', '.join(unused)}")
    rendered = PLACEHOLDER.sub(lambda match: str(substitutions[match.group(1)]), text)
    try:
        json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise SubstitutionError(f"rendered definition is not valid JSON: {exc}") from exc
    return rendered
