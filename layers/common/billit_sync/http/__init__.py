"""HTTP plumbing shared by the Billit and OutSmart clients: retries and redaction."""
