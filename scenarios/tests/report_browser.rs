//! The HTML pages in a real browser: headless Chromium opens `report.html` and the plot files
//! of a short quickstart run, and the message-sequence diagram `distsim trace --html` draws
//! (its own test: it loads cleanly, draws every message and shows a clicked one's fields).
//!
//! Goal: the page a person opens shows everything: no console errors (which is how a browser
//! reports a resource it could not load, a malformed page or a policy violation), no missing
//! or broken image, every plot present and drawn at a usable size, no horizontal scrolling at
//! a laptop's 1280 px, and each standalone plot file (`*.svg`, `*.png`) opens on its own.
//!
//! Method: the test runs `scenarios/examples/quickstart.toml` shortened to 5 s, writes the
//! report into a fresh temporary directory with `reports::write_run`, and drives Chromium over
//! the Chrome DevTools protocol (CDP) with `--remote-debugging-pipe`: JSON messages, each ended
//! by a NUL byte, on the browser's file descriptors 3 (commands in) and 4 (replies and events
//! out). A `sh -c 'exec ... 3<&0 4>&1'` wrapper maps the child's piped stdin and stdout onto
//! those descriptors, so the test needs no WebSocket client, no driver binary and no unsafe
//! code: only `std` and `serde_json`. The test collects `Runtime.consoleAPICalled` (error and
//! assert), `Runtime.exceptionThrown` and `Log.entryAdded` (level error) from page load on, and
//! after the load event evaluates one DOM-inspection expression through `Runtime.evaluate`
//! (DevTools evaluation is not page script: the report itself has none).
//!
//! Requirements: a Chromium-family browser: wherever `DISTSIM_CHROMIUM` points, else the first
//! of `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on `PATH`
//! (Debian's `chromium` package puts one at `/usr/bin/chromium`; `.ci/run` installs it).
//! Without one, the test is skipped with a notice on standard error, so `cargo test
//! --workspace` passes on a machine with only the Rust toolchain — unless
//! `DISTSIM_REQUIRE_BROWSER=1` is set, as `.ci/run` sets it: then a missing browser FAILS the
//! test, so CI can never pass without having looked at the report. `DISTSIM_SKIP_BROWSER=1`
//! skips it even where a browser exists. `DISTSIM_REPORT_SCREENSHOT=shot.png` also saves a
//! full-page screenshot for a person to look at.
//!
//! The browser runs offline (file:// pages only, background networking, sync and component
//! updates off) with a fresh profile directory. Every wait has a wall-time limit (`DEADLINE`)
//! so a stuck browser fails the test instead of hanging it; the limit guards, it never decides
//! a result.

