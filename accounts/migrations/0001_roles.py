"""Create the Contributors and Moderators groups (Editors comes from claims/0002).

Moderators may view every model of notes and claims, history included, and change none; the
contributions app adds its own permissions to the group. Every active user that exists when
this runs was made by an administrator (there was no sign-up before), so each is a contributor.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTRIBUTORS = "Contributors"
MODERATORS = "Moderators"
VIEWED_APPS = ["notes", "claims"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    contributors, _ = Group.objects.get_or_create(name=CONTRIBUTORS)
    contributors.user_set.add(*User.objects.filter(is_active=True).values_list("pk", flat=True))
    moderators, _ = Group.objects.get_or_create(name=MODERATORS)
    moderators.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=VIEWED_APPS, codename__startswith="view_"
        )
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[CONTRIBUTORS, MODERATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("notes", "0003_content_revision"),
        ("claims", "0005_change_reason_text_and_published_index"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
