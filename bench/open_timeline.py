"""Where an offline open of the field app spends its time, at 4× CPU, for the member with 40 cases
(issue 17's open that is still over budget): for each open, when the shell's answer ended, when
each file of the page was asked for and answered (through the service worker), when the document
was parsed, and when Today was drawn (`sotd:day`, the figure `bench.field_app` holds to 200 ms).
Any `performance.mark` the app's scripts set while experimenting is printed too.

With `--trace`, one more open is traced and the page's main thread is printed task by task
(what each task spent its time on): that is how the renderer's first task — committing the shell,
creating the JavaScript context and asking for each file of the page — was found to be the
largest share of the open.

    .venv/bin/python -m bench.open_timeline                 8 opens (the first is not counted)
    .venv/bin/python -m bench.open_timeline --opens 12 --trace
    .venv/bin/python -m bench.open_timeline --login cn1     the chair, 300 cases

Compare two versions of the app by running it in each checkout in turn, several times: one open
varies by ±50 ms on a quiet machine, so a single run tells nothing of a 20 ms change.
"""
import collections
import statistics
import sys
import tempfile
from pathlib import Path

from bench import field_app as fa
from bench.common import header
from bench.meter import MeteredServer

TIMELINE = """() => new Promise((resolve) => {
  const seen = () => performance.getEntriesByName('sotd:day')[0];
  const done = () => setTimeout(() => {
    const n = performance.getEntriesByType('navigation')[0];
    const files = performance.getEntriesByType('resource').map((r) => [r.name.split('/').pop(),
      r.startTime, r.responseEnd]);
    const marks = performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]);
    resolve({ shell: n.responseEnd, parsed: n.domInteractive, files, marks, day: seen().startTime });
  }, 0);
  if (seen()) return done();
  new PerformanceObserver(() => seen() && done()).observe({ type: 'mark', buffered: true });
})"""
TRACED = ("devtools.timeline,disabled-by-default-devtools.timeline,blink,loading,v8,toplevel,"
          "blink.user_timing")
TASKS = ("RunTask", "ThreadControllerImpl::RunTask")


def one_open(context, url, trace=False):
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    events, ended = [], []
    if trace:
        cdp.on("Tracing.dataCollected", lambda e: events.extend(e["value"]))
        cdp.on("Tracing.tracingComplete", lambda e: ended.append(True))
        cdp.send("Tracing.start", {"categories": TRACED, "transferMode": "ReportEvents"})
    page.goto(f"{url}/app/", wait_until="load")
    page.wait_for_timeout(1500)  # nothing of Playwright's in the page until Today is drawn
    timeline = page.evaluate(TIMELINE)
    if trace:
        cdp.send("Tracing.end")
        while not ended:
            page.wait_for_timeout(100)
    page.close()
    return timeline, events


def print_open(timeline):
    files = ", ".join(f"{name} {start:.0f}→{end:.0f}" for name, start, end in timeline["files"]
                      if start < timeline["day"])
    marks = ", ".join(f"{name} {at:.0f}" for name, at in timeline["marks"])
    print(f"  shell answered {timeline['shell']:.0f}, files {files}; parsed "
          f"{timeline['parsed']:.0f}; marks {marks}")


def print_tasks(events):
    """The page's main-thread tasks from its navigation to Today drawn: start, length, and the
    work inside each that took longest."""
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
             if e.get("ph") == "M" and e["name"] == "thread_name"}
    day = next((e for e in events if e["name"] == "sotd:day"), None)
    main = day and next((k for k, v in names.items()
                         if v == "CrRendererMain" and k[0] == day["pid"]), None)
    if main is None:  # the trace's buffer is sent in pieces: once in a while the mark's is lost
        print("  the trace holds no mark of Today drawn on the page's main thread: run it again")
        return
    spans = [e for e in events if (e["pid"], e["tid"]) == main and e.get("ph") == "X"]
    start = max(e["ts"] for e in events
                if e["name"] == "navigationStart" and (e["pid"], e["tid"]) == main)
    tasks = [e for e in spans if e["name"] == TASKS[0] and e.get("dur", 0) >= 2000
             and start <= e["ts"] <= day["ts"]]
    print("  the main thread, task by task (ms from the navigation; ms long; inside it):")
    for task in sorted(tasks, key=lambda e: e["ts"]):
        inside = collections.Counter()
        for e in spans:
            if (e["name"] not in TASKS and task["ts"] <= e["ts"]
                    and e["ts"] + e.get("dur", 0) <= task["ts"] + task["dur"]):
                inside[e["name"]] += e.get("dur", 0)
        top = ", ".join(f"{name} {d / 1000:.1f}" for name, d in inside.most_common(4))
        print(f"    {(task['ts'] - start) / 1000:6.1f} {task['dur'] / 1000:6.1f}  {top}")
    print(f"    Today drawn at {(day['ts'] - start) / 1000:.1f} (traced: slower than untraced)")


def main():
    from playwright.sync_api import sync_playwright

    header("Field app: where an offline open at 4x CPU spends its time")
    login = fa.option("--login", "tv1")
    opens = fa.option("--opens", 8)
    folder = Path(tempfile.mkdtemp(prefix="sotd-bench-open-"))
    app = fa.make_app(folder)
    fa.fill(app)
    server = MeteredServer(app).start()
    try:
        with sync_playwright() as p:
            context = fa.launch(p, folder / "phone")
            page = context.new_page()
            fa.log_in(page, server.url, login)
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.wait_for_function(fa.WORKING_SET_STORED)
            page.wait_for_load_state("networkidle")
            page.close()
            context.route("**/*", lambda route: route.abort("internetdisconnected"))
            context.set_offline(True)
            days = []
            for n in range(opens):
                timeline, _events = one_open(context, server.url)
                if n == 0:
                    continue  # the first open after the sync warms the worker's caches
                days.append(timeline["day"])
                print_open(timeline)
            print(f"  Today drawn, {login}: {', '.join(f'{d:.0f}' for d in days)} ms; "
                  f"median {statistics.median(days):.0f} ms")
            if "--trace" in sys.argv[1:]:
                timeline, events = one_open(context, server.url, trace=True)
                print_tasks(events)
            context.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