use std::io::{BufReader, Read, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Wall-time limit for the whole browser session: 120 s, ~50 times what it takes on an idle
/// two-core machine, so only a hung browser reaches it.
const DEADLINE: Duration = Duration::from_secs(120);

/// The browser's viewport: a common laptop width, tall enough for the header and two plots.
const WINDOW_SIZE: (u32, u32) = (1280, 2400);

/// Smallest acceptable rendered plot, in CSS pixels each way: a plot squeezed to a sliver is
/// as unreadable as a missing one.
const PLOT_SIZE_MIN_PX: f64 = 100.0;

/// The browser's names on `PATH`, in the order tried.
const CHROMIUM_NAMES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The browser to drive: `DISTSIM_CHROMIUM`, else the first of [`CHROMIUM_NAMES`] on `PATH`.
fn find_chromium() -> Option<PathBuf> {
    if let Some(given) = std::env::var_os("DISTSIM_CHROMIUM") {
        return Some(PathBuf::from(given));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| CHROMIUM_NAMES.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "distsim-report-browser-{}-{label}",
            std::process::id()
        ));
        if path.exists() {
            std::fs::remove_dir_all(&path).expect("remove a stale temporary directory");
        }
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A browser helper process can still be writing to its profile for a moment after
        // the browser exits; a few retries, 50 ms apart, let it finish.
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A headless Chromium under CDP control; killed on drop.
struct Browser {
    child: Child,
    commands: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    /// Events received so far, in arrival order.
    events: Vec<Value>,
    deadline: Instant,
    log: PathBuf,
}

impl Browser {
    fn launch(chromium: &Path, profile: &Path, log: PathBuf) -> Browser {
        let window = format!("--window-size={},{}", WINDOW_SIZE.0, WINDOW_SIZE.1);
        let user_data = format!("--user-data-dir={}", profile.display());
        let mut child = Command::new("sh")
            // fd 3 <- our stdin pipe (commands), fd 4 -> our stdout pipe (replies); the
            // browser's own stdin and stdout are closed off.
            .arg("-c")
            .arg(r#"exec "$@" 3<&0 4>&1 </dev/null >&2"#)
            .arg("sh")
            .arg(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-pipe",
                &window,
                &user_data,
                "about:blank",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("create the browser log"))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromium.display()));
        let commands = child.stdin.take().expect("stdin is piped");
        let replies = child.stdout.take().expect("stdout is piped");
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(replies);
            let mut buffer = Vec::new();
            let mut chunk = [0u8; 64 * 1024];
            loop {
                let n = match reader.read(&mut chunk) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                buffer.extend_from_slice(&chunk[..n]);
                while let Some(end) = buffer.iter().position(|b| *b == 0) {
                    let message: Vec<u8> = buffer.drain(..=end).collect();
                    let value = serde_json::from_slice(&message[..end])
                        .expect("the browser sends JSON messages");
                    if sender.send(value).is_err() {
                        return;
                    }
                }
            }
        });
        Browser {
            child,
            commands,
            messages,
            next_id: 0,
            events: Vec::new(),
            deadline: Instant::now() + DEADLINE,
            log,
        }
    }

    /// The next message from the browser, or a failure naming what we were waiting for.
    fn receive(&mut self, waiting_for: &str) -> Value {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.messages.recv_timeout(left) {
            Ok(message) => message,
            Err(RecvTimeoutError::Timeout) => {
                self.fail(&format!("no answer within {DEADLINE:?} ({waiting_for})"))
            }
            Err(RecvTimeoutError::Disconnected) => {
                self.fail(&format!("the browser closed the pipe ({waiting_for})"))
            }
        }
    }

    /// Sends a command (to a page session, or the browser itself) and returns its result;
    /// events that arrive meanwhile are kept.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            command["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&command).expect("a command serialises");
        bytes.push(0);
        if let Err(e) = self
            .commands
            .write_all(&bytes)
            .and_then(|()| self.commands.flush())
        {
            self.fail(&format!("cannot send {method}: {e}"));
        }
        loop {
            let message = self.receive(method);
            if message.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(error) = message.get("error") {
                    self.fail(&format!("{method} failed: {error}"));
                }
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    /// Waits for event `method` of `session` after event index `from`.
    fn wait_event(&mut self, session: &str, method: &str, from: usize) -> Value {
        let matches = |event: &Value| {
            event["method"] == method && event["sessionId"].as_str() == Some(session)
        };
        if let Some(event) = self.events[from..].iter().find(|e| matches(e)) {
            return event.clone();
        }
        loop {
            let message = self.receive(method);
            if message.get("method").is_some() {
                self.events.push(message.clone());
                if matches(&message) {
                    return message;
                }
            }
        }
    }

    /// Fails the test with `what` and the tail of the browser's own log.
    fn fail(&self, what: &str) -> ! {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "headless Chromium: {what}\nlast lines of its log ({}):\n{}",
            self.log.display(),
            tail.join("\n")
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask the browser to close (it then ends its helper processes too); kill it only if
        // it has not exited within 5 s.
        let _ = self
            .commands
            .write_all(b"{\"id\":0,\"method\":\"Browser.close\",\"params\":{}}\0")
            .and_then(|()| self.commands.flush());
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A page (tab) of the browser, with the domains the checks listen to enabled.
struct Page {
    session: String,
}

impl Page {
    fn open(browser: &mut Browser) -> Page {
        let target = browser.call(None, "Target.createTarget", json!({ "url": "about:blank" }));
        let target_id = target["targetId"]
            .as_str()
            .expect("a target id")
            .to_string();
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target_id, "flatten": true }),
        );
        let session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(Some(&session), domain, json!({}));
        }
        Page { session }
    }

    /// Loads `url` and returns the console errors, exceptions and error log entries since.
    fn load(&self, browser: &mut Browser, url: &str) -> Vec<String> {
        let from = browser.events.len();
        let navigated = browser.call(Some(&self.session), "Page.navigate", json!({ "url": url }));
        if let Some(error) = navigated.get("errorText") {
            browser.fail(&format!("cannot open {url}: {error}"));
        }
        browser.wait_event(&self.session, "Page.loadEventFired", from);
        // A round trip after the load event: the pipe is ordered, so every event the page
        // raised while loading has arrived once this answer has.
        self.evaluate(browser, "document.readyState");
        browser.events[from..]
            .iter()
            .filter(|e| e["sessionId"].as_str() == Some(self.session.as_str()))
            .filter_map(describe_error)
            .collect()
    }

    /// Evaluates a DevTools expression in the page and returns its value.
    fn evaluate(&self, browser: &mut Browser, expression: &str) -> Value {
        let result = browser.call(
            Some(&self.session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            browser.fail(&format!("the check expression threw: {exception}"));
        }
        result["result"]["value"].clone()
    }
}

