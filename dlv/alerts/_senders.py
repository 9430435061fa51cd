"""Delivering one alert body to one channel: a signed webhook POST, a Slack incoming-webhook
message, or an e-mail through the configured SMTP server.

HTTP deliveries are held to the node connectors' network policy: the URL's host is resolved
once, refused if any address is one DLV never connects to, and the connection goes to the
address that was checked (no DNS rebinding, no proxies from the environment, no redirects).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import smtplib
import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

from dlv.config import Settings
from dlv.connectors import NetworkPolicy, StepError, pinned_transport, resolve_allowed

TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "X-DLV-Signature"


class Outcome(msgspec.Struct, frozen=True):
    ok: bool
    message: str
    status_code: int | None = None
    # A failure no retry can mend (the channel is gone): the delivery fails at once.
    final: bool = False


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def send(kind: str, config: dict[str, Any], payload: dict[str, Any], settings: Settings, policy: NetworkPolicy) -> Outcome:
    """Deliver; a failure is an ``Outcome`` whose message names the cause, never an exception."""
    try:
        if kind == "webhook":
            body = msgspec.json.encode(payload)
            headers = {SIGNATURE_HEADER: signature(config["secret"], body), "X-DLV-Alert-Id": payload["id"]}
            return await _post(config["url"], body, headers, policy)
        if kind == "slack":
            return await _post(config["url"], msgspec.json.encode(slack_message(payload)), {}, policy)
        return await asyncio.to_thread(_mail, config, payload, settings)
    except Exception as exc:  # noqa: BLE001 - every failure is an attempt to record and retry, never a crash of the loop
        return Outcome(ok=False, message=_describe(exc))


def _describe(exc: BaseException) -> str:
    # Only messages known not to carry the URL (a Slack webhook URL is a credential): the
    # network policy's refusal names the host, SMTP's errors the server's answer.
    return f"{type(exc).__name__}: {exc}" if isinstance(exc, (StepError, smtplib.SMTPException)) else type(exc).__name__


async def _post(url: str, body: bytes, headers: dict[str, str], policy: NetworkPolicy) -> Outcome:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve_allowed(parts.hostname or "", port, policy)
    transport = pinned_transport(addresses[0], ssl.create_default_context())
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False) as client:
        response = await client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
    ok = 200 <= response.status_code < 300
    return Outcome(ok=ok, status_code=response.status_code, message="delivered" if ok else f"the receiver answered {response.status_code}")


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Slack's incoming-webhook shape: ``text`` (notifications, fallbacks) and blocks."""
    impact = payload["impact"]
    lines = [
        f"*{payload['message']}*",
        f"Rule: {payload['rule']['name']} ({payload['rule']['kind']})",
        f"Downstream: {_total(impact)} impacted" + (f"; owners: {', '.join(payload['owners'])}" if payload["owners"] else ""),
        f"<{payload['links']['impact']}|Open in DLV> · alert {payload['id']}",
    ]
    return {"text": f"DLV alert: {payload['message']}", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]}


def _total(impact: dict[str, Any]) -> str:
    return "unknown (impact analysis failed)" if impact["total"] is None else str(impact["total"])


def _mail(config: dict[str, Any], payload: dict[str, Any], settings: Settings) -> Outcome:
    if not settings.smtp_host:
        return Outcome(ok=False, message="DLV_SMTP_HOST is not set: e-mail channels cannot send")
    recipients = list(dict.fromkeys([*config.get("to", []), *(owner for owner in payload["notify_owners"] if "@" in owner)]))
    if not recipients:
        return Outcome(ok=True, message="no recipients (no addresses, no owner with an e-mail address)")
    message = EmailMessage()
    message["Subject"] = f"[DLV] {payload['message']}"[:250]
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(recipients)
    # Receivers dedupe a retried delivery by its Message-ID, the alert's id.
    message["Message-ID"] = f"<{payload['id']}@dlv>"
    message["X-DLV-Alert-Id"] = payload["id"]
    message.set_content(_mail_text(payload))
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)
    return Outcome(ok=True, message=f"sent to {len(recipients)} recipient(s)")


def _mail_text(payload: dict[str, Any]) -> str:
    impacted = "\n".join(
        f"  - {item['namespace']}/{item['name']} ({item['type']}, distance {item['distance']}, owner {item.get('owner') or 'none'}, "
        f"criticality {item.get('criticality') or 'unset'})"
        for item in payload["impact"]["impacted"]
    )
    return (
        f"{payload['message']}\n\nRule: {payload['rule']['name']} ({payload['rule']['kind']})\nWhen: {payload['occurred_at']}\n"
        f"Impacted downstream: {_total(payload['impact'])}\n{impacted}\n\nOpen in DLV: {payload['links']['impact']}\n"
        f"Alert id: {payload['id']}\n"
    )
