"""The directory pull ("Sync now"): Microsoft 365 users read from Graph, brought into Kinabase.

A Graph user becomes the SCIM User representation Entra's provisioning would send
(`representation`), parsed by the SCIM protocol layer and written through the provisioning
service, so that pulled and provisioned users share one mapping path and one store
(`operations`). Imports and syncs run as background jobs (`directory.jobs`, on `jobs/`), from the
admin JSON API and the `kinabase-m365 directory` commands.

Depends on `graph` (the reads), `scim_server.provisioning` and `scim_server.protocol` (the one
path in), `kinabase` and `jobs`; never on the store, the mapping or the SCIM views.
"""