/// The error an event reports, if it is one.
fn describe_error(event: &Value) -> Option<String> {
    let params = &event["params"];
    match event["method"].as_str()? {
        "Runtime.consoleAPICalled" => {
            let kind = params["type"].as_str()?;
            (kind == "error" || kind == "assert").then(|| format!("console.{kind}: {params}"))
        }
        "Runtime.exceptionThrown" => Some(format!("exception: {}", params["exceptionDetails"])),
        "Log.entryAdded" => {
            let entry = &params["entry"];
            (entry["level"] == "error").then(|| {
                format!(
                    "log error ({}): {} {}",
                    entry["source"].as_str().unwrap_or("?"),
                    entry["text"].as_str().unwrap_or("?"),
                    entry["url"].as_str().unwrap_or("")
                )
            })
        }
        _ => None,
    }
}

/// DevTools expression: a JSON summary of what a reader would see. Sizes are rendered CSS
/// pixels (`getBoundingClientRect`), so CSS that collapses a plot shows up as a zero.
const INSPECT_REPORT: &str = r#"(() => {
  const size = (element) => {
    const rect = element.getBoundingClientRect();
    return { width: rect.width, height: rect.height };
  };
  const images = [...document.images].map((image) => ({
    src: image.currentSrc || image.src,
    complete: image.complete,
    natural_width: image.naturalWidth,
    ...size(image),
  }));
  const svg_images = [...document.querySelectorAll("svg image")].map((image) => ({
    href: image.getAttribute("href") || image.getAttribute("xlink:href"),
    ...size(image),
  }));
  const figures = [...document.querySelectorAll("figure")].map((figure) => {
    const plot = figure.querySelector("svg, img");
    return {
      id: figure.id,
      kind: plot ? plot.tagName.toLowerCase() : null,
      shapes: plot ? plot.querySelectorAll("path, line, polyline, rect, circle, text").length : 0,
      ...(plot ? size(plot) : { width: 0, height: 0 }),
    };
  });
  return {
    title: document.title,
    images,
    svg_images,
    figures,
    parse_errors: document.querySelectorAll("parsererror").length,
    scroll_width: document.documentElement.scrollWidth,
    viewport_width: window.innerWidth,
    tables: document.querySelectorAll("table").length,
  };
})()"#;

/// DevTools expression for a standalone plot file: the browser shows a PNG as a lone image and
/// an SVG as an SVG document (with a `parsererror` element if the XML is malformed).
const INSPECT_PLOT_FILE: &str = r#"(() => {
  const root = document.documentElement;
  const image = document.images[0];
  const rect = (image || root).getBoundingClientRect();
  return {
    root: root.tagName.toLowerCase(),
    parse_errors: document.getElementsByTagName("parsererror").length,
    image_complete: image ? image.complete : null,
    natural_width: image ? image.naturalWidth : null,
    width: rect.width,
    height: rect.height,
  };
})()"#;

fn file_url(path: &Path) -> String {
    let absolute = path.canonicalize().expect("the file exists");
    format!("file://{}", absolute.display())
}

/// Decodes standard base64 (RFC 4648, section 4), as CDP sends screenshots.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let digits: Vec<u8> = text.bytes().filter(|c| *c != b'=').collect();
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    for group in digits.chunks(4) {
        let bits = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, c)| acc | value(*c) << (18 - 6 * i));
        let n_bytes = group.len() * 6 / 8;
        for i in 0..n_bytes {
            bytes.push((bits >> (16 - 8 * i)) as u8);
        }
    }
    bytes
}

