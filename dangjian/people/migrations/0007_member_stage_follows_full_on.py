"""A member's stage follows from the date of full membership: rows imported without a stage
(saved with an empty one) take it from ``full_on``, and a check constraint keeps the two in
step from now on."""

from django.db import migrations, models
from django.db.models import Q


def stage_from_dates(apps, schema_editor):
    Member = apps.get_model("people", "Member")
    Member.objects.filter(full_on__isnull=False).exclude(stage="full").update(stage="full")
    Member.objects.filter(full_on__isnull=True).exclude(stage="probationary").update(stage="probationary")


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
        ("people", "0006_person_member_facts_index"),
    ]

    operations = [
        migrations.RunPython(stage_from_dates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.CheckConstraint(
                condition=Q(stage="full", full_on__isnull=False) | Q(stage="probationary", full_on__isnull=True),
                name="member_stage_follows_full_on",
                violation_error_message="A full member has a date of full membership; a probationary member none.",
            ),
        ),
    ]
