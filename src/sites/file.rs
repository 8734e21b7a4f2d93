//! The sites file (TOML, read by `read_sites_file`): one `[[sites]]` table per
//! site. What a site does not say it takes from the deployment's settings
//! (language, time zone); everything it says is checked here, so a wrong
//! file stops the start with one line naming the site and the field.

use std::path::Path;

use anyhow::Context as _;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::defined::checked;
use super::{SiteDef, SiteSpec, Sites};
use crate::challenge::ChallengeMode;
use crate::ids::SiteId;
use crate::lang::Lang;
use crate::poll::Visibility;

/// What a site takes from the deployment's settings when the file does not
/// say.
#[derive(Debug, Clone)]
pub struct SitesFileDefaults {
    pub lang: Lang,
    pub timezone: TimeZone,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SitesFile {
    #[serde(default)]
    sites: Vec<SiteEntry>,
}

/// One `[[sites]]` table, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteEntry {
    id: String,
    name: String,
    parent: Option<String>,
    #[serde(default)]
    origins: Vec<String>,
    lang: Option<String>,
    timezone: Option<String>,
    baseline: Option<u64>,
    home: Option<String>,
    #[serde(default)]
    challenge: ChallengeMode,
    #[serde(default)]
    results: Visibility,
    /// `RATE` or `RATE,BURST`, as `TALLY_RATE_LIMIT`.
    rate_limit: Option<String>,
    /// Ids it was known by, which keep counting into it.
    #[serde(default)]
    aliases: Vec<String>,
}

/// Reads and checks the sites file: each site on its own, then the tree.
pub fn read_sites_file(path: &Path, defaults: &SitesFileDefaults) -> anyhow::Result<Sites> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the sites file: cannot read {}", path.display()))?;
    parse(&text, defaults).map_err(|e| anyhow::anyhow!("the sites file {}: {e}", path.display()))
}

/// The deployment's sites: the sites file's (`TALLY_SITES_FILE`), or
/// without one the one site `default`, made of the deployment's settings
/// as tally was before sites. The tokens' sites are checked once the
/// store's sites are read too ([`unknown_token_site`]).
pub fn load_sites(settings: &crate::config::Settings) -> anyhow::Result<Sites> {
    let defaults = sites_defaults(settings);
    let sites = match &settings.sites_file {
        Some(path) => read_sites_file(path, &defaults)
            .map_err(|e| anyhow::anyhow!("TALLY_SITES_FILE: {e:#}"))?,
        None => Sites::single(SiteDef {
            id: SiteId::DEFAULT,
            name: settings
                .portal
                .name
                .clone()
                .unwrap_or_else(|| "default".into()),
            parent: None,
            origins: settings.allowed_origins.clone(),
            lang: defaults.lang,
            timezone: defaults.timezone,
            baseline: settings.counter_baseline,
            home: settings.portal.home.clone(),
            challenge: ChallengeMode::default(),
            results: Visibility::default(),
            rate_limit: None,
            aliases: Vec::new(),
        }),
    };
    Ok(sites)
}

/// The line that stops the start when a token's role is on a site that
/// `sites` (the file's and the store's, once the store is read) does not
/// hold.
pub fn unknown_token_site(settings: &crate::config::Settings, sites: &Sites) -> Option<String> {
    let scoped = |site: &SiteId| sites.get(site).is_some();
    crate::config::unknown_sites(&settings.admin_tokens, sites.configured(), scoped)
        .map(|reason| format!("TALLY_ADMIN_TOKENS: {reason}"))
}

/// What a site takes from the deployment's settings when it does not say.
pub fn sites_defaults(settings: &crate::config::Settings) -> SitesFileDefaults {
    SitesFileDefaults {
        lang: settings.portal.lang,
        timezone: settings.timezone.clone(),
    }
}

/// The file's sites from its text, or the first thing wrong with it.
pub(super) fn parse(text: &str, defaults: &SitesFileDefaults) -> Result<Sites, String> {
    let file: SitesFile =
        toml::from_str(text).map_err(|e| format!("not valid TOML: {}", e.message()))?;
    let defs = file
        .sites
        .into_iter()
        .map(|entry| {
            let id = entry.id.clone();
            site(entry, defaults).map_err(|e| format!("site {id:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Sites::new(defs).map_err(|e| e.to_string())
}

fn site(entry: SiteEntry, defaults: &SitesFileDefaults) -> Result<SiteDef, String> {
    let spec = SiteSpec {
        id: entry.id,
        name: entry.name,
        parent: entry.parent,
        origins: entry.origins,
        lang: entry.lang,
        timezone: entry.timezone,
        baseline: entry.baseline,
        home: entry.home,
        challenge: entry.challenge,
        results: entry.results,
        rate_limit: entry.rate_limit,
    };
    checked(spec, entry.aliases, defaults).map_err(|e| e.message)
}
