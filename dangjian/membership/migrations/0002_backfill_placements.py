"""Every member recorded before placements existed gets one: in their current organisation
from the date they joined (ended on the day of the last change if they are no longer in good
standing)."""

from django.db import migrations


def backfill(apps, schema_editor):
    Member = apps.get_model("people", "Member")
    Placement = apps.get_model("membership", "Placement")
    batch = []
    for member in Member.objects.order_by("pk").iterator(chunk_size=5000):
        ended = None
        if member.status != "normal":
            ended = max(member.joined_on, member.updated_at.date())
        batch.append(
            Placement(
                member_id=member.pk,
                organization_id=member.organization_id,
                started_on=member.joined_on,
                ended_on=ended,
                reason="recorded",
            )
        )
        if len(batch) >= 5000:
            Placement.objects.bulk_create(batch)
            batch = []
    Placement.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("membership", "0001_initial"), ("people", "0004_person_status_region_index")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
