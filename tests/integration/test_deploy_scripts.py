"""The image steps as scripts on this machine: deploy/build.sh builds (and stages) the binary
like the Dockerfile's build stage, deploy/run.sh starts it like the runtime stage, and
deploy/quickstart.sh gives a newcomer a working proxy in front of an example database."""
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from harness import PG_BIN, REPO, SANITIZED, PgCluster, free_port, tombstone_bin, \
    wait_for_port

PSQL = str(PG_BIN / "psql")


def http_get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def psql(dsn, sql):
    out = subprocess.run([PSQL, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def cluster():
    pg = PgCluster().init().start()
    yield pg
    pg.destroy()


def write_config(directory, pg, metrics=True):
    port, metrics_port = free_port(), free_port()
    path = pathlib.Path(directory) / "tombstone.yaml"
    text = (f'listen: "127.0.0.1:{port}"\nupstream: "127.0.0.1:{pg.port}"\n'
            f'tls: {{client: {{mode: disable}}, upstream: {{mode: disable}}}}\n'
            f'limits: {{drain_timeout: 5s}}\n')
    if metrics:
        text += f'metrics: "127.0.0.1:{metrics_port}"\n'
    path.write_text(text)
    path.chmod(0o644)
    return path, port, metrics_port


def start_run_sh(config, env_extra=None):
    env = dict(os.environ, TOMBSTONE_BIN=tombstone_bin())
    env.update(env_extra or {})
    return subprocess.Popen(["bash", str(REPO / "deploy" / "run.sh"), "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
    return proc.returncode


def test_run_sh_serves_sql_and_healthz_then_drains_on_sigterm(cluster, tmp_path):
    config, port, metrics_port = write_config(tmp_path, cluster)
    proc = start_run_sh(config, {"TOMBSTONE_USER": ""})
    try:
        wait_for_port(port, proc=proc)
        wait_for_port(metrics_port, proc=proc)
        assert http_get(metrics_port, "/healthz") == (200, "ok\n")
        dsn = f"host=127.0.0.1 port={port} dbname=postgres user=postgres"
        assert psql(dsn, "SELECT 40 + 2") == "42"
        # run.sh execs: the pid we started is Tombstone itself, so signals reach it.
        exe = os.readlink(f"/proc/{proc.pid}/exe")
        assert pathlib.Path(exe).name == "tombstone"
    finally:
        rc = stop(proc)
    assert rc == 0, proc.stdout.read()


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_run_sh_as_root_drops_to_the_configured_user(cluster):
    # pytest's tmp_path lives under a 0700 directory: the unprivileged user could not read it.
    directory = pathlib.Path(tempfile.mkdtemp(prefix="tombstone-run-"))
    directory.chmod(0o755)
    config, port, _ = write_config(directory, cluster)
    proc = start_run_sh(config, {"TOMBSTONE_USER": "postgres"})
    try:
        try:
            wait_for_port(port, proc=proc)
        except RuntimeError:
            raise AssertionError(proc.stdout.read())
        status = pathlib.Path(f"/proc/{proc.pid}/status").read_text()
        uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        assert set(uids) == {str(pwd.getpwnam("postgres").pw_uid)}
        # The descriptor limit was raised for 2,000 sessions.
        limits = pathlib.Path(f"/proc/{proc.pid}/limits").read_text()
        soft = next(line for line in limits.splitlines() if line.startswith("Max open files"))
        assert int(soft.split()[3]) >= 4096
    finally:
        stop(proc)
        shutil.rmtree(directory, ignore_errors=True)


def test_run_sh_explains_a_missing_config_or_binary(tmp_path):
    proc = subprocess.run(["bash", str(REPO / "deploy" / "run.sh"), "--config",
                           str(tmp_path / "nope.yaml")],
                          env=dict(os.environ, TOMBSTONE_BIN=tombstone_bin()),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "cannot read config" in proc.stderr and "nope.yaml" in proc.stderr
    proc = subprocess.run(["bash", str(REPO / "deploy" / "run.sh")],
                          env=dict(os.environ, TOMBSTONE_BIN=str(tmp_path / "tombstone")),
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 1
    assert "no tombstone binary" in proc.stderr and "deploy/build.sh" in proc.stderr


def build_dir_of_binary():
    # bin/tombstone lives in <build>/bin; build.sh is pointed at that same directory so it
    # reuses the up-to-date build instead of compiling everything again.
    return pathlib.Path(tombstone_bin()).resolve().parent.parent


def test_build_sh_stages_the_runtime_filesystem(tmp_path):
    build_dir = build_dir_of_binary()
    cache = (build_dir / "CMakeCache.txt").read_text()
    if "CMAKE_BUILD_TYPE:STRING=Release" not in cache or "TOMBSTONE_SANITIZE:BOOL=ON" in cache:
        # build.sh configures Release; re-pointing a sanitizer/debug build at it would rebuild
        # that tree from scratch in the middle of its own test run.
        pytest.skip("the binary under test is not from a plain Release build")
    stage = tmp_path / "stage"
    out = subprocess.run(["bash", str(REPO / "deploy" / "build.sh"), "--no-deps", "--stage",
                          str(stage)],
                         env=dict(os.environ, TOMBSTONE_BUILD_DIR=str(build_dir)),
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == str(build_dir / "bin" / "tombstone")
    staged = stage / "usr/local/bin/tombstone"
    assert os.access(staged, os.X_OK)
    version = subprocess.run([str(staged), "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("tombstone ")
    assert (stage / "etc/tombstone/tombstone.yaml").read_text() == \
        (REPO / "deploy/tombstone.example.yaml").read_text()


def test_build_sh_rejects_unknown_arguments():
    out = subprocess.run(["bash", str(REPO / "deploy" / "build.sh"), "--frobnicate"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "unknown argument" in out.stderr


@pytest.mark.skipif(SANITIZED, reason="a sanitizer build links libasan/libubsan, which the "
                                       "runtime image never ships")
def test_runtime_package_list_covers_every_linked_library():
    # The runtime image installs only deploy/packages-runtime.txt: every shared library the
    # binary links directly must come from one of those packages or from the base image.
    base = {"libc6", "libgcc-s1", "libstdc++6"}
    wanted = {p for p in (REPO / "deploy/packages-runtime.txt").read_text().splitlines()
              if p and not p.startswith("#")}
    binary = tombstone_bin()
    objdump = subprocess.run(["objdump", "-p", binary], capture_output=True, text=True, check=True)
    needed = {line.split()[1] for line in objdump.stdout.splitlines()
              if line.split()[:1] == ["NEEDED"]}
    needed.discard("ld-linux-x86-64.so.2")  # the dynamic loader itself (libc6)
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True)
    assert "not found" not in ldd.stdout, ldd.stdout
    paths = {}
    for line in ldd.stdout.splitlines():
        name, sep, rest = line.strip().partition(" => ")
        if sep and name in needed:
            paths[name] = rest.split(" (")[0]
    assert set(paths) == needed, f"ldd did not resolve {needed - set(paths)}"
    # dpkg records /lib or /usr/lib paths as the package shipped them (Debian 12 is usrmerged):
    # ask for every spelling in one call and map back by file name.
    candidates = set()
    for path in paths.values():
        real = os.path.realpath(path)
        for p in (path, real):
            candidates |= {p, p.replace("/usr/lib/", "/lib/", 1), p.replace("/lib/", "/usr/lib/", 1)}
    out = subprocess.run(["dpkg", "-S", *sorted(candidates)], capture_output=True, text=True)
    owners = {}
    for line in out.stdout.splitlines():
        package, _, path = line.partition(": ")
        owners[pathlib.Path(path).name] = package.split(":")[0]
    missing = {}
    for name, path in paths.items():
        owner = owners.get(name) or owners.get(pathlib.Path(os.path.realpath(path)).name)
        assert owner, f"no Debian package owns {path}"
        if owner not in base and owner not in wanted:
            missing[name] = owner
    assert not missing, f"add to deploy/packages-runtime.txt: {missing}"


# --- quickstart -----------------------------------------------------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="the quickstart runs initdb as postgres (root)")
def test_quickstart_start_try_and_stop():
    parent = pathlib.Path(tempfile.mkdtemp(prefix="tombstone-qs-"))
    parent.chmod(0o755)  # initdb runs as postgres and must reach the state directory
    state = parent / "state"
    ports = {"PG_PORT": free_port(), "TOMBSTONE_PORT": free_port(), "METRICS_PORT": free_port()}
    env = dict(os.environ, TOMBSTONE_SKIP_DEPS="1", TOMBSTONE_BIN=tombstone_bin(),
               TOMBSTONE_QUICKSTART_DIR=str(state), **{k: str(v) for k, v in ports.items()})
    script = ["bash", str(REPO / "deploy" / "quickstart.sh")]
    try:
        out = subprocess.run(script, env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        port = ports["TOMBSTONE_PORT"]
        assert f'psql "host=127.0.0.1 port={port} dbname=app user=app"' in out.stdout
        assert "deploy/quickstart.sh stop" in out.stdout
        assert http_get(ports["METRICS_PORT"], "/healthz")[0] == 200

        # The printed promise holds: the app sees 4 users, deletes one, and it is recoverable.
        app = f"host=127.0.0.1 port={port} dbname=app user=app"
        admin = f"host=127.0.0.1 port={port} dbname=app user=admin"
        direct = f"host=127.0.0.1 port={ports['PG_PORT']} dbname=app user=postgres"
        assert psql(app, "SELECT count(*) FROM users") == "4"
        assert psql(app, "DELETE FROM users WHERE id = 2") == "DELETE 1"
        assert psql(app, "SELECT count(*) FROM users") == "3"
        assert psql(admin, "SELECT count(*) FROM users") == "5"
        assert psql(direct, "SELECT deleted_at IS NOT NULL, deleted_by FROM users WHERE id = 2") \
            == "t|app"
        assert psql(app, "DELETE FROM orders WHERE user_id = 3") == "DELETE 3"
        assert psql(direct, "SELECT count(*) FROM orders_archive WHERE user_id = 3") == "3"

        # Running it again while it runs only prints the status and the steps.
        again = subprocess.run(script, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and "already running" in again.stdout
        status = subprocess.run(script + ["status"], env=env, capture_output=True, text=True)
        assert "tombstone: running" in status.stdout and "postgresql: running" in status.stdout
    finally:
        out = subprocess.run(script + ["stop"], env=env, capture_output=True, text=True,
                             timeout=120)
    assert out.returncode == 0, out.stderr
    assert not state.exists()
    for p in ports.values():
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", p)) != 0, f"port {p} still open after stop"
    shutil.rmtree(parent, ignore_errors=True)
