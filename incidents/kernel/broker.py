"""The one place that publishes tasks to the broker.

Services publish by task name, so they never import a tasks module (tasks import
services, not the other way round). Publishing never raises: a row written in the
business transaction is the source of truth and a beat sweep picks it up when the broker
could not be reached."""

import logging
import time

from celery import current_app
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

# After a publish failed because the broker could not be reached, this process skips the
# broker for a while: the rows stay pending and beat sends them. Without it a transaction
# that writes N rows would wait N times for the broker's connect timeout while Redis is down.
BROKER_RETRY_AFTER_SECONDS = 30.0
_broker_down_until = 0.0


def publish_task(name: str, *, args=(), what: str) -> bool:
    """Publish the task registered as `name`, without retrying. False when it was not
    published (the caller's beat sweep will do the work)."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        logger.info("%s left for beat: broker unavailable a moment ago", what)
        return False
    try:
        current_app.send_task(name, args=list(args), retry=False)
    except (KombuOperationalError, OSError) as error:  # broker unreachable or timing out
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
        logger.warning("%s left for beat: broker unavailable (%s)", what, error)
        return False
    except Exception as error:
        logger.warning("%s left for beat: publishing failed (%s)", what, error)
        return False
    return True


def broker_reset() -> None:
    """Forget an earlier broker failure (the next publish tries the broker again)."""
    global _broker_down_until
    _broker_down_until = 0.0
