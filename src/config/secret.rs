//! What must never be printed: passwords in Redis URLs and the admin
//! tokens. Settings show them as `***` in logs and in `Debug`.

use std::path::PathBuf;

use super::strength::strong_enough;
use crate::ids::SiteId;
use crate::roles::{Grant, Role};

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

/// An admin token, the name the audit log gives whoever holds it, and
/// what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedToken {
    pub name: String,
    pub token: Secret,
    pub grant: Grant,
}

/// The name the single `TALLY_ADMIN_TOKEN` signs in as.
pub const UNNAMED_ADMIN: &str = "admin";

/// Reads `name:token,name=role:token,name=role@site:token`: names of 1 to
/// 64 ASCII letters, digits, `.`, `_` or `-`, each once; a role of
/// `admin`, `editor` or `viewer` (none: admin); a site scope (which must be
/// a site: [`unknown_sites`]); tokens of at least 128
/// bits (as [`strong_enough`] estimates them), each once. A name holds no
/// `=`, `@` or `:`, so everything before the first `:` is the name and its
/// role, and a token may hold any character but `,`.
pub fn named_tokens(raw: &str) -> Result<Vec<NamedToken>, String> {
    let mut tokens: Vec<NamedToken> = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((who, token)) = entry.split_once(':') else {
            return Err("each entry must be name:token or name=role:token".into());
        };
        let (name, grant) = match who.split_once('=') {
            Some((name, role)) => (name.trim(), grant(name.trim(), role.trim())?),
            None => (who.trim(), Grant::ADMIN),
        };
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
            grant,
        });
    }
    Ok(tokens)
}

/// `role` or `role@site`, as `name=` gives it.
fn grant(name: &str, text: &str) -> Result<Grant, String> {
    let (role, site) = match text.split_once('@') {
        Some((role, site)) => (role.trim(), Some(site.trim())),
        None => (text, None),
    };
    let role = Role::parse(role)
        .ok_or_else(|| format!("{name}={role}: a role is admin, editor or viewer"))?;
    let site = match site {
        None => None,
        Some(site) => {
            let id = SiteId::parse(site)
                .map_err(|_| format!("{name}={role}@{site}: a site id is [a-z0-9-]{{1,64}}"))?;
            Some(id)
        }
    };
    Ok(Grant { role, site })
}

/// The first token whose site scope is not one of `sites`, as the line
/// that stops the start says it: without a sites file only `default` is a
/// site.
pub fn unknown_sites(
    tokens: &[NamedToken],
    configured: bool,
    is_site: impl Fn(&SiteId) -> bool,
) -> Option<String> {
    tokens.iter().find_map(|t| {
        let site = t.grant.site.as_ref()?;
        (!is_site(site)).then(|| match configured {
            false => format!(
                "{}={}@{site}: sites are not configured, so a role is given on the site default or on none",
                t.name, t.grant.role
            ),
            true => format!(
                "{}={}@{site}: {site} is not a site of TALLY_SITES_FILE nor one created through the admin API",
                t.name, t.grant.role
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> String {
        format!("{n}f7c9e21b3a8d6050c1f4f7c9e21b3a8d")
    }

    #[test]
    fn a_named_token_may_carry_a_role_and_the_site_default() {
        let list = format!(
            "ha:{},minh=editor:{},lan=viewer@default:{},tu = admin : {}",
            key(1),
            key(2),
            key(3),
            key(4)
        );
        let grants: Vec<(String, Grant)> = named_tokens(&list)
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.grant))
            .collect();
        let grant = |role, site: Option<SiteId>| Grant { role, site };
        assert_eq!(
            grants,
            [
                ("ha".into(), Grant::ADMIN),
                ("minh".into(), grant(Role::Editor, None)),
                ("lan".into(), grant(Role::Viewer, Some(SiteId::DEFAULT))),
                ("tu".into(), Grant::ADMIN),
            ]
        );
    }

    #[test]
    fn a_bad_role_or_site_is_named_without_the_token() {
        let refused = |entry: &str| {
            let reason = named_tokens(&format!("{entry}:{}", key(5))).unwrap_err();
            assert!(!reason.contains(&key(5)), "{reason}");
            reason
        };
        // A site's scope is checked against the sites the start knows.
        let scoped = named_tokens(&format!("minh=editor@so-y-te:{}", key(5))).unwrap();
        let reason = unknown_sites(&scoped, false, |s| *s == SiteId::DEFAULT).unwrap();
        assert!(reason.contains("sites are not configured"), "{reason}");
        assert!(!reason.contains(&key(5)), "{reason}");
        let reason = unknown_sites(&scoped, true, |s| s.as_str() == "so-gd").unwrap();
        assert!(
            reason.contains("so-y-te is not a site of TALLY_SITES_FILE"),
            "{reason}"
        );
        assert_eq!(
            unknown_sites(&scoped, true, |s| s.as_str() == "so-y-te"),
            None
        );
        assert!(refused("minh=owner").contains("a role is admin, editor or viewer"));
        assert!(refused("minh=Editor").contains("a role is admin, editor or viewer"));
        assert!(refused("minh=editor@Bad_Site").contains("a site id is"));
        assert!(refused("=editor").contains("a name is"));
        assert!(refused("minh@default").contains("a name is"));
    }
}
