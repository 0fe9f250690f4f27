"""Demo providers: members' services as separate small apps, each on its own port, reached by other members
through the gateway (issue 6 §9). Not building blocks of govhub: `make run` serves them beside it.

- `blue_badge`: an NHS trust's blue badge eligibility service, called by the demo council's parking-permit
  service (`govhub.demo_service`) on behalf of the signed-in citizen.
- `network`: the members, subsystems, service and access right of that exchange (`govhub demo load`).
"""
