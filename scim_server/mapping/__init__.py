"""SCIM resources → Kinabase: users and their seats, Colleague records, managers, group rules.

The provisioning service calls these inside the transaction of each store write; nothing here
commits.
Every function either refuses before writing anything or never refuses, as its docstring says.
"""

from scim_server.mapping.directory import (
    DEPARTMENT_PATH,
    ENTERPRISE_USER,
    MANAGER_PATH,
    DirectoryGroup,
    DirectoryUser,
    directory_user_from_resource,
)
from scim_server.mapping.errors import (
    AlreadyLinked,
    InvalidFieldMapping,
    InvalidGroupRule,
    InvalidManager,
)
from scim_server.mapping.field_mapping import (
    DEFAULT_SOURCES,
    FieldSource,
    check_colleague_field_source,
    colleague_field_mapping,
    reset_colleague_field_mapping,
    set_colleague_field_source,
    unset_colleague_field_source,
)
from scim_server.mapping.group_rules import GroupRule, create_rule, get_rule, list_rules
from scim_server.mapping.membership import apply_membership_change, give_group_rules
from scim_server.mapping.projection import (
    PendingUser,
    ProjectionResult,
    project_user,
    unlink_user,
)
from scim_server.mapping.rule_changes import (
    project_group,
    reapply_rule,
    remove_rule,
    unlink_group,
)

__all__ = [
    "DEFAULT_SOURCES",
    "DEPARTMENT_PATH",
    "ENTERPRISE_USER",
    "MANAGER_PATH",
    "AlreadyLinked",
    "DirectoryGroup",
    "DirectoryUser",
    "FieldSource",
    "GroupRule",
    "InvalidFieldMapping",
    "InvalidGroupRule",
    "InvalidManager",
    "PendingUser",
    "ProjectionResult",
    "apply_membership_change",
    "check_colleague_field_source",
    "colleague_field_mapping",
    "create_rule",
    "directory_user_from_resource",
    "get_rule",
    "give_group_rules",
    "list_rules",
    "project_group",
    "project_user",
    "reapply_rule",
    "remove_rule",
    "reset_colleague_field_mapping",
    "set_colleague_field_source",
    "unlink_group",
    "unlink_user",
    "unset_colleague_field_source",
]