/// Writes a short quickstart report into `dir`.
fn write_quickstart_report(dir: &Path) -> reports::WrittenFiles {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.toml");
    // 5 s with a 1 s warm-up: the same page (tables, three plots, ten timeline windows) at a
    // sixth of the run time.
    let overrides = [
        "simulation.duration=\"5s\"".to_string(),
        "simulation.warmup=\"1s\"".to_string(),
    ];
    let scenario = scenarios::load(&path, &overrides).expect("quickstart loads");
    let seed = scenario.seed.expect("quickstart names its seed");
    let outcome = scenarios::run::run(&scenario, seed, &mut |_| ControlFlow::Continue(()));
    assert_eq!(outcome.partial, None);
    reports::write_run(dir, &scenarios::run::run_data(&scenario, &outcome))
        .expect("the report is written")
}

/// Everything wrong with the report at `html` as the browser shows it; `plots` are the plot
/// names the report was written with (each must be a figure of the page).
fn report_problems(browser: &mut Browser, page: &Page, html: &Path, plots: &[&str]) -> Vec<String> {
    let mut problems = page.load(browser, &file_url(html));
    let report = page.evaluate(browser, INSPECT_REPORT);
    if !report["title"]
        .as_str()
        .is_some_and(|t| t.starts_with("distsim"))
    {
        problems.push(format!("unexpected title {}", report["title"]));
    }
    if report["parse_errors"] != 0 {
        problems.push(format!("{} parse errors", report["parse_errors"]));
    }
    if report["tables"].as_u64() < Some(3) {
        problems.push(format!(
            "{} tables, expected metrics, counters and load",
            report["tables"]
        ));
    }
    for image in report["images"].as_array().expect("images") {
        if !(image["complete"] == true && image["natural_width"].as_f64() > Some(0.0)) {
            problems.push(format!("broken image: {image}"));
        } else if !(image["width"].as_f64() > Some(0.0) && image["height"].as_f64() > Some(0.0)) {
            problems.push(format!("image rendered with no size: {image}"));
        }
    }
    for image in report["svg_images"].as_array().expect("svg images") {
        if !(image["width"].as_f64() > Some(0.0) && image["height"].as_f64() > Some(0.0)) {
            problems.push(format!("SVG image rendered with no size: {image}"));
        }
    }
    let figures = report["figures"].as_array().expect("figures");
    if figures.len() != plots.len() {
        problems.push(format!(
            "{} figures for {} plots written",
            figures.len(),
            plots.len()
        ));
    }
    for name in plots {
        let Some(figure) = figures.iter().find(|f| f["id"] == *name) else {
            problems.push(format!("plot {name} is not in the page"));
            continue;
        };
        if !figure["kind"].is_string() {
            problems.push(format!("figure {name} holds no plot"));
            continue;
        }
        if !(figure["width"].as_f64() >= Some(PLOT_SIZE_MIN_PX)
            && figure["height"].as_f64() >= Some(PLOT_SIZE_MIN_PX))
        {
            problems.push(format!(
                "plot {name} rendered at {} x {} px",
                figure["width"], figure["height"]
            ));
        }
        if figure["shapes"].as_u64() <= Some(10) {
            problems.push(format!("plot {name} draws almost nothing: {figure}"));
        }
    }
    if report["scroll_width"].as_f64() > report["viewport_width"].as_f64() {
        problems.push(format!(
            "the page scrolls sideways: {} px wide in a {} px window",
            report["scroll_width"], report["viewport_width"]
        ));
    }
    problems
}

/// Everything wrong with a standalone plot file (`root` is the document the browser makes of
/// it: `svg` for an SVG file, `html` around a PNG).
fn plot_file_problems(browser: &mut Browser, page: &Page, file: &Path, root: &str) -> Vec<String> {
    let mut problems = page.load(browser, &file_url(file));
    let shown = page.evaluate(browser, INSPECT_PLOT_FILE);
    if shown["root"] != root || shown["parse_errors"] != 0 {
        problems.push(format!("does not parse as {root}: {shown}"));
    }
    if root == "html"
        && !(shown["image_complete"] == true && shown["natural_width"].as_f64() > Some(0.0))
    {
        problems.push(format!("does not decode: {shown}"));
    }
    if !(shown["width"].as_f64() > Some(0.0) && shown["height"].as_f64() > Some(0.0)) {
        problems.push(format!("renders with no size: {shown}"));
    }
    problems
        .into_iter()
        .map(|p| format!("{}: {p}", file.display()))
        .collect()
}

