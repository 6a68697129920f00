"""The provisioning service: the directory's use cases as plain functions, without Flask.

Create, replace, patch and delete of Users and Groups, resync after a mapping or rule change,
and the listings an administrator needs. Every write goes to the SCIM store and is projected
onto Kinabase in the caller's transaction; nothing here commits. The SCIM endpoints, the CLI,
the directory pull and the admin pages all call these functions, so there is one code path from
a directory user to a Kinabase user.
"""
