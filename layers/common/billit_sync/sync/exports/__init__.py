"""Completed OutSmart work orders into Billit invoices: discovery, the export worker."""
