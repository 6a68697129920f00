"""The Kinabase model that the connector writes into.

Organisations, users, roles, the Colleagues collection and its records, licences and provisioning
tokens, as SQLAlchemy 2.0 typed models with the services that keep their rules. This package knows
nothing of SCIM, Flask or Microsoft; callers own the transaction (nothing here commits).
"""
