"""The equivalence oracle (DESIGN §1): a statement run through Tombstone against soft_db (where
chosen rows carry a deletion marker) must behave exactly like the original statement run directly
against gone_db (where those rows are really deleted): same rows, same column shape, same tag,
same RETURNING, same live rows afterwards.

This module holds everything the three test files share: the corpus reader, the two databases,
one executor per way of reaching soft_db, and the comparison. The test files only choose the
executor (direct rewrite tool, psycopg2 through the proxy, psycopg 3 through the proxy).
"""
import ast
import dataclasses
import io
import json
import pathlib
import re
import subprocess
from typing import Optional

import psycopg2
import yaml

import harness

ORACLE_DIR = pathlib.Path(__file__).resolve().parent
CORPUS_DIR = ORACLE_DIR / "corpus"
CONFIG_PATH = ORACLE_DIR / "tombstone.yaml"

APP_ROLE = "app"            # the non-admin role every case runs as
ADMIN_ROLE = "tombstone_admin"  # named in tombstone.yaml admin_roles; app is NOT a member
SOFT_DB = "soft_db"
GONE_DB = "gone_db"

# The rows that are "deleted": marked in soft_db, really deleted in gone_db. Chosen so that outer
# joins have rows whose only match is deleted (users 7/12/33's orders, New Zealand's only users
# 57 and 58), a unique email and handle only a deleted row holds (user 20, account 9), deleted
# rows that live rows still reference (manager 3, user 20's live orders, replies to deleted
# comments, items of deleted products) and live rows with no match at all (users 56..60 have no
# orders, Iceland has no users). gone_db deletes with session_replication_role = replica: its
# FKs are then "allowed" to dangle exactly where soft_db's live rows point at marked rows, while
# every new row is still checked.
DELETIONS = [
    ("public.users", "id IN (3, 12, 20, 33, 41, 57, 58, 60)"),
    ("public.orders", "user_id IN (7, 12, 33) OR id % 10 = 0"),
    ("public.order_items",
     "order_id IN (SELECT id FROM orders WHERE user_id IN (7, 12, 33) OR id % 10 = 0)"
     " OR id % 17 = 0"),
    ("public.products", "id IN (5, 17, 29)"),
    ("public.comments", "id % 9 = 0 OR id IN (2, 13)"),
    ('public."UserNotes"', '"Id" % 5 = 0'),
    ("crm.accounts", "id IN (4, 9, 15)"),
    ("public.tags", "id IN (2, 5, 11)"),
]
# The partial unique indexes of schema.sql (WHERE <marker> IS NULL). gone_db gets plain unique
# indexes instead, as the application had before Tombstone: `ON CONFLICT (email)` must then work
# on both sides only because Tombstone adds the index predicate to the inference clause.
UNIQUE_INDEXES = [
    ("users_email_key", "public.users", "email"),
    ("products_sku_key", "public.products", "sku"),
    ("accounts_handle_key", "crm.accounts", "handle"),
]
SEED_DELETED_AT = "2026-01-15 10:00:00+00"
SEED_DELETED_BY = "seed"

# Primary key column per table, for the "no soft row is ever physically removed" check.
PRIMARY_KEYS = {'public."UserNotes"': "Id"}


# ---------------------------------------------------------------------------------------------
# Policy (read from tombstone.yaml, the same file the proxy is started with)

@dataclasses.dataclass
class TablePolicy:
    name: str
    strategy: str
    column: str = "deleted_at"
    deleted_by: Optional[str] = None
    reason: Optional[str] = None
    archive: Optional[str] = None


def load_policy():
    doc = yaml.safe_load(CONFIG_PATH.read_text())
    policy = {}
    for name, spec in doc["tables"].items():
        p = TablePolicy(name=name, strategy=spec["strategy"],
                        column=spec.get("column", "deleted_at"),
                        deleted_by=spec.get("deleted_by"), reason=spec.get("reason"),
                        archive=spec.get("archive"))
        if p.strategy == "archive" and p.archive is None:
            p.archive = name + "_archive"
        policy[name] = p
    return policy


def proxy_config_text():
    """tombstone.yaml as harness.Tombstone wants it (it prepends listen/upstream)."""
    return CONFIG_PATH.read_text()


# ---------------------------------------------------------------------------------------------
# Corpus

