//! Sites defined through the admin API and the console, beside the sites
//! file's: what one says ([`SiteSpec`], the JSON the API takes and the
//! store keeps), checked as the file's entries are, and the tree the
//! file's sites and the store's make together. A site of the file stays
//! the file's: a definition in the store under its id is not read.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::{MAX_DEPTH, MAX_SITES, SiteDef, Sites, SitesError, SitesFileDefaults};
use crate::challenge::ChallengeMode;
use crate::ids::SiteId;
use crate::lang::Lang;
use crate::poll::Visibility;

/// Longest site name, in characters.
pub const MAX_NAME: usize = 200;

/// A site as the admin API takes it and the store keeps it: the sites
/// file's fields but `aliases` (a rename or a merge is the file's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// `[a-z0-9-]{1,64}`; in a `PUT`, the path's (a body's must match).
    #[serde(default)]
    #[schema(example = "xa-an-phu")]
    pub id: String,
    #[schema(example = "Xã An Phú")]
    pub name: String,
    /// The site whose figures include this one's; none for a root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "so-y-te")]
    pub parent: Option<String>,
    /// The pages that may count for it, `scheme://host[:port]`.
    #[serde(default)]
    #[schema(example = json!(["https://anphu.tinh.gov.vn"]))]
    pub origins: Vec<String>,
    /// `vi` or `en`; the deployment's when not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// An IANA time zone; the deployment's when not said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// The previous counter's total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<u64>,
    /// Where its HTML pages link back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<String>,
    /// New polls' challenge: `off`, `on` or `auto`.
    #[serde(default)]
    #[schema(value_type = String, example = "off")]
    pub challenge: ChallengeMode,
    /// New polls' results visibility.
    #[serde(default)]
    #[schema(value_type = String, example = "always")]
    pub results: Visibility,
    /// `RATE` or `RATE,BURST` requests a second, per replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<String>,
}

/// What is wrong with a definition, and which field says it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> Invalid {
    Invalid {
        field,
        message: message.into(),
    }
}

impl SiteSpec {
    /// The site it defines, each field checked as the sites file's are.
    pub fn check(&self, defaults: &SitesFileDefaults) -> Result<SiteDef, Invalid> {
        checked(self.clone(), Vec::new(), defaults)
    }

    /// What `def` says, as a definition (the form an edit starts from).
    pub fn of(def: &SiteDef) -> Self {
        Self {
            id: def.id.to_string(),
            name: def.name.clone(),
            parent: def.parent.as_ref().map(ToString::to_string),
            origins: def.origins.clone(),
            lang: Some(def.lang.code().to_owned()),
            timezone: def.timezone.iana_name().map(str::to_owned),
            baseline: def.baseline,
            home: def.home.clone(),
            challenge: def.challenge,
            results: def.results,
            rate_limit: def
                .rate_limit
                .map(|r| format!("{},{}", r.per_second, r.burst)),
        }
    }
}

