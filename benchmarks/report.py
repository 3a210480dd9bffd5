"""Turn the suite's results into rows (measure, contender, median, range, ratio), the targets
the engine is tuned to meet, and a Markdown table for the README."""

from __future__ import annotations

OURS = "nnscratch"
FLOOR = "floor (products only)"  # the inference workload's latency floor


def rows(results: dict) -> list[tuple[str, str, str, str, str]]:
    """(measure, contender, median, min-max, nnscratch / contender) per measured figure."""
    out = []

    def add(measure, per_contender, fmt):
        ours = per_contender.get(OURS)
        for name, value in per_contender.items():
            if value is None:
                continue
            median, low, high = (
                (value["median"], value["min"], value["max"])
                if isinstance(value, dict)
                else (value, None, None)
            )
            spread = "" if low is None else f"{fmt(low)}-{fmt(high)}"
            ratio = ""
            if name != OURS and ours is not None and median:
                ours_median = ours["median"] if isinstance(ours, dict) else ours
                ratio = f"{ours_median / median:.2f}x"
            out.append((measure, name, fmt(median), spread, ratio))

    if "classic" in results:
        c = results["classic"]
        add(
            f"classic: training seconds ({_first(c)['iterations']} iterations)",
            {n: v["train_seconds"] for n, v in c.items()},
            _seconds,
        )
        add("classic: dev accuracy", {n: v["dev_accuracy"] for n, v in c.items()}, _accuracy)
    if "mlp" in results:
        m = results["mlp"]
        add("mlp: seconds per epoch", {n: v["epoch_seconds"] for n, v in m.items()}, _seconds)
        add(
            "mlp: seconds to 98.0 % test accuracy",
            {n: v.get("seconds_to_98") for n, v in m.items() if "test_accuracy" in v},
            _seconds,
        )
        epochs = len(m[OURS]["epoch_seconds_all"])
        add(
            f"mlp: test accuracy after {epochs} epochs",
            {n: v.get("test_accuracy") for n, v in m.items() if "test_accuracy" in v},
            _accuracy,
        )
    if "fast" in results:
        f = results["fast"]
        add(
            "fast: seconds to 99.0 % test accuracy",
            {n: v["seconds_to_goal"] for n, v in f.items()},
            _seconds,
        )
        add("fast: training seconds", {n: v["train_seconds"] for n, v in f.items()}, _seconds)
        add(
            "fast: test accuracy at the end",
            {n: v["test_accuracy"] for n, v in f.items()},
            _accuracy,
        )
    for network in ("cnn", "cnn-bn", "lstm"):  # the cnn module's workloads
        if network not in results:
            continue
        c = results[network]
        add(
            f"{network}: seconds per epoch", {n: v["epoch_seconds"] for n, v in c.items()}, _seconds
        )
        epochs = len(c[OURS]["epoch_seconds_all"])
        add(
            f"{network}: test accuracy after {epochs} epoch{'s' if epochs > 1 else ''}",
            {n: v.get("test_accuracy") for n, v in c.items() if "test_accuracy" in v},
            _accuracy,
        )
    if "inference" in results:
        i = results["inference"]
        add(
            "inference: images per second (batches of 1,000)",
            {n: _per_second(v) for n, v in i.items() if "batch_seconds" in v},
            lambda x: f"{x:,.0f}",
        )
        add(
            "inference: single-image latency (ms)",
            {n: v["latency_seconds"] for n, v in i.items()},
            lambda x: f"{x * 1e3:.3f}",
        )
    if "scaling" in results:
        s = results["scaling"]
        for sweep, key, what in (("batch", "batch", "batch"), ("width", "hidden", "width")):
            for point in s.get(sweep, [])[:: max(1, len(s.get(sweep, [])) - 1)]:
                add(
                    f"scaling: mlp epoch seconds, {what} {point[key]:,}",
                    {n: v for n, v in point.items() if isinstance(v, dict) and "median" in v},
                    _seconds,
                )
        for point in s.get("classic", [])[:: max(1, len(s.get("classic", [])) - 1)]:
            add(
                f"scaling: classic working memory (MB), {point['size']:,} images",
                {
                    n: v / 1e6
                    for n, v in (point.get("working_memory") or {}).items()
                    if v is not None
                },
                lambda x: f"{x:,.1f}",
            )
    if "server" in results:
        for workers, runs in _server_runs(results):
            for clients, run in runs.items():
                who = clients.replace("1 clients", "1 client")
                add(
                    f"server, {workers}: answers per second ({who})",
                    {OURS: run["answers_per_second"]},
                    lambda x: f"{x:,.0f}",
                )
                for q in ("p50", "p99"):
                    add(
                        f"server, {workers}: {q} latency, ms ({who})",
                        {OURS: run[f"{q}_seconds"] * 1e3},
                        lambda x: f"{x:.1f}",
                    )
    if "process" in results:
        p = results["process"]
        add("`nnscratch --help` seconds", {OURS: p["help_seconds"]}, _seconds)
        add(
            "`nnscratch train` peak memory (MB)",
            {OURS: p["train_peak"]["peak_rss_bytes"] / 1e6},
            lambda x: f"{x:,.0f}",
        )
    return out