@dataclasses.dataclass
class Case:
    name: str
    kind: str                      # "read" or "write"
    statements: list               # SQL texts, run in order in one transaction
    source: str                    # file:line, for reports
    params: Optional[list] = None  # bound to the LAST statement (%s placeholders)
    ordered: bool = False          # compare rows in order (the query has a total ORDER BY)
    explain: bool = False          # run on both sides, never compare rows (plans differ)
    expect_error: Optional[str] = None  # SQLSTATE both sides must raise (live-row conflicts)
    actor: str = APP_ROLE          # deleted_by / archived_by expected for rows this case deletes
    reason: Optional[str] = None   # deleted_reason expected for rows this case deletes
    # Nothing this case reads or changes is hidden by Tombstone (unmanaged tables, a CTE that
    # shadows a table, search_path, plain INSERTs): a proxy that rewrote nothing would pass it.
    # Every other case must FAIL without rewriting (test_oracle_corpus.py checks both).
    unfiltered: bool = False
    # Modes that run this case (default: all). Multi-statement strings exist only in the simple
    # query protocol; the extended protocol (psycopg 3) refuses them on both sides alike.
    modes: tuple = ("direct", "psycopg2", "psycopg3", "pipeline", "startup")

    @property
    def changes_session(self):
        return any(re.match(r"\s*(SET|RESET)\b", s, re.I) or "set_config" in s.lower()
                   for s in self.statements)


_OPTION = re.compile(
    r"^--\s*(case|params|ordered|explain|expect-error|actor|reason|unfiltered|modes)\s*:?\s*(.*)$")


def _split_statements(body_lines):
    """A statement ends at a line that ends with ';' (several statements on one line form one
    multi-statement string). Trailing comment-only lines (section headers) are dropped."""
    statements, current = [], []
    for line in body_lines:
        current.append(line)
        if line.rstrip().endswith(";"):
            text = "\n".join(current).strip()
            statements.append(text[:-1].rstrip())
            current = []
    rest = "\n".join(current).strip()
    if rest and not all(l.strip().startswith("--") or not l.strip() for l in current):
        statements.append(rest)
    return statements


def load_corpus(kind):
    """Cases of corpus/<kind>s.sql. A case starts with `-- case: name`, may be followed by option
    lines (`-- params: [1, 'x']`, `-- ordered`, `-- explain`, `-- expect-error: 23505`,
    `-- actor: user:42`, `-- reason: gdpr`, `-- unfiltered`, `-- modes: direct psycopg2`), then
    one or more statements, each ending with ';' at the end of a line. Other comment lines are
    kept as part of the SQL."""
    path = CORPUS_DIR / f"{kind}s.sql"
    cases, current, body = [], None, []

    def finish():
        if current is not None:
            current.statements = _split_statements(body)
            if not current.statements:
                raise ValueError(f"{current.source}: case {current.name} has no statement")
            cases.append(current)

    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        m = _OPTION.match(line.strip())
        if m and m.group(1) == "case":
            finish()
            current, body = Case(name=m.group(2).strip(), kind=kind, statements=[],
                                 source=f"{path.name}:{lineno}"), []
            continue
        if current is None:
            continue
        if m and not body:
            key, value = m.group(1), m.group(2).strip()
            if key == "params":
                current.params = list(ast.literal_eval(value))  # a Python list literal
            elif key == "ordered":
                current.ordered = True
            elif key == "explain":
                current.explain = True
            elif key == "unfiltered":
                current.unfiltered = True
            elif key == "modes":
                current.modes = tuple(value.split())
            elif key == "expect-error":
                current.expect_error = value
            elif key == "actor":
                current.actor = value
            elif key == "reason":
                current.reason = value
            continue
        body.append(line)
    finish()
    names = [c.name for c in cases]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ValueError(f"{path}: duplicate case names {sorted(dupes)}")
    return cases


def load_known_failures():
    """known_failures.txt: `mode case-name reason` lines (mode: direct, psycopg2, psycopg3,
    pipeline, startup or * for all)."""
    path = ORACLE_DIR / "known_failures.txt"
    known = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            mode, name, reason = (line.split(None, 2) + [""])[:3]
            known[(mode, name)] = reason
    return known


# ---------------------------------------------------------------------------------------------
# Results

@dataclasses.dataclass
class Result:
    """What a client sees from one statement."""
    columns: Optional[list] = None   # [(name, type)] or None when no result set
    rows: Optional[list] = None
    tag: Optional[str] = None
    copy: Optional[str] = None       # COPY ... TO STDOUT output
    error: Optional[str] = None      # SQLSTATE
    message: Optional[str] = None
    sent: Optional[str] = None       # direct mode: the rewritten SQL that was executed

    def describe(self):
        sent = f" [sent: {self.sent}]" if self.sent else ""
        if self.error:
            return f"ERROR {self.error}: {self.message}{sent}"
        parts = [f"tag={self.tag!r}"]
        if self.columns is not None:
            parts.append(f"columns={self.columns}")
        if self.rows is not None:
            shown = self.rows[:25]
            more = f" ... (+{len(self.rows) - 25} more)" if len(self.rows) > 25 else ""
            parts.append(f"rows[{len(self.rows)}]={shown}{more}")
        if self.copy is not None:
            lines = self.copy.splitlines()
            parts.append(f"copy[{len(lines)} lines]={lines[:10]}")
        return " ".join(parts) + sent


