//! A TCP gate between tally and a real Redis that can lose Redis's replies:
//! a ballot then reaches Redis and is counted while tally hears nothing,
//! as when a network drops the answer or Redis dies after writing. It can
//! also break every connection in the middle of a long request.

use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Both ways.
    Pass = 0,
    /// Requests reach Redis; its replies are dropped.
    LoseReplies = 1,
    /// Nothing goes either way.
    Cut = 2,
}

pub struct Gate {
    pub port: u16,
    mode: Arc<AtomicU8>,
    /// Bytes still to pass up before every connection is broken (negative:
    /// no such limit).
    budget: Arc<AtomicI64>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Gate {
    /// A gate on a free port in front of Redis on `upstream`.
    pub async fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mode = Arc::new(AtomicU8::new(Mode::Pass as u8));
        let budget = Arc::new(AtomicI64::new(-1));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accept = {
            let (mode, links) = (Arc::clone(&mode), Arc::clone(&links));
            let budget = Arc::clone(&budget);
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
                        continue;
                    };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = {
                        let (mode, budget) = (Arc::clone(&mode), Arc::clone(&budget));
                        let every = Arc::clone(&links);
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 16 * 1024];
                            while let Ok(n @ 1..) = cr.read(&mut buf).await {
                                if spent(&budget, n) {
                                    // Not passed on: the request is cut
                                    // in the middle, and every link with it.
                                    for link in every.lock().unwrap().drain(..) {
                                        link.abort();
                                    }
                                    break;
                                }
                                if mode.load(Ordering::SeqCst) != Mode::Cut as u8
                                    && sw.write_all(&buf[..n]).await.is_err()
                                {
                                    break;
                                }
                            }
                        })
                    };
                    let down = {
                        let mode = Arc::clone(&mode);
                        tokio::spawn(async move {
                            let mut buf = vec![0u8; 16 * 1024];
                            while let Ok(n @ 1..) = sr.read(&mut buf).await {
                                if mode.load(Ordering::SeqCst) == Mode::Pass as u8
                                    && cw.write_all(&buf[..n]).await.is_err()
                                {
                                    break;
                                }
                            }
                        })
                    };
                    let mut links = links.lock().unwrap();
                    links.push(up);
                    links.push(down);
                }
            })
        };
        Self {
            port,
            mode,
            budget,
            links,
            accept,
        }
    }

    /// Breaks every connection once `bytes` more have gone up to Redis
    /// (the read that crosses the line is not passed on), as a network
    /// failing in the middle of a long request; later connections pass.
    pub fn break_after(&self, bytes: i64) {
        self.budget.store(bytes, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sets what passes. Going back to `Pass` closes the connections that
    /// lost replies (their requests and replies no longer pair up), so
    /// clients reconnect, as they would after a real network fault.
    pub fn set(&self, mode: Mode) {
        let was = self.mode.swap(mode as u8, Ordering::SeqCst);
        if mode == Mode::Pass && was != Mode::Pass as u8 {
            for link in self.links.lock().unwrap().drain(..) {
                link.abort();
            }
        }
    }
}

/// Takes `n` bytes from `budget`; says whether that crossed the line (and
/// then lifts the limit for the connections to come).
fn spent(budget: &AtomicI64, n: usize) -> bool {
    let n = n as i64;
    let left = budget.load(Ordering::SeqCst);
    if left < 0 {
        return false;
    }
    if budget.fetch_sub(n, Ordering::SeqCst) > n {
        return false;
    }
    budget.store(-1, Ordering::SeqCst);
    true
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.accept.abort();
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }
}
