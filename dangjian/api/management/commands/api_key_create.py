from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangjian.accounts.models import User
from dangjian.api.keys import api_key_create
from dangjian.core.actors import Actor


class Command(BaseCommand):
    help = "Create an API key acting as a user; the key is printed once and cannot be shown again."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", required=True, help="username the key acts as")
        parser.add_argument("--name", required=True, help="the program that will use the key")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        try:
            key, secret = api_key_create(actor=Actor.for_system(via="command"), user=user, name=options["name"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stderr.write(f"Key {key.pk} ({key.prefix}…) acts as {user.username}. Store it now: it is not kept.")
        self.stdout.write(secret)