@dataclasses.dataclass
class CaseRun:
    results: list                    # one Result per statement that ran
    snapshot: Optional[dict] = None  # oracle.snapshot() after a write case, before ROLLBACK


def is_copy(statement):
    return re.match(r"\s*(--[^\n]*\n\s*)*COPY\b", statement, re.I) is not None


def _row_key(row):
    return repr(row)


def compare_results(case, soft, gone):
    """Differences between two statement results, as readable lines (empty when equal)."""
    if soft.error or gone.error:
        if soft.error != gone.error:
            return [f"soft: {soft.describe()}", f"gone: {gone.describe()}"]
        return []
    diffs = []
    if soft.tag != gone.tag:
        diffs.append(f"tag differs: soft {soft.tag!r} vs gone {gone.tag!r}")
    if case.explain:
        return diffs
    if soft.columns != gone.columns:
        diffs.append(f"columns differ: soft {soft.columns} vs gone {gone.columns}")
    if soft.copy is not None or gone.copy is not None:
        s, g = soft.copy or "", gone.copy or ""
        if not case.ordered:
            s, g = sorted(s.splitlines()), sorted(g.splitlines())
        if s != g:
            diffs.append("COPY output differs")
    if soft.rows is not None or gone.rows is not None:
        s, g = soft.rows or [], gone.rows or []
        if not case.ordered:
            s, g = sorted(s, key=_row_key), sorted(g, key=_row_key)
        if s != g:
            only_s = [r for r in s if r not in g]
            only_g = [r for r in g if r not in s]
            diffs.append(f"rows differ ({len(s)} vs {len(g)}): only on soft {only_s[:10]}, "
                         f"only on gone {only_g[:10]}")
    if diffs:
        diffs += [f"soft: {soft.describe()}", f"gone: {gone.describe()}"]
    return diffs


# ---------------------------------------------------------------------------------------------
# State after a write

def _canon(rows, drop=()):
    return sorted(json.dumps({k: v for k, v in r.items() if k not in drop}, sort_keys=True)
                  for r in rows)


def _multiset_minus(a, b):
    rest = list(b)
    out = []
    for x in a:
        if x in rest:
            rest.remove(x)
        else:
            out.append(x)
    return out


def compare_state(case, policy, soft_before, soft_after, gone_before, gone_after):
    """The live rows of every table must match; soft side keeps every row it ever had; rows the
    case deleted are marked once, by the case's actor; archived rows appear in the archive."""
    diffs = []
    archives = {p.archive: p for p in policy.values() if p.strategy == "archive"}
    for table in sorted(gone_after):
        p = policy.get(table)
        if table in archives:
            continue
        if p is not None and p.strategy == "soft":
            hidden = {p.column, p.deleted_by, p.reason} - {None}
            soft_live = [r for r in soft_after[table] if r[p.column] is None]
            s, g = _canon(soft_live, hidden), _canon(gone_after[table], hidden)
        else:
            s, g = _canon(soft_after[table]), _canon(gone_after[table])
        if s != g:
            diffs.append(f"live rows of {table} differ: only on soft "
                         f"{_multiset_minus(s, g)[:8]}, only on gone {_multiset_minus(g, s)[:8]}")
        if p is not None and p.strategy == "soft":
            diffs += _check_soft_markers(case, table, p, soft_before[table], soft_after[table])
    for archive, p in archives.items():
        # gone_db: DELETE removes; soft_db: the same rows must have moved into the archive.
        # Rows the case both inserted and deleted are archived too; those existed neither
        # before nor after, so: archived = removed + rows that are in neither snapshot.
        removed = _multiset_minus(_canon(gone_before[p.name]), _canon(gone_after[p.name]))
        new_archive = [r for r in soft_after[archive]
                       if json.dumps(r, sort_keys=True) not in
                       {json.dumps(x, sort_keys=True) for x in soft_before[archive]}]
        moved = _canon(new_archive, ("archived_at", "archived_by"))
        extra = _multiset_minus(moved, removed)
        transient = set(_canon(gone_before[p.name])) | set(_canon(gone_after[p.name]))
        if _multiset_minus(removed, moved) or any(x in transient for x in extra):
            diffs.append(f"{archive}: rows archived on soft {moved[:8]} but rows deleted on gone "
                         f"{removed[:8]}")
        bad_actor = [r for r in new_archive if r.get("archived_by") != case.actor]
        if bad_actor:
            diffs.append(f"{archive}: archived_by should be {case.actor!r}: {bad_actor[:3]}")
        if _canon(gone_after[archive]) != _canon(gone_before[archive]):
            diffs.append(f"{archive} changed on gone_db (corpus bug?)")
    return diffs


