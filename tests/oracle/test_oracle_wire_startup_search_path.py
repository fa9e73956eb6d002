"""Equivalence oracle, mode e: psycopg2 through the proxy as in mode b, but both sessions start
with `options=-c search_path=crm,public` in the startup packet, so every unqualified `users`
means the unmanaged crm.users and `accounts` the managed crm.accounts (DESIGN §3: search_path is
tracked from the startup packet). The whole corpus must still be equivalent."""
import pytest

import oracle

MODE = "startup"
STARTUP = "options='-c search_path=crm,public'"


@pytest.fixture(scope="module")
def checker():
    yield from oracle.proxied_checker(oracle.Psycopg2Executor, oracle.Psycopg2Executor, STARTUP)


@pytest.mark.parametrize("case", oracle.pytest_params(MODE))
def test_equivalent(checker, case):
    # Under this search_path some cases fail on gone_db too (e.g. crm.users has no score
    # column); equivalence then means the same error on both sides.
    diffs = [d for d in checker.check(case) if not d.startswith("corpus:")]
    assert not diffs, oracle.report(case, diffs, MODE) + oracle.proxy_log_tail(checker.proxy)