def targets(results: dict) -> list[tuple[str, float, str, bool]]:
    """(target, measured value, limit, met) for each target the results allow to check."""
    out = []

    def median(value):
        return value["median"] if isinstance(value, dict) else value

    m = results.get("mlp", {})
    if OURS in m:
        ours = median(m[OURS]["epoch_seconds"])
        if "pytorch" in m:
            r = ours / median(m["pytorch"]["epoch_seconds"])
            out.append(("mlp epoch / PyTorch's", r, "<= 0.8", r <= 0.8))
        if "floor (GEMMs only)" in m:
            r = ours / median(m["floor (GEMMs only)"]["epoch_seconds"])
            out.append(("mlp epoch / floor", r, "<= 1.5", r <= 1.5))
    f = results.get("fast", {})
    if OURS in f and f[OURS]["seconds_to_goal"]:
        ours = median(f[OURS]["seconds_to_goal"])
        out.append(("fast: seconds to 99 % test accuracy", ours, "<= 30", ours <= 30))
        if f.get("pytorch", {}).get("seconds_to_goal"):
            r = ours / median(f["pytorch"]["seconds_to_goal"])
            out.append(("fast: time to 99 % / PyTorch's", r, "<= 1.0", r <= 1.0))
    c = results.get("cnn", {})
    if OURS in c and "pytorch" in c:
        r = median(c[OURS]["epoch_seconds"]) / median(c["pytorch"]["epoch_seconds"])
        out.append(("cnn epoch / PyTorch's", r, "<= 1.0 (aim 0.8)", r <= 1.0))
    c = results.get("classic", {})
    if OURS in c and "tutorial float64" in c:
        r = median(c[OURS]["train_seconds"]) / median(c["tutorial float64"]["train_seconds"])
        out.append(("classic training time / tutorial float64", r, "<= 0.5", r <= 0.5))
        diff = c[OURS]["dev_accuracy"] - c["tutorial float64"]["dev_accuracy"]
        out.append(("classic dev accuracy - tutorial's", diff, ">= 0", diff >= 0))
    i = results.get("inference", {})
    if OURS in i and "pytorch" in i:
        r = median(i[OURS]["latency_seconds"]) / median(i["pytorch"]["latency_seconds"])
        out.append(("single-image latency / PyTorch's", r, "<= 1.0", r <= 1.0))
        r = i[OURS]["images_per_second"] / i["pytorch"]["images_per_second"]
        out.append(("batch throughput / PyTorch's", r, ">= 1.0", r >= 1.0))
    if OURS in i and FLOOR in i:
        r = median(i[OURS]["latency_seconds"]) / median(i[FLOOR]["latency_seconds"])
        out.append(("single-image latency / floor", r, "<= 1.15", r <= 1.15))
    scaling = results.get("scaling", {})
    # Beyond one chunk, the working memory of a full-batch iteration should not grow.
    chunked = [
        (point["size"], (point.get("working_memory") or {}).get(OURS))
        for point in scaling.get("classic", [])
        if point["size"] > scaling.get("chunk", 0)
    ]
    if len(chunked) > 1 and all(memory for _, memory in chunked):
        (small, first), (large, last) = chunked[0], chunked[-1]
        growth = last / first
        out.append(
            (
                f"classic working memory, {large:,} / {small:,} images",
                growth,
                "<= 1.2 (flat)",
                growth <= 1.2,
            )
        )
    for workers, runs in _server_runs(results):
        busy = runs.get("16 clients")
        if busy:
            rate, p99 = busy["answers_per_second"], busy["p99_seconds"] * 1e3
            out.append(
                (f"server answers per second, 16 clients, {workers}", rate, ">= 300", rate >= 300)
            )
            out.append((f"server p99 latency (ms), 16 clients, {workers}", p99, "< 50", p99 < 50))
    p = results.get("process", {})
    if "help_seconds" in p:
        s = median(p["help_seconds"])
        out.append(("`nnscratch --help` seconds", s, "< 0.5", s < 0.5))
    if "train_peak" in p:
        mb = p["train_peak"]["peak_rss_bytes"] / 1e6
        out.append(("`nnscratch train` peak memory (MB)", mb, "< 600", mb < 600))
    return out


def markdown(results: dict) -> str:
    lines = [
        "| measure | contender | median | min-max | nnscratch / this |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in rows(results)]
    lines += ["", "| target | measured | limit | met |", "|---|---|---|---|"]
    lines += [
        f"| {name} | {value:.3g} | {limit} | {'yes' if met else 'no'} |"
        for name, value, limit, met in targets(results)
    ]
    return "\n".join(lines)


def _server_runs(results: dict) -> list[tuple[str, dict]]:
    """(workers, {clients: run}) of the server workload, in the order run."""
    ours = results.get("server", {}).get(OURS, {})
    return [(key, value) for key, value in ours.items() if key.endswith(("worker", "workers"))]


def _per_second(v: dict) -> dict:
    """Images per second: the median as measured, the range from the slowest/fastest pass."""
    images = v["images_per_second"] * v["batch_seconds"]["median"]
    return {
        "median": v["images_per_second"],
        "min": images / v["batch_seconds"]["max"],
        "max": images / v["batch_seconds"]["min"],
    }


def _first(d: dict) -> dict:
    return next(iter(d.values()))


def _seconds(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}"


def _accuracy(x: float) -> str:
    return f"{x:.4f}"
