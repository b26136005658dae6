"""The connection lifecycle against moto and the Billit fake (token provider, …)."""
