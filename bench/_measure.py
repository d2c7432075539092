"""Run one command in a fresh process and measure it: wall time, peak RSS, CPU time.

Shared by the benchmarks (``bench_convert.py``, ``bench_quantize.py``, ``bench_lora.py``).

A small launcher process runs the command: the kernel's peak-RSS mark of a child starts
at its parent's resident size (fork), and the benchmark scripts grow large while they
compare GGUFs, so measuring straight from them would report the script, not the command.
The launcher has only that one child, so its ``RUSAGE_CHILDREN`` is the command's own
``ru_maxrss`` and CPU time (what ``wait4`` reports for it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_LAUNCHER = """
import json, resource, subprocess, sys, time
keep_stdout = sys.argv[1] == "1"
t0 = time.monotonic()
proc = subprocess.Popen(sys.argv[2:], stderr=subprocess.PIPE,
                        stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL)
out, err = proc.communicate()
seconds = time.monotonic() - t0
usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the one child (as wait4 reports it)
sys.stderr.write(err.decode("utf-8", "replace")[-3000:])
print(json.dumps({"seconds": seconds, "code": proc.returncode, "maxrss_kb": usage.ru_maxrss,
                  "cpu": usage.ru_utime + usage.ru_stime,
                  "stdout": (out or b"").decode("utf-8", "replace")}))
"""


@dataclass(frozen=True, kw_only=True)
class Measured:
    seconds: float  # wall time from start to exit
    peak_rss_bytes: int  # the command's own high-water mark
    cpu_seconds: float  # user + system
    stdout: str  # empty unless ``keep_stdout``


def measure(
    label: str, cmd: list[str], *, env: dict[str, str] | None = None, keep_stdout: bool = False
) -> Measured:
    """Run ``cmd`` to completion from the repository root; raise with its stderr on failure."""
    proc = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, "1" if keep_stdout else "0", *cmd],
        capture_output=True,
        env=env,
        cwd=REPO,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    try:
        data = json.loads(proc.stdout.decode("utf-8").strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"{label}: could not be measured:\n{err[-3000:]}") from None
    if data["code"] != 0:
        raise RuntimeError(f"{label} failed ({data['code']}):\n{err[-3000:]}")
    rss = data["maxrss_kb"] * (1 if sys.platform == "darwin" else 1024)
    return Measured(
        seconds=data["seconds"], peak_rss_bytes=rss, cpu_seconds=data["cpu"], stdout=data["stdout"]
    )


# llama.cpp's own tools, the reference the benchmarks compare with (run through measure()).
# convert_hf_to_gguf.py from a llama.cpp checkout: argv = ROOT PRE_TOKENIZER ARGS…
LLAMA_CONVERT_SCRIPT = """
import runpy, sys
root, pre = sys.argv[1], sys.argv[2]
sys.path[:0] = [root, root + "/gguf-py"]
import conversion.base
conversion.base.TextModel.get_vocab_base_pre = lambda self, tokenizer: pre
sys.argv = [root + "/convert_hf_to_gguf.py"] + sys.argv[3:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

# llama_model_quantize through llama-cpp-python: argv = IN OUT FTYPE THREADS; prints
# {"seconds", "rc"} (the quantize call alone).
LLAMA_QUANTIZE_SCRIPT = """
import ctypes, sys, time, json
import llama_cpp.llama_cpp as lc
quiet = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)(lambda *a: None)
lc.llama_log_set(quiet, None)
lc.llama_backend_init()
params = lc.llama_model_quantize_default_params()
params.ftype = int(sys.argv[3]); params.nthread = int(sys.argv[4])
t0 = time.monotonic()
rc = lc.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params))
print(json.dumps({"seconds": time.monotonic() - t0, "rc": rc}))
sys.exit(rc)
"""


def warm_cache(folder: Path) -> None:
    """Read a folder's files once, so every measured run starts from the page cache."""
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as fh:
                while fh.read(64 << 20):
                    pass
