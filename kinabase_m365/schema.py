"""The whole schema: importing this module registers every table on the shared metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

import directory.delta_links  # noqa: F401 - imported for its table
import files.moves  # noqa: F401 - imported for their tables
import jobs.models  # noqa: F401 - imported for their tables
import kinabase.activities
import kinabase.collections
import kinabase.contacts
import kinabase.files
import kinabase.organisations
import kinabase.provisioning_activity
import kinabase.provisioning_clients
import kinabase.provisioning_tokens
import kinabase.roles
import kinabase.user_types
import kinabase.users  # noqa: F401 - imported for their tables
import sso.models  # noqa: F401 - imported for their tables
from kinabase.base import Base

metadata: MetaData = Base.metadata
