//! The pages each role reaches, walked over plain HTTP as the crawl walks
//! them in Chromium: the same link rules, the same limit, breadth first
//! from the page a role lands on after signing in. Each page is asked for
//! as a browser asks (`Accept-Encoding` with gzip, the session cookie), and
//! its figures kept: the bytes that crossed the wire, the bytes of the
//! page once decompressed, the time to its first byte.
//!
//! The page-size test (`sizes.rs`) and the page-figures benchmark
//! (`tests/benches/pages.rs`, which includes this file) stand on it.

use std::collections::{HashSet, VecDeque};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use doorstep_tests::TestDb;

/// How many days before today the demo's calendars begin.
pub const CALENDAR_DAYS_BACK: i64 = 7;

/// At most this many pages per role: the calendar's weeks and days lead
/// on without end, so every kind of page is taken before a second page of
/// a kind ([`Frontier`]).
pub const MAX_PAGES: usize = 40;

/// Paths (without their query) never followed nor asked for: signing out
/// and in change the session.
pub const SESSION_PATHS: [&str; 2] = ["/dang-xuat", "/dang-nhap"];

/// Paths asked for (their links must answer) but not opened as pages: the
/// JSON API, the stylesheet, the health checks and the calendar feeds.
pub const NOT_PAGES: [&str; 5] = ["/api/", "/assets/", "/ics/", "/healthz", "/readyz"];

/// Downloads, asked for but not opened as pages.
pub const DOWNLOADS: [&str; 3] = [".ics", ".csv", ".xlsx"];

/// What Chromium says it accepts.
pub const ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// The demo accounts' password (README, "Demo accounts").
pub const PASSWORD: &str = "doorstep-demo";

/// How long a request may wait for its answer before the walk fails.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How many redirects a request follows.
const MAX_REDIRECTS: usize = 5;

/// A fresh database with the demo loaded and its calendars planned from
/// [`CALENDAR_DAYS_BACK`] days before today, so that the volunteer has
/// past visits to record whatever the day of the run; `serve --demo` then
/// finds them and plans nothing again.
pub async fn demo_database() -> TestDb {
    doorstep_tests::demo_with_past_calendars(CALENDAR_DAYS_BACK, 6_000).await
}

/// The path of a path and query.
pub fn bare(path: &str) -> &str {
    path.split_once('?').map_or(path, |(bare, _)| bare)
}

/// Whether a link is opened as a page.
pub fn is_page(link: &str) -> bool {
    let bare = bare(link);
    !SESSION_PATHS.contains(&bare)
        && !NOT_PAGES.iter().any(|p| bare.starts_with(p))
        && !DOWNLOADS.iter().any(|d| bare.ends_with(d))
}

/// One answer as it came over the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The head, lower case.
    pub head: String,
    /// Every byte read: the head, the body as sent (compressed, chunked).
    pub transferred: usize,
    /// The body once dechunked and decompressed.
    pub body: Vec<u8>,
    /// From the request's first byte sent to the answer's first byte read.
    pub first_byte: Duration,
}

impl Answer {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == name).then(|| value.trim())
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// `GET path` on a connection of its own, with the session `cookie` (if
/// any), asking for gzip as Chromium does.
pub fn get(address: &str, path: &str, cookie: Option<&str>) -> Answer {
    let mut head = format!(
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n\
         Accept-Encoding: {ACCEPT_ENCODING}\r\nAccept-Language: vi-VN,vi;q=0.9\r\n"
    );
    if let Some(cookie) = cookie {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    head.push_str("\r\n");
    exchange(address, head.as_bytes())
}

/// Sends a request and reads its whole answer.
fn exchange(address: &str, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(address).unwrap_or_else(|e| panic!("{address}: {e}"));
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("a read timeout");
    stream.set_nodelay(true).ok();
    let sent = Instant::now();
    stream.write_all(request).expect("the request is sent");
    let mut raw = Vec::new();
    let mut buffer = [0; 16 * 1024];
    let mut first_byte = None;
    loop {
        let read = stream.read(&mut buffer).expect("the answer reads");
        if read == 0 {
            break;
        }
        first_byte.get_or_insert_with(|| sent.elapsed());
        raw.extend_from_slice(&buffer[..read]);
    }
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let mut answer = Answer {
        status,
        head,
        transferred: raw.len(),
        body: Vec::new(),
        first_byte: first_byte.unwrap_or_default(),
    };
    let body = &raw[split + 4..];
    let body = if answer.header("transfer-encoding") == Some("chunked") {
        dechunk(body)
    } else {
        body.to_vec()
    };
    answer.body = match answer.header("content-encoding") {
        Some("gzip") => {
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(body.as_slice())
                .read_to_end(&mut plain)
                .expect("the gzip body decodes");
            plain
        }
        None | Some("identity") => body,
        Some(other) => panic!("an encoding this walk cannot read: {other}"),
    };
    answer
}

/// A chunked body, its chunks joined.
fn dechunk(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(line) = rest.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&rest[..line])
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok());
        let after = &rest[line + 2..];
        let Some(size) = size.filter(|&n| n > 0 && after.len() >= n) else {
            break;
        };
        out.extend_from_slice(&after[..size]);
        rest = after[size..]
            .strip_prefix(b"\r\n")
            .unwrap_or(&after[size..]);
    }
    out
}