def _check_soft_markers(case, table, p, before, after):
    diffs = []
    pk = PRIMARY_KEYS.get(table, "id")
    after_by_pk = {r[pk]: r for r in after}
    removed = [r[pk] for r in before if r[pk] not in after_by_pk]
    if removed:
        diffs.append(f"{table}: rows physically removed on soft_db: {pk} in {removed[:10]}")
    changed, markers, bad_actor, bad_reason = [], set(), [], []
    for r in before:
        a = after_by_pk.get(r[pk])
        if a is None:
            continue
        if r[p.column] is not None and a != r:
            changed.append((r, a))
        elif r[p.column] is None and a[p.column] is not None:
            markers.add(a[p.column])
            if p.deleted_by and a[p.deleted_by] != case.actor:
                bad_actor.append((r[pk], a[p.deleted_by]))
            if p.reason and (a[p.reason] or None) != case.reason:
                bad_reason.append((r[pk], a[p.reason]))
    if changed:
        diffs.append(f"{table}: {len(changed)} already-deleted row(s) changed, e.g. "
                     f"{changed[0][0]} -> {changed[0][1]}")
    if bad_actor:
        diffs.append(f"{table}.{p.deleted_by} should be {case.actor!r} on the {len(bad_actor)} "
                     f"row(s) this case deleted; got ({pk}, value) {bad_actor[:5]}")
    if bad_reason:
        diffs.append(f"{table}.{p.reason} should be {case.reason!r} on the {len(bad_reason)} "
                     f"row(s) this case deleted; got ({pk}, value) {bad_reason[:5]}")
    if len(markers) > 1:
        diffs.append(f"{table}: rows deleted by one transaction carry {len(markers)} different "
                     f"markers (must all be now()): {sorted(markers)[:4]}")
    return diffs


# ---------------------------------------------------------------------------------------------
# The databases

class OracleDatabases:
    """One throwaway cluster holding soft_db and gone_db, the `app` role and the admin role."""

    def __init__(self):
        self.cluster = harness.PgCluster().init().start()
        self.policy = load_policy()
        try:
            self._build()
        except Exception:
            self.cluster.destroy()
            raise

    def _super(self, dbname):
        conn = psycopg2.connect(self.cluster.dsn(dbname))
        conn.autocommit = True
        return conn

    def _build(self):
        conn = self._super("postgres")
        with conn.cursor() as cur:
            cur.execute(f"CREATE ROLE {ADMIN_ROLE} NOLOGIN")
            cur.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
            for db in (SOFT_DB, GONE_DB):
                cur.execute(f"CREATE DATABASE {db}")
        conn.close()
        schema = (ORACLE_DIR / "schema.sql").read_text()
        seed = (ORACLE_DIR / "seed.sql").read_text()
        for db in (SOFT_DB, GONE_DB):
            conn = self._super(db)
            with conn.cursor() as cur:
                cur.execute(schema)
                cur.execute(seed)
                self._grant(cur, db)
                if db == SOFT_DB:
                    for table, cond in DELETIONS:
                        p = self.policy[table]
                        sets = [f"{p.column} = '{SEED_DELETED_AT}'"]
                        if p.deleted_by:
                            sets.append(f"{p.deleted_by} = '{SEED_DELETED_BY}'")
                        if p.reason:
                            sets.append(f"{p.reason} = 'oracle seed'")
                        cur.execute(f"UPDATE {table} SET {', '.join(sets)} WHERE {cond}")
                    for index, table, cols in UNIQUE_INDEXES:
                        cur.execute(f"CREATE UNIQUE INDEX {index} ON {table} ({cols}) "
                                    f"WHERE {self.policy[table].column} IS NULL")
                else:
                    cur.execute("SET session_replication_role = replica")
                    # order_items' condition reads orders: delete it first.
                    first = sorted(DELETIONS, key=lambda d: d[0] != "public.order_items")
                    for table, cond in first:
                        cur.execute(f"DELETE FROM {table} WHERE {cond}")
                    cur.execute("RESET session_replication_role")
                    # Without Tombstone an application has plain unique indexes; the partial
                    # ones exist only because of soft deletion (tombstone migrate makes them).
                    for index, table, cols in UNIQUE_INDEXES:
                        cur.execute(f"CREATE UNIQUE INDEX {index} ON {table} ({cols})")
                cur.execute("VACUUM ANALYZE")
            conn.close()

    def _grant(self, cur, db):
        cur.execute(f"GRANT USAGE ON SCHEMA crm, oracle, app TO {APP_ROLE}")
        cur.execute(f"GRANT CREATE ON SCHEMA public TO {APP_ROLE}")
        cur.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA "
                    f"public, crm, app TO {APP_ROLE}")
        cur.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        if db == SOFT_DB:
            # Tombstone never needs DELETE/TRUNCATE on a soft table (DESIGN §7): without them, a
            # statement that slips through unrewritten fails loudly instead of deleting.
            soft = ", ".join(p.name for p in self.policy.values() if p.strategy == "soft")
            cur.execute(f"REVOKE DELETE, TRUNCATE ON {soft} FROM {APP_ROLE}")

    def dsn(self, dbname, user=APP_ROLE):
        return self.cluster.dsn(dbname, user)

    def reset_sequences(self):
        """nextval() is not rolled back: put every sequence back before each write case so both
        sides hand out the same ids."""
        if not hasattr(self, "_seq_conns"):
            self._seq_conns = [self._super(db) for db in (SOFT_DB, GONE_DB)]
        for conn in self._seq_conns:
            with conn.cursor() as cur:
                cur.execute("SELECT setval(s.oid::regclass, 1000, false) FROM pg_class s "
                            "WHERE s.relkind = 'S'")

    def destroy(self):
        for conn in getattr(self, "_seq_conns", []):
            conn.close()
        self.cluster.destroy()


