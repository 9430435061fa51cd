"""The whole-run secret scan finds what it should and only that."""

from __future__ import annotations

import types

import httpx

from tests.secret_scan import SecretScan, is_secret_constant


def _response(method: str, path: str, status: int, body: str) -> httpx.Response:
    return httpx.Response(status, text=body, request=httpx.Request(method, f"http://testserver{path}"))


def test_constants_named_like_secrets_are_learned_and_found_in_bodies_and_log_lines() -> None:
    module = types.ModuleType("tests.example")
    module.NODE_PASSWORD = "node-Pa55word-51f6"
    module.SECRET_KEY = "k" * 20 + "abcdef"
    module.PADDING = "not-a-secret-value-123"
    module.OTHER_KEY = "o" * 48  # too uniform to tell from padding
    scan = SecretScan()
    scan.learn_module(module)

    scan.response(_response("GET", "/api/nodes/1", 200, '{"config": {"password": "node-Pa55word-51f6"}}'))
    scan.log_line('{"event": "login failed", "key": "kkkkkkkkkkkkkkkkkkkkabcdef"}', "dlv")
    scan.response(_response("GET", "/api/nodes/2", 200, '{"padding": "not-a-secret-value-123"}'))

    assert scan.findings == [
        "tests.example.NODE_PASSWORD appeared in the response to GET /api/nodes/1 (200)",
        "tests.example.SECRET_KEY appeared in a log line of dlv: '{\"event\": \"login failed\", \"key\": \"kkkkkkkkkkkkkkkkkkkkabcdef\"}'",
    ]
    assert not is_secret_constant("OTHER_KEY", module.OTHER_KEY)


def test_an_issued_token_may_appear_only_in_the_response_that_issued_it() -> None:
    scan = SecretScan()
    token = "dlv_" + "Zx8-q" * 8

    scan.response(_response("POST", "/api/tokens", 201, f'{{"id": "1", "token": "{token}"}}'))
    assert scan.findings == []
    scan.response(_response("GET", "/api/tokens", 200, f'[{{"id": "1", "token": "{token}"}}]'))

    assert scan.findings == ["a token issued by POST /api/tokens appeared in the response to GET /api/tokens (200)"]
