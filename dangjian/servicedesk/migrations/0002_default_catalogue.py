"""Load the default service catalogue (dangjian/servicedesk/catalogue.py) into every database."""

from django.db import migrations

# A copy, so that later edits of catalogue.py do not change what this migration did.
CATEGORIES = [
    ("hardship-aid", "party", "困难帮扶", (4, "hours"), (10, "days"), "community", ["就业指导", "心理疏导"]),
    ("dispute-mediation", "party", "纠纷调解", (2, "hours"), (7, "days"), "grid", ["纠纷调解"]),
    ("legal-advice", "party", "法律咨询", (8, "hours"), (5, "days"), "community", ["法律咨询"]),
    ("deputy-reception", "party", "党代表接访", (8, "hours"), (15, "days"), "street", []),
    ("member-education", "party", "党员教育培训", (16, "hours"), (10, "days"), "community", []),
    ("membership-transfer", "party", "党组织关系接转", (8, "hours"), (5, "days"), "community", []),
    ("culture-sports", "convenience", "文体娱乐", (16, "hours"), (15, "days"), "community", ["文艺表演", "书法绘画"]),
    ("job-referral", "convenience", "职业介绍", (8, "hours"), (10, "days"), "community", ["就业指导"]),
    ("legal-aid", "convenience", "法律援助", (8, "hours"), (15, "days"), "street", ["法律咨询"]),
    ("social-assistance", "convenience", "社会救助", (4, "hours"), (10, "days"), "community", ["财务会计"]),
    ("science-talks", "convenience", "科普讲座", (16, "hours"), (20, "days"), "community", ["医疗保健", "教育辅导"]),
    ("home-services", "convenience", "家政服务", (8, "hours"), (5, "days"), "grid", ["家电维修", "理发"]),
    ("free-clinic", "units", "医疗义诊", (16, "hours"), (15, "days"), "community", ["医疗保健"]),
    ("employment-support", "units", "就业帮扶", (8, "hours"), (15, "days"), "community", ["就业指导"]),
    ("public-order-mediation", "units", "综治调解", (2, "hours"), (7, "days"), "grid", ["纠纷调解"]),
    ("sanitation", "units", "卫生保洁", (4, "hours"), (3, "days"), "grid", []),
    ("public-safety", "units", "社会治安", (1, "hours"), (3, "days"), "grid", []),
]


def load(apps, schema_editor):
    Category = apps.get_model("servicedesk", "ServiceCategory")
    Tag = apps.get_model("people", "Tag")
    for order, (code, family, name, response, resolution, level, skills) in enumerate(CATEGORIES):
        category, created = Category.objects.get_or_create(
            code=code,
            defaults={
                "family": family,
                "name": name,
                "response_target": response[0],
                "response_unit": response[1],
                "resolution_target": resolution[0],
                "resolution_unit": resolution[1],
                "default_level": level,
                "sort_order": order,
            },
        )
        if created:
            category.skills.set([Tag.objects.get_or_create(kind="skill", name=skill)[0] for skill in skills])


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0001_initial"), ("people", "0006_person_member_facts_index")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
