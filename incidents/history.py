"""History plumbing shared by every tracked model."""

from django.db import models
from simple_history.models import HistoricalRecords


class HistoryExtras(models.Model):
    """Extra columns on every historical table."""

    request_id = models.CharField(max_length=64, blank=True, default="", db_index=True)

    class Meta:
        abstract = True


def tracked_history(**kwargs) -> HistoricalRecords:
    """HistoricalRecords with the request id column; use on every model people change."""
    kwargs.setdefault("bases", [HistoryExtras])
    kwargs.setdefault("cascade_delete_history", False)
    return HistoricalRecords(**kwargs)
