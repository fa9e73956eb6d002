"""Equivalence oracle, mode d: as mode c (psycopg 3, server-side binding, named prepared
statements) but each case's statements are sent as ONE pipeline, all Parse/Bind/Execute
messages before a single Sync (DESIGN §5: pipelining, fix-ups in order, errors until Sync)."""
import pytest

import oracle

MODE = "pipeline"


@pytest.fixture(scope="module")
def checker():
    yield from oracle.proxied_checker(oracle.Psycopg3PipelineExecutor,
                                      oracle.Psycopg3PipelineExecutor)


@pytest.mark.parametrize("case", oracle.pytest_params(MODE))
def test_equivalent(checker, case):
    diffs = checker.check(case)
    assert not diffs, oracle.report(case, diffs, MODE) + oracle.proxy_log_tail(checker.proxy)
