import django.db.models.deletion
from django.db import migrations, models

MARKERS = [
    f"ALTER TABLE {t} ADD COLUMN deleted_at timestamptz, ADD COLUMN deleted_by text"
    for t in ("authors", "books", "reviews")
]


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Author",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                ("name", models.CharField(max_length=100)),
                ("email", models.EmailField(max_length=254)),
            ],
            options={"db_table": "authors", "ordering": ["id"]},
        ),
        migrations.CreateModel(
            name="Book",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                ("title", models.CharField(max_length=200)),
                ("author", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                             related_name="books", to="softapp.author")),
            ],
            options={"db_table": "books", "ordering": ["id"]},
        ),
        migrations.CreateModel(
            name="Review",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False)),
                ("stars", models.IntegerField()),
                ("book", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                           related_name="reviews", to="softapp.book")),
            ],
            options={"db_table": "reviews", "ordering": ["id"]},
        ),
        migrations.RunSQL(
            MARKERS + ["CREATE UNIQUE INDEX authors_email_live ON authors (email)"
                       " WHERE deleted_at IS NULL"],
            reverse_sql=["DROP INDEX authors_email_live"]),
    ]
