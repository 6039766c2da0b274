"""The deployment recipes in deploy/ say what the code does: the systemd units and the
Containerfile run real `intake` subcommands, set only settings that exist, copy files
the repository has, install from the hash-pinned lock file, and check a route the
service serves. Neither systemd nor a container engine runs here, so the files are
parsed; `systemd-analyze verify` and systemd's own list of unit directives are used
when the machine has them."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from intake.cli import _parser
from intake.config import Settings
from intake.server import build_web_app
from intake.wiring import build
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
UNITS = ("intake.service", "intake-scheduler.service")
INSTALLED = "/opt/intake/.venv/bin/intake"  # where README installs the command
SYSTEMD = Path("/lib/systemd/systemd")
SETTINGS = {name.upper() for name in Settings.model_fields}
# Environment variables of the image that are no setting of the service.
IMAGE_ENV = {"PATH", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}
INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
    "LABEL", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}  # fmt: skip


def unit(name: str) -> dict[str, list[tuple[str, str]]]:
    """A unit file as systemd reads it: sections of `key=value` lines, in order (a key
    may repeat), comments and blank lines skipped, a trailing backslash continuing."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    text = (DEPLOY / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None and re.fullmatch(r"[A-Za-z]+", key.strip()), (
            f"{name}:{number} is neither a section nor key=value: {line!r}"
        )
        current.append((key.strip(), value.strip()))
    return sections


def value(sections: dict[str, list[tuple[str, str]]], section: str, key: str) -> str:
    values = [v for k, v in sections[section] if k == key]
    assert len(values) == 1, f"[{section}] {key}: {values}"
    return values[0]


def assert_runs_a_real_subcommand(argv: list[str]) -> None:
    """`intake ARGS`, where the CLI's own parser accepts ARGS (it exits on a wrong one)."""
    assert Path(argv[0]).name == "intake", argv
    try:
        _parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`intake` refuses {argv[1:]}")


@pytest.mark.parametrize("name", UNITS)
def test_the_units_run_an_intake_subcommand_as_a_hardened_service(name: str) -> None:
    sections = unit(name)
    assert set(sections) == {"Unit", "Service", "Install"}
    argv = shlex.split(value(sections, "Service", "ExecStart"))
    assert argv[0] == INSTALLED
    assert_runs_a_real_subcommand(argv)
    service = dict(sections["Service"])
    assert service["Type"] in ("exec", "simple")
    assert service["User"] == "intake" and service["KillSignal"] == "SIGTERM"
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/intake/intake.env"
    assert service["NoNewPrivileges"] == service["PrivateTmp"] == "yes"
    assert service["ProtectSystem"] == "strict"
    # Where ProtectSystem=strict lets it write: the working directory, data and reports.
    assert service["WorkingDirectory"] == f"/var/lib/{service['StateDirectory']}"
    # Migrations are a deploy step (README), never part of a start.
    assert not any(key.startswith("ExecStart") and key != "ExecStart" for key in service)
    assert "db upgrade" in (DEPLOY / name).read_text(encoding="utf-8")
    for assignment in (v for k, v in sections["Service"] if k == "Environment"):
        for word in shlex.split(assignment):
            assert word.partition("=")[0] in SETTINGS, word


def test_the_serving_and_the_scheduling_unit_run_serve_and_scheduler() -> None:
    commands = [value(unit(name), "Service", "ExecStart").split()[1] for name in UNITS]
    assert commands == ["serve", "scheduler"]
    # The scheduler unit is for INTAKE_SCHEDULER=off on the serving processes.
    assert "INTAKE_SCHEDULER=off" in (DEPLOY / "intake-scheduler.service").read_text("utf-8")


@pytest.mark.skipif(not SYSTEMD.exists(), reason="systemd is not installed on this machine")
@pytest.mark.parametrize("name", UNITS)
def test_every_directive_is_one_systemd_knows(name: str) -> None:
    dump = subprocess.run(  # noqa: S603  (a fixed command line)
        [SYSTEMD, "--dump-configuration-items"], capture_output=True, text=True, check=True
    ).stdout
    known: dict[str, set[str]] = {}
    section: set[str] = set()
    for line in dump.splitlines():
        if line.startswith("["):
            section = known.setdefault(line.strip("[]"), set())
        elif "=" in line:
            section.add(line.partition("=")[0])
    for section_name, entries in unit(name).items():
        for key, _ in entries:
            assert key in known[section_name], f"[{section_name}] {key}"