/// Signs in with the JSON API and answers the session cookie
/// (`doorstep_session=…`), which the pages take as the sign-in form's.
pub fn sign_in(address: &str, username: &str) -> String {
    let body = serde_json::json!({"username": username, "password": PASSWORD}).to_string();
    let request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let answer = exchange(address, request.as_bytes());
    assert_eq!(answer.status, 200, "{username} signs in: {}", answer.text());
    let token = serde_json::from_slice::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["token"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("a token for {username}: {}", answer.text()));
    format!("doorstep_session={token}")
}

/// A page reached, with its answer.
#[derive(Debug)]
pub struct Page {
    /// Its path and query, as linked.
    pub path: String,
    pub answer: Answer,
}

/// Every page reachable by links from the page a signed-in user lands on
/// (`/` and its redirects), breadth first, up to [`MAX_PAGES`], each
/// asked for once; a link that redirects leads to its target.
pub fn walk(address: &str, cookie: &str) -> Vec<Page> {
    let mut frontier = Frontier::new(landing(address, cookie));
    let mut pages = Vec::new();
    while pages.len() < MAX_PAGES {
        let Some(path) = frontier.next() else {
            break;
        };
        let answer = get(address, &path, Some(cookie));
        if (300..400).contains(&answer.status) {
            // Followed as a browser follows it; the redirect is no page.
            if let Some(to) = answer.header("location").map(str::to_owned) {
                frontier.add(to);
            }
            continue;
        }
        for link in links(&answer.text()) {
            frontier.add(link);
        }
        pages.push(Page { path, answer });
    }
    pages
}

/// The pages still to open, breadth first, but a page of a kind not
/// opened yet before any other: a kind is the path with its numbers as
/// `{id}` and the names of its query (`/teams/{id}/lich?ngay&tu`). So the
/// page cap takes one page of every kind the links reach before the
/// calendar's endless weeks and days.
pub struct Frontier {
    queue: VecDeque<String>,
    queued: HashSet<String>,
    kinds: HashSet<String>,
}

impl Frontier {
    /// A frontier holding the first page.
    pub fn new(first: String) -> Frontier {
        let mut frontier = Frontier {
            queue: VecDeque::new(),
            queued: HashSet::new(),
            kinds: HashSet::new(),
        };
        frontier.add(first);
        frontier
    }

    /// Queues a link, if it is a page and was never queued.
    pub fn add(&mut self, link: String) {
        if is_page(&link) && self.queued.insert(link.clone()) {
            self.queue.push_back(link);
        }
    }

    /// The first queued page of a new kind, or else the first queued.
    pub fn next(&mut self) -> Option<String> {
        let at = self
            .queue
            .iter()
            .position(|path| !self.kinds.contains(&kind(path)))
            .unwrap_or(0);
        let path = self.queue.remove(at)?;
        self.kinds.insert(kind(&path));
        Some(path)
    }
}

/// A page's kind: its path with every number as `{id}` and every date as
/// `{date}`, and its query's names, sorted.
pub fn kind(path: &str) -> String {
    let (bare, query) = path.split_once('?').unwrap_or((path, ""));
    let segments: Vec<&str> = bare
        .split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect();
    let mut names: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
        .collect();
    names.sort_unstable();
    names.dedup();
    format!("{}?{}", segments.join("/"), names.join("&"))
}

/// Where `/` leads a signed-in user.
fn landing(address: &str, cookie: &str) -> String {
    let mut path = "/".to_owned();
    for _ in 0..MAX_REDIRECTS {
        let answer = get(address, &path, Some(cookie));
        if !(300..400).contains(&answer.status) {
            return path;
        }
        let location = answer.header("location").expect("a redirect's Location");
        path = location.to_owned();
    }
    panic!("/ redirects more than {MAX_REDIRECTS} times");
}

/// The `href` of every `<a>` of a page that stays on its origin (a path
/// from `/`), as a path and query without its fragment, in the page's
/// order, each once.
pub fn links(html: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<a ") {
        rest = &rest[start + 3..];
        let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
        let Some(at) = tag.find("href=\"") else {
            continue;
        };
        let value = &tag[at + 6..];
        let value = &value[..value.find('"').unwrap_or(value.len())];
        let href = unescape(value);
        let href = href.split_once('#').map_or(href.as_str(), |(h, _)| h);
        // A path of the origin: not `//host/…`, not another scheme.
        if href.starts_with('/') && !href.starts_with("//") && seen.insert(href.to_owned()) {
            found.push(href.to_owned());
        }
    }
    found
}

/// An attribute's value as the templates escape it, read back.
fn unescape(value: &str) -> String {
    value
        .replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
}

/// The value at `quantile` (0..=1) of durations, nearest rank.
pub fn quantile(sorted: &[Duration], quantile: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // A rank of a few hundred at most: the casts are exact.
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
