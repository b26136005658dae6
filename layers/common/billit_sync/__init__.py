"""Shared code of the OutSmart ↔ Billit integration service (the common Lambda layer)."""
