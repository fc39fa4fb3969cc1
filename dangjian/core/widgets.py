"""Form widgets drawn in Python.

Django draws every <select>, <option> and <input> through its template engine: about 70 µs an
option, 8–10 ms of a list page's filter form (a third of the page's time). ``Renderer`` draws
those three templates directly and hands every other template to Django. The HTML is the same,
byte for byte, as the templates'; core/tests/test_widgets.py compares the two on every kind of
select and input the forms use, and escaping follows the templates' (a safe string stays as it is,
anything else is escaped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape

_WIDGETS = "django/forms/widgets/"
SELECT = _WIDGETS + "select.html"
OPTION = _WIDGETS + "select_option.html"
# The <input> templates that are only an include of input.html.
_INPUT_KINDS = (
    "input",
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "search",
    "tel",
)
INPUTS = frozenset(_WIDGETS + f"{kind}.html" for kind in _INPUT_KINDS)


def _text(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` and ``{{ value }}``: escaped unless already safe."""
    return str(conditional_escape(value if isinstance(value, str) else str(value)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ``name="value"``, a bare name for True, nothing for False."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = "" if widget["value"] is None else f' value="{_text(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None  # a widget with its own option template: let Django draw it
            parts.append(
                f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>\n'
            )  # select_option.html ends with a newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def draw(template_name: str, context: Mapping[str, Any]) -> str | None:
    """The HTML of ``template_name`` for ``context``, or None for a template drawn by Django."""
    if template_name in INPUTS:
        return _input(context["widget"])
    if template_name == SELECT:
        return _select(context["widget"])
    return None


class Renderer(DjangoTemplates):
    """settings.FORM_RENDERER: selects and inputs drawn in Python, everything else by Django."""

    def render(self, template_name: str, context: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        drawn = draw(template_name, context)
        return drawn if drawn is not None else super().render(template_name, context, *args, **kwargs)
