"""Issue 4 acceptance 2, Django half: an unmodified Django 3.2 application (apps/softapp:
authors -> books -> reviews, CASCADE foreign keys, email unique among live authors) pointed at
Tombstone as an ordinary role. Deleted records vanish from lists, counts, related managers,
joins and aggregates; delete() returns what Django would report for a hard delete (its
collector cascades by issuing its own DELETEs, and those become soft too); an email is reusable
after deletion; and the rows are still in the database with deleted_at and deleted_by set.
"""
import pytest

from apps.common import Env, assert_delete_logged

CONFIG = """\
admin_roles: [tombstone_admin]
log: {level: info, format: text}
tables:
  public.authors: {strategy: soft, deleted_by: deleted_by}
  public.books: {strategy: soft, deleted_by: deleted_by}
  public.reviews: {strategy: soft, deleted_by: deleted_by}
"""


@pytest.fixture(scope="module")
def env():
    e = Env(config=CONFIG, schema="", start=False)
    from apps import django_app
    django_app.setup(e.proxy.port, e.cluster.port)
    from django.core.management import call_command
    call_command("migrate", "softapp", database="direct", verbosity=0)
    e.cluster.psql("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO bob;"
                   "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO bob;")
    e.proxy.start()
    yield e
    from django.db import connections
    connections.close_all()
    e.close()


@pytest.fixture(autouse=True)
def fresh(env):
    from django.db import connections
    connections.close_all()
    env.cluster.psql("TRUNCATE authors, books, reviews RESTART IDENTITY CASCADE")


def library():
    """Ann (2 books, 3 reviews) and Ben (1 book, 1 review)."""
    from apps.softapp.models import Author, Book, Review
    ann = Author.objects.create(name="Ann", email="ann@example.com")
    ben = Author.objects.create(name="Ben", email="ben@example.com")
    a1 = Book.objects.create(author=ann, title="A1")
    a2 = Book.objects.create(author=ann, title="A2")
    b1 = Book.objects.create(author=ben, title="B1")
    for book, stars in ((a1, 5), (a1, 4), (a2, 3), (b1, 2)):
        Review.objects.create(book=book, stars=stars)
    return ann, ben, a1, a2, b1


def nonzero(per_model):
    return {k: v for k, v in per_model.items() if v}


def test_create_list_and_delete_one_book(env):
    from apps.softapp.models import Book, Review
    ann, ben, a1, a2, b1 = library()
    assert Book.objects.count() == 3
    count, per_model = a2.delete()  # a2 and its one review
    assert (count, nonzero(per_model)) == (2, {"softapp.Book": 1, "softapp.Review": 1})
    assert list(Book.objects.values_list("title", flat=True)) == ["A1", "B1"]
    assert Book.objects.count() == 2 and Review.objects.count() == 3
    assert list(ann.books.values_list("title", flat=True)) == ["A1"]  # related manager
    assert Book.objects.filter(author__email="ann@example.com").count() == 1  # join
    assert Review.objects.filter(book__author=ann).count() == 2  # two joins
    assert not Book.objects.filter(pk=a2.pk).exists()
    with pytest.raises(Book.DoesNotExist):
        Book.objects.get(pk=a2.pk)
    assert Book.objects.filter(pk=a2.pk).update(title="zombie") == 0
    # Still in the database, marked.
    assert env.rows("SELECT title, deleted_at IS NOT NULL, deleted_by FROM books ORDER BY id") \
        == [("A1", False, None), ("A2", True, "bob"), ("B1", False, None)]


