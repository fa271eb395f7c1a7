"""Fingerprints of any length: grouping on the SHA-256 of the fingerprint (fixed length,
unique per source), the fingerprint itself kept as text. Existing rows get their hash here
(hashlib only, no application code)."""

import hashlib

from django.db import migrations, models


def fill_hashes(apps, schema_editor):
    for model_name in ("AlertGroup", "Alert"):
        model = apps.get_model("incidents", model_name)
        batch = []
        for row in model.objects.only("pk", "fingerprint").iterator(chunk_size=2000):
            row.fingerprint_hash = hashlib.sha256(row.fingerprint.encode("utf-8")).hexdigest()
            batch.append(row)
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["fingerprint_hash"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["fingerprint_hash"])


class Migration(migrations.Migration):
    dependencies = [("incidents", "0011_timeline_kinds_for_other_parts")]

    operations = [
        migrations.RemoveConstraint(model_name="alertgroup", name="one_group_per_fingerprint"),
        migrations.AlterField(
            model_name="alertgroup", name="fingerprint", field=models.TextField()
        ),
        migrations.AlterField(model_name="alert", name="fingerprint", field=models.TextField()),
        migrations.AddField(
            model_name="alertgroup",
            name="fingerprint_hash",
            field=models.CharField(
                default="",
                editable=False,
                help_text="SHA-256 (hex) of the fingerprint.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="alert",
            name="fingerprint_hash",
            field=models.CharField(
                default="",
                editable=False,
                help_text="SHA-256 (hex) of the fingerprint.",
                max_length=64,
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_hashes, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="alert",
            name="fingerprint_hash",
            field=models.CharField(
                db_index=True,
                editable=False,
                help_text="SHA-256 (hex) of the fingerprint.",
                max_length=64,
            ),
        ),
        migrations.AddConstraint(
            model_name="alertgroup",
            constraint=models.UniqueConstraint(
                fields=("source", "fingerprint_hash"), name="one_group_per_fingerprint"
            ),
        ),
    ]
