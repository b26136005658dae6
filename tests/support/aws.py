"""Create the template's DynamoDB tables and SQS queues in moto, exactly as declared in
``template.yaml``."""

import json
import secrets
import string
from typing import Any

from mypy_boto3_dynamodb import DynamoDBServiceResource
from mypy_boto3_dynamodb.service_resource import Table
from mypy_boto3_secretsmanager import SecretsManagerClient
from mypy_boto3_sqs import SQSClient
from mypy_boto3_sqs.literals import QueueAttributeNameType

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


_QUEUE_ATTRIBUTES: tuple[QueueAttributeNameType, ...] = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "SqsManagedSseEnabled",
)
MOTO_ACCOUNT_ID = "123456789012"


def queue_name(logical_id: str, stage: str = "test") -> str:
    """The physical name the template gives the queue (``!Sub ...${Stage}...``)."""
    properties = resources_of_type("AWS::SQS::Queue")[logical_id]["Properties"]
    template: str = properties["QueueName"]["Fn::Sub"]
    return template.replace("${Stage}", stage)


def queue_url(logical_id: str, region: str, stage: str = "test") -> str:
    """The URL moto gives the queue (known before it exists, for the runtime config)."""
    return f"https://sqs.{region}.amazonaws.com/{MOTO_ACCOUNT_ID}/{queue_name(logical_id, stage)}"


def create_queues_from_template(sqs: SQSClient, stage: str = "test") -> dict[str, str]:
    """Create every ``AWS::SQS::Queue`` of the template; returns their URLs by logical id.

    Dead-letter queues come first, so redrive policies can name their ARNs.
    """
    queues = resources_of_type("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda name: "RedrivePolicy" in queues[name]["Properties"])
    urls: dict[str, str] = {}
    arns: dict[str, str] = {}
    for logical_id in ordered:
        properties: dict[str, Any] = queues[logical_id]["Properties"]
        attributes: dict[QueueAttributeNameType, str] = {
            key: str(properties[key]).lower()
            if isinstance(properties[key], bool)
            else str(properties[key])
            for key in _QUEUE_ATTRIBUTES
            if key in properties
        }
        redrive = properties.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arns[target], "maxReceiveCount": redrive["maxReceiveCount"]}
            )
        url = sqs.create_queue(QueueName=queue_name(logical_id, stage), Attributes=attributes)[
            "QueueUrl"
        ]
        urls[logical_id] = url
        arns[logical_id] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
    return urls


def drain_queue(sqs: SQSClient, url: str) -> list[str]:
    """Receive and delete every message now in the queue; their bodies, in no set order."""
    bodies: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return bodies
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def create_app_secret_from_template(
    secretsmanager: SecretsManagerClient, values: dict[str, str], stage: str = "test"
) -> str:
    """Create the template's ``AppSecret`` as the first deploy does: its name from the template,
    its ``SecretStringTemplate`` with the generated key (``GenerateStringKey``), then ``values``
    filled in (the operator's step 3 in the README). Returns the secret's name."""
    properties: dict[str, Any] = resources_of_type("AWS::SecretsManager::Secret")["AppSecret"][
        "Properties"
    ]
    name = str(properties["Name"]["Fn::Sub"]).replace("${Stage}", stage)
    generate: dict[str, Any] = properties["GenerateSecretString"]
    alphabet = string.ascii_letters + string.digits  # ExcludePunctuation
    if not generate.get("ExcludePunctuation"):
        alphabet += string.punctuation
    document: dict[str, str] = json.loads(generate["SecretStringTemplate"])
    document[generate["GenerateStringKey"]] = "".join(
        secrets.choice(alphabet) for _ in range(int(generate["PasswordLength"]))
    )
    document.update(values)
    secretsmanager.create_secret(Name=name, SecretString=json.dumps(document))
    return name
