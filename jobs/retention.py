"""Keeping the provisioning activity for PROVISIONING_ACTIVITY_RETENTION_DAYS, no longer.

The job queue's periodic task (`jobs.queue`, every hour) deletes the entries older than that, one
organisation at a time (`kinabase.provisioning_activity.prune_activity`), in one transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from kinabase.base import utcnow
from kinabase.provisioning_activity import prune_activity

log = logging.getLogger(__name__)


def prune_provisioning_activity(
    write_sessions: sessionmaker[Session], retention_days: int, now: datetime | None = None
) -> int:
    """Delete the entries recorded more than `retention_days` before `now`; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with write_sessions() as session:
        deleted = prune_activity(session, cutoff)
        session.commit()
    if deleted:
        log.info(
            "provisioning activity: %d entries older than %d days deleted", deleted, retention_days
        )
    return deleted
