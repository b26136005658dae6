"""Create the template's DynamoDB tables in moto, exactly as declared in ``template.yaml``."""

from typing import Any

from mypy_boto3_dynamodb import DynamoDBServiceResource
from mypy_boto3_dynamodb.service_resource import Table

from tests.support.template import resources_of_type

_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)


def create_tables_from_template(
    dynamodb: DynamoDBServiceResource, name_prefix: str = "test"
) -> dict[str, Table]:
    """Create every ``AWS::DynamoDB::Table`` of the template; returns them by logical id.

    Physical names are ``{name_prefix}-{LogicalId}``; TTL is switched on as declared.
    """
    tables: dict[str, Table] = {}
    for logical_id, resource in resources_of_type("AWS::DynamoDB::Table").items():
        properties: dict[str, Any] = resource["Properties"]
        arguments = {key: properties[key] for key in _TABLE_KEYS if key in properties}
        table = dynamodb.create_table(TableName=f"{name_prefix}-{logical_id}", **arguments)
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.meta.client.update_time_to_live(
                TableName=table.name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        tables[logical_id] = table
    return tables
