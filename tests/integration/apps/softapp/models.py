from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    # Unique among live authors only: a partial unique index made by the raw SQL migration.
    email = models.EmailField()

    class Meta:
        db_table = "authors"
        ordering = ["id"]


class Book(models.Model):
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=200)

    class Meta:
        db_table = "books"
        ordering = ["id"]


class Review(models.Model):
    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
    stars = models.IntegerField()

    class Meta:
        db_table = "reviews"
        ordering = ["id"]
