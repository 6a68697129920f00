"""The SCIM 2.0 protocol without I/O (RFC 7643, RFC 7644).

Plain values in, plain values out: schema documents and attribute paths, filters, PATCH,
resource input parsing, list queries, projection, ETags and error messages. Nothing here
imports Flask or SQLAlchemy; client errors are raised as `errors.ScimError` subclasses.
"""
