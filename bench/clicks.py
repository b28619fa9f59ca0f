"""Benchmark: each click of the app, settled in Chromium, against the same kind of click on a minimal
Streamlit page (``bench/floor_page.py``, the framework's floor) served in the same run; and the app
server's memory with 20 browser sessions.

Run from the project root:

    .venv/bin/python bench/clicks.py [--initiatives 2000] [--db sqlite|postgresql|both] [--rounds 5]

Loads ``portfolio demo`` data into a fresh database (its demo users read English), serves the app as
``make run`` does (``portfolio/ui/server.py``) and the floor page with Streamlit on 127.0.0.1, and drives
Debian's headless Chromium (``/usr/bin/chromium``) with Playwright. A click is timed from the press until
the script run it caused has ended (``data-test-script-state="notRunning"``) and the text it should show is
visible; each figure is the median of ``--rounds`` rounds, after one warm-up round.

Prints every click's time, the floor of its kind (button press or page switch), their ratio and whether it
is within the target 2.5 × the floor, with where the time went: the server's script runs the click caused
(from each run's first message to its last) and the kilobytes the server sent; the rest is the browser
drawing. Then the app server's resident memory before and with 20 signed-in
sessions spread over the overview, My decisions and an initiative (target: under 400 MB). A missed target
is printed, not an error: the exit code is 1 only when the app or the browser did not work.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Locator, Page, sync_playwright  # noqa: E402
from sqlalchemy import update  # noqa: E402

from bench._setup import databases  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from db.engine import get_engine, write_session  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import User  # noqa: E402
from portfolio.demo import load_demo  # noqa: E402

# The app as ``make run`` serves it: Streamlit with the session-cookie routes.
APP = "portfolio/ui/server.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TARGET_RATIO = 2.5
MEMORY_TARGET_MB = 400
SESSIONS = 20
OWNER_BUTTON = "owner – Portfolio owner and decision owner"
TIMEOUT_MS = 60_000

# The DOM may never show a fast run's "running" state (React renders both changes at once), so a click waits
# for the server's message that the run it caused has finished: runs finished so far, per page.
FINISHED: dict[int, int] = {}
# Every message the server sent, per page: (when it arrived, "start", "end" or "", its size in bytes).
FRAMES: dict[int, list[tuple[float, str, int]]] = {}
IDLE = ("() => document.querySelector('[data-testid=\"stApp\"]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'")


@dataclass(frozen=True)
class Click:
    """One click: milliseconds from the press until settled; how many of them the server spent in the script
    runs the click caused (from each run's first message to its end); and the kilobytes the server sent."""

    ms: float
    server_ms: float
    kb: float


def _count_finished_runs(page: Page) -> None:
    FINISHED[id(page)] = 0
    FRAMES[id(page)] = []

    def frame(event: dict) -> None:
        # Through the DevTools protocol, each message carries the time it arrived, not the time the benchmark
        # got round to reading it.
        if event["response"]["opcode"] != 2:
            return
        payload = base64.b64decode(event["response"]["payloadData"])
        message = ForwardMsg.FromString(payload)
        kind = message.WhichOneof("type")
        if kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            FINISHED[id(page)] += 1
        # Every script run starts with a new_session message and ends with a script_finished one.
        mark = {"new_session": "start", "script_finished": "end"}.get(kind, "")
        FRAMES[id(page)].append((event["timestamp"], mark, len(payload)))

    devtools = page.context.new_cdp_session(page)
    devtools.on("Network.webSocketFrameReceived", frame)
    devtools.send("Network.enable")


def _server_share(frames: list[tuple[float, str, int]]) -> tuple[float, float]:
    """(milliseconds in script runs, kilobytes sent) of the messages a click caused."""
    running, started = 0.0, None
    for arrived, mark, _size in frames:
        if mark == "start":
            started = arrived
        elif mark == "end" and started is not None:
            running += arrived - started
            started = None
    return running * 1000, sum(size for *_, size in frames) / 1024


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(script: str, database_url: str | None = None) -> Iterator[tuple[str, int]]:
    """Streamlit serving ``script`` (on ``database_url``, if given) on a free port; yields the base URL and
    the server's process id."""
    port = _free_port()
    log = tempfile.TemporaryFile()
    env = {k: v for k, v in os.environ.items() if k != "PORTFOLIO_DEMO"}
    env["PORTFOLIO_LANGUAGE"] = "en"
    if database_url:
        env["DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            log.seek(0)
            output = log.read().decode(errors="replace")
            raise RuntimeError(f"Streamlit did not start {script}:\n{output}")
        time.sleep(0.2)
    try:
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) memory in MB of process ``pid`` and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in (task / "children").read_text().split())
    rss = peak = 0
    for current in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    peak += int(line.split()[1])
    return rss / 1024, peak / 1024


