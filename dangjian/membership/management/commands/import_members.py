"""python manage.py import_members FILE --org CODE [--dry-run] [--skip-invalid] [--format json] [--user NAME]

The member import of ``import_table`` (``import_table members FILE --into CODE``)."""

from dangjian.core.management.commands.import_table import Command as ImportTable


class Command(ImportTable):
    help = "Import party members from an .xlsx or .csv roster into the organisation CODE; see import_table."
    kind = "members"
