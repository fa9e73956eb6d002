"""Equivalence oracle, mode b: the corpus THROUGH the running proxy with psycopg2 (simple query
protocol, parameters interpolated client-side) as the non-admin role `app` on soft_db, against
the original statements directly on gone_db (DESIGN §1, issue 4 acceptance 1)."""
import pytest

import oracle

MODE = "psycopg2"


@pytest.fixture(scope="module")
def checker():
    yield from oracle.proxied_checker(oracle.Psycopg2Executor)


@pytest.mark.parametrize("case", oracle.pytest_params(MODE))
def test_equivalent(checker, case):
    diffs = checker.check(case)
    assert not diffs, oracle.report(case, diffs, MODE) + oracle.proxy_log_tail(checker.proxy)
