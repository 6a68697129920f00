"""The SCIM 2.0 provisioning server (RFC 7643, RFC 7644)."""
