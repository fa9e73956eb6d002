"""Issue 4 acceptance 2, SQLAlchemy half: an unmodified SQLAlchemy 1.4 ORM application
(apps/sa_app.py: customers -> invoices with ORM cascade, email unique among live customers)
pointed at Tombstone as an ordinary role. SQLAlchemy checks the row count of every DELETE it
issues (a mismatch is a warning, turned into an error here), so wrong tags would show.
"""
import warnings

import pytest
from sqlalchemy import delete, func, select, text
from sqlalchemy.exc import IntegrityError, SAWarning

from apps import sa_app
from apps.common import Env, assert_delete_logged
from apps.sa_app import Customer, Invoice

CONFIG = """\
admin_roles: [tombstone_admin]
log: {level: info, format: text}
tables:
  public.customers: {strategy: soft, deleted_by: deleted_by}
  public.invoices: {strategy: soft, deleted_by: deleted_by}
"""


@pytest.fixture(scope="module")
def env():
    e = Env(config=CONFIG, schema="", start=False)
    sa_app.create_schema(f"postgresql+psycopg2://postgres@127.0.0.1:{e.cluster.port}/postgres")
    e.proxy.start()
    e.engine, e.Session = sa_app.sessions(
        f"postgresql+psycopg2://bob@127.0.0.1:{e.proxy.port}/postgres")
    yield e
    e.engine.dispose()
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    env.engine.dispose()
    env.cluster.psql("TRUNCATE customers, invoices RESTART IDENTITY CASCADE")
    with env.Session() as s:
        s.add_all([
            Customer(name="Ann", email="ann@example.com",
                     invoices=[Invoice(amount=10), Invoice(amount=20)]),
            Customer(name="Ben", email="ben@example.com", invoices=[Invoice(amount=30)]),
        ])
        s.commit()
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        yield


def test_orm_cascade_delete_hides_everywhere(env):
    with env.Session() as s:
        ann = s.execute(select(Customer).where(Customer.email == "ann@example.com")).scalar_one()
        s.delete(ann)  # ORM cascade: DELETE of both invoices, then of the customer
        s.commit()
    with env.Session() as s:
        assert s.query(Customer).count() == 1
        assert s.execute(select(Invoice.amount).order_by(Invoice.id)).scalars().all() == [30]
        assert s.query(Invoice).join(Customer).filter(Customer.name == "Ann").count() == 0
        assert s.query(Customer.name, func.count(Invoice.id)).outerjoin(Customer.invoices) \
            .group_by(Customer.name).all() == [("Ben", 1)]
        ben = s.execute(select(Customer)).scalar_one()
        assert [int(i.amount) for i in ben.invoices] == [30]  # relationship load
        assert s.get(Customer, 1) is None
        # Raw SQL joins, where ORM-level soft-delete libraries leak.
        assert s.execute(text("SELECT c.name, i.amount FROM customers c"
                              " JOIN invoices i ON i.customer_id = c.id ORDER BY i.id")).all() \
            == [("Ben", 30)]
    assert env.rows("SELECT id, deleted_at IS NOT NULL, deleted_by FROM customers ORDER BY id") \
        == [(1, True, "bob"), (2, False, None)]
    assert env.rows("SELECT id, deleted_at IS NOT NULL, deleted_by FROM invoices ORDER BY id") \
        == [(1, True, "bob"), (2, True, "bob"), (3, False, None)]
    # One commit, one transaction timestamp for the whole cascade.
    assert env.rows("SELECT count(DISTINCT deleted_at) FROM (SELECT deleted_at FROM customers"
                    " UNION ALL SELECT deleted_at FROM invoices) d") == [(1,)]


def test_bulk_and_core_deletes_return_counts(env):
    with env.Session() as s:
        s.execute(text("SET tombstone.actor = 'user:42'"))
        assert s.query(Invoice).filter(Invoice.amount >= 20) \
            .delete(synchronize_session=False) == 2
        assert s.query(Invoice).filter(Invoice.amount >= 20) \
            .delete(synchronize_session=False) == 0
        assert s.execute(delete(Invoice).where(Invoice.id == 1)).rowcount == 1
        assert s.execute(delete(Invoice).where(Invoice.id == 1)).rowcount == 0
        s.commit()
        assert s.query(Invoice).count() == 0
        assert s.query(Customer).count() == 2  # invoices gone, customers untouched
    assert env.rows("SELECT id, deleted_by FROM invoices ORDER BY id") == \
        [(1, "user:42"), (2, "user:42"), (3, "user:42")]
    assert_delete_logged(env.proxy, "public.invoices", "soft", 2, "user:42")


def test_rollback_undoes_the_soft_delete(env):
    with env.Session() as s:
        s.delete(s.get(Customer, 2))
        s.flush()
        assert s.query(Customer).count() == 1
        s.rollback()
        assert s.query(Customer).count() == 2
    assert env.rows("SELECT count(*) FROM invoices WHERE deleted_at IS NOT NULL") == [(0,)]


def test_email_reusable_after_deletion_but_unique_among_live(env):
    with env.Session() as s:
        s.delete(s.get(Customer, 1))
        s.commit()
        s.add(Customer(name="Ann again", email="ann@example.com"))
        s.commit()
        s.add(Customer(name="Ann twice", email="ann@example.com"))
        with pytest.raises(IntegrityError) as err:
            s.commit()
        assert err.value.orig.pgcode == "23505"
        s.rollback()
        assert s.execute(select(Customer.name).where(Customer.email == "ann@example.com")) \
            .scalars().all() == ["Ann again"]
    assert env.rows("SELECT name, deleted_at IS NOT NULL FROM customers"
                    " WHERE email = 'ann@example.com' ORDER BY id") == \
        [("Ann", True), ("Ann again", False)]


def test_stale_object_delete_is_reported_like_a_hard_delete(env):
    """Another session deleted the row first: SQLAlchemy's DELETE matches 0 rows and it says
    so, exactly as it would after a hard delete."""
    with env.Session() as first, env.Session() as second:
        stale = first.get(Customer, 2)
        second.delete(second.get(Customer, 2))
        second.commit()
        first.delete(stale)
        with pytest.warns(SAWarning, match="0 were matched"):
            first.commit()
    assert env.rows("SELECT deleted_by FROM customers WHERE id = 2") == [("bob",)]
