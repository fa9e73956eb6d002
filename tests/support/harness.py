"""Throwaway PostgreSQL 15 clusters and Tombstone processes for integration tests.

Every test module starts its own cluster on a free port in a temp dir (DESIGN §9): ready in
about a second, removed afterwards. Tombstone is the real binary from the build (TOMBSTONE_BIN),
started with a generated config on another free port.
"""
import atexit
import contextlib
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")
REPO = pathlib.Path(__file__).resolve().parents[2]


def free_port():
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=15.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on port {port} after {timeout}s")


def _as_postgres(cmd, **kw):
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root.
    A failure raises CalledProcessError whose message carries the tool's output."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    except subprocess.CalledProcessError as e:
        e.add_note(f"{e.stdout}{e.stderr}")
        raise


# Clusters and proxies not yet destroyed/stopped: a test that fails between creating one and
# handing it to its cleanup (or never cleans up) must not leave a server, a proxy or a
# /tmp/tombstone-* directory behind once the test process exits.
_live = set()


@atexit.register
def _clean_up_leftovers():
    for obj in list(_live):
        try:
            obj.destroy() if isinstance(obj, PgCluster) else obj.stop()
        except Exception:
            pass


class PgCluster:
    """A PostgreSQL 15 cluster in a temp dir. Superuser `postgres`, trust auth on loopback
    unless `hba` lines are given."""

    def __init__(self, hba=None, conf=None):
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="tombstone-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self.host = "127.0.0.1"
        self.hba = hba
        self.conf = conf or {}
        self.started = False
        _live.add(self)

    def init(self):
        _as_postgres([str(PG_BIN / "initdb"), "--no-sync", "-D", str(self.data), "-U", "postgres",
                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        if self.hba is not None:
            (self.data / "pg_hba.conf").write_text("\n".join(self.hba) + "\n")
        with open(self.data / "postgresql.conf", "a") as f:
            for k, v in self.conf.items():
                f.write(f"{k} = {v}\n")
        return self

    def start(self):
        log = self.dir / "log"
        try:
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(log), "-w",
                          "start", "-o", f"-p {self.port} -k {self.dir} "
                          "-c listen_addresses=127.0.0.1 -c fsync=off"])
        except subprocess.CalledProcessError as e:
            if log.exists():  # why the server did not come up
                e.add_note("server log:\n" + log.read_text(errors="replace")[-4000:])
            raise
        self.started = True
        return self

    def stop(self, mode="fast"):
        if self.started:
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
            self.started = False

    def destroy(self):
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
            _live.discard(self)

    def dsn(self, dbname="postgres", user="postgres", **extra):
        parts = [f"host={self.host}", f"port={self.port}", f"dbname={dbname}", f"user={user}"]
        parts += [f"{k}={v}" for k, v in extra.items()]
        return " ".join(parts)

    def psql(self, sql, dbname="postgres", user="postgres"):
        """Run SQL as the superuser directly against the cluster (setup, checks)."""
        out = subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
                              "-d", self.dsn(dbname, user), "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout


# Set by the ASan+UBSan configuration (tests/CMakeLists.txt, TOMBSTONE_SANITIZE=ON). The
# sanitizers report to the proxy's stderr, which is its log file here; a report fails the test
# from Tombstone.stop(), so every test that stops its proxy checks it.
SANITIZED = os.environ.get("TOMBSTONE_SANITIZED") == "1"
_SANITIZER_REPORT = re.compile(
    r"ERROR: (AddressSanitizer|LeakSanitizer)|SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer)"
    r"|^\S+:\d+:\d+: runtime error: ", re.M)


def check_sanitizer_report(text, where):
    """Raise with the report when a sanitizer wrote one (use after free, leak, UB, ...)."""
    match = _SANITIZER_REPORT.search(text)
    if match:
        start = text.rfind("\n", 0, max(0, match.start() - 2000)) + 1
        raise AssertionError(f"sanitizer report in {where}:\n{text[start:start + 12000]}")


def _stop_gracefully(proc):
    """SIGTERM so the process exits normally and LeakSanitizer runs its check at exit. A second
    SIGTERM closes sessions still open instead of waiting out the drain timeout; SIGKILL only if
    it is stuck (then the leak check is lost, but reports already written are still found)."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=3)
        return
    except subprocess.TimeoutExpired:
        pass
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)


def tombstone_bin():
    path = os.environ.get("TOMBSTONE_BIN")
    if path:
        return path
    for cand in (REPO / "build" / "bin" / "tombstone",):
        if cand.exists():
            return str(cand)
    raise RuntimeError("set TOMBSTONE_BIN to the tombstone binary (ctest does this)")


class Tombstone:
    """The real proxy in front of a cluster. `config` is YAML text appended to the generated
    listen/upstream lines (tables, admin_roles, tls, ...). Config and log live in a temp dir
    that stop() removes; the log stays readable through log_text() after that."""

    def __init__(self, cluster, config="", env=None):
        self.cluster = cluster
        self.port = free_port()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="tombstone-proxy-"))
        self.config_path = self.dir / "tombstone.yaml"
        self.log_path = self.dir / "tombstone.log"
        self.extra = config
        self.env = env
        self.proc = None
        self.final_log = None  # the log's text once stop() has removed the dir
        self.write_config(config)
        _live.add(self)

    def write_config(self, extra):
        self.extra = extra
        text = (f'listen: "127.0.0.1:{self.port}"\n'
                f'upstream: "127.0.0.1:{self.cluster.port}"\n' + extra)
        self.config_path.write_text(text)

    def start(self, wait=True):
        if self.final_log is not None:  # started again after stop(): bring the dir back
            self.dir.mkdir()
            self.write_config(self.extra)
            self.log_path.write_text(self.final_log)
            self.final_log = None
            _live.add(self)
        env = dict(os.environ)
        env.update(self.env or {})
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([tombstone_bin(), "serve", "--config", str(self.config_path)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)
        if wait:
            try:
                wait_for_port(self.port, proc=self.proc)
            except (RuntimeError, TimeoutError) as e:
                # Callers chain `Tombstone(...).start()`, so nobody else could stop it.
                self.stop()
                e.add_note("tombstone log:\n" + self.log_text()[-4000:])
                raise
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """Stops the proxy, fails on a sanitizer report in its log, removes the temp dir."""
        if self.proc and self.proc.poll() is None:
            if SANITIZED:
                _stop_gracefully(self.proc)
            else:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait(timeout=10)
        if self.final_log is not None:
            return
        text = None
        if self.proc:
            self.log.close()
            text = self.log_text()
        self.final_log = text or ""
        shutil.rmtree(self.dir, ignore_errors=True)
        _live.discard(self)
        if text is not None:
            check_sanitizer_report(text, self.log_path)

    def log_text(self):
        if self.final_log is not None:
            return self.final_log
        return self.log_path.read_text(errors="replace")

    def dsn(self, dbname="postgres", user="postgres", **extra):
        parts = ["host=127.0.0.1", f"port={self.port}", f"dbname={dbname}", f"user={user}"]
        parts += [f"{k}={v}" for k, v in extra.items()]
        return " ".join(parts)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0
