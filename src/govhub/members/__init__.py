"""Who is plugged in: members (organisations, X-Road style `INSTANCE/CLASS/MEMBER`), their subsystems,
onboarding applications, suspensions and the credentials subsystems authenticate with. Services and access
rights build on these tables."""
