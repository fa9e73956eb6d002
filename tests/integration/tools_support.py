"""Shared fixtures for the tests of the operator commands (check, migrate, purge, restore,
rewrite): one PostgreSQL cluster per test module, one fresh database per test, and a helper that
runs `tombstone <command> --config F --dsn DSN ...` against it."""
import itertools
import subprocess

from harness import PgCluster, tombstone_bin

_counter = itertools.count()


class ToolDb:
    """A fresh database in `cluster` with a tombstone.yaml next to it."""

    def __init__(self, cluster, config_yaml, schema_sql=""):
        self.cluster = cluster
        self.name = f"tools_{next(_counter)}"
        cluster.psql(f"CREATE DATABASE {self.name}")
        # Inside the cluster's temp dir, so PgCluster.destroy() removes it too.
        self.dir = cluster.dir / self.name
        self.dir.mkdir()
        self.config_path = self.dir / "tombstone.yaml"
        self.config_path.write_text(
            f'upstream: "127.0.0.1:{cluster.port}"\n' + config_yaml)
        if schema_sql:
            self.sql(schema_sql)

    def dsn(self, user="postgres"):
        return self.cluster.dsn(self.name, user)

    def sql(self, sql):
        return self.cluster.psql(sql, dbname=self.name)

    def rows(self, sql):
        out = self.sql(sql).strip("\n")
        return [line.split("|") for line in out.split("\n")] if out else []

    def run(self, command, *args, stdin=None, user="postgres"):
        """Runs a tombstone command; returns the CompletedProcess (text stdout/stderr)."""
        cmd = [tombstone_bin(), command, "--config", str(self.config_path),
               "--dsn", self.dsn(user), *args]
        return subprocess.run(cmd, capture_output=True, text=True, input=stdin, timeout=120)


def new_cluster():
    return PgCluster().init().start()


def lines_of(text):
    return [line for line in text.splitlines() if line.strip()]
