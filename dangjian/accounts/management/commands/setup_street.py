"""Start a street on an empty platform: the district and the street in the region tree, the
street's party working committee, and the street admin's account with a one-time sign-in link.
Everything else — communities, grids, organisations, sites, staff — the admin then adds in the
browser (README: "Start with your own data"). Run again, it finds what exists (by code) and adds
only what is missing; an existing admin account gets a new link only with --new-link."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from dangjian.accounts import services
from dangjian.accounts.models import User
from dangjian.accounts.roles import Role
from dangjian.core.actors import Actor
from dangjian.orgs import services as trees
from dangjian.orgs.models import Organization, OrgKind, Region, RegionLevel


def _name_and_code(value: str, option: str) -> tuple[str, str]:
    name, sep, code = value.rpartition(":")
    if not sep or not name.strip() or not code.strip():
        raise CommandError(f"{option} takes NAME:CODE, e.g. {option} 和平街道:420107001")
    return name.strip(), code.strip()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--district", required=True, help="NAME:CODE of the district, e.g. 青山区:420107")
        parser.add_argument("--street", required=True, help="NAME:CODE of the street, e.g. 和平街道:420107001")
        parser.add_argument(
            "--committee", help="NAME:CODE of the street's party working committee (default: <street>党工委:<code>-DGW)"
        )
        parser.add_argument("--admin", required=True, help="login name of the street admin, e.g. zhangsan")
        parser.add_argument("--admin-name", required=True, help="the admin's name, e.g. 张三")
        parser.add_argument("--site-url", default="http://127.0.0.1:8000", help="the platform's address, for the link")
        parser.add_argument("--new-link", action="store_true", help="issue a new sign-in link to an existing admin")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.for_system(via="command")
        district_name, district_code = _name_and_code(options["district"], "--district")
        street_name, street_code = _name_and_code(options["street"], "--street")
        committee_name, committee_code = (
            _name_and_code(options["committee"], "--committee")
            if options["committee"]
            else (f"{street_name}党工委", f"{street_code}-DGW")
        )
        try:
            with transaction.atomic():
                district = self._region(actor, None, district_name, district_code, RegionLevel.DISTRICT)
                street = self._region(actor, district, street_name, street_code, RegionLevel.STREET)
                self._committee(actor, street, committee_name, committee_code)
                user, token = self._admin(actor, street, options)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if token:
            uid = urlsafe_base64_encode(force_bytes(user.pk))
            link = options["site_url"].rstrip("/") + reverse("accounts:welcome", args=[uid, token])
            self.stdout.write(f"One-time sign-in link for {user.username} (valid 3 days, shown once):\n{link}")

    def _region(self, actor: Actor, parent: Region | None, name: str, code: str, level: str) -> Region:
        found = Region.objects.filter(code=code).first()
        if found is not None:
            if found.level != level or found.parent_id != (parent.pk if parent else None):
                raise CommandError(f"The code {code} is already used by {found.name} ({found.get_level_display()}).")
            self.stdout.write(f"{found.get_level_display()} {found.name} ({code}): exists")
            return found
        region = trees.add_region(actor=actor, parent=parent, name=name, code=code, level=level)
        self.stdout.write(f"{region.get_level_display()} {name} ({code}): added")
        return region

    def _committee(self, actor: Actor, street: Region, name: str, code: str) -> Organization:
        found = Organization.objects.filter(code=code).first()
        if found is not None:
            self.stdout.write(f"{found.name} ({code}): exists")
            return found
        org = trees.add_organization(
            actor=actor, parent=None, name=name, code=code, kind=OrgKind.WORKING_COMMITTEE, region=street
        )
        self.stdout.write(f"{name} ({code}): added")
        return org

    def _admin(self, actor: Actor, street: Region, options: dict[str, Any]) -> tuple[User, str]:
        existing = User.objects.filter(username__iexact=options["admin"]).first()
        if existing is None:
            user, token = services.create_account(
                actor=actor,
                username=options["admin"],
                display_name=options["admin_name"],
                role=Role.DISTRICT_ADMIN,
                node=street,
                reason="setup_street",
            )
            self.stdout.write(f"account {user.username}: added, street admin of {street.name}")
            return user, token
        self.stdout.write(f"account {existing.username}: exists")
        if options["new_link"]:
            return existing, services.reissue_sign_in_link(actor=actor, user=existing)
        return existing, ""
