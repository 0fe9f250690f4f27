"""An NHS trust's blue badge eligibility service (`govhub demo-provider blue-badge`, :8002): answers whether
the person the gateway names in X-Road-UserId holds a blue badge, from demo records keyed on that id, and
only to requests the gateway forwarded when it runs in production mode (`GatewayOnly`)."""
