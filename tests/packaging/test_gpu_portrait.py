"""packaging/gpu_portrait.sh: the GPU session's one command. Its argument handling only (a dry
run prints the trainer's command line; bad arguments stop it with status 2 and a sentence)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "gpu_portrait.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=30, env=env)


def test_dry_run_prints_the_cuda_command_with_the_budget():
    r = run("--dry-run", "--minutes", "7", "--out", "/tmp/x_out", "--", "--lr-g", "1e-4")
    assert r.returncode == 0, r.stderr
    line = r.stdout.splitlines()[0]
    assert "-m artdesk.training.portrait_grow --device cuda" in line
    assert "--minutes 7 --ckpt-minutes 1.75" in line
    assert "--batch 64" in line and "--resume" not in line
    assert line.endswith("--distil-steps 3000 --lr-g 1e-4")
    assert "exports to /tmp/x_out" in r.stdout


def test_dry_run_on_the_cpu_with_a_tiny_budget_and_resume():
    r = run("--dry-run", "--device", "cpu", "--minutes", "0.2", "--threads", "1", "--batch", "4", "--resume",
            "--ckpt-dir", "/tmp/nowhere_ckpt")
    assert r.returncode == 0, r.stderr
    line = r.stdout.splitlines()[0]
    assert "--device cpu --threads 1 --batch 4 --minutes 0.2 --ckpt-minutes 0.05" in line
    assert line.endswith("--resume") and "--distil-steps" not in line


@pytest.mark.parametrize("args, words", [
    (["--minutes", "12"], "at most 9"),
    (["--minutes", "0"], "above 0"),
    (["--minutes", "ten"], "number of minutes"),
    (["--device", "tpu"], "cuda or cpu"),
    (["--batch", "-3"], "positive whole number"),
    (["--data", "/no/such/folder"], "no folder"),
    (["--minutes"], "needs a value"),
    (["--bogus"], "unknown argument"),
    (["--distil-steps", "many"], "whole number"),
])
def test_bad_arguments_stop_with_status_2_and_a_sentence(args, words):
    r = run("--dry-run", *args)
    assert r.returncode == 2
    assert words in r.stderr and "gpu_portrait.sh:" in r.stderr


def test_resume_without_a_checkpoint_is_refused():
    r = run("--device", "cpu", "--resume", "--ckpt-dir", "/tmp/nowhere_ckpt_dir")
    assert r.returncode == 3 and "no /tmp/nowhere_ckpt_dir/last.pt" in r.stderr
