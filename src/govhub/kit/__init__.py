"""Shared plumbing used by every building block: errors, request context, logging, metrics, pages."""