/// A copy of the report with four faults a reader would notice: a missing stylesheet, a broken
/// image, the timeline collapsed to nothing and an element wider than the window.
fn sabotage(html: &Path, copy: &Path) {
    let text = std::fs::read_to_string(html).expect("read the report");
    let broken = text
        .replacen(
            "</head>",
            "<link rel=\"stylesheet\" href=\"no-such-style.css\">\n\
             <style>#timeline svg { display: none; }</style>\n</head>",
            1,
        )
        .replacen(
            "</main>",
            "<img src=\"no-such-plot.png\" alt=\"missing\">\
             <div style=\"width: 4000px\">wide</div>\n</main>",
            1,
        );
    assert_ne!(broken, text, "the report has a head and a main element");
    std::fs::write(copy, broken).expect("write the sabotaged copy");
}

/// The browser to drive, or `None` (after a loud notice) when there is none and
/// `DISTSIM_REQUIRE_BROWSER=1` does not require one; `test` names the skipped test.
fn browser_or_skip(test: &str) -> Option<PathBuf> {
    if std::env::var_os("DISTSIM_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("DISTSIM_SKIP_BROWSER=1: {test} did not check the page in a browser");
        return None;
    }
    let required = std::env::var_os("DISTSIM_REQUIRE_BROWSER").is_some_and(|v| v == "1");
    match find_chromium() {
        Some(chromium) if chromium.is_file() => Some(chromium),
        found => {
            let problem = match found {
                Some(given) => format!("DISTSIM_CHROMIUM={} is not a file", given.display()),
                None => format!("no browser on PATH (tried {})", CHROMIUM_NAMES.join(", ")),
            };
            assert!(
                !required,
                "{problem}, and DISTSIM_REQUIRE_BROWSER=1 requires one: install Debian's \
                 `chromium` package (`.ci/run` does) or point DISTSIM_CHROMIUM at a browser"
            );
            eprintln!(
                "\n*** SKIPPED {test}: {problem}. The page was NOT checked in a browser. \
                 Install Chromium (Debian: `apt-get install chromium`) or set \
                 DISTSIM_CHROMIUM; CI (`.ci/run`) requires it. ***\n"
            );
            None
        }
    }
}

// Goal: `distsim trace --html` gives a page a person can use: it loads without console
// errors, the diagram is drawn at a usable size with one element per message, and clicking a
// message shows its records' fields. Method: a traced 300 ms run of two clients and two
// servers with a server crash, drawn with `commands::trace::trace_html`, opened in headless
// Chromium; the click is a DOM click event on the first message.
#[test]
fn trace_diagram_renders_and_shows_a_clicked_message() {
    let Some(chromium) = browser_or_skip("trace_diagram_renders_and_shows_a_clicked_message")
    else {
        return;
    };
    let out = TempDir::new("trace-out");
    let profile = TempDir::new("trace-profile");
    let text = "[simulation]\nname = \"traced\"\nseed = 3\nduration = \"300ms\"\n\n\
        [[group]]\nname = \"clients\"\ncount = 2\nrole = \"client\"\ntarget = \"servers\"\n\
        timeout = \"20ms\"\nworkload = { rate = \"100/s\" }\n\n\
        [[group]]\nname = \"servers\"\ncount = 2\nrole = \"server\"\n\
        service = { workers = 1, time = { dist = \"exp\", mean = \"1ms\" } }\n\n\
        [[fault]]\nat = \"100ms\"\ncrash = \"servers[1]\"\nrestart_after = \"100ms\"\n";
    let scenario = scenarios::load_text("traced.toml", text, &[]).expect("the scenario loads");
    let trace_file = out.0.join("trace.jsonl");
    let file = std::io::BufWriter::new(std::fs::File::create(&trace_file).expect("a trace file"));
    let sink = sim_core::trace::JsonLinesTrace::with_names(file, scenario.directory.names());
    scenarios::run::run_traced(&scenario, 3, Some(Box::new(sink)), &mut |_| {
        ControlFlow::Continue(())
    });
    let html = out.0.join("trace.html");
    let filter = scenarios::commands::trace::TraceFilter::default();
    scenarios::commands::trace::trace_html(&trace_file, &filter, &html).expect("drawn");

    let mut browser = Browser::launch(&chromium, &profile.0, out.0.join("chromium.log"));
    let page = Page::open(&mut browser);
    let errors = page.load(&mut browser, &file_url(&html));
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let found = page.evaluate(
        &mut browser,
        "(() => { const svg = document.getElementById('diagram'); \
           const box = svg.getBoundingClientRect(); \
           const before = document.getElementById('details').textContent; \
           const g = document.querySelector('#diagram .msg'); \
           g.dispatchEvent(new MouseEvent('click', { bubbles: true })); \
           return { messages: document.querySelectorAll('#diagram .msg').length, \
                    width: box.width, height: box.height, before, \
                    after: document.getElementById('details').textContent, \
                    selected: g.classList.contains('selected') }; })()",
    );
    let messages = found["messages"].as_u64().unwrap_or(0);
    assert!(messages > 20, "{found}");
    assert!(found["width"].as_f64().unwrap_or(0.0) >= 300.0, "{found}");
    assert!(found["height"].as_f64().unwrap_or(0.0) >= 300.0, "{found}");
    assert_eq!(found["before"], "Click a message.", "{found}");
    let after = found["after"].as_str().unwrap_or("");
    assert!(after.contains("\"kind\": \"send\""), "{found}");
    assert!(after.contains("\"msg_id\""), "{found}");
    assert!(after.contains("\"type\": \"request\""), "{found}");
    assert_eq!(found["selected"], true, "{found}");
}

