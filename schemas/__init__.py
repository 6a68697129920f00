"""The SCIM schema documents, served as-is by discovery (RFC 7643 §5, §6, §7, §8.7).

`user.json`, `group.json` and `enterprise-user.json` are the schemas of /Schemas, followed by
`service-provider-config-schema.json`, `resource-type-schema.json` and `schema-schema.json`, the
schemas of the discovery resources (RFC 7643 §5 to §7, §8.7.2);
`resource-types.json` is /ResourceTypes; `service-provider-config.json` is
/ServiceProviderConfig (its `filter.maxResults` is replaced by the configured page size);
`common-attributes.json` describes `id`, `externalId`, `meta` and `schemas`, which RFC 7643 §3.1
defines outside any schema, and is therefore not served.

This directory is a package only so that the documents install with the project and are found
by `importlib.resources.files("schemas")` in editable and wheel installs alike
(`scim_server.protocol.discovery` reads them); it holds no code.
"""
