"""The demo relying party: "Apply for a resident parking permit", run by a demo council on its own port.

It is not a building block of govhub but a separate small service, as a council's would be, that signs
people in through govhub's OpenID Connect provider with a stock client library (Authlib): the
authorization code flow with PKCE and `private_key_jwt`, step-up to a matched identity (`Cl.Cm.P2`),
RP-initiated and back-channel logout. `govhub demo-service` serves it; `make run` serves it beside govhub.
"""
