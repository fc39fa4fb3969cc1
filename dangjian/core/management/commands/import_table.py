"""python manage.py import_table KIND FILE --into CODE [--dry-run] [--skip-invalid] [--format json] [--user NAME]

KIND is one of the registered importers (core.importing): trees, residents, members, staff."""

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dangjian.core.actors import Actor
from dangjian.core.importing import Importer, ImportFailed, importer_for, importers


class Command(BaseCommand):
    help = (
        "Import an .xlsx or .csv file of KIND (trees, residents, members, staff) into the node CODE "
        "(and the nodes under it). Every problem is reported by row and column. When any row has a "
        "problem nothing is written, unless --skip-invalid is given: then the valid rows are applied "
        "in one transaction (all of them or none). Exit status 1 if any row has a problem."
    )
    kind: str | None = None  # fixed by a command made for one importer (import_members)

    def add_arguments(self, parser: CommandParser) -> None:
        if self.kind is None:
            parser.add_argument("kind", choices=[importer.key for importer in importers()])
        parser.add_argument("file")
        parser.add_argument(
            "--into", "--org", dest="into", required=True, help="code of the node the file is imported into"
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check every row and write nothing; say which rows would add, change or leave a member as is",
        )
        parser.add_argument(
            "--skip-invalid", action="store_true", help="import the valid rows even when other rows have problems"
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument(
            "--user", help="act as this user (their scope applies and events name them); default: the system"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("File not found: %(path)s") % {"path": path})
        importer = importer_for(self.kind or options["kind"])
        if importer is None:
            raise CommandError(f"unknown kind: {self.kind or options['kind']}")
        target = importer.target_by_code(options["into"])
        if target is None:
            raise CommandError(_("Nothing has the code %(code)s.") % {"code": options["into"]})
        actor = Actor.for_system(via="command")
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(_("No user is called %(name)s.") % {"name": options["user"]})
            actor = Actor.for_user(user, via="command")
            if not importer.allowed_target(target, actor=actor):
                raise CommandError(_("%(name)s may not import into %(target)s.") % {"name": user, "target": target})
        plan = importer.plan(path.read_bytes(), path.name, target=target, actor=actor)
        summary: dict[str, Any] = {"valid": plan.valid, "errors": [p.as_dict() for p in plan.errors]}
        if plan.warnings:
            summary["warnings"] = [p.as_dict() for p in plan.warnings]
        blocked = bool(plan.errors) and not options["skip_invalid"]
        try:
            result = None
            if options["dry_run"] and plan.valid:
                result = importer.preview(plan, actor=actor)
            elif not options["dry_run"] and not blocked and plan.valid:
                result = importer.apply(plan, actor=actor, target=target, name=path.name)
            if result is not None:
                summary.update(result.as_dict(), unchanged_rows=result.unchanged_rows)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from exc
        summary["written"] = not options["dry_run"] and not blocked and plan.valid > 0
        if options["format"] == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
        else:
            self._text(importer, summary, dry_run=options["dry_run"], blocked=blocked)
        if plan.errors:
            raise SystemExit(1)

    def _text(self, importer: Importer, summary: dict[str, Any], *, dry_run: bool, blocked: bool) -> None:
        for problem in summary.get("warnings", []):
            self.stdout.write(_("Row %(row)s, %(column)s: %(message)s") % problem + " " + _("(warning)"))
        for problem in summary["errors"]:
            self.stdout.write(_("Row %(row)s, %(column)s: %(message)s") % problem)
        counts = {
            "valid": summary["valid"],
            "errors": len(summary["errors"]),
            "created": summary.get("created", 0),
            "updated": summary.get("updated", 0),
            "unchanged": summary.get("unchanged", 0),
        }
        unchanged_rows = summary.get("unchanged_rows") or []
        if unchanged_rows:
            shown = "、".join(str(n) for n in unchanged_rows[:50]) + ("…" if len(unchanged_rows) > 50 else "")
            self.stdout.write(_("Already imported and unchanged: rows %(rows)s.") % {"rows": shown})
        if dry_run:
            self.stdout.write(
                _(
                    "%(valid)d valid rows (%(created)d new, %(updated)d with changes, %(unchanged)d "
                    "unchanged), %(errors)d problems; nothing was written (dry run)."
                )
                % counts
            )
        elif blocked:
            self.stdout.write(
                _(
                    "%(errors)d problems: nothing was written. Correct the rows, or import the %(valid)d valid "
                    "rows with --skip-invalid."
                )
                % counts
            )
        else:
            self.stdout.write(importer.result_sentence(summary) + " " + _("%(errors)d problems.") % counts)
