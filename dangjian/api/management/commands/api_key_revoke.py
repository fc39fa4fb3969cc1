from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dangjian.api.keys import api_key_revoke
from dangjian.api.models import ApiKey
from dangjian.core.actors import Actor
from dangjian.core.validators import parse_id


class Command(BaseCommand):
    help = "Revoke an API key at once, by the prefix shown when it was made (or by its id)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("key", help="the key's prefix (djk_…, 12 characters) or its id")

    def handle(self, *args: Any, **options: Any) -> None:
        value = options["key"].strip()
        keys = ApiKey.objects.filter(pk=pk) if (pk := parse_id(value)) else ApiKey.objects.filter(prefix=value[:16])
        found = list(keys[:2])
        if len(found) != 1:
            raise CommandError("No such key." if not found else "Several keys begin so; give the id.")
        key = api_key_revoke(actor=Actor.for_system(via="command"), key=found[0])
        self.stdout.write(f"Key {key.pk} ({key.name}) revoked at {key.revoked_at:%Y-%m-%d %H:%M:%S %z}.")
