"""Equivalence oracle, mode d: as mode c (psycopg 3, server-side binding, named prepared
statements) but each case's statements are sent as ONE pipeline, all Parse/Bind/Execute
messages before a single Sync (DESIGN §5: pipelining, fix-ups in order, errors until Sync)."""
import pytest

import harness
import oracle

MODE = "pipeline"


@pytest.fixture(scope="module")
def checker():
    dbs = oracle.OracleDatabases()
    proxy, checker = None, None
    try:
        proxy = harness.Tombstone(dbs.cluster, config=oracle.proxy_config_text()).start()
        soft = oracle.Psycopg3PipelineExecutor(proxy.dsn(oracle.SOFT_DB, oracle.APP_ROLE))
        gone = oracle.Psycopg3PipelineExecutor(dbs.dsn(oracle.GONE_DB))
        checker = oracle.Oracle(dbs, soft, gone)
        checker.proxy = proxy
        yield checker
    finally:
        if checker is not None:
            checker.close()
        if proxy is not None:
            proxy.stop()
        dbs.destroy()


@pytest.mark.parametrize("case", oracle.pytest_params(MODE))
def test_equivalent(checker, case):
    diffs = checker.check(case)
    assert not diffs, oracle.report(case, diffs, MODE) + oracle.proxy_log_tail(checker.proxy)
