"""The SCIM resource store: tables for provisioned users, groups and memberships, and the
compiler from filter syntax trees to SQLAlchemy expressions."""
