"""The gateway (`/r1/...`): who the caller is and what they may call (`service`), the wire to providers
(`forwarding`), X-Road's headers and errors, the per-caller limits, and the assertion a provider checks to
know a request came through it (`gateway_assertion`, `provider_guard`)."""