def test_cascading_delete_counts_and_aggregates(env):
    from django.db import connection
    from django.db.models import Count
    from apps.softapp.models import Author, Book, Review
    ann, ben, a1, a2, b1 = library()
    a2.delete()  # deleted earlier: must not be counted again by the cascade
    with connection.cursor() as cur:
        cur.execute("SET tombstone.actor = 'user:42'")
    count, per_model = Author.objects.filter(email="ann@example.com").delete()
    assert (count, nonzero(per_model)) == \
        (4, {"softapp.Author": 1, "softapp.Book": 1, "softapp.Review": 2})
    assert list(Author.objects.values_list("name", flat=True)) == ["Ben"]
    assert Book.objects.count() == 1 and Review.objects.count() == 1
    assert list(Author.objects.annotate(n=Count("books")).values_list("name", "n")) == [("Ben", 1)]
    assert list(Book.objects.select_related("author").values_list("author__name", "title")) == \
        [("Ben", "B1")]
    authors = list(Author.objects.prefetch_related("books__reviews"))
    assert [(a.name, [(b.title, [r.stars for r in b.reviews.all()]) for b in a.books.all()])
            for a in authors] == [("Ben", [("B1", [2])])]
    # Raw SQL joins, where ORM-level soft-delete libraries leak.
    raw = Author.objects.raw("SELECT DISTINCT a.id, a.name FROM authors a"
                             " JOIN books b ON b.author_id = a.id"
                             " LEFT JOIN reviews r ON r.book_id = b.id ORDER BY a.id")
    assert [a.name for a in raw] == ["Ben"]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM reviews r JOIN books b ON b.id = r.book_id"
                    " WHERE b.author_id = %s", [ann.pk])
        assert cur.fetchone() == (0,)
    # Deleting what is already deleted deletes nothing.
    assert Author.objects.filter(pk=ann.pk).delete()[0] == 0
    with connection.cursor() as cur:
        cur.execute("DELETE FROM authors WHERE id = %s", [ann.pk])
        assert cur.rowcount == 0
    # Everything is still there; one delete() is one transaction, hence one deleted_at.
    rows = env.rows("SELECT 'author', id, deleted_at, deleted_by FROM authors WHERE id = %s"
                    " UNION ALL SELECT 'book', id, deleted_at, deleted_by FROM books"
                    "   WHERE author_id = %s"
                    " UNION ALL SELECT 'review', r.id, r.deleted_at, r.deleted_by FROM reviews r"
                    "   JOIN books b ON b.id = r.book_id WHERE b.author_id = %s"
                    " ORDER BY 1, 2", ann.pk, ann.pk, ann.pk)
    assert len(rows) == 1 + 2 + 3
    assert all(at is not None for _, _, at, _ in rows)
    # Book 2 and review 3 were deleted by a2.delete() before the actor was set (a2.pk is None
    # now: Django clears it after delete()).
    by_cascade = [r for r in rows if r[:2] not in (("book", 2), ("review", 3))]
    assert {by for *_, by in by_cascade} == {"user:42"}, [r[:2] + r[3:] for r in rows]
    assert len({at for _, _, at, _ in by_cascade}) == 1
    assert_delete_logged(env.proxy, "public.reviews", "soft", 2, "user:42")
    assert_delete_logged(env.proxy, "public.authors", "soft", 1, "user:42")


def test_email_reusable_after_deletion_but_unique_among_live(env):
    from django.db import IntegrityError, transaction
    from apps.softapp.models import Author
    ann, *_ = library()
    ann.delete()
    again = Author.objects.create(name="Ann again", email="ann@example.com")
    assert list(Author.objects.filter(email="ann@example.com").values_list("name", flat=True)) \
        == ["Ann again"]
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            Author.objects.create(name="Ann twice", email="ann@example.com")
    assert Author.objects.count() == 2
    assert Author.objects.get_or_create(email="ben@example.com", defaults={"name": "x"})[1] is False
    assert env.rows("SELECT name, deleted_at IS NOT NULL FROM authors"
                    " WHERE email = 'ann@example.com' ORDER BY id") == \
        [("Ann", True), ("Ann again", False)]
    assert again.pk != ann.pk


def test_bulk_delete_in_a_transaction_and_rollback(env):
    from django.db import transaction
    from apps.softapp.models import Book, Review

    class Undo(Exception):
        pass

    library()
    with pytest.raises(Undo):
        with transaction.atomic():
            assert Review.objects.filter(stars__gte=3).delete()[0] == 3
            assert Review.objects.count() == 1
            raise Undo
    assert Review.objects.count() == 4
    assert Book.objects.filter(reviews__stars__gte=4).distinct().count() == 1
    assert env.rows("SELECT count(*) FROM reviews WHERE deleted_at IS NOT NULL") == [(0,)]
