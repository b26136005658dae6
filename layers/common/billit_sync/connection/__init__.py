"""The Billit connection's life: connect (OAuth), tokens, expiry, disconnect and reconnect."""
