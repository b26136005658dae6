import pytest

from billit_sync.config import MisconfiguredFunctionError, RuntimeConfig
from tests.support.template import load_template

ENVIRONMENT = {
    "STAGE": "dev",
    "INTEGRATION_TABLE": "integration",
    "SYNC_LOG_TABLE": "sync-log",
    "SYNC_LOG_RETENTION_DAYS": "90",
    "APP_SECRET_NAME": "outsmart-billit/dev/app",
    "TENANT_SECRET_PREFIX": "outsmart-billit/dev/tenants/",
    "BILLIT_ENVIRONMENT": "sandbox",
    "BILLIT_API_URL": "https://api.sandbox.billit.be",
    "BILLIT_LOGIN_URL": "https://my.sandbox.billit.be/Account/Logon",
    "OUTSMART_BASE_URL": "https://www.out-smart.com/openapi/8",
    "PUBLIC_BASE_URL": "https://connector.example/",
    "RETURN_URL_ALLOW_LIST": " https://www.out-smart.com/ ,https://app.example,, ",
    "UNRELATED": "ignored",
}


def test_reads_the_function_environment() -> None:
    config = RuntimeConfig.from_environ(ENVIRONMENT)
    assert config.billit_environment == "sandbox"
    assert config.sync_log_retention_days == 90
    assert config.public_base_url == "https://connector.example"
    assert config.return_url_allow_list == ("https://www.out-smart.com", "https://app.example")
    assert config.export_queue_url is None


def test_every_global_variable_of_the_template_is_understood() -> None:
    declared = set(load_template()["Globals"]["Function"]["Environment"]["Variables"])
    known = {field.alias for field in RuntimeConfig.model_fields.values()}
    powertools = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"}
    assert declared - powertools <= known


def test_a_bad_billit_environment_is_refused() -> None:
    with pytest.raises(MisconfiguredFunctionError, match="BILLIT_ENVIRONMENT"):
        RuntimeConfig.from_environ({**ENVIRONMENT, "BILLIT_ENVIRONMENT": "staging"})


def test_errors_name_the_variables_but_never_echo_the_environment() -> None:
    environ = {"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-secret", "STAGE": "dev"}
    with pytest.raises(MisconfiguredFunctionError) as caught:
        RuntimeConfig.from_environ(environ)
    message = str(caught.value)
    assert "INTEGRATION_TABLE" in message
    assert "wJalrXUtnFEMI-secret" not in message
    assert "AWS_SECRET_ACCESS_KEY" not in message
