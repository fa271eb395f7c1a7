"""ORM expressions the KPI queries need on both backends: durations in seconds and the
UTC period an instant falls in. Each has a PostgreSQL and a SQLite spelling; there is no
generic one, so an unsupported backend fails loudly instead of computing something else."""

from __future__ import annotations

from django.db.models import (
    Case,
    CharField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from incidents.choices import Status


class _BackendSpecific(Func):
    def as_sql(self, compiler, connection, **extra):
        raise NotImplementedError(f"{type(self).__name__} supports PostgreSQL and SQLite only")


class DurationSeconds(_BackendSpecific):
    """`end − start` in seconds (double precision; NULL when either is NULL). Django turns
    the subtraction into an interval on PostgreSQL and into microseconds on SQLite."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        start = F(start) if isinstance(start, str) else start
        delta = ExpressionWrapper(F(end) - start, output_field=DurationField())
        super().__init__(delta, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql_template(
            compiler, connection, "EXTRACT(EPOCH FROM %(expressions)s)::double precision"
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql_template(compiler, connection, "(%(expressions)s / 1000000.0)")

    def as_sql_template(self, compiler, connection, template):
        return Func.as_sql(self, compiler, connection, template=template)


_PERIOD_SQL = {
    # ISO 8601 week-numbering year and week, month and quarter of the instant in UTC.
    "postgresql": {
        "week": "to_char(%(expressions)s AT TIME ZONE 'UTC', 'IYYY-\"W\"IW')",
        "month": "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM')",
        "quarter": "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-\"Q\"Q')",
    },
    # SQLite stores UTC text. Its strftime has no ISO week before 3.46: the ISO week of a
    # day is the week holding its Thursday, so take that Thursday's year and day of year.
    "sqlite": {
        "week": (
            "(strftime('%%%%Y', date(%(expressions)s, '-3 days', 'weekday 4')) || '-W' || "
            "printf('%%%%02d', (CAST(strftime('%%%%j', date(%(expressions)s, '-3 days', "
            "'weekday 4')) AS INTEGER) - 1) / 7 + 1))"
        ),
        "month": "strftime('%%%%Y-%%%%m', %(expressions)s)",
        "quarter": (
            "(strftime('%%%%Y', %(expressions)s) || '-Q' || "
            "((CAST(strftime('%%%%m', %(expressions)s) AS INTEGER) + 2) / 3))"
        ),
    },
}


class PeriodKey(_BackendSpecific):
    """ "2026-W09", "2026-03" or "2026-Q1" (the same keys as `domain.period_key`)."""

    output_field = CharField()

    def __init__(self, expression, *, period: str, **extra):
        if period not in _PERIOD_SQL["postgresql"]:
            raise ValueError(f"unknown period {period!r}")
        self.period = period
        super().__init__(expression, **extra)

    def _template(self, vendor: str, compiler, connection):
        return Func.as_sql(self, compiler, connection, template=_PERIOD_SQL[vendor][self.period])

    def as_postgresql(self, compiler, connection, **extra):
        return self._template("postgresql", compiler, connection)

    def as_sqlite(self, compiler, connection, **extra):
        return self._template("sqlite", compiler, connection)


def impact_start():
    """Customer impact runs from when the problem started, or from detection if unknown."""
    return Coalesce(F("started_at"), F("detected_at"))


def user_hours():
    """users_affected × (resolved_at − impact start) in hours; NULL when either is unknown."""
    return ExpressionWrapper(
        F("users_affected") * DurationSeconds("resolved_at", impact_start()) / Value(3600.0),
        output_field=FloatField(),
    )


def sla_outcome(now):
    """met / breached / pending / not_applicable, the same reading as
    incidents.domain.sla_state: acknowledged in time is met; late, or recorded as breached
    by the dispatcher, or unacknowledged past the deadline is breached; a false alarm
    cancelled before anyone acknowledged it (and before a breach was recorded) has no SLA."""
    return Case(
        When(
            Q(acknowledged_at__isnull=False) & Q(acknowledged_at__lte=F("response_due_at")),
            then=Value("met"),
        ),
        When(acknowledged_at__isnull=False, then=Value("breached")),
        When(sla_breached_at__isnull=False, then=Value("breached")),
        When(status=Status.CANCELLED, then=Value("not_applicable")),
        When(response_due_at__lt=now, then=Value("breached")),
        default=Value("pending"),
        output_field=CharField(),
    )