/// `spec`'s site with `aliases`, each field checked: the one check of the
/// sites file's entries and the API's definitions.
pub(super) fn checked(
    spec: SiteSpec,
    aliases: Vec<String>,
    defaults: &SitesFileDefaults,
) -> Result<SiteDef, Invalid> {
    let id = SiteId::parse(&spec.id).map_err(|e| invalid("id", format!("id {e}")))?;
    let name = spec.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            format!("name must be 1 to {MAX_NAME} characters, without control characters"),
        ));
    }
    let parent = spec
        .parent
        .filter(|p| !p.is_empty())
        .map(|p| SiteId::parse(&p).map_err(|e| invalid("parent", format!("parent {e}"))))
        .transpose()?;
    let origins = spec
        .origins
        .iter()
        .map(|o| crate::config::page_origin(o).map_err(|e| invalid("origins", e)))
        .collect::<Result<Vec<_>, _>>()?;
    let lang = match spec.lang.filter(|l| !l.is_empty()) {
        Some(tag) => Lang::from_tag(&tag)
            .ok_or_else(|| invalid("lang", format!("lang must be vi or en, got {tag:?}")))?,
        None => defaults.lang,
    };
    let timezone = match spec.timezone.filter(|t| !t.is_empty()) {
        Some(tz) => TimeZone::get(&tz).map_err(|_| {
            invalid(
                "timezone",
                format!("unknown time zone {tz:?} (use an IANA name such as Asia/Ho_Chi_Minh)"),
            )
        })?,
        None => defaults.timezone.clone(),
    };
    let home = spec
        .home
        .filter(|h| !h.is_empty())
        .map(|h| crate::config::page_url(&h).map_err(|e| invalid("home", format!("home {e}"))))
        .transpose()?;
    let rate_limit = spec
        .rate_limit
        .filter(|r| !r.is_empty())
        .map(|r| {
            crate::config::rate_value(&r)
                .map_err(|e| invalid("rate_limit", format!("rate_limit: {e}")))
        })
        .transpose()?;
    let aliases = aliases
        .iter()
        .map(|a| SiteId::parse(a).map_err(|e| invalid("aliases", format!("alias {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SiteDef {
        aliases,
        rate_limit,
        id,
        name,
        parent,
        origins,
        lang,
        timezone,
        baseline: spec.baseline,
        home,
        challenge: spec.challenge,
        results: spec.results,
    })
}

impl Sites {
    /// The file's sites (`self`) with `defined`, those the store keeps:
    /// a tree checked whole, as the file's is. Its primary site is the
    /// file's, whatever is added.
    pub fn with_defined(&self, defined: Vec<SiteDef>) -> Result<Self, SitesError> {
        let ids: HashSet<SiteId> = defined.iter().map(|def| def.id.clone()).collect();
        let file = self.by_id.values().map(|def| def.as_ref().clone());
        let mut sites = Self::new(file.chain(defined).collect())?;
        sites.primary = self.primary.clone();
        sites.defined = ids;
        Ok(sites)
    }

    /// The file's sites (`self`) with what the store keeps that fits the
    /// tree: a definition shadowed by the file, one whose parent is not a
    /// site, or one too deep is left out, with a warning, and the others
    /// are served. Parsed definitions in, as the store's `(id, JSON)`.
    pub fn with_stored(
        &self,
        stored: &[(String, String)],
        defaults: &SitesFileDefaults,
    ) -> Arc<Self> {
        let mut waiting: Vec<SiteDef> = Vec::new();
        for (id, json) in stored {
            let def = serde_json::from_str::<SiteSpec>(json)
                .map_err(|e| e.to_string())
                .and_then(|spec| spec.check(defaults).map_err(|e| e.to_string()));
            match def {
                Ok(def) if self.find(&def.id).is_some() => {
                    tracing::warn!(site = %def.id, "a site defined through the admin API is also in the sites file, whose definition stands");
                }
                Ok(def) => waiting.push(def),
                Err(e) => {
                    tracing::warn!(site = id, error = %e, "a stored site definition cannot be read; it is not served")
                }
            }
        }
        // Parents first: a definition joins once its parent is a site.
        let mut depth: std::collections::HashMap<SiteId, usize> = self
            .by_id
            .keys()
            .map(|id| (id.clone(), self.chain(id).len()))
            .collect();
        let mut placed = Vec::new();
        loop {
            let before = waiting.len();
            waiting.retain(|def| {
                let level = match &def.parent {
                    None => 1,
                    Some(parent) => match depth.get(parent) {
                        Some(up) => up + 1,
                        None => return true,
                    },
                };
                if level <= MAX_DEPTH && depth.len() < MAX_SITES {
                    depth.insert(def.id.clone(), level);
                    placed.push(def.clone());
                } else {
                    tracing::warn!(site = %def.id, "a stored site does not fit the tree (too deep, or too many sites); it is not served");
                }
                false
            });
            if waiting.is_empty() || waiting.len() == before {
                break;
            }
        }
        for def in waiting {
            tracing::warn!(site = %def.id, "a stored site's parent is not a site; it is not served");
        }
        match self.with_defined(placed) {
            Ok(sites) => Arc::new(sites),
            Err(e) => {
                tracing::warn!(error = %e, "the stored sites do not make a tree with the file's; only the file's are served");
                Arc::new(self.clone())
            }
        }
    }

    /// Whether `site` was defined through the admin API (else the sites
    /// file's).
    pub fn is_defined(&self, site: &SiteId) -> bool {
        self.defined.contains(site)
    }
}