# ---------------------------------------------------------------------------------------------
# Executors: run a case's statements on one side, inside BEGIN ... ROLLBACK

def session_script(case, inline):
    """The statements a case sends, in order: ("control"|"stmt"|"snapshot", sql). `inline`
    turns (statement, params) into literal SQL (client-side binding) or None to keep them apart."""
    script = [("control", "BEGIN")]
    for i, statement in enumerate(case.statements):
        params = case.params if i == len(case.statements) - 1 else None
        script.append(("stmt", inline(statement, params) if inline else (statement, params)))
    if case.kind == "write":
        script.append(("snapshot", "SELECT oracle.snapshot()"))
    script.append(("control", "ROLLBACK"))
    if case.changes_session:
        script.append(("control", "RESET search_path"))
    return script


class Psycopg2Executor:
    """psycopg2: simple protocol, parameters interpolated client-side. With `rewrites` (direct
    mode), every statement is replaced by what `tombstone rewrite --batch` produced for it and
    the tag fix-up is applied to the server's tag."""

    def __init__(self, dsn, rewrites=None):
        self.dsn = dsn
        self.conn = psycopg2.connect(dsn)
        self.conn.autocommit = True
        self.rewrites = rewrites

    def close(self):
        self.conn.close()

    def reconnect(self):
        """After a case broke the session (lost connection, stuck transaction): a fresh one, so
        the next case is judged on its own."""
        try:
            self.conn.close()
        except psycopg2.Error:
            pass
        self.conn = psycopg2.connect(self.dsn)
        self.conn.autocommit = True

    def inline(self, statement, params):
        if params is None:
            return statement
        with self.conn.cursor() as cur:
            return cur.mogrify(statement, params).decode()

    def _send(self, cur, sql, rw=None):
        fixups = None
        if rw is not None:
            if rw.get("error"):
                err = rw["error"]
                code = err.get("sqlstate") if isinstance(err, dict) else None
                message = err.get("message") if isinstance(err, dict) else str(err)
                return Result(error=code or "refused", message=f"(rewrite tool) {message}")
            sql, fixups = rw["sql"], rw.get("fixups")
        res = Result(sent=sql if rw is not None and rw.get("changed") else None)
        try:
            if is_copy(sql):
                buf = io.StringIO()
                cur.copy_expert(sql, buf)
                res.copy = buf.getvalue()
                # Neither driver keeps a COPY's tag text; libpq's row count comes from it.
                res.tag = f"COPY {cur.rowcount}"
            else:
                cur.execute(sql)
                res.tag = cur.statusmessage
                if cur.description is not None:
                    res.columns = [(d.name, d.type_code) for d in cur.description]
                    res.rows = cur.fetchall()
        except psycopg2.Error as e:
            return Result(error=e.pgcode or "client", message=str(e).strip(), sent=res.sent)
        if fixups:
            res.tag = apply_fixups(res.tag, fixups)
        return res

    def snapshot(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT oracle.snapshot()")
            return cur.fetchone()[0]

    def run_case(self, case):
        results, snap, failed = [], None, False
        rewrites = self.rewrites[case.name] if self.rewrites is not None else None
        with self.conn.cursor() as cur:
            for j, (kind, sql) in enumerate(session_script(case, self.inline)):
                rw = rewrites[j] if rewrites is not None else None
                if kind == "stmt":
                    if not failed:
                        res = self._send(cur, sql, rw)
                        results.append(res)
                        failed = res.error is not None
                    continue
                if rw is not None:
                    if rw.get("error"):
                        raise RuntimeError(f"rewrite tool refused {sql!r}: {rw['error']}")
                    sql = rw["sql"]
                if kind == "control":
                    cur.execute(sql)
                elif kind == "snapshot" and not failed:
                    cur.execute(sql)
                    snap = cur.fetchone()[0]
        return CaseRun(results=results, snapshot=snap)


class Psycopg3Executor:
    """psycopg 3 with server-side binding: every statement is a named prepared statement
    (prepare=True: Parse with a name, then Bind/Execute); cases with params send them as Bind
    parameters ($1 ...), never inlined."""

    def __init__(self, dsn):
        import psycopg
        self.psycopg = psycopg
        self.dsn = dsn
        self.conn = psycopg.connect(dsn, autocommit=True)

    def close(self):
        self.conn.close()

    def reconnect(self):
        try:
            self.conn.close()
        except self.psycopg.Error:
            pass
        self.conn = self.psycopg.connect(self.dsn, autocommit=True)

    def _send(self, cur, statement, params):
        res = Result()
        try:
            if is_copy(statement):
                out = bytearray()
                with cur.copy(statement) as copy:
                    for data in copy:
                        out += bytes(data)
                res.copy = out.decode()
                res.tag = f"COPY {cur.rowcount}"
            else:
                cur.execute(statement, params, prepare=True)
                res.tag = cur.statusmessage
                if cur.description is not None:
                    res.columns = [(d.name, d.type_code) for d in cur.description]
                    res.rows = cur.fetchall()
        except self.psycopg.Error as e:
            code = getattr(getattr(e, "diag", None), "sqlstate", None)
            return Result(error=code or "client", message=str(e).strip())
        return res

    def run_case(self, case):
        results, snap, failed = [], None, False
        with self.conn.cursor() as cur:
            for kind, item in session_script(case, None):
                if kind == "control":
                    cur.execute(item, prepare=False)
                elif kind == "stmt" and not failed:
                    statement, params = item
                    # psycopg 3 keys its prepared statements by text: a first line naming the
                    # case keeps one case's statements from being reused by another case.
                    res = self._send(cur, f"-- {case.name}\n{statement}", params)
                    results.append(res)
                    failed = res.error is not None
                elif kind == "snapshot" and not failed:
                    cur.execute(item, prepare=False)
                    snap = cur.fetchone()[0]
        return CaseRun(results=results, snapshot=snap)


class Psycopg3PipelineExecutor(Psycopg3Executor):
    """psycopg 3 pipeline mode: a case's statements go out as one pipeline (Parse/Bind/Describe/
    Execute for each, one Sync at the end) before any result is read, so the proxy must keep its
    per-statement fix-ups in order across the batch and, after an error, answer until Sync.
    COPY cannot be pipelined: those cases run like Psycopg3Executor."""

    def run_case(self, case):
        if any(is_copy(s) for s in case.statements):
            return super().run_case(case)
        psycopg = self.psycopg
        results, snap = [], None
        script = session_script(case, None)
        with self.conn.cursor() as cur:
            cur.execute("BEGIN", prepare=False)
        cursors, error = [], None
        try:
            with self.conn.pipeline() as pipeline:
                for kind, item in script:
                    if kind == "stmt":
                        statement, params = item
                        c = self.conn.cursor()
                        # Registered first: psycopg may already raise a result's error here,
                        # while it reads results of earlier commands.
                        cursors.append(c)
                        c.execute(f"-- {case.name}\n{statement}", params, prepare=True)
                try:
                    pipeline.sync()
                except psycopg.Error as e:
                    error = e
        except psycopg.Error as e:
            error = error or e
        for c in cursors:
            if c.statusmessage is None:  # the statement that failed; the rest never ran
                code = getattr(getattr(error, "diag", None), "sqlstate", None)
                results.append(Result(error=code or "client", message=str(error).strip()))
                break
            res = Result(tag=c.statusmessage)
            if c.description is not None:
                res.columns = [(d.name, d.type_code) for d in c.description]
                res.rows = c.fetchall()
            results.append(res)
        with self.conn.cursor() as cur:
            if case.kind == "write" and not any(r.error for r in results):
                cur.execute("SELECT oracle.snapshot()", prepare=False)
                snap = cur.fetchone()[0]
            cur.execute("ROLLBACK", prepare=False)
            if case.changes_session:
                cur.execute("RESET search_path", prepare=False)
        return CaseRun(results=results, snapshot=snap)


# ---------------------------------------------------------------------------------------------
# The rewrite tool (direct mode)

def apply_fixups(tag, fixups):
    """Applies `tombstone rewrite` fix-ups to a server tag: "delete" turns `UPDATE n`,
    `INSERT 0 n` and `SELECT n` into `DELETE n`; "truncate" makes it `TRUNCATE TABLE`."""
    if tag is None or not fixups:
        return tag
    # A multi-statement string: the driver reports the last statement's tag only.
    for f in fixups[-1:]:
        kind = f if isinstance(f, str) else (f.get("kind") or f.get("fixup") or f.get("tag"))
        kind = str(kind).lower()
        if kind in ("none", "knone", ""):
            continue
        if kind in ("delete", "kdelete"):
            tag = f"DELETE {tag.split()[-1] if tag.split() else '?'}"
        elif kind in ("truncate", "ktruncate", "truncate table"):
            tag = "TRUNCATE TABLE"
        else:
            raise ValueError(f"unknown fix-up {f!r}")
    return tag


def rewrite_session(binary, dsn, statements, search_path=None):
    """`tombstone rewrite --batch --config tombstone.yaml --dsn DSN [--search-path P]`:
    NUL-separated statements in, one JSON line per statement out:
    {"sql", "changed", "fixups", "error"}."""
    data = b"\0".join(s.encode() for s in statements)
    cmd = [binary, "rewrite", "--batch", "--config", str(CONFIG_PATH), "--dsn", dsn]
    if search_path is not None:
        cmd += ["--search-path", search_path]
    out = subprocess.run(cmd, input=data, capture_output=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}: "
                           f"{out.stderr.decode(errors='replace')[-3000:]}")
    lines = [l for l in out.stdout.decode().splitlines() if l.strip()]
    if len(lines) != len(statements):
        raise RuntimeError(f"tombstone rewrite --batch: {len(statements)} statements in, "
                           f"{len(lines)} JSON lines out; stderr: "
                           f"{out.stderr.decode(errors='replace')[-3000:]}")
    return [json.loads(l) for l in lines]


