//! What every browser test stands on: the real `doorstep serve --demo` on a
//! fresh SQLite file, chromedriver on a free port, and Chromium sessions
//! laid out as a 412-px phone, signed in through the sign-in form.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use doorstep_tests::{Server, TestDb};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The variable that turns the browser tests on (`.ci/run` sets it).
pub const ENABLED_VAR: &str = "DOORSTEP_BROWSER_TESTS";

/// The phone every session emulates: CSS pixels, one device pixel each.
pub const PHONE_WIDTH: u32 = 412;
pub const PHONE_HEIGHT: u32 = 915;

/// The demo accounts' password (README, "Demo accounts").
const PASSWORD: &str = "doorstep-demo";

/// How often a process is asked whether it answers before the test gives
/// up, and how long between two asks: 20 s at most.
const READY_ATTEMPTS: u32 = 400;
const READY_INTERVAL: Duration = Duration::from_millis(50);

pub use crate::walk::CALENDAR_DAYS_BACK;

/// The tallest full-page picture taken: a page of fifty households is
/// about 29,000 px tall at 412 px wide; a longer one is shot down to this
/// height, and the test says so.
const MAX_SHOT_HEIGHT: u32 = 32_000;

/// Whether the browser tests run; says how to run them when not.
pub fn enabled() -> bool {
    if std::env::var(ENABLED_VAR).as_deref() == Ok("1") {
        return true;
    }
    eprintln!(
        "browser tests skipped: set {ENABLED_VAR}=1 to run them (docs/testing.md, \"Browser tests\")"
    );
    false
}

/// A demo account of each role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Volunteer,
    Official,
}

impl Role {
    pub fn username(self) -> &'static str {
        match self {
            Role::Leader => "totruong.haithanh",
            Role::Volunteer => "tinhnguyen.haithanh",
            Role::Official => "canbo.thanhhoa",
        }
    }

    /// The role's name in screenshot files.
    pub fn name(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Volunteer => "volunteer",
            Role::Official => "official",
        }
    }
}

/// The real server on the demo data and a chromedriver, both stopped when
/// dropped. Its sessions borrow it: they end, and quit their Chromium,
/// before the driver stops.
///
/// The demo's calendars begin a week before today ([`CALENDAR_DAYS_BACK`]),
/// so that the volunteer has past visits to record whatever the day of the
/// run; `serve --demo` then finds them and plans nothing again.
pub struct Harness {
    driver: Driver,
    server: Server,
    db: TestDb,
}

/// What a session differs in from the default one.
#[derive(Debug, Default)]
pub struct BrowserOptions {
    /// The origin the session opens pages at (`http://127.0.0.1:PORT`):
    /// a proxy in front of the server; the server itself when `None`.
    pub origin: Option<String>,
    /// Where Chromium saves downloads, without asking.
    pub downloads: Option<PathBuf>,
}

impl Harness {
    /// Starts both and waits until both answer.
    pub async fn start() -> Harness {
        let db = crate::walk::demo_database().await;
        let driver = Driver::start();
        let server = Server::start(&db, &["--demo"]);
        let ready = (0..READY_ATTEMPTS).any(|attempt| {
            if attempt > 0 {
                std::thread::sleep(READY_INTERVAL);
            }
            matches!(http(&server.address, "GET", "/readyz"), Some((200, _)))
        });
        assert!(ready, "doorstep serve answers /readyz");
        Harness { driver, server, db }
    }

    /// The server's database, to read what a page wrote.
    pub fn db(&self) -> &TestDb {
        &self.db
    }

    /// The first row of what the server's database answers `sql`, or
    /// `None` when it answers no row.
    pub async fn row(&self, sql: &str) -> Option<sea_orm::QueryResult> {
        use sea_orm::ConnectionTrait;
        let store = self.db.store().await;
        let db = store.connection();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        store.connection().clone().close().await.ok();
        row
    }

    /// A count the server's database answers.
    pub async fn count(&self, sql: &str) -> i64 {
        self.row(sql)
            .await
            .unwrap_or_else(|| panic!("{sql}: no row"))
            .try_get_by_index(0)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// `127.0.0.1:PORT`, the server's address.
    pub fn address(&self) -> &str {
        &self.server.address
    }

    /// The absolute URL of a path of the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base)
    }

    /// `http://127.0.0.1:PORT`, the pages' origin.
    pub fn origin(&self) -> &str {
        &self.server.base
    }

