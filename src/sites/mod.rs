//! The sites of a province: the portal and its component sites, each with
//! its own counter and polls, arranged in a tree (a site has at most one
//! parent). This module holds the rules that do not depend on where the
//! sites come from: which sites a hit counts for (the site and every
//! ancestor, so a parent's figures include its descendants' when they are
//! written), which sites a role reaches (a site and its descendants), and
//! which site a request belongs to (the one it names, if its origin is one
//! of that site's). See docs/sites.md.

mod defined;
#[cfg(test)]
mod defined_tests;
mod file;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use jiff::tz::TimeZone;

use crate::challenge::ChallengeMode;
use crate::ids::SiteId;
use crate::lang::Lang;
use crate::poll::Visibility;
use crate::roles::Grant;

pub use defined::{Invalid, MAX_NAME, SiteSpec};
pub use file::{
    SitesFileDefaults, load_sites, read_sites_file, sites_defaults, unknown_token_site,
};

/// Most sites one deployment serves: a province's portal, its departments
/// and its communes come to a few hundred; the bound keeps a sites file
/// that is not one from taking the process's memory.
pub const MAX_SITES: usize = 5_000;

/// Most levels from a site to its root, itself included. A hit writes
/// once per level, so the bound is also the most a hit writes.
pub const MAX_DEPTH: usize = 6;

/// One site, as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteDef {
    pub id: SiteId,
    /// What editors and the roll-up call it ("Sở Y tế").
    pub name: String,
    /// The site whose figures include this one's.
    pub parent: Option<SiteId>,
    /// The pages that may count for it, `scheme://host[:port]`.
    pub origins: Vec<String>,
    pub lang: Lang,
    pub timezone: TimeZone,
    /// The previous counter's total, added to the visits it shows.
    pub baseline: Option<u64>,
    /// Where its HTML pages link back to.
    pub home: Option<String>,
    /// New polls' challenge and results visibility, until an editor says.
    pub challenge: ChallengeMode,
    pub results: Visibility,
    /// Its own ceiling of requests per second (and burst) per replica, so
    /// a flood of its pages does not take the others' share.
    pub rate_limit: Option<crate::config::Rate>,
    /// Ids it was known by (renamed, or merged into it): a request naming
    /// one is served and counted as this site, so pages embedded before
    /// the change keep counting here for as long as the file lists them.
    pub aliases: Vec<SiteId>,
}

/// Why a request is answered without being counted for any site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCounted {
    /// Sites are configured and the request names none.
    NoSite,
    /// It names a site this deployment does not serve.
    UnknownSite,
    /// Its browser says it comes from a page that is not one of the named
    /// site's origins (nor tally's own).
    ForeignOrigin,
}

impl NotCounted {
    /// The reason as a metric label: a fixed, small set.
    pub fn reason(self) -> &'static str {
        match self {
            NotCounted::NoSite => "no_site",
            NotCounted::UnknownSite => "unknown_site",
            NotCounted::ForeignOrigin => "foreign_origin",
        }
    }
}

/// A tree of sites that is known to be whole: every parent exists, no site
/// is its own ancestor, no chain is deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone)]
pub struct Sites {
    by_id: HashMap<SiteId, Arc<SiteDef>>,
    /// Each alias and the site that holds it.
    aliases: HashMap<SiteId, SiteId>,
    /// Each site and its ancestors, nearest first: what one of its hits
    /// counts for.
    chains: HashMap<SiteId, Vec<SiteId>>,
    /// Whether the sites were configured, or this is the one implicit site
    /// of a deployment without a sites file.
    configured: bool,
    /// The site deployment-wide settings and operations speak of, fixed
    /// by the sites file ([`Sites::primary`]).
    primary: SiteId,
    /// The sites defined through the admin API, not the file.
    defined: HashSet<SiteId>,
}

/// Why a set of sites is not a tree tally can serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SitesError {
    #[error("no site is defined")]
    Empty,
    #[error("{count} sites, more than the {MAX_SITES} one deployment serves")]
    TooMany { count: usize },
    #[error("site {0:?} is defined twice")]
    Duplicate(String),
    #[error("site {site:?}: its parent {parent:?} is not a site")]
    UnknownParent { site: String, parent: String },
    #[error("site {0:?} is its own ancestor")]
    Cycle(String),
    #[error("site {0:?} is more than {MAX_DEPTH} levels below its root")]
    TooDeep(String),
    #[error("site {site:?}: its alias {alias:?} is also a site's id")]
    AliasIsSite { site: String, alias: String },
    #[error("alias {alias:?} is given to both {first:?} and {second:?}")]
    AliasTwice {
        alias: String,
        first: String,
        second: String,
    },
}

