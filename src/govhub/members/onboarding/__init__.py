"""Onboarding: applications to join, the platform's review and the representative's confirmation."""
