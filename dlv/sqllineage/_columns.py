"""Column lineage over sqlglot's scopes: every output column traced back through CTEs,
derived tables and set operations to the physical columns that feed it, with the kind of
transformation on the way; and the columns that shape every row (joins, filters, groupings,
sorts), which OpenLineage calls INDIRECT."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, build_scope

from dlv.sqllineage._model import (
    AGGREGATION,
    CONDITIONAL,
    DIRECT,
    FILTER,
    GROUP_BY,
    IDENTITY,
    INDIRECT,
    JOIN,
    SORT,
    TRANSFORMATION,
    WHOLE_DATASET,
    WINDOW,
    ColumnLineage,
    Kind,
)

Traced = tuple[str, str, Kind]  # (source table, source column, kind)
# Deep enough for any real query; a guard against self-referencing aliases.
MAX_DEPTH = 64
_IDENTITY = Kind(DIRECT, IDENTITY)
# The clauses of a SELECT that shape its rows, and the INDIRECT subtype each one is.
_ROW_CLAUSES = (("where", FILTER), ("having", FILTER), ("qualify", FILTER), ("group", GROUP_BY), ("order", SORT))


class Tracer:
    """Traces one query's columns; ``table_name`` gives a table's qualified name and
    ``known`` the columns of the tables whose schema is known (for unqualified columns)."""

    def __init__(self, table_name: Callable[[exp.Table], str], known: dict[str, set[str]]) -> None:
        self.table_name = table_name
        self.known = known

    def lineage(self, query: exp.Expression, target: str | None, target_columns: list[str] | None) -> list[ColumnLineage]:
        root = build_scope(query)
        if root is None:
            return []
        names = target_columns or [select.alias_or_name for select in _leaves(root)[0].expression.selects]
        found: set[ColumnLineage] = set()
        for index, name in enumerate(names):
            if name and name != "*":
                for table, column, kind in self._position(root, index, _IDENTITY, 0):
                    found.add(ColumnLineage(target, name, table, column, kind.type, kind.subtype))
        for table, column, kind in self._row_shaping(root):
            found.add(ColumnLineage(target, WHOLE_DATASET, table, column, kind.type, kind.subtype))
        return sorted(found)

    # --- direct lineage: what each output column is computed from

    def _position(self, scope: Scope, index: int, kind: Kind, depth: int) -> list[Traced]:
        traced: list[Traced] = []
        for leaf in _leaves(scope):
            selects = leaf.expression.selects
            if index < len(selects):
                traced.extend(self._projection(leaf, selects[index], kind, depth))
        return traced

    def _named(self, scope: Scope, name: str, kind: Kind, depth: int) -> list[Traced]:
        names = [select.alias_or_name for select in _leaves(scope)[0].expression.selects]
        return self._position(scope, names.index(name), kind, depth) if name in names else []

    def _projection(self, scope: Scope, projection: exp.Expression, kind: Kind, depth: int) -> list[Traced]:
        traced: list[Traced] = []
        for column, inner in classify(projection):
            traced.extend(self._column(scope, column, kind.then(inner), depth + 1))
        return traced

    def _column(self, scope: Scope, column: exp.Column, kind: Kind, depth: int) -> list[Traced]:
        if depth > MAX_DEPTH:
            return []
        source = self._source(scope, column)
        if isinstance(source, exp.Table):
            return [(self.table_name(source), column.name, kind)]
        if isinstance(source, Scope):
            return self._named(source, column.name, kind, depth)
        if source is None and not column.table:  # an alias of the scope's own output (ORDER BY total)
            own = [s for s in scope.expression.selects if s.alias == column.name and not isinstance(s.unalias(), exp.Column)]
            if own:
                return self._projection(scope, own[0], kind, depth)
        return []

    def _source(self, scope: Scope, column: exp.Column) -> exp.Table | Scope | None:
        if column.table:
            return scope.sources.get(column.table)
        sources = list(scope.selected_sources.values())
        if len(sources) == 1:
            return sources[0][1]
        # Several sources: the one whose (known) columns include this one.
        having = [source for _, source in sources if column.name in self._columns_of(source)]
        return having[0] if len(having) == 1 else None

    def _columns_of(self, source: exp.Table | Scope) -> set[str]:
        if isinstance(source, exp.Table):
            return self.known.get(self.table_name(source), set())
        if isinstance(source, Scope) and isinstance(source.expression, exp.Query):
            return {select.alias_or_name for select in _leaves(source)[0].expression.selects}
        return set()

    # --- indirect lineage: what shapes every row

    def _row_shaping(self, root: Scope) -> Iterator[Traced]:
        for scope in root.traverse():
            select = scope.expression
            if not isinstance(select, exp.Select):
                continue
            for clause, subtype in _ROW_CLAUSES:
                yield from self._clause_columns(scope, select.args.get(clause), Kind(INDIRECT, subtype))
            for join in select.args.get("joins") or []:
                yield from self._clause_columns(scope, join.args.get("on"), Kind(INDIRECT, JOIN))
                for name in join.args.get("using") or []:
                    for alias in scope.selected_sources:
                        yield from self._column(scope, exp.column(name.name, table=alias), Kind(INDIRECT, JOIN), 0)
            if scope.is_subquery:  # a subquery in WHERE or SELECT: what it returns filters
                for projection in select.selects:
                    yield from self._projection(scope, projection, Kind(INDIRECT, FILTER), 0)

    def _clause_columns(self, scope: Scope, clause: exp.Expression | None, kind: Kind) -> Iterator[Traced]:
        if clause is None:
            return
        aliases = {s.alias: s for s in scope.expression.selects if s.alias and not isinstance(s.unalias(), exp.Column)}
        for column in _own_columns(clause):
            if kind.subtype == SORT and column.name in aliases:  # ORDER BY total: the expression it names
                yield from self._projection(scope, aliases[column.name], kind, 0)
            else:
                yield from self._column(scope, column, kind, 0)


def classify(projection: exp.Expression) -> list[tuple[exp.Column, Kind]]:
    """The columns one SELECT item reads and how: itself (IDENTITY), inside an aggregate
    (AGGREGATION), in a CASE/IF condition (INDIRECT CONDITIONAL), in a window's PARTITION BY
    or ORDER BY (INDIRECT WINDOW), otherwise computed from (TRANSFORMATION)."""
    expression = projection.unalias()
    if isinstance(expression, exp.Column):
        return [(expression, _IDENTITY)]
    return [(column, _kind_within(column, expression)) for column in _own_columns(expression)]


def _kind_within(column: exp.Column, top: exp.Expression) -> Kind:
    aggregated = False
    node: exp.Expression = column
    while node is not top and node.parent is not None:
        parent = node.parent
        if isinstance(parent, exp.Window) and node.arg_key in ("partition_by", "order"):
            return Kind(INDIRECT, WINDOW)
        if isinstance(parent, exp.If) and node.arg_key == "this" or isinstance(parent, exp.Case) and node.arg_key == "this":
            return Kind(INDIRECT, CONDITIONAL)
        aggregated = aggregated or isinstance(parent, exp.AggFunc)
        node = parent
    return Kind(DIRECT, AGGREGATION if aggregated else TRANSFORMATION)


def _own_columns(expression: exp.Expression) -> Iterator[exp.Column]:
    """The columns of ``expression`` itself, not of subqueries inside it (their own scopes)."""
    for column in expression.find_all(exp.Column):
        node = column.parent
        while node is not None and node is not expression and not isinstance(node, exp.Query):
            node = node.parent
        if node is expression or node is None:
            yield column


def _leaves(scope: Scope) -> list[Scope]:
    """The SELECTs of a set operation (UNION ...), left to right; the scope itself otherwise."""
    if isinstance(scope.expression, exp.SetOperation):
        return [leaf for branch in scope.set_operation_scopes for leaf in _leaves(branch)]
    return [scope]
