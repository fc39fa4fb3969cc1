from django.core.management.base import BaseCommand

from dangjian.accounts.models import User


class Command(BaseCommand):
    help = "Print the demo accounts (created by seed_demo) and their roles."

    def handle(self, *args, **options):
        from dangjian.demo.seeds.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

        users = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])}
        if not users:
            self.stdout.write("No demo accounts in this database.")
            return
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for username, role, _node in DEMO_ACCOUNTS:
            if username in users:
                self.stdout.write(f"  {username:<10} {role.label}（{users[username]}）")
