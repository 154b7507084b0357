"""Which URLs may carry credentials, and the client layer's own refusal (defence in depth:
whatever the accounts layer let through, no token leaves over plain http to another host)."""

from __future__ import annotations

import pytest

from handy_alegra.clients import urls
from handy_alegra.clients.alegra import AlegraClient
from handy_alegra.clients.handy import HandyClient
from handy_alegra.clients.http import Client, MockTransport, Request, Response
from handy_alegra.domain.errors import InsecureUrlError
from handy_alegra.runtime import Runtime


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost.example.com", False),
        ("alegra.localhost", False),
        ("128.0.0.1", False),
        ("10.0.0.1", False),
        ("0.0.0.0", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_is_localhost_127_0_0_0_8_and_ipv6_one(host: str, loopback: bool) -> None:
    assert urls.is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("https://api.alegra.com/api/v1", None),
        ("HTTPS://api.alegra.com/api/v1", None),
        ("http://127.0.0.1:8000/alegra/api/v1", None),
        ("http://localhost/api/v2", None),
        ("http://[::1]:9000/x", None),
        ("http://api.alegra.com/api/v1", "plain http"),
        ("http://127.0.0.1.nip.io/api/v1", "plain http"),
        ("https://u:p@api.alegra.com/api/v1", "credentials in the URL"),
        ("https://api.alegra.com/api/v1?token=x", "query or a fragment"),
        ("api.alegra.com/api/v1", "not an http(s) URL"),
        ("https://", "not an http(s) URL"),
        ("https://api.alegra.com:port/api/v1", "not a URL"),
    ],
)
def test_what_is_wrong_with_a_base_url(url: str, complaint: str | None) -> None:
    found = urls.problem(url)
    found = found.text("en") if found is not None else None
    assert (found is None) if complaint is None else (complaint in str(found)), found


def test_the_lab_override_allows_plain_http_and_nothing_else() -> None:
    assert urls.problem("http://lab.internal/api/v1", allow_insecure=True) is None
    assert "credentials" in urls.problem("http://u:p@lab/api", allow_insecure=True).text("en")  # type: ignore[union-attr]


def recording() -> tuple[list[Request], MockTransport]:
    seen: list[Request] = []

    def handle(request: Request) -> Response:
        seen.append(request)
        return Response(200, json={"name": "Distribuidora", "applicationVersion": "mexico"})

    return seen, MockTransport(handle)


@pytest.mark.parametrize(
    ("base", "allowed", "sent"),
    [
        ("http://alegra.example/api/v1/", False, False),
        ("http://alegra.example/api/v1/", True, True),
        ("http://127.0.0.1:9/api/v1/", False, True),
        ("https://alegra.example/api/v1/", False, True),
    ],
)
def test_the_client_layer_never_sends_credentials_in_clear_to_another_host(
    base: str, allowed: bool, sent: bool
) -> None:
    seen, transport = recording()
    alegra = AlegraClient(
        Client(base_url=base, transport=transport),
        email="a@b.mx",
        token="secreto",
        allow_plain_http=allowed,
    )
    handy = HandyClient(
        Client(base_url=base, transport=transport), token="secreto", allow_plain_http=allowed
    )
    for call in (alegra.company, handy.check_token):
        if sent:
            call()
        else:
            with pytest.raises(InsecureUrlError, match="not sent") as raised:
                call()
            assert "secreto" not in str(raised.value)
    assert len(seen) == (2 if sent else 0)


def test_the_lab_override_is_read_from_the_environment_and_warned_on_every_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HANDY_ALEGRA_HOME", str(tmp_path))
    monkeypatch.delenv("HANDY_ALEGRA_ALLOW_INSECURE_HTTP", raising=False)
    assert Runtime.from_env().settings.allow_insecure_http is False
    assert "insecure_http_allowed" not in capsys.readouterr().err
    monkeypatch.setenv("HANDY_ALEGRA_ALLOW_INSECURE_HTTP", "1")
    for _ in range(2):
        assert Runtime.from_env().settings.allow_insecure_http is True
        assert "insecure_http_allowed" in capsys.readouterr().err
