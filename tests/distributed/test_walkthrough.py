"""The README's one-machine walk-through (two workers on 127.0.0.1) runs as written.

Its commands are read from README.md; the workers' ports become free ones, and the master
starts once both workers say they listen (typing the commands gives them that time).
"""

import os
import re
import shlex
import socket
import subprocess

from fl_pytorch import load_result

from .conftest import ROOT, Worker


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("**On one machine, two worker processes**", 1)[1]
    block = re.search(r"```bash\n(.*?)```", block, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.replace("\\\n", " ").splitlines()
            if line.split("#")[0].strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_one_machine_walkthrough(tmp_path):
    new_secret, worker1, worker2, master, stop = _commands()
    assert stop == "kill %1 %2" and worker1.endswith("&") and worker2.endswith("&")
    ports = {"29501": str(_free_port()), "29502": str(_free_port())}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def args(line):  # after ./run.sh, with the free ports
        words = shlex.split(re.sub(r"\b2950[12]\b", lambda m: ports[m.group(0)],
                                   line.rstrip("& ")))
        assert words[0] == "./run.sh"
        return words[1:]
    subprocess.run([str(ROOT / "run.sh"), *args(new_secret)], cwd=tmp_path, env=env,
                   check=True, timeout=120)
    workers = []
    try:
        for line in (worker1, worker2):
            workers.append(Worker(args(line), tmp_path / f"w{len(workers)}.log", tmp_path))
        for worker in workers:
            worker.wait_ready()
        done = subprocess.run([str(ROOT / "run.sh"), *args(master), "--quiet", "--out",
                               "remote.bin"], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        for worker in workers:
            worker.stop()
    result = load_result(tmp_path / "remote.bin")
    assert result["status"] == "finished" and len(result["metrics"]["round"]) == 21
    assert result["environment"]["executor"].startswith("remote: 2 worker(s)")
    assert {str(w.port) for w in workers} == set(ports.values())
