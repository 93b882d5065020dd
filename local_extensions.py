"""The template's Jinja extension: answers are plain text, never templates.

Cookiecutter renders every answer with Jinja before using it, so a project name such as `{{ 7*7 }}`
would silently become `49`, and `{{ ''.__class__ }}` would reach into Python objects. This extension
looks at everything Jinja compiles from a string (answers, this template's computed defaults, path names
and hook scripts) and refuses template syntax other than the plain references to answers the template
itself uses (`{{ cookiecutter.project_name | slugify }}`, `{{ cookiecutter | tojson }}`, ...).
The template's files are loaded by name and are not affected.
"""

import re

from cookiecutter.exceptions import ContextDecodingException
from jinja2.ext import Extension

# A reference to the answers, optionally through filters with simple arguments.
REFERENCE = re.compile(r"\{\{\s*cookiecutter(\.\w+)?(\s*\|\s*\w+(\([^{}%#]*\))?)*\s*\}\}")
SYNTAX = re.compile(r"\{\{|\{%|\{#")


class TemplateSyntaxInAnswerError(ContextDecodingException):
    """An answer that cookiecutter would evaluate. A kind of ContextDecodingException ("the answers cannot
    be used") because cookiecutter's command line prints those as a plain message, not a traceback."""


class AnswersAreText(Extension):
    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None and SYNTAX.search(REFERENCE.sub("", source)):
            raise TemplateSyntaxInAnswerError(
                f"The answer {source!r} contains template syntax ({{{{, {{% or {{#), which cookiecutter "
                "would evaluate instead of using as text: remove those characters."
            )
        return source
