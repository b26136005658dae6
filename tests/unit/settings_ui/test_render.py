"""The settings page's HTML and headers (issue 15, point 2): escaping and the CSP."""

from billit_sync.settings_ui.render import content_security_policy, environment, render


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";")}


def test_only_the_return_url_origins_may_frame_the_page() -> None:
    policy = _directives(
        content_security_policy(
            ["https://www.out-smart.com", "https://app.example:8443/path?q=1", "not a url"],
            ["https://my.billit.be/Account/Logon"],
        )
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == [
        "'self'",
        "https://app.example:8443",
        "https://www.out-smart.com",
    ]
    assert policy["form-action"] == ["'self'", "https://my.billit.be"]
    assert policy["style-src"] == ["'self'"] and policy["base-uri"] == ["'none'"]
    assert "script-src" not in policy and "'unsafe-inline'" not in str(policy)


def test_origins_are_normalised_and_odd_urls_left_out() -> None:
    policy = _directives(
        content_security_policy(
            [
                "HTTPS://WWW.Out-Smart.com:443/x",  # the default port is not part of the origin
                "http://localhost:8080/",
                "https://bad.example:99999/",  # no such port
                "ftp://files.example/",
                "https://",
            ],
            [],
        )
    )
    assert policy["frame-ancestors"] == [
        "'self'",
        "http://localhost:8080",
        "https://www.out-smart.com",
    ]


def test_every_value_is_escaped() -> None:
    assert environment().autoescape is not False
    html = render(
        "message.html",
        language="en",
        title="<script>alert(1)</script>",
        text='" onmouseover="x',
        back=False,
        texts={},
    )
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert '" onmouseover="x' not in html
