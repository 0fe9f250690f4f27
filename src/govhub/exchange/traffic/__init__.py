"""Traffic figures for a member's administrators: their exchanges as client and as provider, filtered and
summed (`service`), read from the message log by a scoped query (`repository`)."""
