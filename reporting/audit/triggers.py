"""PostgreSQL triggers that make the audit log and every history table append-only
(UPDATE, DELETE and TRUNCATE refused).

Installed by a migration and again after every `migrate` (post_migrate), so history tables
added by later migrations are covered too; `manage.py install_audit_triggers` does the same
by hand. Idempotent. A no-op on other databases."""

from __future__ import annotations

from django.db import connections

from .tables import history_table_names

FUNCTION = "harbormaster_refuse_audit_change"
TRIGGER = "harbormaster_append_only"
# TRUNCATE skips row triggers, so each table also gets a statement-level trigger.
TRUNCATE_TRIGGER = "harbormaster_no_truncate"
AUDIT_TABLES = ("reporting_auditseal", "reporting_auditcheckpoint", "reporting_auditverification")

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
    names = set(history_table_names()) | set(AUDIT_TABLES)
    # Tables of history models not (yet) in the app registry, e.g. during a migration.
    names |= {name for name in existing if "_historical" in name}
    return sorted(name for name in names if name in existing)


def install_triggers(using: str = "default") -> list[str]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
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
    return tables


def tables_with_trigger(using: str = "default", trigger: str = TRIGGER) -> set[str]:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND NOT t.tgisinternal",
            [trigger],
        )
        return {row[0] for row in cursor.fetchall()}
