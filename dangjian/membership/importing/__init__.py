"""Importing a roster from Excel or CSV: reading messy files, checking every row, writing in one transaction, as background jobs."""
