"""A small, realistic lineage for the browser tests: an orders pipeline from the shop's
database through Airflow and dbt into the warehouse and a BI dashboard, with one failing job."""

from __future__ import annotations

from typing import Any

SHOP = "postgres://shop-db.internal:5432"
WAREHOUSE = "postgres://warehouse.internal:5432"
AIRFLOW = "airflow://scheduler.internal"
BI = "metabase://bi.internal"


def _asset(namespace: str, name: str, fields: list[str], **extra: Any) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "kind": extra.pop("kind", "table"), "fields": [{"name": f, "type": "text"} for f in fields], **extra}


def _ref(kind: str, namespace: str, name: str) -> dict[str, str]:
    return {"type": kind, "namespace": namespace, "name": name}


def _flow(source: dict[str, str], target: dict[str, str], columns: list[tuple[str, str]] = ()) -> dict[str, Any]:
    return {"source": source, "target": target, "columns": [{"source_field": s, "target_field": t} for s, t in columns]}


def orders_pipeline() -> dict[str, Any]:
    assets = [
        _asset(SHOP, "shop.public.orders", ["id", "customer_id", "amount", "created_at"], owner="shop-team", criticality="high",
               description="Every order placed in the web shop."),
        _asset(SHOP, "shop.public.customers", ["id", "email", "country"], owner="shop-team", criticality="medium"),
        _asset(WAREHOUSE, "analytics.staging.stg_orders", ["order_id", "customer_id", "amount"], owner="data-eng"),
        _asset(WAREHOUSE, "analytics.staging.stg_customers", ["customer_id", "country"], owner="data-eng"),
        _asset(WAREHOUSE, "analytics.marts.fct_revenue", ["day", "country", "revenue"], owner="analytics", criticality="critical",
               description="Daily revenue by country; feeds the finance dashboard."),
        _asset(WAREHOUSE, "analytics.marts.dim_customers", ["customer_id", "country", "lifetime_value"], owner="analytics"),
        _asset(BI, "finance.revenue_dashboard", [], kind="dashboard", owner="finance", criticality="critical"),
    ]
    processes = [
        {"namespace": AIRFLOW, "name": "extract_orders", "kind": "airflow_task", "owner": "data-eng", "schedule": "@hourly"},
        {"namespace": AIRFLOW, "name": "extract_customers", "kind": "airflow_task", "owner": "data-eng", "schedule": "@daily"},
        {"namespace": AIRFLOW, "name": "dbt_build_marts", "kind": "dbt", "owner": "analytics", "schedule": "@daily"},
    ]
    a = lambda ns, name: _ref("asset", ns, name)  # noqa: E731
    p = lambda name: _ref("process", AIRFLOW, name)  # noqa: E731
    edges = [
        _flow(a(SHOP, "shop.public.orders"), p("extract_orders")),
        _flow(p("extract_orders"), a(WAREHOUSE, "analytics.staging.stg_orders"), [("id", "order_id"), ("customer_id", "customer_id"), ("amount", "amount")]),
        _flow(a(SHOP, "shop.public.customers"), p("extract_customers")),
        _flow(p("extract_customers"), a(WAREHOUSE, "analytics.staging.stg_customers"), [("id", "customer_id"), ("country", "country")]),
        _flow(a(WAREHOUSE, "analytics.staging.stg_orders"), p("dbt_build_marts")),
        _flow(a(WAREHOUSE, "analytics.staging.stg_customers"), p("dbt_build_marts")),
        _flow(p("dbt_build_marts"), a(WAREHOUSE, "analytics.marts.fct_revenue"), [("amount", "revenue"), ("country", "country")]),
        _flow(p("dbt_build_marts"), a(WAREHOUSE, "analytics.marts.dim_customers"), [("customer_id", "customer_id")]),
        _flow(a(WAREHOUSE, "analytics.marts.fct_revenue"), a(BI, "finance.revenue_dashboard"), [("revenue", "revenue")]),
    ]
    return {"assets": assets, "processes": processes, "edges": edges}
