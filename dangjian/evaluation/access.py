"""Where the evaluation's records sit (see dangjian.core.access): a plan, its tree, its
judgements and its runs at the street or district it evaluates; a result at its community, so
that a community's own staff read their scorecard; a flag at the plan's area (its admins' only). The evaluated units read a published plan
through selectors.plans (the plans of the areas above the nodes they hold)."""

from dangjian.core.access import Rule, register
from dangjian.evaluation.models import Flag, Judgement, Plan, PlanGroup, PlanLeaf, Result, Run

register(Plan, Rule(region_path="region__path"))
register(PlanGroup, Rule(region_path="plan__region__path"))
register(PlanLeaf, Rule(region_path="plan__region__path"))
register(Judgement, Rule(region_path="plan__region__path"))
register(Run, Rule(region_path="plan__region__path"))
register(Result, Rule(region_path="unit__path"))
# Flags are the area's admins': read with CONFIGURE at the plan's street or district.
register(Flag, Rule(region_path="run__plan__region__path"))
