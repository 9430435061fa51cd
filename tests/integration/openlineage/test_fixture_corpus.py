"""Every event of the shared corpus (real Spark, Airflow, dbt, Flink, Hive, Debezium and
Marquez events) is accepted, and the lineage they state is what DLV shows."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import select

from dlv.db.models import AssetAlias, DataAsset, LineageEdge, Process, Run
from tests.integration.openlineage.conftest import corpus_files, fixture_events, post, row_counts

FOOD = "food_delivery"
# Datasets whose events declare a table name (a TABLE symlink) carry it; the path or topic a
# producer named them by is an alias.
KAFKA_INPUT = "default_catalog.default_database.kafka_input"


class Lineage:
    """The current OpenLineage graph read back from the database, by name."""

    def __init__(self, edges: list[tuple[str, str, list[dict[str, Any]]]], assets: dict[str, DataAsset], processes: dict[str, Process]) -> None:
        self.edges, self.assets, self.processes = edges, assets, processes
        self.names = {asset.id: asset.name for asset in assets.values()}

    def reads(self, job: str) -> set[str]:
        return {source for source, target, _ in self.edges if target == job}

    def writes(self, job: str) -> set[str]:
        return {target for source, target, _ in self.edges if source == job}

    def columns(self, job: str, output: str) -> set[tuple[str, str, str, str | None]]:
        """(source asset, source field, target field, transformation) on job -> output."""
        (mapped,) = [columns for source, target, columns in self.edges if (source, target) == (job, output)]
        return {(self.names[UUID(m["source_asset_id"])], m["source_field"], m["target_field"], m.get("transformation")) for m in mapped}


async def read_lineage(session_factory) -> Lineage:
    async with session_factory() as session:
        assets = {a.name: a for a in await session.scalars(select(DataAsset))}
        processes = {p.name: p for p in await session.scalars(select(Process))}
        names = {a.id: a.name for a in assets.values()} | {p.id: p.name for p in processes.values()}
        current = await session.scalars(select(LineageEdge).where(LineageEdge.valid_to.is_(None)))
        edges = [(names[e.source_id], names[e.target_id], e.columns) for e in current]
        assert all(e.origin == "openlineage" for e in await session.scalars(select(LineageEdge)))
    return Lineage(edges, assets, processes)


async def test_every_corpus_event_ingests_and_states_its_lineage(client, session_factory, ingest_headers, reader_headers) -> None:
    posted = 0
    for name in corpus_files():
        for index, event in enumerate(fixture_events(name)):
            response = await post(client, ingest_headers, event)
            assert response.status_code == 201, f"{name}[{index}]: {response.text}"
            posted += 1
    assert posted == 97  # the corpus README's total
    assert (await row_counts(session_factory))["events"] == 97
    lineage = await read_lineage(session_factory)
    parent = {p.name: p.parent_id for p in lineage.processes.values()}
    by_id = {p.id: p.name for p in lineage.processes.values()}

    # Marquez demo (template with placeholders substituted, and the legacy copy): 13 jobs.
    food_jobs = {p.name for p in lineage.processes.values() if p.namespace == FOOD}
    assert len(food_jobs) == 13 and all(lineage.processes[j].last_run_state == "COMPLETE" for j in food_jobs)
    # Its inputs, plus public.categories, which only its column lineage names (categories.id -> category_id).
    assert lineage.reads("etl_orders_7_days") == {"public.menus", "public.menu_items", "public.orders", "public.categories"}
    assert ("public.categories", "id", "category_id", None) in lineage.columns("etl_orders_7_days", "public.orders_7_days")
    assert lineage.writes("etl_orders_7_days") == {"public.orders_7_days"}
    assert lineage.writes("delivery_times_7_days") == {"public.top_delivery_times", "public.discounts"}
    assert lineage.reads("email_discounts") == {"public.discounts", "public.customers"} and lineage.writes("email_discounts") == set()
    assert ("public.delivery_7_days", "order_placed_on", "order_placed_on", None) in lineage.columns("delivery_times_7_days", "public.top_delivery_times")
    assert "INSERT INTO" in (lineage.processes["etl_orders_7_days"].sql or "").upper()
    assert lineage.assets["public.menus"].description == "A table for menus."
    assert {"id", "name"} <= {f["name"] for f in lineage.assets["public.menus"].fields}

    # Spark column-level lineage (CTAS over two file tables), parent application, symlinks
    # (each file's table name is its asset's name).
    ctas = "open_lineage_integration_create_table.execute_create_hive_table_as_select_command.default_tbl1"
    assert lineage.reads(ctas) == {"default.cll_source1", "default.cll_source2"}
    tbl1 = lineage.columns(ctas, "default.tbl1")
    assert ("default.cll_source1", "a", "ident", "DIRECT/IDENTITY, INDIRECT/GROUP_BY, INDIRECT/JOIN, INDIRECT/FILTER") in tbl1
    assert ("default.cll_source1", "b", "trans", "DIRECT/TRANSFORMATION, INDIRECT/GROUP_BY") in tbl1
    assert any(target == "agg" and "DIRECT/AGGREGATION" in (t or "") for _, _, target, t in tbl1)
    assert by_id[parent[ctas]] == "open_lineage_integration_create_table"
    assert lineage.processes["open_lineage_integration_create_table"].last_run_state == "COMPLETE"
    # Dataproc: BigQuery -> file with columns; Hive CTAS t1 -> t2 with its SQL.
    shakespeare = "shakespeare_on_spark.adaptive_spark_plan.outputs_1729097570970"
    assert lineage.reads(shakespeare) == {"bigquery-public-data.samples.shakespeare"}
    assert any(f == "word_count" and t == "sum(word_count)" for _, f, t, _ in lineage.columns(shakespeare, "/tmp/outputs/1729097570970"))
    t2_job = "cl_i_test_application.execute_insert_into_hive_table.warehouse_t2"
    assert lineage.columns(t2_job, "default.t2") == {
        ("default.t1", "a", "a", "DIRECT/IDENTITY"), ("default.t1", "b", "b", "DIRECT/IDENTITY")
    }
    # The DROP TABLE event predates the CREATE that re-made t1 (it is sent later here): t1 stays.
    assert lineage.assets["default.t1"].deleted_at is None
    assert "drop table" in (lineage.processes["cl_i_test_application.drop_table"].sql or "").lower()

    # Airflow: DAG -> task parents, GCS -> BigQuery column lineage, a 4-input compose.
    assert by_id[parent["BQ.upload"]] == "BQ" and lineage.processes["BQ"].kind == "dag"
    assert lineage.reads("BQ.upload") == {"copied.csv", "test.csv"} and lineage.writes("BQ.upload") == {"mock-project.test.upload"}
    assert ("copied.csv", "a", "a", "IDENTITY") in lineage.columns("BQ.upload", "mock-project.test.upload")
    assert len(lineage.reads("gcs_hook.compose_task")) == 4
    assert lineage.writes("BQ.download") == {"result.csv"} and lineage.assets["result.csv"].kind == "file"
    task = lineage.processes["mydag.mytask"]
    assert by_id[task.parent_id] == "mydag" and task.description == "Task description"
    assert "popular_orders_day_of_week" in task.sql
    assert ("food_delivery.public.top_delivery_times", "order_placed_on", "order_day_of_week", None) in lineage.columns(
        "mydag.mytask", "food_delivery.public.popular_orders_day_of_week"
    )

    # dbt model, Flink Kafka job, Hive CTAS, Spark to ClickHouse.
    dbt = "demo_schema.demo_project.target_table"
    assert lineage.reads(dbt) == {"demo_schema.source_table"} and lineage.processes[dbt].kind == "model"
    assert ("demo_schema.source_table", "complex_id", "complex_id", None) in lineage.columns(dbt, "demo_schema.target_table")
    flink = "insert-into_default_catalog.default_database.kafka_output"
    assert lineage.reads(flink) == {KAFKA_INPUT} and lineage.writes(flink) == {"default_catalog.default_database.kafka_output"}
    assert lineage.assets[KAFKA_INPUT].kind == "topic" and lineage.assets[KAFKA_INPUT].description == "My Complex Table"
    hive = "createtable_as_select.mydatabase.target_table"
    assert ("mydatabase.source_table", "dt", "dt", "DIRECT/IDENTITY") in lineage.columns(hive, "mydatabase.target_table")
    # Spark names the Hive table by its HDFS location, which the Hive event declared as a
    # symlink: both producers' lineage meets at one asset.
    clickhouse = "spark_session.execute_save_into_data_source_command"
    assert lineage.reads(clickhouse) == {"mydatabase.source_table"} and lineage.writes(clickhouse) == {"mydb.myschema.mytable"}

    # Run health: the one FAIL with its error message; Debezium's streaming RUNNING.
    failed = lineage.processes["cloud_trail_log_statistics.execute_insert_into_hadoop_fs_relation_command.tmp_daily_stats2"]
    assert failed.last_run_state == "FAIL"
    debezium = lineage.processes["debezium.0"]
    assert debezium.last_run_state == "RUNNING" and debezium.owner == "Data Team"
    assert {"after.id", "before.price"} <= {f["name"] for f in lineage.assets["debezium.public.product"].fields}
    async with session_factory() as session:
        fail_run = await session.scalar(select(Run).where(Run.run_id == "9f06a36e-97c5-4d4a-9e92-0aef9ed2be4c"))
        assert fail_run.state == "FAIL" and fail_run.error_message.startswith("Job aborted due to stage failure")
        odd = await session.scalar(select(Run).where(Run.run_id == "run_id"))  # a non-UUID runId
        assert odd.state == "COMPLETE"
        aliases = {(a.namespace, a.name) for a in await session.scalars(select(AssetAlias))}
    assert ("file", "/tmp/cll_test/tbl1") in aliases and ("kafka://kafka-host1:9092", "input_topic") in aliases
    assert lineage.reads("job_name") == {"test.table.input"} and lineage.writes("job_name") == {"test.table.output"}

    # DatasetEvent and JobEvent (hand-written client fixtures).
    assert [f["name"] for f in lineage.assets["name"].fields] == ["a", "b"]
    assert lineage.reads("name") == {"dataset_a"} and lineage.writes("name") == {"dataset_b"}

    # The same facts through the graph API: two hops upstream of the weekly deliveries.
    task_read = (await client.get(f"/api/lineage/processes/{task.id}", headers=reader_headers)).json()
    assert task_read["parent_id"] == str(task.parent_id) and "popular_orders_day_of_week" in task_read["sql"]
    graph = await client.get(
        "/api/lineage/graph",
        params={"type": "asset", "namespace": FOOD, "name": "public.delivery_7_days", "direction": "upstream", "depth": 2},
        headers=reader_headers,
    )
    names = {node["name"]: node["depth"] for node in graph.json()["nodes"]}
    assert names["etl_delivery_7_days"] == 1 and names["public.orders_7_days"] == 2 and names["public.customers"] == 2



