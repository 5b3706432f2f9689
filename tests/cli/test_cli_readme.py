"""The README's command-line walk-through, run as written: each line of its ``sh`` block goes
through one bash session (so ``export`` and ``kill %1`` mean what they say) with the installed
``calldesk`` on PATH, a temporary ``CALLDESK_HOME`` and the sandbox on a free port instead of
8765. Every line must exit 0 and print what its ``# →`` line says (``…`` is any text).

Typed by hand, a line starts after the one before has finished; the sandbox, started in the
background, is waited for (its first line says where it listens) before the next line runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
WALK_THROUGH = "Try it against the sandbox CRMs on a port"
README_PORT = "8765"
EXPECT = "# → "


@dataclass
class Step:
    """One logical line of the block (continuations joined) and what it should print."""

    command: str
    expect: list[str] = field(default_factory=list)

    @property
    def background(self) -> bool:
        return self.command.rstrip().endswith("&")


def sh_block_after(marker: str, text: str) -> str:
    """The first ```sh block after the paragraph starting with ``marker``."""
    start = text.index(marker)
    match = re.compile(r"```sh\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no sh block after {marker!r}"
    return match.group(1)


def steps_of(block: str) -> list[Step]:
    steps: list[Step] = []
    pending = ""
    for line in block.splitlines():
        if line.startswith(EXPECT):
            assert steps and not pending, f"{line!r} follows no command"
            steps[-1].expect.append(line[len(EXPECT) :])
            continue
        if not line.strip():
            continue
        pending = f"{pending}\n{line}" if pending else line
        if not line.endswith("\\"):
            steps.append(Step(pending))
            pending = ""
    assert not pending, "the block ends inside a continued line"
    return steps


def pattern_of(expected: str) -> re.Pattern[str]:
    """``…`` is any text; any run of spaces matches any run of whitespace (tabs too)."""
    parts = [r"\s+".join(re.escape(word) for word in part.split()) for part in expected.split("…")]
    glue = [r"\s*.*?\s*" if i else "" for i in range(len(parts))]
    return re.compile("".join(g + p for g, p in zip(glue, parts, strict=True)))


def _free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


def _script(steps: list[Step], out: Path) -> str:
    lines = ["set -u"]
    for i, step in enumerate(steps):
        files = f'> "{out}/{i}.out" 2> "{out}/{i}.err"'
        if step.background:
            lines += [
                f"{{ {step.command} }} {files}",
                f'echo $? > "{out}/{i}.rc"; echo $! > "{out}/bg.pid"',
                # Wait (10 s at most) for the background command's first line, as a person would.
                f'for _ in $(seq 200); do [ -s "{out}/{i}.out" ] && break; sleep 0.05; done',
            ]
        else:
            lines.append(f'{{ {step.command}\n}} {files}; echo $? > "{out}/{i}.rc"')
    return "\n".join(lines) + "\n"


def test_the_block_parses_into_commands_with_expectations() -> None:
    steps = steps_of(sh_block_after(WALK_THROUGH, README.read_text()))
    assert steps[0].background and "calldesk sandbox" in steps[0].command
    assert steps[-1].command == "kill %1"
    assert any(step.command.strip() == "calldesk sync" for step in steps)
    assert pattern_of("acti_… synced …").search("acti_x1\t2026-01-01 10:00\tsynced\tDana\t-\tnote")
    assert not pattern_of("everything is synced").search("1 pending, 0 failed")


def test_the_readme_walk_through_runs_as_written(tmp_path: Path, calldesk_home: Path) -> None:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "calldesk").exists(), "calldesk is not installed beside this interpreter"
    port = _free_port()
    block = sh_block_after(WALK_THROUGH, README.read_text()).replace(README_PORT, port)
    steps = steps_of(block)
    out = tmp_path / "out"
    out.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "CALLDESK_HOME": str(calldesk_home),
    }
    env.pop("CLOSE_KEY", None)
    try:
        result = subprocess.run(
            ["bash", "-c", _script(steps, out)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )
    finally:
        pid_file = out / "bg.pid"
        if pid_file.exists():  # the block's own `kill %1` should have stopped it already
            pid = int(pid_file.read_text())
            cmdline = Path(f"/proc/{pid}/cmdline")
            with contextlib.suppress(OSError):
                if b"sandbox" in cmdline.read_bytes():
                    os.kill(pid, signal.SIGKILL)
    assert result.returncode == 0, result.stderr
    for i, step in enumerate(steps):
        rc = (out / f"{i}.rc").read_text().strip()
        stdout = (out / f"{i}.out").read_text()
        stderr = (out / f"{i}.err").read_text()
        assert rc == "0", f"{step.command!r} exited {rc}: {stderr}"
        for expected in step.expect:
            assert pattern_of(expected).search(stdout), (
                f"{step.command!r} should print {expected!r}; it printed:\n{stdout[:2000]}{stderr}"
            )
    assert "Traceback" not in "".join(p.read_text() for p in out.glob("*.err"))


@pytest.mark.parametrize("marker", [WALK_THROUGH])
def test_every_command_of_the_block_has_what_it_prints(marker: str) -> None:
    steps = steps_of(sh_block_after(marker, README.read_text()))
    silent = [s.command for s in steps if not s.expect]
    # Only lines that print nothing by design go without a `# →` line.
    assert all(c.startswith(("export ", "kill ")) or c.endswith("&") for c in silent), silent
