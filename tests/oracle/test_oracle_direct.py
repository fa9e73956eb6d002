"""Equivalence oracle, mode a: `tombstone rewrite --batch` rewrites every statement (with
`--search-path` set to what the server has in effect at that point), psycopg2 runs the
rewritten SQL on soft_db directly as the non-admin role `app`, the tool's tag fix-up is applied
to the server's tag, and the result must equal the original statement's on gone_db (DESIGN §1)."""
import pytest

import harness
import oracle

MODE = "direct"


@pytest.fixture(scope="module")
def checker():
    dbs = oracle.OracleDatabases()
    checker = None
    try:
        soft = oracle.Psycopg2Executor(dbs.dsn(oracle.SOFT_DB))
        soft.rewrites = oracle.direct_rewrites(harness.tombstone_bin(), dbs.dsn(oracle.SOFT_DB),
                                               oracle.all_cases(), soft.inline,
                                               probe_dsn=dbs.dsn(oracle.GONE_DB))
        checker = oracle.Oracle(dbs, soft)
        yield checker
    finally:
        if checker is not None:
            checker.close()
        dbs.destroy()


@pytest.mark.parametrize("case", oracle.pytest_params(MODE))
def test_equivalent(checker, case):
    diffs = checker.check(case)
    assert not diffs, oracle.report(case, diffs, MODE)
