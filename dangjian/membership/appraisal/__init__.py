"""The annual appraisal of members (民主评议党员)."""
