"""PostgreSQL: refuse UPDATE and DELETE on the audit log and every history table.
Later history tables get the trigger from the post_migrate hook (reporting.apps)."""

from django.db import migrations


def install(apps, schema_editor):
    from reporting.audit.triggers import install_triggers

    install_triggers(schema_editor.connection.alias)


def chain_head(apps, schema_editor):
    apps.get_model("reporting", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_regimes")]

    operations = [
        migrations.RunPython(chain_head, migrations.RunPython.noop),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
