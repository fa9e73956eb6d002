"""Equivalence oracle, mode c: the corpus THROUGH the running proxy with psycopg 3 using
server-side binding and named prepared statements (every statement is executed with
prepare=True: Parse with a name, Bind, Describe, Execute, Sync; cases with `-- params:` send
them as Bind parameters) as the non-admin role `app` on soft_db, against the original statements
directly on gone_db (DESIGN §1 and §5, issue 4 acceptance 1)."""
import pytest

import oracle

MODE = "psycopg3"


@pytest.fixture(scope="module")
def checker():
    yield from oracle.proxied_checker(oracle.Psycopg3Executor, oracle.Psycopg3Executor)


@pytest.mark.parametrize("case", oracle.pytest_params(MODE))
def test_equivalent(checker, case):
    diffs = checker.check(case)
    assert not diffs, oracle.report(case, diffs, MODE) + oracle.proxy_log_tail(checker.proxy)