def _search_paths(probe, case, inline):
    """The search_path in effect before each step of the case's script, as the server has it:
    the script is replayed on `probe` (a gone_db session; every case ends in ROLLBACK) with a
    SHOW before every step. The rewrite tool is a pure rewriter without session tracking (that is
    the proxy's job, judged by the wire modes), so direct mode hands it the server's truth."""
    paths, current = [], None
    with probe.cursor() as cur:
        for kind, sql in session_script(case, inline):
            try:
                cur.execute("SHOW search_path")
                current = cur.fetchone()[0]
            except psycopg2.Error:
                pass  # aborted transaction: the SETs before the error still decide
            paths.append(current)
            try:
                cur.execute(sql)
            except psycopg2.Error:
                pass
    return paths


def direct_rewrites(binary, dsn, cases, inline, probe_dsn):
    """Rewrites every statement the direct-mode executor will send, grouped by the search_path in
    effect (one `tombstone rewrite --batch --search-path P` run per distinct value). Returns
    {case name: [rewrite per script step]}."""
    probe = psycopg2.connect(probe_dsn)
    probe.autocommit = True
    steps = []  # (case name, step index, search_path, sql)
    try:
        for case in cases:
            script = session_script(case, inline)
            paths = _search_paths(probe, case, inline)
            for j, ((kind, sql), path) in enumerate(zip(script, paths)):
                steps.append((case.name, j, path, sql))
    finally:
        probe.close()
    table = {case.name: [None] * len(session_script(case, inline)) for case in cases}
    for path in sorted({s[2] for s in steps}):
        group = [s for s in steps if s[2] == path]
        for (name, j, _, _), rw in zip(group, rewrite_session(binary, dsn, [s[3] for s in group],
                                                               path)):
            table[name][j] = rw
    return table


