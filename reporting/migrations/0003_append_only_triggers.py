"""PostgreSQL: refuse UPDATE and DELETE on the audit log and every history table.
Later history tables get the trigger from the post_migrate hook (reporting.apps).

Frozen: the table names and the SQL are the ones reporting.audit.triggers produced when
this migration was written, copied here so later edits to that module cannot change what
this migration does."""

from django.db import migrations

FUNCTION = "harbormaster_refuse_audit_change"
TRIGGER = "harbormaster_append_only"
# TRUNCATE skips row triggers, so each table also gets a statement-level trigger.
TRUNCATE_TRIGGER = "harbormaster_no_truncate"
AUDIT_TABLES = ("reporting_auditseal", "reporting_auditcheckpoint", "reporting_auditverification")
# Every history table of the app registry when this migration was frozen.
HISTORY_TABLES = (
    "incidents_historicalapikey",
    "incidents_historicalchecklistitem",
    "incidents_historicalchecklisttemplate",
    "incidents_historicalchecklisttemplateitem",
    "incidents_historicalcommunication",
    "incidents_historicalcommunicationcadence",
    "incidents_historicalcommunicationtemplate",
    "incidents_historicalcontactpoint",
    "incidents_historicaldelivery",
    "incidents_historicalescalationevent",
    "incidents_historicalescalationlevel",
    "incidents_historicalincident",
    "incidents_historicalincident_affected_services",
    "incidents_historicalincidentescalationstep",
    "incidents_historicaloncallshift",
    "incidents_historicalpositionholder",
    "incidents_historicalpositionholder_users",
    "incidents_historicalroleassignment",
    "incidents_historicalroutingrule",
    "incidents_historicalroutingrule_services",
    "incidents_historicalservice",
    "incidents_historicalseveritypolicy",
    "incidents_historicalsnssubscription",
    "incidents_historicalstatusupdateclock",
    "incidents_historicaltimelineentry",
    "incidents_historicaluser",
    "incidents_historicaluser_groups",
    "postmortems_historicalactionitem",
    "postmortems_historicalpostincidenttask",
    "postmortems_historicalpostmortem",
    "reporting_historicalbreachassessment",
    "reporting_historicalbreachassessment_regimes",
    "reporting_historicalcontactverification",
    "reporting_historicaldrill",
    "reporting_historicaldrill_participants",
    "reporting_historicalnotificationobligation",
    "reporting_historicalprocedurereview",
    "reporting_historicalregime",
    "reporting_historicalregimestage",
    "reporting_historicaltrainingrecord",
)

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def protected_tables(connection) -> list[str]:
    """Audit tables and every history table present in the database."""
    existing = set(connection.introspection.table_names())
    names = set(HISTORY_TABLES) | set(AUDIT_TABLES)
    names |= {name for name in existing if "_historical" in name}
    return sorted(name for name in names if name in existing)


def install(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    tables = protected_tables(connection)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        for table in tables:
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {quote(table)}")
            cursor.execute(
                f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {quote(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
            )
            cursor.execute(f"DROP TRIGGER IF EXISTS {TRUNCATE_TRIGGER} ON {quote(table)}")
            cursor.execute(
                f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {quote(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )


def chain_head(apps, schema_editor):
    apps.get_model("reporting", "AuditChainHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0002_regimes")]

    operations = [
        migrations.RunPython(chain_head, migrations.RunPython.noop),
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
