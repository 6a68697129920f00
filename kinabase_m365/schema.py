"""The whole schema: importing this module registers every table on the shared metadata."""

from __future__ import annotations

from sqlalchemy import MetaData

import sso.models  # noqa: F401 - imported for their tables
from kinabase.base import Base

metadata: MetaData = Base.metadata