ANALYZE = shutil.which("systemd-analyze")


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("name", UNITS)
def test_systemd_analyze_verifies_the_units(name: str, tmp_path: Path) -> None:
    # verify insists the executable exists: point it at this environment's `intake`.
    here = Path(sys.executable).parent / "intake"
    assert here.exists()
    copy = tmp_path / name
    copy.write_text((DEPLOY / name).read_text("utf-8").replace(INSTALLED, str(here)), "utf-8")
    assert ANALYZE is not None
    done = subprocess.run(  # noqa: S603  (a fixed command line)
        [ANALYZE, "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@dataclass(frozen=True)
class Instruction:
    name: str
    arguments: str


def containerfile() -> list[Instruction]:
    """The Containerfile's instructions; every line is one, a continuation of one, a
    comment or blank."""
    instructions = []
    pending = ""
    for number, line in enumerate((DEPLOY / "Containerfile").read_text("utf-8").splitlines(), 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if line.rstrip().endswith("\\"):
            continue
        name, _, arguments = pending.strip().partition(" ")
        assert name in INSTRUCTIONS, f"Containerfile:{number}: {name!r} is no instruction"
        instructions.append(Instruction(name, arguments.strip()))
        pending = ""
    assert not pending, "the Containerfile ends inside a continued line"
    return instructions


def exec_form(arguments: str) -> list[str]:
    form = json.loads(arguments)
    assert isinstance(form, list) and all(isinstance(word, str) for word in form), arguments
    return form


def test_the_image_runs_intake_serve_as_a_user_that_is_not_root() -> None:
    instructions = containerfile()
    by_name = {i.name: i.arguments for i in instructions}  # the last of each, as it acts
    argv = exec_form(by_name["ENTRYPOINT"]) + exec_form(by_name["CMD"])
    assert argv == ["intake", "serve"]
    assert_runs_a_real_subcommand(argv)
    assert by_name["USER"].partition(":")[0] not in ("root", "0")
    assert by_name["STOPSIGNAL"] == "SIGTERM"
    assert [i.name for i in instructions].count("FROM") == 2  # building apart from running
    env = dict(pair.split("=", 1) for pair in shlex.split(by_name["ENV"]))
    assert by_name["EXPOSE"] == env["INTAKE_HTTP_PORT"]
    for instruction in (i for i in instructions if i.name == "ENV"):
        for pair in shlex.split(instruction.arguments):
            name = pair.partition("=")[0]
            assert name in SETTINGS | IMAGE_ENV, f"ENV {name} is not a setting"
    assert "db upgrade" in (DEPLOY / "Containerfile").read_text("utf-8")


def test_the_image_copies_files_the_repository_has_and_installs_the_lock_file() -> None:
    instructions = containerfile()
    copies = [i.arguments.split() for i in instructions if i.name == "COPY"]
    for words in copies:
        if words[0].startswith("--from="):
            continue
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    copied = {Path(source).name for words in copies for source in words[:-1]}
    # Every package the project installs is copied (pyproject.toml's packages.find).
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {pattern.rstrip("*") for pattern in found["packages"]["find"]["include"]}
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    runs = [shlex.split(i.arguments) for i in instructions if i.name == "RUN"]
    locked = [words for words in runs if "-r" in words]
    assert len(locked) == 1 and {"--require-hashes", "--no-deps"} <= set(locked[0])
    installed = locked[0][locked[0].index("-r") + 1]
    # The file installed is the one copied from the repository's hash-pinned lock file.
    assert ["requirements.lock", installed] in copies
    project = [words for words in runs if words[-1] == "/src"]
    assert len(project) == 1 and "--no-deps" in project[0]


async def test_the_image_health_check_asks_a_route_the_service_serves(tmp_path: Path) -> None:
    check = next(i.arguments for i in containerfile() if i.name == "HEALTHCHECK")
    options, _, command = check.partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    paths = re.findall(r"http://127\.0\.0\.1:%s(/\w+)", " ".join(exec_form(command)))
    assert paths == ["/healthz"]
    wiring = build(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db", _env_file=None))
    try:
        routes = {r.canonical for r in build_web_app(wiring).router.resources()}
    finally:
        await wiring.close()
    assert paths[0] in routes


@pytest.mark.slow
def test_what_the_image_copies_builds_the_project_with_its_data(tmp_path: Path) -> None:
    # The build stage installs /src: copy there what the Containerfile copies, and build.
    src = tmp_path / "src"
    src.mkdir()
    for instruction in containerfile():
        if instruction.name != "COPY" or instruction.arguments.startswith("--from="):
            continue
        *sources, destination = instruction.arguments.split()
        for source in sources:
            target = src / (source if destination.endswith("/") else Path(destination).name)
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(ROOT / source, target)
    built = subprocess.run(  # noqa: S603  (a fixed command line)
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", str(src), "-w", str(tmp_path / "wheel")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    with zipfile.ZipFile(wheel) as files:
        names = set(files.namelist())
    for data in ("storage/migrations/env.py", "bots/web/static/index.html",
                 "reports/dictionaries/bank_words.txt",
                 "core/messages/locale/zh_Hans/LC_MESSAGES/messages.po"):  # fmt: skip
        assert data in names, data
