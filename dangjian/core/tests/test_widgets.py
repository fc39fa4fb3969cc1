"""core.widgets draws selects and inputs exactly as Django's templates do."""

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from dangjian.core import widgets
from dangjian.people.forms import PeopleFilterForm

HOSTILE = '"><script>alert(1)</script>&'


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "请选择…"), ("a", "甲"), ("b", HOSTILE)])
    lazy = forms.ChoiceField(choices=[("m", gettext_lazy("Male")), ("f", gettext_lazy("Female"))], required=False)
    grouped = forms.ChoiceField(
        choices=[("社区", [("1", "第一网格"), ("2", "第二网格")]), ("其他", [(HOSTILE, HOSTILE)]), ("3", "不分组")]
    )
    many = forms.MultipleChoiceField(choices=[(1, "一"), (2, "二"), (3, mark_safe("<b>三</b>"))], required=False)
    boolean = forms.NullBooleanField(required=False)
    attrs = forms.ChoiceField(
        choices=[("x", "X")],
        widget=forms.Select(attrs={"disabled": True, "data-off": False, "data-none": None, "title": HOSTILE}),
    )
    text = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"placeholder": HOSTILE, "autofocus": True}))
    empty = forms.CharField(required=False)
    number = forms.IntegerField(min_value=0)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True))
    hidden = forms.CharField(widget=forms.HiddenInput)
    radio = forms.ChoiceField(choices=[("a", "甲")], widget=forms.RadioSelect)  # drawn by Django


BOUND = {
    "plain": "b",
    "grouped": HOSTILE,
    "many": ["1", "3"],
    "boolean": "true",
    "text": HOSTILE,
    "number": "-1",
    "day": "2026-12-04",
    "secret": HOSTILE,
    "hidden": "<x>",
    "radio": "a",
}


def _drawn(form: forms.Form) -> list[str]:
    return [str(field) for field in form]


@pytest.mark.parametrize("data", [None, BOUND], ids=["unbound", "bound"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_python_renderer_draws_what_the_templates_draw(data, language):
    initial = {"day": dt.date(2026, 1, 2), "empty": "", "many": [2]}
    with override(language):
        ours = _drawn(Sample(data, initial=initial, renderer=widgets.Renderer()))
        django = _drawn(Sample(data, initial=initial, renderer=DjangoTemplates()))
    assert ours == django
    assert any("&lt;script&gt;" in html for html in ours) and not any("<script>" in html for html in ours)
    assert any("<b>三</b>" in html for html in ours)  # a safe label stays as it is


def test_every_select_and_input_is_drawn_in_python_and_only_those(monkeypatch):
    drawn: list[str] = []
    original = widgets.draw

    def spy(template_name, context):
        html = original(template_name, context)
        drawn.append(template_name if html is not None else f"django:{template_name}")
        return html

    monkeypatch.setattr(widgets, "draw", spy)
    _drawn(Sample(renderer=widgets.Renderer()))
    assert drawn.count(widgets.SELECT) == 6
    assert "django:django/forms/widgets/radio.html" in drawn
    assert sum(name in widgets.INPUTS for name in drawn) == 7


@pytest.mark.django_db
def test_a_filter_form_of_the_site_is_drawn_the_same(world):
    from dangjian.core.actors import Actor

    actor = Actor(user=world.users.secretary, via="web", language="zh-hans")
    ours = _drawn(PeopleFilterForm({"gender": "female"}, actor=actor, renderer=widgets.Renderer()))
    django = _drawn(PeopleFilterForm({"gender": "female"}, actor=actor, renderer=DjangoTemplates()))
    assert ours == django and any("selected" in html for html in ours)
