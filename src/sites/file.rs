//! The sites file (TOML, read by `read_sites_file`): one `[[sites]]` table per
//! site. What a site does not say it takes from the deployment's settings
//! (language, time zone); everything it says is checked here, so a wrong
//! file stops the start with one line naming the site and the field.

use std::path::Path;

use anyhow::Context as _;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::{SiteDef, Sites};
use crate::challenge::ChallengeMode;
use crate::ids::SiteId;
use crate::lang::Lang;
use crate::poll::Visibility;

/// Longest site name, in characters.
const MAX_NAME: usize = 200;

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
/// as tally was before sites.
pub fn load_sites(settings: &crate::config::Settings) -> anyhow::Result<Sites> {
    let defaults = SitesFileDefaults {
        lang: settings.portal.lang,
        timezone: settings.timezone.clone(),
    };
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
    let scoped = |site: &SiteId| sites.get(site).is_some();
    if let Some(reason) =
        crate::config::unknown_sites(&settings.admin_tokens, sites.configured(), scoped)
    {
        anyhow::bail!("TALLY_ADMIN_TOKENS: {reason}");
    }
    Ok(sites)
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
    let id = SiteId::parse(&entry.id).map_err(|e| format!("id {e}"))?;
    let name = entry.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(format!(
            "name must be 1 to {MAX_NAME} characters, without control characters"
        ));
    }
    let parent = entry
        .parent
        .map(|p| SiteId::parse(&p).map_err(|e| format!("parent {e}")))
        .transpose()?;
    let origins = entry
        .origins
        .iter()
        .map(|o| crate::config::page_origin(o))
        .collect::<Result<Vec<_>, _>>()?;
    let lang = match entry.lang {
        Some(tag) => {
            Lang::from_tag(&tag).ok_or_else(|| format!("lang must be vi or en, got {tag:?}"))?
        }
        None => defaults.lang,
    };
    let timezone = match entry.timezone {
        Some(tz) => TimeZone::get(&tz).map_err(|_| {
            format!("unknown time zone {tz:?} (use an IANA name such as Asia/Ho_Chi_Minh)")
        })?,
        None => defaults.timezone.clone(),
    };
    let home = entry
        .home
        .map(|h| crate::config::page_url(&h).map_err(|e| format!("home {e}")))
        .transpose()?;
    let rate_limit = entry
        .rate_limit
        .map(|r| crate::config::rate_value(&r).map_err(|e| format!("rate_limit: {e}")))
        .transpose()?;
    let aliases = entry
        .aliases
        .iter()
        .map(|a| SiteId::parse(a).map_err(|e| format!("alias {e}")))
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
        baseline: entry.baseline,
        home,
        challenge: entry.challenge,
        results: entry.results,
    })
}