def settle(page: Page, ends_before: int | None, expected: Locator | None) -> None:
    """Wait until the run a click caused has ended (any run when ``ends_before`` is None, for a click that
    may not need one) and ``expected`` is visible."""
    if ends_before is not None:
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while FINISHED[id(page)] <= ends_before:
            if time.monotonic() > deadline:
                raise TimeoutError("no script run finished")
            page.wait_for_timeout(5)
    if expected is not None:
        expected.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.wait_for_function(IDLE, polling=10, timeout=TIMEOUT_MS)


def timed(page: Page, press: Callable[[], None], expected: Locator | None, *, reruns: bool = True) -> Click:
    """``press``, timed until the page has settled on ``expected``."""
    ends = FINISHED[id(page)] if reruns else None
    seen = len(FRAMES[id(page)])
    start = time.perf_counter()
    press()
    try:
        settle(page, ends, expected)
    except Exception as error:
        state = [FINISHED[id(page)], page.evaluate(IDLE)]
        headings = page.get_by_role("heading").all_inner_texts()
        raise RuntimeError(f"the page did not settle on {expected}: at {page.url}, runs ended {ends} → "
                           f"{state[0]}, script idle: {state[1]}, headings {headings[:8]}") from error
    ms = (time.perf_counter() - start) * 1000
    return Click(ms, *_server_share(FRAMES[id(page)][seen:]))


def new_page(browser: Browser, url: str, expected: Callable[[Page], Locator]) -> Page:
    """A page in a new browser context (a new Streamlit session), loaded until ``expected`` shows."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _count_finished_runs(page)
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    settle(page, None, expected(page))
    return page


def heading(page: Page, name: str) -> Locator:
    return page.get_by_role("heading", name=name, exact=True)


def sign_in(browser: Browser, base: str) -> tuple[Page, Click]:
    """A new session signed in as the demo owner, on their landing page (My decisions); and how long the sign-in
    click took (it fetches the session cookie, so the page loads a second time)."""
    page = new_page(browser, base, lambda p: p.get_by_role("button", name=OWNER_BUTTON))
    took = timed(page, page.get_by_role("button", name=OWNER_BUTTON).click, heading(page, "My decisions"))
    return page, took


def app_round(browser: Browser, base: str) -> dict[str, Click]:
    """One round of the app's clicks, each timed until settled."""
    page, took = sign_in(browser, base)
    times = {"sign in → My decisions": took}
    # A small demo database may have one page of decisions only.
    if page.get_by_role("button", name="Next page").count():
        times["My decisions: next page"] = timed(page, page.get_by_role("button", name="Next page").click,
                                                 page.get_by_text("Page 2 of", exact=False))
    # "Open initiative" is a link: the click switches page without a run of My decisions first.
    times["open an initiative from My decisions"] = timed(
        page, page.get_by_role("link", name="Open initiative").first.click,
        page.get_by_role("tab", name="Benefits"))
    # Only the open tab runs: a switch reruns the page, and counts as settled when that run has ended.
    times["switch to the Benefits tab"] = timed(page, page.get_by_role("tab", name="Benefits").click,
                                                heading(page, "Benefit calculation"))
    # An indicator's chart, breakdown and forms are drawn once the reader opens it (the first expander).
    times["Benefits: open an indicator"] = timed(
        page, page.get_by_test_id("stExpander").first.locator("summary").click, page.get_by_role("tab", name="Chart"))
    times["open the overview"] = timed(page, page.get_by_role("link", name="Portfolio overview").click,
                                       heading(page, "Portfolio overview"))
    # The run the choice causes ends with the filtered table's caption on the page.
    page.get_by_role("combobox", name="Stage").click()
    times["overview: change the stage filter"] = timed(
        page, page.get_by_role("option", name="Concept", exact=True).click,
        page.get_by_text("initiatives. Choose a row", exact=False))
    times["back to My decisions"] = timed(page, page.get_by_role("link", name="My decisions").click,
                                          heading(page, "My decisions"))
    page.context.close()
    return times


def floor_round(browser: Browser, base: str) -> dict[str, list[Click]]:
    """One round on the floor page: two button presses and two page switches."""
    page = new_page(browser, base, lambda p: heading(p, "Floor one"))
    presses, switches = [], []
    presses.append(timed(page, page.get_by_role("button", name="Press").click, heading(page, "Floor one")))
    switches.append(timed(page, page.get_by_role("link", name="Floor two").click, heading(page, "Floor two")))
    presses.append(timed(page, page.get_by_role("button", name="Press").click, heading(page, "Floor two")))
    switches.append(timed(page, page.get_by_role("link", name="Floor one").click, heading(page, "Floor one")))
    page.context.close()
    return {"button press": presses, "page switch": switches}