impl Sites {
    /// A deployment without a sites file: the one site `default`, reached
    /// by a request that names no site, exactly as before sites existed.
    pub fn single(site: SiteDef) -> Self {
        let id = site.id.clone();
        Self {
            chains: HashMap::from([(id.clone(), vec![id.clone()])]),
            by_id: HashMap::from([(id.clone(), Arc::new(site))]),
            aliases: HashMap::new(),
            configured: false,
            primary: id,
            defined: HashSet::new(),
        }
    }

    /// The configured sites, checked to form a tree.
    pub fn new(defs: Vec<SiteDef>) -> Result<Self, SitesError> {
        if defs.is_empty() {
            return Err(SitesError::Empty);
        }
        if defs.len() > MAX_SITES {
            return Err(SitesError::TooMany { count: defs.len() });
        }
        let mut by_id = HashMap::with_capacity(defs.len());
        for def in defs {
            let id = def.id.clone();
            if by_id.insert(id.clone(), Arc::new(def)).is_some() {
                return Err(SitesError::Duplicate(id.to_string()));
            }
        }
        let mut chains = HashMap::with_capacity(by_id.len());
        for (id, def) in &by_id {
            chains.insert(id.clone(), chain(&by_id, def)?);
        }
        let aliases = aliases(&by_id)?;
        let primary = match by_id.contains_key(&SiteId::DEFAULT) {
            true => SiteId::DEFAULT,
            false => {
                let mut roots: Vec<&SiteDef> = by_id
                    .values()
                    .map(AsRef::as_ref)
                    .filter(|def| def.parent.is_none())
                    .collect();
                roots.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
                // A tree without a cycle has a root.
                roots.first().map_or(SiteId::DEFAULT, |def| def.id.clone())
            }
        };
        Ok(Self {
            by_id,
            aliases,
            chains,
            configured: true,
            primary,
            defined: HashSet::new(),
        })
    }

    pub fn get(&self, id: &SiteId) -> Option<&SiteDef> {
        self.by_id.get(id).map(AsRef::as_ref)
    }

    /// The site a request naming `id` is served as: the site of that id,
    /// or the one that holds it as an alias.
    pub fn find(&self, id: &SiteId) -> Option<&SiteDef> {
        self.get(id).or_else(|| self.get(self.aliases.get(id)?))
    }

    /// The site holding `alias`, when it is one of a site's aliases.
    pub fn alias_of(&self, alias: &SiteId) -> Option<&SiteDef> {
        self.get(self.aliases.get(alias)?)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Every site, in id order.
    pub fn all(&self) -> Vec<&SiteDef> {
        let mut all: Vec<&SiteDef> = self.by_id.values().map(AsRef::as_ref).collect();
        all.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
        all
    }

    /// Every id the file names, sites and aliases, in id order: what a
    /// start records as listed.
    pub fn names(&self) -> Vec<SiteId> {
        let mut names: Vec<SiteId> = self
            .by_id
            .keys()
            .chain(self.aliases.keys())
            .cloned()
            .collect();
        names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        names
    }

    /// Whether the sites come from a sites file (else this is the one
    /// implicit site, `default`).
    pub fn configured(&self) -> bool {
        self.configured
    }

    /// The site deployment-wide settings and operations speak of:
    /// `default` when it is one, else the first root in id order.
    pub fn primary(&self) -> &SiteDef {
        self.get(&self.primary)
            .expect("the primary site is one of the sites")
    }

    /// Every site's origins, each once: the pages that may call tally.
    pub fn origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .by_id
            .values()
            .flat_map(|def| def.origins.iter().cloned())
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }

    /// The sites a hit of `site` counts for: itself, then each ancestor up
    /// to its root. Empty for a site that does not exist.
    pub fn chain(&self, site: &SiteId) -> &[SiteId] {
        self.chains.get(site).map_or(&[], Vec::as_slice)
    }

