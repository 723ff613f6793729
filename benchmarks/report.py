"""Print the README's benchmark table from pytest-benchmark JSON files.

python benchmarks/report.py results.json [more.json ...]
"""

from __future__ import annotations

import json
import sys
from typing import Any

TARGETS = {
    "test_assess": ("assess, one report", ""),
    "test_assess_with_a_history_of_20": (
        "assess with a case history of 20 reports (p50 / p99)",
        "≤ 2× assess",
    ),
    "test_stage_validate_and_normalise": ("stage: validate + normalise", ""),
    "test_stage_instruments": ("stage: four instruments", ""),
    "test_stage_model": ("stage: model", "≤ 50 µs"),
    "test_stage_rules_both_worlds": (
        "stage: both worlds (instruments, model, rules and the trace: `Triage._run`)",
        "",
    ),
    "test_stage_routing": ("stage: routing plan", ""),
    "test_stage_trace_and_gaps": ("stage: trace + information gaps", ""),
    "test_library": (
        "rules, one world: durable-rules, matches remembered (unseen reports)",
        "≥ 2× faster than naive",
    ),
    "test_generated_python": ("rules, one world: generated Python (unseen reports)", ""),
    "test_generated_python_checked": (
        "rules, one world: generated Python checked by durable-rules (unseen)",
        "",
    ),
    "test_library_engine_every_time": (
        "rules, one world: library, engine every time",
        "≥ 2× faster than naive",
    ),
    "test_baseline_naive_host": ("rules, one world: naive durable Host", "baseline"),
    "test_floor_c_calls_only": ("rules, one world: C calls only", "floor"),
    "test_cold_start[with-model]": ("cold start with model", "≤ 1.2× without"),
    "test_cold_start[without-model]": ("cold start without model", ""),
    "test_memory_and_threads": ("1,000,000 evaluations", "≤ 5 MB growth"),
    "test_direct_logistic": ("model, direct: logistic", ""),
    "test_direct_boosted": ("model, direct: boosted", ""),
    "test_baseline_sklearn_predict_proba_logistic": (
        "model, sklearn predict_proba: logistic",
        "baseline",
    ),
    "test_baseline_sklearn_predict_proba_boosted": (
        "model, sklearn predict_proba: boosted",
        "baseline",
    ),
}


def _time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


# test_assess measures three modes interleaved; each is a row of its own
MODES = {
    "durable-only": ("assess, durable-rules only (p50 / p99)", "baseline"),
    "verify-always": (
        "assess, generated rules, verify=always (p50 / p99)",
        "≤ 350 µs, p99 ≤ 1 ms; ≥ 2× faster than before",
    ),
    "verify-load": (
        "assess, generated rules, verify=load (p50 / p99)",
        "≤ 150 µs, p99 ≤ 1 ms; ≥ 4× baseline",
    ),
    "verify-always-json": ("assess + the decision's JSON, verify=always (p50 / p99)", ""),
}


def row(bench: dict[str, Any]) -> str | None:
    name = bench["name"]
    if name == "test_assess":
        extra = bench.get("extra_info", {})
        return "\n".join(
            f"| {label} | {extra[mode + '_p50_us']:.0f} µs / {extra[mode + '_p99_us']:.0f} µs "
            f"| {target} |"
            for mode, (label, target) in MODES.items()
            if mode + "_p50_us" in extra
        )
    if name == "test_assess_with_a_history_of_20" and "ratio" in bench.get("extra_info", {}):
        extra = bench["extra_info"]
        return (
            f"| assess with a case history of 20 reports, beside the same kind alone "
            f"(p50, unseen) | {extra['history_p50_us']:.0f} µs vs {extra['alone_p50_us']:.0f} µs "
            f"= {extra['ratio']:.2f}× | ≤ 2× |"
        )
    if name.startswith("test_batch[") and "ratio" in bench.get("extra_info", {}):
        extra = bench["extra_info"]
        checked = "every decision checked" if name == "test_batch[always]" else "1% checked"
        return (
            f"| batch, 1 process, {checked} | {extra['one_process_reports_per_s']:,} "
            f"reports/s |  |\n"
            f"| batch, 2 processes, {checked} (taking turns with 1) "
            f"| {extra['two_processes_reports_per_s']:,} reports/s = {extra['ratio']:.2f}× "
            f"| ≥ 1.8× 1 process; ≥ 8,000 reports/s |"
        )
    if name == "test_rules_diff" and "ratio" in bench.get("extra_info", {}):
        extra = bench["extra_info"]
        return (
            f"| rules diff, 2 processes, 1% checked, beside durable-rules only (unseen) "
            f"| {extra['reports_per_s']:,} vs {extra['durable_reports_per_s']:,} reports/s "
            f"= {extra['ratio']:.2f}× (≈ {extra['seconds_per_100000']} s per 100,000) "
            f"| ≥ 4× faster than before |"
        )
    if name.startswith("test_service_beside_batch") and "ratio" in bench.get("extra_info", {}):
        extra = bench["extra_info"]
        n = extra.get("workers", 1)
        procs = "1 process" if n == 1 else f"{n} processes"
        share = extra.get("half_rate_served_within_10ms")
        served = (
            "" if share is None else f" ({share:.1%} answered within 10 ms by the server's clock)"
        )
        return (
            f"| service, {procs}, 32 connections on loopback, beside `triage batch` ({procs}) "
            f"| {extra['service_reports_per_s']:,} vs {extra['batch_reports_per_s']:,} "
            f"reports/s = {extra['ratio']:.2f}×; at half that rate p50 "
            f"{extra['half_rate_p50_ms']} ms, p99 {extra['half_rate_p99_ms']} ms{served} "
            f"| ≥ ⅓ of batch; p99 < 10 ms |"
        )
    if name not in TARGETS:
        return None
    label, target = TARGETS[name]
    extra = bench.get("extra_info", {})
    stats = bench["stats"]
    if "p50_us" in extra:
        value = f"{extra['p50_us']:.0f} µs / {extra['p99_us']:.0f} µs"
    elif "reports_per_s" in extra:
        value = f"{extra['reports_per_s']:,} reports/s"
    elif "rss_growth_kib" in extra:
        value = (
            f"RSS +{extra['rss_growth_kib']} KiB, {extra['threads']} Python thread "
            f"({extra['os_threads']} OS threads)"
        )
    else:
        value = f"{_time(stats['median'])} median"
    return f"| {label} | {value} | {target} |"


def main(paths: list[str]) -> None:
    machine = None
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        info = data["machine_info"]
        machine = (
            f"{info['cpu'].get('brand_raw', info.get('processor'))}, "
            f"{info['cpu'].get('count')} CPUs, Python {info['python_version']}"
        )
        for bench in data["benchmarks"]:
            text = row(bench)
            if text:
                steal = _steal(bench)
                rows.extend(f"{line} {steal} |" for line in text.split("\n"))
    print(f"Machine: {machine}\n")
    print("| measure | result | target | CPU steal |")
    print("|---|---|---|---|")
    print("\n".join(rows))


def _steal(bench: dict[str, Any]) -> str:
    """The share of the machine's CPU taken by the hypervisor while it ran (for the
    service, while the paced requests were measured)."""
    share = bench.get("extra_info", {}).get("cpu_steal_pct")
    return "" if share is None else f"{share:.1f}%"


if __name__ == "__main__":
    main(sys.argv[1:])
