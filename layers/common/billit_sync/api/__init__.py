"""Shared pieces of the HTTP API handlers."""
