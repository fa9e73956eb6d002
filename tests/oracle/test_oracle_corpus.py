"""The oracle's own guarantees, without Tombstone: the corpus is big enough and covers every
statement form of DESIGN §3, every case runs on gone_db as declared (with psycopg2 and with
psycopg 3's server-side binding), and the data makes every case count: a proxy that rewrote
nothing would fail every case not marked `-- unfiltered`, and would pass exactly those."""
import re

import pytest

import oracle

# Statement forms the corpus must keep covering (issue 3 "Read filtering", DESIGN §2-§3).
FORMS = {
    "FROM list": r"\bfrom\s+\w+\s+\w+\s*,\s*\w+",
    "inner join": r"\b(inner\s+)?join\b",
    "LEFT join": r"\bleft\s+(outer\s+)?join\b",
    "RIGHT join": r"\bright\s+(outer\s+)?join\b",
    "FULL join": r"\bfull\s+(outer\s+)?join\b",
    "NATURAL join": r"\bnatural\s+(left\s+|full\s+)?join\b",
    "USING join": r"\bjoin\s+\w+(\s+\w+)?\s+using\s*\(",
    "nested join": r"join\s*\(\s*\w+\s+\w+\s+(left\s+)?join",
    "EXISTS": r"\bexists\s*\(",
    "NOT EXISTS": r"\bnot\s+exists\s*\(",
    "IN subquery": r"\bin\s*\(\s*select\b",
    "NOT IN subquery": r"\bnot\s+in\s*\(\s*select\b",
    "ANY": r"\bany\s*\(\s*select\b",
    "ALL": r"\ball\s*\(\s*select\b",
    "scalar subquery in SELECT": r"^select\s+\w+,\s*\(select\b",
    "subquery in HAVING": r"\bhaving\s+count\(\*\)\s*>\s*\(select\b",
    "subquery in ORDER BY": r"\border\s+by\s*\(select\b",
    "CTE": r"^with\s+\w+\s+as\b",
    "WITH RECURSIVE": r"^with\s+recursive\b",
    "CTE shadowing a managed table": r"^with\s+(users|orders)\s+as\b",
    "data-modifying CTE": r"^with\s+\w+\s+as\s*\(\s*delete\b",
    "UNION": r"\bunion\b",
    "INTERSECT": r"\bintersect\b",
    "EXCEPT": r"\bexcept\b",
    "LATERAL": r"\blateral\b",
    "TABLE t": r"^table\s+\w+",
    "UPDATE ... FROM": r"^update\s+\w+\s+\w+\s+set\b.*\bfrom\b",
    "DELETE ... USING": r"^delete\s+from\s+\w+\s+\w+\s+using\b",
    "INSERT ... SELECT": r"^insert\s+into\s+[\w.]+\s*\([^)]*\)\s*select\b",
    "ON CONFLICT DO UPDATE": r"\bon\s+conflict\s*\(\w+\)\s*do\s+update\b",
    "ON CONFLICT DO NOTHING": r"\bon\s+conflict\s*\(\w+\)\s*do\s+nothing\b",
    "MERGE": r"^merge\s+into\b",
    "MERGE ... THEN DELETE": r"\bthen\s+delete\b",
    "COPY (query) TO": r"^copy\s*\(",
    "COPY t TO": r"^copy\s+[\w.\"]+\s+(\([^)]*\)\s+)?to\s+stdout",
    "EXPLAIN": r"^explain\b",
    "count(*)": r"\bcount\(\*\)",
    "sum": r"\bsum\(",
    "GROUP BY": r"\bgroup\s+by\b",
    "HAVING": r"\bhaving\b",
    "window function": r"\bover\s*[\(\w]",
    "DISTINCT ON": r"\bdistinct\s+on\b",
    "LIMIT/OFFSET": r"\blimit\s+\d+\s+offset\b",
    "DELETE ... RETURNING *": r"^delete\b.*\breturning\s+\*",
    "archive DELETE RETURNING": r"^delete\s+from\s+events\b.*\breturning\b",
    "UPDATE": r"^update\b",
    "column alias list": r"\bas\s+\w+\s*\(\w+,",
    "quoted name": r"\"userNotes\"|\"usernotes\"",
    "schema-qualified name": r"\bpublic\.\w+|\bcrm\.\w+",
    "search_path": r"^set\s+(local\s+)?search_path\b",
    "PREPARE": r"^prepare\b",
    "DECLARE CURSOR": r"^declare\b",
    "CREATE TABLE AS": r"^create\s+temp\s+table\s+\w+\s+as\b",
    "SELECT INTO": r"^select\b.*\binto\s+temp\b",
    "CREATE VIEW": r"^create\s+(temp\s+|materialized\s+)?view\b",
    "TRUNCATE": r"^truncate\b",
    "WHERE CURRENT OF": r"\bwhere\s+current\s+of\b",
}


