"""Forms of the evaluation pages."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dangjian.core.actors import Actor
from dangjian.core.forms import SiteForm
from dangjian.evaluation import selectors
from dangjian.evaluation.models import PeriodKind
from dangjian.orgs.models import Region


class PlanForm(SiteForm):
    region: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Street or district"), queryset=Region.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    start = forms.DateField(
        label=_("Period starts"),
        help_text=_("The first day of the quarter, half-year or year."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = selectors.region_choices(actor=actor)  # type: ignore[attr-defined]


class LeafForm(SiteForm):
    weight = forms.FloatField(label=_("Weight within the group"), min_value=0.0001, max_value=1000)
    floor = forms.FloatField(label=_("Floor (scores 0)"), min_value=-1e9, max_value=1e9)
    target = forms.FloatField(label=_("Target (scores 100)"), min_value=-1e9, max_value=1e9)
    min_sample = forms.IntegerField(label=_("Minimum sample"), min_value=1, max_value=1_000_000)


class ReasonForm(SiteForm):
    reason = forms.CharField(label=_("Why the plan changes"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


SAATY = [Fraction(1, n) for n in range(9, 1, -1)] + [Fraction(n) for n in range(1, 10)]


def parse_judgement(value: str) -> float:
    """One comparison on Saaty's scale: 1–9 or 1/2–1/9."""
    text = (value or "").strip().replace("／", "/")
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise forms.ValidationError(_("Use Saaty's scale: 1 to 9, or 1/2 to 1/9.")) from None
    if number not in SAATY:
        raise forms.ValidationError(_("Use Saaty's scale: 1 to 9, or 1/2 to 1/9."))
    return float(number)


class JudgementForm(SiteForm):
    """An expert's comparisons of a level: one field per pair above the diagonal (the row item
    against the column item); the lower half is their reciprocal."""

    expert = forms.CharField(label=_("Expert"), max_length=60)

    def __init__(self, *args: Any, items: list[str], labels: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        self.pairs = []
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                name = f"p_{i}_{j}"
                self.fields[name] = forms.CharField(
                    label=_("%(a)s compared with %(b)s")
                    % {"a": labels.get(items[i], items[i]), "b": labels.get(items[j], items[j])},
                    max_length=8,
                    initial="1",
                )
                self.pairs.append((i, j, name))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        n = len(self.items)
        matrix = [[1.0] * n for _ in range(n)]
        for i, j, name in self.pairs:
            if name not in data:
                continue
            try:
                value = parse_judgement(data[name])
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            matrix[i][j], matrix[j][i] = value, 1 / value
        data["matrix"] = matrix
        return data