# ---------------------------------------------------------------------------------------------
# Running a case on both sides

class Oracle:
    """Owns the databases and one mode's executors: `soft` reaches soft_db (through Tombstone),
    `gone` runs the original statements on gone_db with the same client library, so values are
    decoded the same way on both sides."""

    def __init__(self, dbs, soft_executor, gone_executor=None):
        self.dbs = dbs
        self.policy = dbs.policy
        self.soft = soft_executor
        self.gone = gone_executor or Psycopg2Executor(dbs.dsn(GONE_DB))
        self.proxy = None
        self.gone_base = self._snapshot(GONE_DB)
        self.soft_base = self._snapshot(SOFT_DB)
        # Column types are compared by name: a table's row type has a different OID per database.
        self.type_names = {db: self._type_names(db) for db in (SOFT_DB, GONE_DB)}

    def _type_names(self, dbname):
        conn = psycopg2.connect(self.dbs.cluster.dsn(dbname))
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT oid, format_type(oid, NULL) FROM pg_type")
                return dict(cur.fetchall())
        finally:
            conn.close()

    def _name_types(self, run, dbname):
        names = self.type_names[dbname]
        for r in run.results:
            if r.columns is not None:
                r.columns = [(n, names.get(t, t)) for n, t in r.columns]

    def _snapshot(self, dbname):
        """The state every case starts from (each case is rolled back)."""
        ex = Psycopg2Executor(self.dbs.cluster.dsn(dbname))  # superuser, directly
        try:
            return ex.snapshot()
        finally:
            ex.close()

    def close(self):
        self.soft.close()
        self.gone.close()

    def check(self, case):
        """Runs the case on both sides; returns a list of difference lines (empty = equal)."""
        if case.kind == "write":
            self.dbs.reset_sequences()
        gone = self.gone.run_case(case)
        if case.kind == "write":
            self.dbs.reset_sequences()
        diffs = []
        try:
            soft = self.soft.run_case(case)
        except Exception as e:  # the session broke: report it, start the next case afresh
            self.soft.reconnect()
            return [f"soft side: the session failed outside the case's statements "
                    f"(BEGIN/ROLLBACK/snapshot/connection): {type(e).__name__}: {e}"]
        if case.expect_error:
            got = [r.error for r in gone.results if r.error]
            if got != [case.expect_error]:
                diffs.append(f"corpus: gone_db should fail with {case.expect_error}, got "
                             f"{[r.describe() for r in gone.results]}")
        else:
            errs = [r.describe() for r in gone.results if r.error]
            if errs:
                diffs.append(f"corpus: statement fails on gone_db: {errs}")
        self._name_types(soft, SOFT_DB)
        self._name_types(gone, GONE_DB)
        for i in range(max(len(soft.results), len(gone.results))):
            s = soft.results[i] if i < len(soft.results) else Result(error="(not run)")
            g = gone.results[i] if i < len(gone.results) else Result(error="(not run)")
            d = compare_results(case, s, g)
            if d:
                diffs.append(f"statement {i + 1}: {case.statements[i][:300]!r}")
                diffs += ["  " + x for x in d]
        if case.kind == "write" and soft.snapshot is not None and gone.snapshot is not None:
            diffs += compare_state(case, self.policy, self.soft_base, soft.snapshot,
                                   self.gone_base, gone.snapshot)
        if diffs:
            # A failed case may leave client-side state behind (psycopg 3 believes a statement
            # is prepared when its Parse failed only on one side): fresh sessions keep the
            # next case's verdict its own.
            self.soft.reconnect()
            self.gone.reconnect()
        return diffs


