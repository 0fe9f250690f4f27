"""The GovStack Digital Registries Database API: registers seen as databases, schema versions as database
versions. `service` maps the catalogue onto the registries service; `api` holds its HTTP handlers."""
