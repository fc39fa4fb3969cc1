"""科学化评价 (issue #13, DESIGN.md §6): evaluating communities and streets from the records the work
leaves behind, with published, checkable methods. ``mcdm`` holds the arithmetic (AHP, entropy,
CRITIC, their combination, TOPSIS); ``python manage.py mcdm`` runs it on JSON for hand checks."""
