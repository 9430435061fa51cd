"""api nodes' headers are secrets: seal the plain-text ones and drop them from audit diffs

Revision ID: 0011_api_headers_secret
Revises: 0010_run_history

Until now an ``api`` node kept ``config.headers`` (often an X-API-Key or a Cookie) in plain
text, and every config change copied them into the audit log. They now live in the node's
encrypted secrets like ``auth.token``; this moves existing ones there, which needs
DLV_SECRET_KEY (``dlv migrate`` and ``dlv serve`` pass it), and blanks them in old diffs.
No downgrade of the data: decrypting secrets back into plain text is not a way back we offer.
"""
from typing import Any, Sequence, Union

import sqlalchemy as sa
from advanced_alchemy.types import GUID, JsonB
from alembic import context, op

revision: str = "0011_api_headers_secret"
down_revision: Union[str, Sequence[str], None] = "0010_run_history"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

nodes = sa.table(
    "nodes",
    sa.column("id", GUID()),
    sa.column("type", sa.String()),
    sa.column("config", JsonB),
    sa.column("encrypted_secrets", sa.Text()),
    sa.column("secrets_set", JsonB),
)
audit_log = sa.table("audit_log", sa.column("id", sa.Integer()), sa.column("entity_type", sa.String()), sa.column("diff", JsonB))


def _seal_headers(connection: sa.Connection) -> None:
    rows = [row for row in connection.execute(sa.select(nodes).where(nodes.c.type == "api")) if (row.config or {}).get("headers")]
    if not rows:
        return
    secret_key = context.config.attributes.get("secret_key")
    if not secret_key:
        raise RuntimeError(
            "Migration 0011 encrypts the headers of api nodes and needs DLV_SECRET_KEY: run `dlv migrate` "
            "with the same DLV_SECRET_KEY (or DLV_DATA_DIR holding its secret_key file) as `dlv serve`."
        )
    from dlv.lib.crypto import SecretBox

    box = SecretBox(secret_key)
    for row in rows:
        secrets = box.open(row.encrypted_secrets) if row.encrypted_secrets else {}
        secrets["headers"] = row.config["headers"]
        connection.execute(
            nodes.update()
            .where(nodes.c.id == row.id)
            .values(
                config={**row.config, "headers": None},
                encrypted_secrets=box.seal(secrets),
                secrets_set=sorted(set(row.secrets_set or []) | {"headers"}),
            )
        )


def _without_headers(config: Any) -> Any:
    if isinstance(config, dict) and config.get("headers"):
        return {**config, "headers": None}
    return config


def _blank_audited_headers(connection: sa.Connection) -> None:
    for row in connection.execute(sa.select(audit_log).where(audit_log.c.entity_type == "node")):
        change = (row.diff or {}).get("config")
        if not isinstance(change, dict):
            continue
        blanked = {key: _without_headers(value) for key, value in change.items()}
        if blanked != change:
            connection.execute(audit_log.update().where(audit_log.c.id == row.id).values(diff={**row.diff, "config": blanked}))


def upgrade() -> None:
    connection = op.get_bind()
    _seal_headers(connection)
    _blank_audited_headers(connection)


def downgrade() -> None:
    pass
