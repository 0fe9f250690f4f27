"""Proving an identity (P2) against a register: the attempts, the matched identities and their pages."""
