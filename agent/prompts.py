"""Prompt templates: jinja2 files under `prompts/`, rendered with `StrictUndefined`.

A variable a template uses but the caller forgot fails loudly instead of leaving a hole in a prompt.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from agent.resources import data_path


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_path("prompts"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # prompts are plain text, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    """Render `prompts/<name>.j2`; a missing variable raises `jinja2.UndefinedError`."""
    return environment().get_template(f"{name}.j2").render(**context).strip() + "\n"
