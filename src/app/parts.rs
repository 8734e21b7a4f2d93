//! What each site's services take from the settings: a site's counter
//! and its polls, each with its own directory for what waits across a
//! restart, and its changes; made at start and for each site created
//! while tally runs.

use std::path::PathBuf;
use std::sync::Arc;

use crate::audit::Audit;
use crate::calendar::Calendar;
use crate::config::Settings;
use crate::counter::{Counter, CounterSettings, Counters};
use crate::editing::Editing;
use crate::ids::SiteId;
use crate::site::Site;
use crate::site_book::MakeEditing;
use crate::sites::{SiteDef, Sites};
use crate::voting::{KnownPolls, Voting, VotingSettings, Votings};

/// `def`'s own `site`: its id and its calendar.
fn own(site: &Site, def: &SiteDef) -> Site {
    Site {
        id: def.id.clone(),
        calendar: Calendar::new(def.timezone.clone()),
        ..site.clone()
    }
}

/// Every site's counter; `site` is the primary's.
pub fn counters(settings: &Settings, site: &Site, sites: &Arc<Sites>) -> Counters {
    let (site, settings) = (site.clone(), settings.clone());
    Counters::new(Arc::clone(sites), move |def, ancestors| {
        let settings = counter_settings(&settings, &def.id, &site.id);
        Counter::new(own(&site, def), settings, ancestors)
    })
}

/// Every site's polls; `site` is the primary's.
pub fn votings(settings: &Settings, site: &Site, sites: &Arc<Sites>) -> Votings {
    let (site, settings) = (site.clone(), settings.clone());
    let known_polls = KnownPolls::default();
    Votings::new(Arc::clone(sites), Arc::clone(&site.metrics), move |def| {
        let settings = voting_settings(&settings, &def.id, &site.id, &known_polls);
        Voting::new(own(&site, def), settings)
    })
}

/// How a site's changes are made: each noted in its own audit log.
pub fn make_editing(settings: &Settings, site: &Site) -> MakeEditing {
    let (store, voter_days) = (Arc::clone(&site.store), settings.voter_days);
    Box::new(move |voting: &Arc<Voting>, counter: &Arc<Counter>| {
        let audit = Audit::new(Arc::clone(&store), voting.site().clone());
        Editing::new(voting, counter, Arc::new(audit), voter_days)
    })
}

/// What the counter of `site` needs from the settings. Each site's hits
/// that could not be written at a shutdown wait in its own directory; the
/// primary site's where they always did.
pub fn counter_settings(settings: &Settings, site: &SiteId, primary: &SiteId) -> CounterSettings {
    let spill = settings.data_dir.join("spill");
    CounterSettings {
        visit_window: settings.visit_window,
        max_pages: settings.max_pages,
        top_pages: settings.history_top_pages,
        page_days: settings.history_page_days,
        hit_buffer: settings.hit_buffer,
        page_cache: settings.page_cache,
        spill_dir: Some(site_dir(spill, site, primary)),
    }
}

/// What the polls of `site` need from the settings, and the poll ids
/// every site's ballot metrics share. Each site journals its ballots to
/// retract in its own directory; the primary site's where they always
/// were.
pub fn voting_settings(
    settings: &Settings,
    site: &SiteId,
    primary: &SiteId,
    known_polls: &KnownPolls,
) -> VotingSettings {
    let journal = settings.data_dir.join("retractions");
    VotingSettings {
        votes_per_address: settings.votes_per_address,
        solved_votes_per_address: settings.solved_votes_per_address,
        votes_per_network: settings.votes_per_network,
        votes_per_ipv6_site: settings.votes_per_ipv6_site,
        results_fresh: settings.flush_interval,
        journal_dir: Some(site_dir(journal, site, primary)),
        // Without a key set, each site keeps its own in the store.
        challenge_key: settings.challenge_key.as_ref().map(|k| {
            let key = crate::challenge::key_from_secret(k.expose());
            match site == primary {
                true => key,
                false => crate::challenge::site_key(key, site),
            }
        }),
        challenge_level: settings.challenge_level,
        known_polls: known_polls.clone(),
    }
}

/// `site`'s directory under `base`: the primary site keeps `base` itself,
/// where a single-site deployment always kept it; another site
/// `base/sites/<id>`.
fn site_dir(base: PathBuf, site: &SiteId, primary: &SiteId) -> PathBuf {
    match site == primary {
        true => base,
        false => base.join("sites").join(site.as_str()),
    }
}