# Which floor each click is set against.
KIND = {
    "sign in → My decisions": "button press",
    "My decisions: next page": "button press",
    "open an initiative from My decisions": "page switch",
    "switch to the Benefits tab": "button press",
    "Benefits: open an indicator": "button press",
    "open the overview": "page switch",
    "overview: change the stage filter": "button press",
    "back to My decisions": "page switch",
}


def memory(browser: Browser, base: str, pid: int) -> None:
    """The server's memory before and with ``SESSIONS`` signed-in sessions spread over three pages."""
    before, _ = rss_mb(pid)
    pages = []
    spread = {"overview": 0, "my decisions": 0, "initiative": 0}
    for n in range(SESSIONS):
        page, _ = sign_in(browser, base)
        where = ("overview", "my decisions", "initiative")[n % 3]
        if where == "overview":
            timed(page, page.get_by_role("link", name="Portfolio overview").click, heading(page, "Portfolio overview"))
        if where == "initiative":
            timed(page, page.get_by_role("link", name="Open initiative").nth(n % 50).click,
                  page.get_by_role("tab", name="Benefits"))
        spread[where] += 1
        pages.append(page)
    time.sleep(2)
    after, peak = rss_mb(pid)
    verdict = "yes" if after < MEMORY_TARGET_MB else "NO"
    places = ", ".join(f"{count} on {where}" for where, count in spread.items())
    print(f"  memory: server RSS {before:,.0f} MB before; {after:,.0f} MB with {SESSIONS} sessions ({places}); "
          f"peak {peak:,.0f} MB; under {MEMORY_TARGET_MB} MB: {verdict}")
    for page in pages:
        page.context.close()


def load(url: str, initiatives: int) -> float:
    """Migrate ``url`` and load the demo data into it; returns the seconds it took."""
    start = time.perf_counter()
    upgrade(url)
    with write_session(get_engine(url)) as session:
        load_demo(session=session, initiatives=initiatives, seed=7)
        # The clicks find buttons and headings by their English labels; demo users read Swedish or Norwegian.
        session.exec(update(User).values(language="en"))
    get_engine(url).dispose()
    return time.perf_counter() - start


def bench(browser: Browser, floor_base: str, label: str, url: str, initiatives: int, rounds: int) -> None:
    seconds = load(url, initiatives)
    print(f"\n{label}, {initiatives:,} demo initiatives (loaded in {seconds:.1f} s), median of {rounds} rounds")
    with serve(APP, url) as (base, pid):
        app_round(browser, base)
        floor_round(browser, floor_base)
        app_clicks: dict[str, list[Click]] = {}
        floor_clicks: dict[str, list[Click]] = {"button press": [], "page switch": []}
        # App and floor rounds alternate, so both see the same load on the machine.
        for _ in range(rounds):
            for name, click in app_round(browser, base).items():
                app_clicks.setdefault(name, []).append(click)
            for kind, clicks in floor_round(browser, floor_base).items():
                floor_clicks[kind].extend(clicks)
        floor = {kind: statistics.median(c.ms for c in clicks) for kind, clicks in floor_clicks.items()}
        print(f"  floor: button press {floor['button press']:,.0f} ms, page switch {floor['page switch']:,.0f} ms")
        # Where a click's time goes: the server's script runs, and the rest (the browser drawing what was sent).
        print(f"  {'click':<40}{'ms':>8}{'floor ms':>10}{'ratio':>7}  within {TARGET_RATIO} × floor"
              f"{'server ms':>11}{'kB sent':>9}")
        for name, clicks in app_clicks.items():
            ms, base_ms = statistics.median(c.ms for c in clicks), floor[KIND[name]]
            ratio = ms / base_ms
            verdict = "yes" if ratio <= TARGET_RATIO else "NO"
            server_ms, kb = statistics.median(c.server_ms for c in clicks), statistics.median(c.kb for c in clicks)
            print(f"  {name:<40}{ms:>8,.0f}{base_ms:>10,.0f}{ratio:>7.1f}  {verdict:<19}{server_ms:>11,.0f}{kb:>9,.0f}")
        memory(browser, base, pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--initiatives", type=int, default=2000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    try:
        with sync_playwright() as playwright, serve("bench/floor_page.py") as (floor_base, _):
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for label, url in databases(args.db):
                bench(browser, floor_base, label, url, args.initiatives, args.rounds)
            browser.close()
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
