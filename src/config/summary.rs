//! What `tally check-config` prints: the settings that decide a start, a
//! line each, with no secret in them.

use std::fmt::Write as _;

use super::{Rate, Settings, UNNAMED_ADMIN};

impl Settings {
    /// The settings in a few lines; passwords and tokens never appear.
    pub fn summary(&self) -> String {
        let admins: Vec<String> = self
            .admin_tokens
            .iter()
            .map(|t| match t.grant.role {
                crate::roles::Role::Admin => t.name.clone(),
                role => format!("{}={role}", t.name),
            })
            .chain(self.admin_token.as_ref().map(|_| UNNAMED_ADMIN.to_owned()))
            .collect();
        let listed = |items: Vec<String>| match items.is_empty() {
            true => "none".to_owned(),
            false => items.join(", "),
        };
        let rate = |r: Rate| format!("{},{}", r.per_second, r.burst);
        let lines = [
            ("public listener", self.listen.to_string()),
            ("ops listener", self.ops_listen.to_string()),
            ("store", self.store.to_string()),
            (
                "ballots wait for",
                self.ballot_durability.as_str().to_owned(),
            ),
            ("data dir", self.data_dir.display().to_string()),
            (
                "admins",
                match admins.is_empty() {
                    true => "none: the admin API and the console are off".to_owned(),
                    false => format!("{} (tokens hidden)", admins.join(", ")),
                },
            ),
            (
                "challenge key",
                match self.challenge_key {
                    Some(_) => "set (hidden)".to_owned(),
                    None => "kept by the store".to_owned(),
                },
            ),
            ("allowed origins", listed(self.allowed_origins.clone())),
            (
                "trusted proxies",
                listed(
                    self.trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                ),
            ),
            (
                "time zone",
                self.timezone.iana_name().unwrap_or("(unnamed)").to_owned(),
            ),
            ("language", self.portal.lang.code().to_owned()),
            (
                "sites file",
                self.sites_file
                    .as_ref()
                    .map_or("none (one site, default)".into(), |p| {
                        p.display().to_string()
                    }),
            ),
            (
                "polls file",
                self.polls_file
                    .as_ref()
                    .map_or("none".into(), |p| p.display().to_string()),
            ),
            (
                "visit window",
                humantime::format_duration(self.visit_window).to_string(),
            ),
            (
                "rate limits",
                format!(
                    "hits {} and ballots {} per address, {} in all (per second, burst)",
                    rate(self.rate_limit),
                    rate(self.vote_rate_limit),
                    rate(self.global_rate_limit)
                ),
            ),
            (
                "logs",
                format!(
                    "{:?}, filter {}, addresses {}",
                    self.log_format,
                    self.log_filter,
                    if self.log_addresses {
                        "shown"
                    } else {
                        "hidden"
                    }
                )
                .to_lowercase(),
            ),
        ];
        let mut out = String::new();
        for (name, value) in lines {
            let _ = writeln!(out, "{name:<17} {value}");
        }
        out
    }
}
