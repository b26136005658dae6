"""The domain: imports (Billit → OutSmart), exports (work orders → invoices), scheduling."""
