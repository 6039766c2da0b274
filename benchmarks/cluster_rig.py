"""The machinery of `benchmarks.cluster_load`: a throwaway PostgreSQL cluster, `intake
serve` processes and nginx in front of them, each started in a temp folder and stopped
again however the run ends.

Nothing here touches the machine's own PostgreSQL (5432) or nginx: the cluster is made
with `initdb` into the temp folder and listens on 127.0.0.1 on a port of its own; nginx
runs with `-c` a configuration written here and `-p` the temp folder as its prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PORT = 55432
PG_USER = "postgres"
DATABASE = "intake_cluster"
NGINX_CANDIDATES = ("/usr/sbin/nginx", "/usr/bin/nginx")
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _pg_tool(*command: str) -> None:
    """One of PostgreSQL's tools; initdb refuses to run as root, so as root they run as
    `postgres`. The arguments are this module's own, never outside input."""
    if os.geteuid() == 0:
        command = ("runuser", "-u", PG_USER, "--", *command)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


@dataclass
class PgCluster:
    """A PostgreSQL cluster of its own: loopback only, trust authentication."""

    folder: Path
    port: int = PG_PORT

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{self.port}/{DATABASE}"

    def _pg_ctl(self, *args: str) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}"
            " -c max_connections=200 -c shared_buffers=64MB"
        )
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "pg.log")]
        _pg_tool(*command, "-o", options, *args)

    def create(self) -> None:
        while port_in_use(self.port):  # another run's cluster, or anything else: next port
            self.port += 1
        self.folder.mkdir(mode=0o700)
        if os.geteuid() == 0:
            user = pwd.getpwnam(PG_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        _pg_tool(
            str(PG_BIN / "initdb"),
            *("-D", str(self.data), "-A", "trust", "-U", PG_USER),
            *("-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
        )
        self.start()
        _pg_tool(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), DATABASE)

    def start(self) -> None:
        self._pg_ctl("-w", "-t", "60", "start")

    def stop(self) -> None:
        self._pg_ctl("-w", "-t", "60", "-m", "fast", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                self._pg_ctl("-w", "-t", "30", "-m", "immediate", "stop")


@dataclass
class Service:
    """One `intake serve`, started again on the same port after a kill."""

    index: int
    port: int
    env: dict[str, str]
    folder: Path
    process: asyncio.subprocess.Process | None = None
    starts: int = 0
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / f"serve-{self.index}.log"

    async def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "intake.cli",
                "serve",
                cwd=self.folder,
                env={**self.env, "INTAKE_HTTP_PORT": str(self.port)},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # Ctrl-C reaches this script, which stops them
            )

    async def wait_healthy(self, session: aiohttp.ClientSession, timeout: float = 60) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"intake serve #{self.index} exited; see {self.log}")
            try:
                async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise RuntimeError(f"intake serve #{self.index} not healthy after {timeout} s")

    async def kill(self) -> None:
        """As the kernel's OOM killer or a crash would: no chance to finish anything."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()


def nginx_binary() -> str:
    for candidate in NGINX_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("nginx")
    if found is None:
        raise RuntimeError("nginx is not installed; run `make nginx`")
    return found


@dataclass
class Nginx:
    """nginx as a child process, with its own configuration, pid file and logs."""

    folder: Path
    port: int
    upstreams: list[int]
    process: asyncio.subprocess.Process | None = None

    def write_config(self) -> Path:
        self.folder.mkdir(mode=0o755)
        for temp in ("body", "proxy"):
            (self.folder / temp).mkdir(mode=0o777)
            (self.folder / temp).chmod(0o777)  # the workers run as nobody
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"
            for port in self.upstreams
        )
        config = self.folder / "nginx.conf"
        config.write_text(
            f"""daemon off;
master_process on;
worker_processes 1;
pid {self.folder}/nginx.pid;
error_log {self.folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {self.folder}/body;
    proxy_temp_path {self.folder}/proxy;
    upstream intake {{
{servers}
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://intake;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
            # A process that refuses the connection or is gone: the next one. A POST
            # already sent is not resent (nginx never does for non-idempotent methods):
            # the platform gets the 502 and redelivers.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""
        )
        return config

    async def start(self) -> None:
        config = self.write_config()
        with (self.folder / "stdout.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                nginx_binary(),
                "-p",
                str(self.folder),
                "-c",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        for _ in range(100):
            if port_in_use(self.port):
                return
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise RuntimeError(f"nginx did not start; see {self.folder}/error.log")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful shutdown
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


async def run_intake(*args: str, env: dict[str, str], cwd: Path) -> str:
    """`intake ARGS...` to the end; its standard output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "intake.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"intake {' '.join(args)} failed: {err.decode()[-800:]}")
    return out.decode()