def all_cases():
    return load_corpus("read") + load_corpus("write")


def pytest_params(mode):
    """One pytest param per case, id `read:name` / `write:name`; cases listed for this mode (or
    `*`) in known_failures.txt are xfail with the recorded bug."""
    import pytest
    known = load_known_failures()
    params = []
    for case in all_cases():
        if mode not in case.modes:
            continue
        reason = known.get((mode, case.name), known.get(("*", case.name)))
        marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason is not None else []
        params.append(pytest.param(case, id=f"{case.kind}:{case.name}", marks=marks))
    return params


def report(case, diffs, mode):
    """The failure message: where the case is, its statements, and every difference."""
    lines = [f"[{mode}] {case.kind} case {case.name} ({case.source}) differs between soft_db "
             f"through Tombstone and gone_db:"]
    for s in case.statements:
        lines.append(f"  SQL: {s}")
    if case.params is not None:
        lines.append(f"  params: {case.params!r}")
    lines += ["  " + d for d in diffs]
    return "\n".join(lines)


def proxy_log_tail(proxy, lines=15):
    """The end of the proxy's log, appended to a failure report (crashes, refusals)."""
    try:
        tail = proxy.log_text().splitlines()[-lines:]
    except OSError:
        return ""
    return "\n  proxy log (last lines):\n    " + "\n    ".join(tail) if tail else ""


def proxied_checker(make_soft, make_gone=None, startup=""):
    """Fixture body shared by the over-the-wire modes: a fresh OracleDatabases, the real proxy in
    front of it, `make_soft(dsn)` connected THROUGH the proxy to soft_db as the non-admin role and
    `make_gone(dsn)` (default: the Oracle's own psycopg2 session) directly to gone_db. `startup`
    is appended to both DSNs (e.g. options). Yields the Oracle; tears everything down after."""
    dbs = OracleDatabases()
    proxy, checker = None, None
    try:
        proxy = harness.Tombstone(dbs.cluster, config=proxy_config_text()).start()
        soft = make_soft(f"{proxy.dsn(SOFT_DB, APP_ROLE)} {startup}".strip())
        gone = make_gone(f"{dbs.dsn(GONE_DB)} {startup}".strip()) if make_gone else None
        checker = Oracle(dbs, soft, gone)
        checker.proxy = proxy
        yield checker
    finally:
        if checker is not None:
            checker.close()
        if proxy is not None:
            proxy.stop()
        dbs.destroy()
