"""The directory: the X-Road style metaservices (listClients, listMethods, allowedMethods,
getOpenAPI) and the public service catalogue."""