    /// A new Chromium session with a profile of its own, laid out as the
    /// phone.
    pub async fn browser(&self) -> Browser<'_> {
        self.browser_with(BrowserOptions::default()).await
    }

    /// A new session as [`Harness::browser`], with `options`.
    pub async fn browser_with(&self, options: BrowserOptions) -> Browser<'_> {
        let profile = tempfile::tempdir().expect("a profile folder");
        let args = [
            "--headless=new".to_owned(),
            // Tests run as root, where Chromium's sandbox cannot start.
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={PHONE_WIDTH},{PHONE_HEIGHT}"),
        ];
        let mut capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "args": args,
                // A window alone lays the page out 500 px wide: the phone's
                // width comes from the emulated device.
                "mobileEmulation": {
                    "deviceMetrics": {
                        "width": PHONE_WIDTH,
                        "height": PHONE_HEIGHT,
                        "pixelRatio": 1,
                    }
                },
            },
        });
        if let Some(dir) = &options.downloads {
            capabilities["goog:chromeOptions"]["prefs"] = json!({
                "download.default_directory": dir.display().to_string(),
                "download.prompt_for_download": false,
                "download.directory_upgrade": true,
                "safebrowsing.enabled": false,
            });
        }
        let Value::Object(capabilities) = capabilities else {
            unreachable!("the capabilities are an object")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://{}", self.driver.address))
            .await
            .expect("chromedriver opens a Chromium session");
        let session = client
            .session_id()
            .await
            .expect("the session's id")
            .expect("a session has an id");
        let browser = Browser {
            client,
            harness: self,
            origin: options.origin.unwrap_or_else(|| self.server.base.clone()),
            session,
            _profile: profile,
        };
        if let Some(dir) = &options.downloads {
            // Headless Chromium may keep to its own download rules whatever
            // the profile's preferences say: DevTools says it again.
            // Where it does not know the command, the preferences stand.
            let _ = browser
                .client
                .issue_cmd(Cdp {
                    cmd: "Browser.setDownloadBehavior",
                    params: json!({"behavior": "allow", "downloadPath": dir.display().to_string()}),
                })
                .await;
        }
        browser
    }
}

/// One Chromium session, closed when dropped, even by a failing test.
pub struct Browser<'h> {
    pub client: Client,
    harness: &'h Harness,
    /// `http://127.0.0.1:PORT`: where the session opens pages.
    origin: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Browser<'_> {
    /// The absolute URL of a path at the session's origin.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Opens a path of the server and waits for it to load.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&self.url(path))
            .await
            .unwrap_or_else(|e| panic!("{path} opens: {e}"));
    }

    /// The path and query of the page shown.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("the current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// The text of the page shown, as a person reads it.
    pub async fn text(&self) -> String {
        self.script("return document.body ? document.body.innerText : '';")
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs a script in the page and answers what it returns.
    pub async fn script(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("the script runs: {e}\n{script}"))
    }

    /// Runs a script that calls its last argument when done, with `args`
    /// before it.
    pub async fn script_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("the script runs: {e}"))
    }

    /// Signs in through the sign-in page's form, as a person would.
    pub async fn sign_in(&self, role: Role) {
        self.goto("/dang-nhap").await;
        let field = |id| self.client.find(Locator::Id(id));
        field("username")
            .await
            .expect("the user name field")
            .send_keys(role.username())
            .await
            .expect("the user name is typed");
        field("password")
            .await
            .expect("the password field")
            .send_keys(PASSWORD)
            .await
            .expect("the password is typed");
        self.client
            .find(Locator::Css(
                r#"form[action="/dang-nhap"] button[type="submit"]"#,
            ))
            .await
            .expect("the sign-in button")
            .click()
            .await
            .expect("the sign-in button is pressed");
        // Only a signed-in page has the sign-out form.
        let signed_in = self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(r#"form[action="/dang-xuat"]"#))
            .await;
        if signed_in.is_err() {
            panic!(
                "{} is signed in; the page says:\n{}",
                role.username(),
                self.text().await
            );
        }
    }

    /// Signs out with the header's button and waits for the sign-in page.
    pub async fn sign_out(&self) {
        self.client
            .find(Locator::Css(
                r#"form[action="/dang-xuat"] button[type="submit"]"#,
            ))
            .await
            .expect("the sign-out button")
            .click()
            .await
            .expect("the sign-out button is pressed");
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(r#"form[action="/dang-nhap"]"#))
            .await
            .expect("signing out shows the sign-in page");
    }

    /// Saves a full-page PNG of the page shown as
    /// `target/browser-shots/NAME.png` and answers its path. The emulated
    /// screen is made as tall as the page for the shot, then set back.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let height = self
            .script(
                "return Math.ceil(Math.max(document.documentElement.scrollHeight, \
                 document.body ? document.body.scrollHeight : 0));",
            )
            .await
            .as_f64()
            .unwrap_or(f64::from(PHONE_HEIGHT));
        // A page height in CSS pixels: the cast saturates, the clamp bounds.
        let page_height = height as u32;
        let height = page_height.clamp(PHONE_HEIGHT, MAX_SHOT_HEIGHT);
        if page_height > MAX_SHOT_HEIGHT {
            println!(
                "{name}.png: the page is {page_height} px tall, the picture its first {MAX_SHOT_HEIGHT}"
            );
        }
        self.emulate_screen(height).await;
        let png = self.client.screenshot().await;
        self.emulate_screen(PHONE_HEIGHT).await;
        let png = png.expect("a screenshot");
        let dir = shots_dir();
        // The folder holds the last run's pictures only: a page no longer
        // reached leaves none behind.
        static EMPTIED: std::sync::Once = std::sync::Once::new();
        EMPTIED.call_once(|| {
            let _ = std::fs::remove_dir_all(&dir);
        });
        std::fs::create_dir_all(&dir).expect("the screenshot folder");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is saved");
        path
    }

    /// Sets the emulated phone's screen height (its width stays 412).
    async fn emulate_screen(&self, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": PHONE_WIDTH,
                "height": height,
                "deviceScaleFactor": 1,
                "mobile": true,
            }),
        )
        .await;
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver.
    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        // Deleting the session quits its Chromium. The client would ask
        // for it too, but from a task that a failing test's runtime may
        // never run again.
        let _ = http(
            &self.harness.driver.address,
            "DELETE",
            &format!("/session/{}", self.session),
        );
    }
}

