"""Transfers of organisational relations (组织关系转接) and the printed letter."""
