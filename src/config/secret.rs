//! What must never be printed: passwords in Redis URLs and the admin
//! tokens. Settings show them as `***` in logs and in `Debug`.

use std::path::PathBuf;

use super::strength::strong_enough;

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

/// An admin token and the name the audit log gives whoever holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedToken {
    pub name: String,
    pub token: Secret,
}

/// The name the single `TALLY_ADMIN_TOKEN` signs in as.
pub const UNNAMED_ADMIN: &str = "admin";

/// Reads `name:token,name:token`: names of 1 to 64 ASCII letters, digits,
/// `.`, `_` or `-`, each once; tokens of at least 128 bits (as
/// [`strong_enough`] estimates them), each once.
pub fn named_tokens(raw: &str) -> Result<Vec<NamedToken>, String> {
    let mut tokens: Vec<NamedToken> = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, token)) = entry.split_once(':') else {
            return Err("each entry must be name:token".into());
        };
        let name = name.trim();
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if name.is_empty() || name.len() > 64 || !name.chars().all(valid) {
            return Err(format!(
                "{name:?}: a name is 1 to 64 letters, digits, '.', '_' or '-'"
            ));
        }
        strong_enough(token).map_err(|why| format!("the token of {name} has {why}"))?;
        if tokens.iter().any(|t| t.name == name) {
            return Err(format!("{name} is named twice"));
        }
        if tokens.iter().any(|t| t.token.expose() == token) {
            return Err(format!("the token of {name} is also another name's"));
        }
        tokens.push(NamedToken {
            name: name.to_owned(),
            token: Secret::new(token.to_owned()),
        });
    }
    Ok(tokens)
}
