"""The gateway between members: routing, authorization, consent check, message log.

So far the block holds the message log (`service.record_exchange`, every exchange recorded and committed
to the "exchange" ledger) and the data tracker API (`routes`). It has no `home_path` yet: the gateway
(`/r1/...`) that records exchanges comes later, and the home page lists the block as on its way.
"""
