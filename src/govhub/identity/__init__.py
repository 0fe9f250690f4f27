"""Digital identity: accounts, levels of assurance and (arriving) an OpenID Connect provider."""
