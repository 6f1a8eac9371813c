"""Start-up time and resident memory of small programs embedding libtorchebm.

Usage: python startup.py BUILD_DIR LIBTORCH_LIB_DIR [runs]

Runs each program `runs` times (default 15, after one unmeasured run that warms the page
cache) and prints, with their ranges, the median wall time from fork to exit, the median CPU
time (user + system, from wait4: less disturbed than the wall time by other work on the
machine) and the median peak resident set (ru_maxrss, from wait4):
  - the README's C quickstart (BUILD_DIR/readme_quickstart: MALA, 1000 chains, 500 steps);
  - BUILD_DIR/startup_bench (benchmarks/startup.c) calling only ebm_version(), sampling a
    double well with Langevin (16 chains, 100 steps), the same with a callback energy, and
    asking ebm_cuda_is_available() (which loads libtorch's CUDA backend);
  - for comparison, BUILD_DIR/dlopen_bench (benchmarks/dlopen.c) loading libtorch's CPU
    libraries alone, then with libtorch_cuda: what libtorch itself costs a process.
"""

import os
import statistics
import subprocess
import sys
import time


def measure(command, runs):
    """Wall seconds, CPU seconds and peak RSS (MiB) of `runs` runs of `command`."""
    walls, cpus, rss = [], [], []
    for run in range(runs + 1):
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            sys.exit(f"{' '.join(command)} exited with {child.returncode}")
        if run > 0:  # the first run only warms the page cache
            walls.append(wall)
            cpus.append(usage.ru_utime + usage.ru_stime)
            rss.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return walls, cpus, rss


def summary(values, scale, digits):
    median = statistics.median(values) * scale
    return f"{median:.{digits}f} ({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})"


def main():
    build, libtorch = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 15
    startup = os.path.join(build, "startup_bench")
    dlopen = os.path.join(build, "dlopen_bench")
    cpu = [os.path.join(libtorch, name) for name in ("libc10.so", "libtorch_cpu.so")]
    cuda = os.path.join(libtorch, "libtorch_cuda.so")
    programs = [
        ("README C quickstart (MALA, 1000 chains x 500 steps)", [os.path.join(build, "readme_quickstart")]),
        ("ebm_version() only", [startup, "version"]),
        ("double well, Langevin, 16 chains x 100 steps", [startup, "analytic"]),
        ("callback energy, Langevin, 16 chains x 100 steps", [startup, "callback"]),
        ("ebm_cuda_is_available() (loads the CUDA backend)", [startup, "cuda"]),
        ("reference: dlopen libc10 + libtorch_cpu alone", [dlopen, *cpu]),
    ]
    if os.path.exists(cuda):
        programs.append(("reference: ... + libtorch_cuda", [dlopen, *cpu, cuda]))
    print(f"start-up: median (min-max) of {runs} runs each, {os.cpu_count()} CPUs")
    print(f"{'program':<54} {'wall ms':>16} {'CPU ms':>16} {'max RSS MiB':>20}")
    for name, command in programs:
        walls, cpus, rss = measure(command, runs)
        print(f"{name:<54} {summary(walls, 1000, 0):>16} {summary(cpus, 1000, 0):>16} {summary(rss, 1, 1):>20}")


if __name__ == "__main__":
    main()
