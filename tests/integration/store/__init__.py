"""The stores against moto (DynamoDB tables as declared in template.yaml, Secrets Manager)."""
