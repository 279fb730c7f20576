"""Cost estimates (work x throughput) and the task tables of ``tasks`` and the how-to-rerun
page."""
from __future__ import annotations

import socket
from typing import Callable, Optional

from .core import Planned, state_of
from .engine import read_rates

__all__ = ["estimate", "duration", "rows", "table", "plan_markdown"]


def _latest(entries: list) -> Optional[dict]:
    return max(entries, key=lambda e: e.get("when", "")) if entries else None


def estimate(p: Planned, rates: Optional[dict] = None) -> dict:
    """Estimated seconds of ``p`` on this machine's CPU and on one GPU.

    Each is ``work / throughput`` with the throughput measured for the task's class (the last
    run on this host, resp. on any GPU, recorded in ``task-rates.json`` of the cache) when there
    is one, else the task's declared reference throughput. Returns ``{"here": s, "here_measured":
    bool, "gpu": s, "gpu_measured": bool}`` (``None`` seconds: no estimate).
    """
    out = {"here": None, "here_measured": False, "gpu": None, "gpu_measured": False}
    w = p.work
    if w is None:
        return out
    measured = (rates if rates is not None else read_rates()).get(w.kind, {}) if w.kind else {}
    host = socket.gethostname()
    here = measured.get(f"cpu@{host}")
    gpu = _latest([v for k, v in measured.items() if k.startswith("gpu@")])
    if here and here.get("rate"):
        out["here"], out["here_measured"] = w.amount / here["rate"], True
    elif w.cpu:
        out["here"] = w.amount / w.cpu
    if gpu and gpu.get("rate"):
        out["gpu"], out["gpu_measured"] = w.amount / gpu["rate"], True
    elif w.gpu:
        out["gpu"] = w.amount / w.gpu
    return out


def duration(seconds: Optional[float], measured: bool = True) -> str:
    """``42 s``, ``12 min``, ``3.4 h``; ``~`` marks an estimate from a reference throughput
    (not measured here); ``-`` no estimate."""
    if seconds is None:
        return "-"
    mark = "" if measured else "~"
    if seconds < 90:
        return f"{mark}{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{mark}{seconds / 60:.0f} min"
    return f"{mark}{seconds / 3600:.1f} h"


def _work(p: Planned) -> str:
    if p.work is None:
        return "-"
    return f"{p.work.amount:,.0f} {p.work.unit}"


def rows(planned: list[Planned], rates: Optional[dict] = None,
         with_state: bool = True) -> list[dict]:
    """One dict per task: name, profile, state, key digest, needs, work, estimates, notebooks."""
    rates = read_rates() if rates is None else rates
    out = []
    for p in planned:
        e = estimate(p, rates)
        out.append({"task": p.name, "profile": p.profile,
                    "state": state_of(p) if with_state else "",
                    "key": p.digest, "needs": ", ".join(p.deps) or "-", "work": _work(p),
                    "here": duration(e["here"], e["here_measured"]),
                    "gpu": duration(e["gpu"], e["gpu_measured"]),
                    "here_s": e["here"], "gpu_s": e["gpu"],
                    "notebooks": ", ".join(p.task.notebooks) or "-", "title": p.task.title})
    return out


def table(planned: list[Planned], rates: Optional[dict] = None) -> str:
    """The text table of ``python -m companion tasks``."""
    if not planned:
        return ("no tasks are declared for these notebooks (their notebooks train nothing, or "
                "train on demand)")
    rs = rows(planned, rates)
    cols = [("task", "task"), ("state", "state"), ("key", "key"), ("needs", "needs"),
            ("work", "work"), ("here", "est. here"), ("gpu", "est. GPU"),
            ("notebooks", "notebooks")]
    width = {c: max(len(h), *(len(r[c]) for r in rs)) for c, h in cols}
    lines = ["  ".join(h.ljust(width[c]) for c, h in cols).rstrip()]
    lines += ["  ".join(r[c].ljust(width[c]) for c, _ in cols).rstrip() for r in rs]
    total_here = sum(r["here_s"] or 0 for r in rs if r["state"] != "cached")
    total_gpu = sum(r["gpu_s"] or 0 for r in rs if r["state"] != "cached")
    counts = {s: sum(r["state"] == s for r in rs) for s in ("cached", "missing", "running")}
    if counts["missing"] + counts["running"]:
        todo = (f"to train: {duration(total_here, False)} here, {duration(total_gpu, False)} on "
                "one GPU (one after the other)")
    else:
        todo = "nothing to train"
    lines.append(f"\nprofile {rs[0]['profile']}: {counts['cached']} cached, {counts['missing']} "
                 f"missing, {counts['running']} running; {todo}.")
    lines.append("Estimates: work / throughput, measured by earlier runs of the same kind of task "
                 "(plain) or from the declared reference throughput ('~').")
    return "\n".join(lines)


def plan_markdown(planned: list[Planned], group: Callable[[Planned], str] = lambda p: "",
                  rates: Optional[dict] = None,
                  scheduler_hint: str = "tcp://SCHEDULER:8786") -> str:
    """Markdown for the how-to-rerun page: per group (chapter), the task table with estimated
    GPU-hours and CPU-hours, then how to train them on a cluster."""
    if not planned:
        return "No trained artifacts are declared as tasks for this profile.\n"
    rs = rows(planned, rates, with_state=False)
    profile = planned[0].profile
    groups: dict[str, list] = {}
    for p, r in zip(planned, rs):
        groups.setdefault(group(p), []).append(r)

    def hours(s):
        return "-" if s is None else (f"{s / 3600:.2g}" if s < 36000 else f"{s / 3600:,.0f}")

    out = []
    for name, items in groups.items():
        if name:
            out.append(f"**{name}**\n")
        out.append("| task | what | work | needs | GPU-hours (est.) | CPU-hours (est.) |")
        out.append("|---|---|---|---|---:|---:|")
        for r in items:
            out.append(f"| `{r['task']}` | {r['title'] or '-'} | {r['work']} | {r['needs']} | "
                       f"{hours(r['gpu_s'])} | {hours(r['here_s'])} |")
        gpu = sum(r["gpu_s"] for r in items if r["gpu_s"] is not None) if any(
            r["gpu_s"] is not None for r in items) else None
        cpu = sum(r["here_s"] for r in items if r["here_s"] is not None) if any(
            r["here_s"] is not None for r in items) else None
        out.append(f"| **total** | | | | **{hours(gpu)}** | **{hours(cpu)}** |\n")
    out.append(
        f"GPU-hours are work divided by a GPU throughput; CPU-hours by the throughput of the "
        f"machine that built this page (measured on earlier runs where there are some, else "
        f"declared reference values). To train the `{profile}` profile's tasks on a Dask "
        f"cluster (no shared filesystem needed: the workers return the weights and this "
        f"machine writes them into its cache):\n\n"
        "```bash\n"
        "dask scheduler                                        "
        "# on one machine: prints its address\n"
        f"dask worker {scheduler_hint} --nthreads 1 --resources GPU=1   "
        "# on each GPU machine (companion installed)\n"
        f"python -m companion tasks --profile {profile}             "
        "# what is missing, and its cost\n"
        f"python -m companion train --profile {profile} --scheduler {scheduler_hint} "
        "--device cuda\n"
        f"python -m companion build --profile {profile}             "
        "# the notebooks then only load them\n"
        "```\n")
    return "\n".join(out)
