"""The three rates (受理率、办结率、满意率) and the other measures, by node and period."""
