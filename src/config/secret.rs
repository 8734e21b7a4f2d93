//! What must never be printed: passwords in Redis URLs and the admin
//! token. Settings show them as `***` in logs and in `Debug`.

use std::path::PathBuf;

/// Where state is kept; chosen once at start. Shown (in logs, in `Debug`)
/// with any password in a URL replaced by `***`.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// The embedded store in a directory on local disk.
    Embedded { data_dir: PathBuf },
    /// One Redis server.
    Redis { url: String },
    /// A Redis Cluster, found through these seed nodes.
    Cluster { nodes: Vec<String> },
}

impl std::fmt::Display for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded { data_dir } => write!(f, "embedded in {}", data_dir.display()),
            Self::Redis { url } => write!(f, "redis at {}", redact_url(url)),
            Self::Cluster { nodes } => {
                let nodes: Vec<String> = nodes.iter().map(|n| redact_url(n)).collect();
                write!(f, "redis cluster at {}", nodes.join(","))
            }
        }
    }
}

impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `url` with the password of its user information replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split_once(':').map_or(user_info, |(u, _)| u);
            let hidden = if user_info.contains(':') {
                format!("{user}:***")
            } else {
                "***".to_owned()
            };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// A setting that must never be printed: `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}
