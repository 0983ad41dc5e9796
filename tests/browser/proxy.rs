//! A loopback TCP proxy in front of the server that the test can cut, as a
//! phone loses its network: DevTools' offline switch leaves a service
//! worker's own requests alone, a cut connection does not. The browser only
//! ever talks to the proxy's origin, `http://127.0.0.1:PORT`, which is a
//! secure context for service workers as `localhost` is.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Bytes go both ways untouched.
    Open,
    /// Every connection is closed as soon as it is accepted: the browser
    /// sees no answer at all, as with no network.
    Cut,
    /// Requests reach the server, but its answers never come back: the
    /// connection is closed as the answer begins. The server has done what
    /// was asked; the browser cannot know it and must send again.
    AnswersLost,
}

/// The proxy, running on the test's runtime until dropped.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    mode: watch::Sender<Mode>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free port of the loopback, forwarding to `upstream`
    /// (`127.0.0.1:PORT`), open.
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the proxy listens");
        let origin = format!(
            "http://{}",
            listener.local_addr().expect("the proxy's address")
        );
        let (mode, changes) = watch::channel(Mode::Open);
        let upstream = upstream.to_owned();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let changes = changes.clone();
                tokio::spawn(connection(client, upstream.clone(), changes));
            }
        });
        Proxy { origin, mode, task }
    }

    /// Changes what the proxy does; every connection open until now is
    /// closed, so that none outlives the change (a browser keeps them open
    /// between requests).
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection of the browser's, until it ends or the mode changes.
async fn connection(client: TcpStream, upstream: String, mut changes: watch::Receiver<Mode>) {
    let mode = *changes.borrow_and_update();
    if mode == Mode::Cut {
        return;
    }
    let Ok(server) = TcpStream::connect(&upstream).await else {
        return;
    };
    client.set_nodelay(true).ok();
    server.set_nodelay(true).ok();
    let carried = async move {
        match mode {
            Mode::Open => {
                let (mut client, mut server) = (client, server);
                let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
            Mode::AnswersLost => {
                let (mut from_client, _to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let requests = async {
                    let _ = tokio::io::copy(&mut from_client, &mut to_server).await;
                    let _ = to_server.shutdown().await;
                    // The request is in; the answer decides when to close.
                    std::future::pending::<()>().await;
                };
                let answer_begins = async {
                    let mut first = [0; 1];
                    let _ = from_server.read(&mut first).await;
                };
                tokio::select! {
                    () = requests => {}
                    () = answer_begins => {}
                }
            }
            Mode::Cut => {}
        }
    };
    tokio::select! {
        () = carried => {}
        _ = changes.changed() => {}
    }
}
