//! An SMTP server on loopback for the tests: it keeps every message it
//! accepts, byte for byte, and can be told to refuse recipients for a while
//! (`451`, a temporary failure; `550`, a permanent one).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A message as the server received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The envelope's sender.
    pub from: String,
    /// The envelope's recipients.
    pub to: Vec<String>,
    /// The message, as sent after DATA.
    pub data: Vec<u8>,
}

impl Received {
    /// The value of a header (unfolded), or `None`.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.data);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }
}

/// How the server answers a recipient: `None` accepts it.
type Rule = Arc<Mutex<Box<dyn Fn(&str) -> Option<String> + Send>>>;

/// How the server answers a message: after how many it stops answering,
/// and how long it takes to answer.
#[derive(Clone)]
struct Pace {
    stall_after: Arc<AtomicUsize>,
    delay_ms: Arc<AtomicU64>,
    /// How many messages were kept so far, for a test that waits for them.
    kept: Arc<tokio::sync::watch::Sender<usize>>,
}

/// The server; it stops when dropped.
pub struct SmtpServer {
    /// Where it listens.
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    rule: Rule,
    pace: Pace,
    runtime: tokio::runtime::Runtime,
}

impl SmtpServer {
    /// Starts a server that accepts every recipient.
    pub fn start() -> SmtpServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a free port");
        let addr = listener.local_addr().expect("an address");
        let received = Arc::new(Mutex::new(Vec::new()));
        let rule: Rule = Arc::new(Mutex::new(Box::new(|_| None)));
        let pace = Pace {
            stall_after: Arc::new(AtomicUsize::new(usize::MAX)),
            delay_ms: Arc::new(AtomicU64::new(0)),
            kept: Arc::new(tokio::sync::watch::Sender::new(0)),
        };
        let (keep, answer, paced) = (received.clone(), rule.clone(), pace.clone());
        runtime.spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (keep, answer, paced) = (keep.clone(), answer.clone(), paced.clone());
                tokio::spawn(async move {
                    let _ = session(socket, keep, answer, paced).await;
                });
            }
        });
        SmtpServer {
            addr,
            received,
            rule,
            pace,
            runtime,
        }
    }

    /// Keeps the message after the `n`th but never answers it (nor any
    /// later one): a sender waits there until it is killed.
    pub fn stall_after(&self, n: usize) {
        self.pace.stall_after.store(n, Ordering::SeqCst);
    }

    /// Answers every message again.
    pub fn resume(&self) {
        self.pace.stall_after.store(usize::MAX, Ordering::SeqCst);
    }

    /// Waits this long before answering each message.
    pub fn delay(&self, delay: Duration) {
        self.pace.delay_ms.store(
            u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// Answers each recipient with `rule` from now on (`None` accepts).
    pub fn answer(&self, rule: impl Fn(&str) -> Option<String> + Send + 'static) {
        *self.rule.lock().expect("not poisoned") = Box::new(rule);
    }

    /// doorstep's `mail.smtp_url` for it.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().expect("not poisoned").clone()
    }

    /// Blocks until `n` messages were kept (answered or not). A sender that
    /// never gets there fails the test after a minute instead of hanging it.
    pub fn wait_for_messages(&self, n: usize) {
        let mut kept = self.pace.kept.subscribe();
        let reached = self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), kept.wait_for(|k| *k >= n)).await
        });
        assert!(
            matches!(reached, Ok(Ok(_))),
            "the server never kept {n} messages"
        );
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    keep: Arc<Mutex<Vec<Received>>>,
    rule: Rule,
    pace: Pace,
) -> std::io::Result<()> {
    let (reader, mut writer) = socket.into_split();
    let mut reader = BufReader::new(reader);
    let mut current = Received {
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
    };
    writer.write_all(b"220 test.invalid ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250-test.invalid\r\n250-8BITMIME\r\n250 SMTPUTF8".into()
        } else if let Some(rest) = upper.strip_prefix("MAIL FROM:") {
            current.from = address(&command[command.len() - rest.len()..]);
            current.to.clear();
            "250 OK".into()
        } else if let Some(rest) = upper.strip_prefix("RCPT TO:") {
            let to = address(&command[command.len() - rest.len()..]);
            let refusal = (rule.lock().expect("not poisoned"))(&to);
            match refusal {
                Some(refusal) => refusal,
                None => {
                    current.to.push(to);
                    "250 OK".into()
                }
            }
        } else if upper == "DATA" {
            if current.to.is_empty() {
                "554 no valid recipients".into()
            } else {
                writer.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    let mut piece = Vec::new();
                    if reader.read_until(b'\n', &mut piece).await? == 0 {
                        return Ok(());
                    }
                    if piece == b".\r\n" {
                        break;
                    }
                    data.extend_from_slice(if piece.starts_with(b"..") {
                        &piece[1..]
                    } else {
                        &piece[..]
                    });
                }
                if data.ends_with(b"\r\n") {
                    data.truncate(data.len() - 2);
                }
                current.data = data;
                let kept = {
                    let mut all = keep.lock().expect("not poisoned");
                    all.push(current.clone());
                    pace.kept.send_replace(all.len());
                    all.len()
                };
                if kept > pace.stall_after.load(Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                let delay = pace.delay_ms.load(Ordering::SeqCst);
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                "250 OK queued".into()
            }
        } else if upper == "RSET" {
            current.to.clear();
            "250 OK".into()
        } else if upper == "NOOP" {
            "250 OK".into()
        } else if upper == "QUIT" {
            writer.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            "502 not implemented".into()
        };
        writer.write_all(reply.as_bytes()).await?;
        writer.write_all(b"\r\n").await?;
    }
}

fn address(text: &str) -> String {
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}
