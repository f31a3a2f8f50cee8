from django.db import migrations


def members_to_group_users(apps, schema_editor):
    Team = apps.get_model("workspace", "Team")
    for team in Team.objects.select_related("group"):
        team.group.user_set.add(*team.members.all())


class Migration(migrations.Migration):
    """A team's members are the users of its auth group, so guardian sees team grants too."""

    dependencies = [
        ("workspace", "0003_login_failure"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(members_to_group_users, migrations.RunPython.noop),
        migrations.RemoveField(model_name="team", name="members"),
    ]
