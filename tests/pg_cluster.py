"""A private PostgreSQL cluster for tests that restart, stop or pool the database (issue 18).
The shared server (TEST_DATABASE_URL) is never restarted: this one lives in a temporary
directory, listens on a free loopback port, and is removed afterwards. Debian's binaries run
as the `postgres` user (initdb refuses root); a demo database is copied in with pg_dump."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support import free_port

BIN = Path(os.environ.get("POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def available() -> bool:
    return (BIN / "initdb").exists() and _postgres_user() is not None


def _postgres_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


def _as_postgres(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = list(args)
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


class PrivateCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="passerelle-pg-"))
        user = _postgres_user()
        assert user is not None
        os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.data = self.dir / "data"
        self.port = free_port()
        self.standbys: list[PrivateCluster] = []

    def start(self) -> PrivateCluster:
        _as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:  # kept for stop/start and restart
            conf.write(
                f"port = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                "listen_addresses = '127.0.0.1'\nfsync = off\nmax_connections = 60\n"
            )
        self._ctl("start")
        return self

    def _ctl(self, action: str, *args: str) -> None:
        log = self.dir / f"{self.data.name}.log"
        _as_postgres(str(BIN / "pg_ctl"), action, "-D", str(self.data), "-w", "-l", str(log), *args)

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def resume(self) -> None:
        self._ctl("start")

    def restart(self) -> float:
        """`pg_ctl restart -m fast`: every connection is cut. Returns the seconds it took."""
        started = time.monotonic()
        self._ctl("restart", "-m", "fast")
        return time.monotonic() - started

    def url(self, database: str = "postgres", port: int | None = None, user: str = "postgres") -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{port or self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return _as_postgres(
            str(BIN / "psql"),
            "-h",
            str(self.dir),
            "-p",
            str(self.port),
            "-d",
            database,
            "-v",
            "ON_ERROR_STOP=1",
            "-Atc",
            sql,
        ).stdout

    def copy_database(self, source_url: str, name: str = "passerelle") -> str:
        """A copy of a (migrated, seeded) database of the shared server; returns its URL here."""
        self.psql(f'CREATE DATABASE "{name}"')
        source = make_url(source_url).set(drivername="postgresql").render_as_string(hide_password=False)
        dump = subprocess.run(
            [str(BIN / "pg_dump"), "-Fc", "--no-owner", source], capture_output=True, timeout=120
        )
        if dump.returncode != 0:
            raise RuntimeError(dump.stderr.decode())
        restore = subprocess.run(
            [
                str(BIN / "pg_restore"),
                "--no-owner",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                name,
            ],
            input=dump.stdout,
            capture_output=True,
            timeout=120,
        )
        if restore.returncode != 0:
            raise RuntimeError(restore.stderr.decode())
        return self.url(name)

    def standby(self) -> PrivateCluster:
        """A streaming hot standby of this cluster (pg_basebackup -R), on a port of its own."""
        other = PrivateCluster.__new__(PrivateCluster)
        other.dir, other.data, other.port, other.standbys = self.dir, self.dir / "standby", free_port(), []
        _as_postgres(
            str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-D", str(other.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with (other.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {other.port}\nhot_standby = on\n")
        other._ctl("start")
        self.standbys.append(other)
        return other

    def remove(self) -> None:
        for cluster in (*self.standbys, self):
            try:
                _as_postgres(
                    str(BIN / "pg_ctl"), "stop", "-D", str(cluster.data), "-m", "immediate", timeout=30
                )
            except RuntimeError:
                pass  # not running
        shutil.rmtree(self.dir, ignore_errors=True)


class PgBouncer:
    """Debian's PgBouncer in transaction mode in front of a private cluster (auth trust)."""

    def __init__(self, cluster: PrivateCluster, pool_size: int = 4) -> None:
        self.cluster = cluster
        self.port = free_port()
        self.dir = cluster.dir / "pgbouncer"
        self.dir.mkdir()
        (self.dir / "users.txt").write_text('"postgres" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={cluster.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.dir / 'users.txt'}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 200\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\npidfile = {self.dir / 'pgbouncer.pid'}\n"
        )
        user = _postgres_user()
        assert user is not None
        for path in (self.dir, *self.dir.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> PgBouncer:
        command = [PGBOUNCER, str(self.dir / "pgbouncer.ini")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        import socket

        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pgbouncer did not start: " + self.log())

    def log(self) -> str:
        path = self.dir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