    /// Whether `site` is `ancestor` or lies below it: what a role given on
    /// `ancestor` reaches.
    pub fn covers(&self, ancestor: &SiteId, site: &SiteId) -> bool {
        self.chain(site).contains(ancestor)
    }

    /// Whether `grant` reaches `site`: given on every site, or on `site`
    /// or a site above it.
    pub fn reaches(&self, grant: &Grant, site: &SiteId) -> bool {
        grant
            .site
            .as_ref()
            .is_none_or(|scope| self.covers(scope, site))
    }

    /// Whether `grant` reaches every site (a grant on one root does not
    /// reach another root's sites), as what speaks of them all needs.
    pub fn reaches_all(&self, grant: &Grant) -> bool {
        self.all().iter().all(|def| self.reaches(grant, &def.id))
    }

    /// `site` and every site below it, in id order.
    pub fn subtree(&self, site: &SiteId) -> Vec<&SiteDef> {
        self.all()
            .into_iter()
            .filter(|def| self.covers(site, &def.id))
            .collect()
    }

    /// The site a request belongs to: the one it names (`named`, the
    /// widget's `data-site`), if the page it comes from (`origin`: the
    /// browser's `Origin`, else `Referer`'s) is one of that site's origins
    /// or tally's own (`own`, asked only then). A request that names no origin is not a
    /// browser's, and no header could prove where it comes from: it
    /// belongs to the site it names. A name that is a site's alias is that
    /// site (its origins are checked). Without a sites file, a request that
    /// names no site belongs to the one site.
    pub fn resolve(
        &self,
        named: Option<&str>,
        origin: Option<&str>,
        own: impl FnOnce() -> Option<String>,
    ) -> Result<&SiteDef, NotCounted> {
        let site = match named {
            Some(name) => SiteId::parse(name)
                .ok()
                .and_then(|id| self.find(&id))
                .ok_or(NotCounted::UnknownSite)?,
            None if !self.configured => self
                .by_id
                .values()
                .next()
                .map(AsRef::as_ref)
                .ok_or(NotCounted::NoSite)?,
            None => return Err(NotCounted::NoSite),
        };
        match origin {
            Some(origin)
                if !site.origins.iter().any(|o| o == origin)
                    && own().as_deref() != Some(origin) =>
            {
                Err(NotCounted::ForeignOrigin)
            }
            _ => Ok(site),
        }
    }
}

/// Each site's aliases, refusing one that is also a site's id or is given
/// twice: either would leave a request's site a guess.
fn aliases(by_id: &HashMap<SiteId, Arc<SiteDef>>) -> Result<HashMap<SiteId, SiteId>, SitesError> {
    let mut defs: Vec<&SiteDef> = by_id.values().map(AsRef::as_ref).collect();
    // In id order, so that a file naming one alias twice is told the same
    // thing every time.
    defs.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let mut aliases = HashMap::new();
    for def in defs {
        for alias in &def.aliases {
            if by_id.contains_key(alias) {
                return Err(SitesError::AliasIsSite {
                    site: def.id.to_string(),
                    alias: alias.to_string(),
                });
            }
            if let Some(first) = aliases.insert(alias.clone(), def.id.clone()) {
                return Err(SitesError::AliasTwice {
                    alias: alias.to_string(),
                    first: first.to_string(),
                    second: def.id.to_string(),
                });
            }
        }
    }
    Ok(aliases)
}

/// `def` and its ancestors, nearest first, refusing a cycle or a chain
/// deeper than [`MAX_DEPTH`].
fn chain(by_id: &HashMap<SiteId, Arc<SiteDef>>, def: &SiteDef) -> Result<Vec<SiteId>, SitesError> {
    let mut chain = vec![def.id.clone()];
    let mut at = def;
    while let Some(parent) = &at.parent {
        if chain.contains(parent) {
            return Err(SitesError::Cycle(parent.to_string()));
        }
        let Some(up) = by_id.get(parent) else {
            return Err(SitesError::UnknownParent {
                site: at.id.to_string(),
                parent: parent.to_string(),
            });
        };
        chain.push(parent.clone());
        if chain.len() > MAX_DEPTH {
            return Err(SitesError::TooDeep(def.id.to_string()));
        }
        at = up;
    }
    Ok(chain)
}