// Goal and method: see the file header. The test also feeds the same checks a deliberately
// broken copy of the report and requires each fault to be caught, so it cannot pass by
// checking nothing.
#[test]
fn report_renders_in_headless_chromium() {
    let Some(chromium) = browser_or_skip("report_renders_in_headless_chromium") else {
        return;
    };

    let out = TempDir::new("out");
    let profile = TempDir::new("profile");
    let written = write_quickstart_report(&out.0);
    let plots: Vec<&str> = written.plots.iter().map(|p| p.name.as_str()).collect();
    let mut browser = Browser::launch(&chromium, &profile.0, out.0.join("chromium.log"));
    let page = Page::open(&mut browser);

    let mut problems = report_problems(&mut browser, &page, &written.report_html, &plots);
    if let Some(shot) = std::env::var_os("DISTSIM_REPORT_SCREENSHOT") {
        let screenshot = browser.call(
            Some(&page.session),
            "Page.captureScreenshot",
            json!({ "format": "png", "captureBeyondViewport": true }),
        );
        let png = base64_decode(screenshot["data"].as_str().expect("screenshot data"));
        std::fs::write(&shot, png).expect("write the screenshot");
    }
    for plot in &written.plots {
        problems.extend(plot_file_problems(&mut browser, &page, &plot.svg, "svg"));
        problems.extend(plot_file_problems(&mut browser, &page, &plot.png, "html"));
    }
    assert!(
        problems.is_empty(),
        "the report as a browser shows it: {problems:#?}"
    );

    let broken = out.0.join("sabotaged.html");
    sabotage(&written.report_html, &broken);
    let caught = report_problems(&mut browser, &page, &broken, &plots);
    for expected in [
        "no-such-style.css",
        "broken image",
        "plot timeline rendered at 0 x 0 px",
        "scrolls sideways",
    ] {
        assert!(
            caught.iter().any(|p| p.contains(expected)),
            "the checks missed a fault ({expected}); they caught: {caught:#?}"
        );
    }
}

// Goal: the screenshot decoder is right. Method: RFC 4648 section 10 test vectors.
#[test]
fn base64_decodes_rfc_4648_vectors() {
    for (encoded, decoded) in [
        ("", ""),
        ("Zg==", "f"),
        ("Zm8=", "fo"),
        ("Zm9v", "foo"),
        ("Zm9vYg==", "foob"),
        ("Zm9vYmE=", "fooba"),
        ("Zm9vYmFy", "foobar"),
    ] {
        assert_eq!(base64_decode(encoded), decoded.as_bytes(), "{encoded}");
    }
}