/// chromedriver's command to run a DevTools command in the session's page.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A running chromedriver on a free port of the loopback.
struct Driver {
    /// `127.0.0.1:PORT`.
    address: String,
    child: Child,
}

impl Driver {
    /// Starts chromedriver and waits until it says it is ready. A port
    /// taken between being found free and chromedriver binding it makes
    /// chromedriver exit: it is started again on another.
    fn start() -> Driver {
        let program = chromedriver_path();
        for _ in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|listener| listener.local_addr())
                .expect("a free port")
                .port();
            let mut child = Command::new(&program)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "{program} starts ({e}): install it with \
                         `apt-get install chromium chromium-driver`"
                    )
                });
            let address = format!("127.0.0.1:{port}");
            for attempt in 0..READY_ATTEMPTS {
                if attempt > 0 {
                    std::thread::sleep(READY_INTERVAL);
                }
                if let Some((200, body)) = http(&address, "GET", "/status")
                    && serde_json::from_str::<Value>(&body)
                        .is_ok_and(|s| s["value"]["ready"] == true)
                {
                    return Driver { address, child };
                }
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{program} does not answer on /status");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A request without a body on a connection of its own: the status and
/// the body, or `None` when nothing answers. The body is read to its
/// `Content-Length`: chromedriver keeps the connection open after it.
fn http(address: &str, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut raw = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        let read = stream.read(&mut buffer).ok()?;
        raw.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&raw);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            if read == 0 || length.is_some_and(|length| body.len() >= length) {
                let status = head.split_whitespace().nth(1)?.parse().ok()?;
                return Some((status, body.to_owned()));
            }
        }
        if read == 0 {
            return None;
        }
    }
}

/// chromedriver: `DOORSTEP_CHROMEDRIVER`, or Debian's.
fn chromedriver_path() -> String {
    std::env::var("DOORSTEP_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

/// Chromium: `DOORSTEP_CHROMIUM`, or Debian's.
fn chromium_path() -> String {
    std::env::var("DOORSTEP_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

/// `target/browser-shots`, in the target directory of this test binary
/// (`target/<profile>/deps/browser-…`).
pub fn shots_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.ancestors()
        .nth(3)
        .expect("test binaries live in target/<profile>/deps")
        .join("browser-shots")
}

/// A page's path as a file name: `/teams/1/lich?tu=2026-12-07` →
/// `teams-1-lich-tu-2026-12-07`, `/` → `home`.
pub fn page_name(path: &str) -> String {
    let mut name = String::new();
    for c in path.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c.to_ascii_lowercase());
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "home".to_owned()
    } else {
        name.to_owned()
    }
}
