"""The whole schema: importing this module registers every table on the shared metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

import kinabase.collections
import kinabase.organisations
import kinabase.provisioning_tokens
import kinabase.roles
import kinabase.user_types
import kinabase.users  # noqa: F401 - imported for their tables
import scim_server.mapping.field_mapping
import scim_server.mapping.group_rules
import scim_server.mapping.links
import scim_server.store.tables  # noqa: F401 - imported for their tables
from kinabase.base import Base

metadata: MetaData = Base.metadata