def test_corpus_size_and_forms():
    reads, writes = oracle.load_corpus("read"), oracle.load_corpus("write")
    assert len(reads) >= 170, f"only {len(reads)} read cases"
    assert len(writes) >= 60, f"only {len(writes)} write cases"
    assert len({c.name for c in reads + writes}) == len(reads) + len(writes), "duplicate names"
    texts = [re.sub(r"\s+", " ", s.strip().lower()) for c in reads + writes for s in c.statements]
    missing = [form for form, rx in FORMS.items()
               if not any(re.search(rx.lower(), t) for t in texts)]
    assert not missing, f"the corpus no longer covers: {missing}"
    assert sum(1 for c in reads + writes if c.params is not None) >= 15, "parametrized cases"


@pytest.fixture(scope="module")
def dbs():
    dbs = oracle.OracleDatabases()
    yield dbs
    dbs.destroy()


def _unexpected_errors(executor, cases):
    bad = []
    for case in cases:
        run = executor.run_case(case)
        errors = [r.error for r in run.results if r.error]
        want = [case.expect_error] if case.expect_error else []
        if errors != want:
            bad.append(f"{case.name} ({case.source}): want errors {want}, got "
                       f"{[r.describe() for r in run.results if r.error]}")
    return bad


def test_every_case_runs_on_gone_db_with_psycopg2(dbs):
    ex = oracle.Psycopg2Executor(dbs.dsn(oracle.GONE_DB))
    try:
        bad = _unexpected_errors(ex, oracle.all_cases())
    finally:
        ex.close()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("mode", ["psycopg3", "pipeline"])
def test_every_case_runs_on_gone_db_with_psycopg3_binding(dbs, mode):
    cls = oracle.Psycopg3Executor if mode == "psycopg3" else oracle.Psycopg3PipelineExecutor
    ex = cls(dbs.dsn(oracle.GONE_DB))
    try:
        bad = _unexpected_errors(ex, [c for c in oracle.all_cases() if mode in c.modes])
    finally:
        ex.close()
    assert not bad, "\n".join(bad)


def test_without_rewriting_exactly_the_filtered_cases_fail(dbs):
    """soft_db WITHOUT Tombstone (the original SQL straight to soft_db as `app`) against gone_db:
    every case must show a difference, except those marked `-- unfiltered`, which must not."""
    checker = oracle.Oracle(dbs, oracle.Psycopg2Executor(dbs.dsn(oracle.SOFT_DB)))
    try:
        blind, wrongly_marked = [], []
        for case in oracle.all_cases():
            diffs = [d for d in checker.check(case) if not d.startswith("corpus:")]
            if case.unfiltered and diffs:
                wrongly_marked.append(f"{case.name}: {diffs[:3]}")
            elif not case.unfiltered and not diffs:
                blind.append(case.name)
    finally:
        checker.close()
    assert not blind, (f"these cases pass even without Tombstone, so they test nothing; make the "
                       f"data or the query sensitive (or mark them -- unfiltered): {blind}")
    assert not wrongly_marked, ("marked -- unfiltered but differ without rewriting:\n" +
                                "\n".join(wrongly_marked))
