//! What a merge of one site into another writes, and where: the rules
//! alone, without a store.
//!
//! The roll-up decides it. A parent's visits already hold its
//! descendants' (they were written there when counted), so the merged
//! site's visits go only to the sites of the target's chain that did not
//! already count them: into its parent, nothing; into a sibling, the
//! sibling alone; into a site of another subtree, the target and its
//! ancestors below the common one. Pages do not roll up (a parent's pages
//! are its own), so pages and their days go to the target alone, as do
//! polls with their days and voters.

use anyhow::bail;

use crate::ids::SiteId;
use crate::sites::Sites;
use crate::store::piece::Piece;

/// A merge of `from` into `into`, placed in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub from: SiteId,
    pub into: SiteId,
    /// The sites whose visits grow by the merged site's: the target's
    /// chain less the sites that counted them already.
    pub gains: Vec<SiteId>,
}

impl Plan {
    /// The merge of `from` into `into` as the sites file `served` places
    /// them. `into` must be a site; `from` a site (its place is the file's)
    /// or an alias of `into` (a rename: it stood where `into` stands).
    pub fn new(served: &Sites, from: &SiteId, into: &SiteId) -> anyhow::Result<Self> {
        if from == into {
            bail!("--from and --into name the same site, {into}");
        }
        if served.get(into).is_none() {
            bail!(
                "--into {into}: not a site of the sites file (TALLY_SITES_FILE); add it first (a \
                 rename merges into the new id, with the old one as its alias)"
            );
        }
        let former: Vec<SiteId> = if served.get(from).is_some() {
            served.chain(from).to_vec()
        } else if served.alias_of(from).is_some_and(|def| &def.id == into) {
            std::iter::once(from)
                .chain(&served.chain(into)[1..])
                .cloned()
                .collect()
        } else {
            bail!(
                "--from {from}: neither a site of the sites file nor an alias of {into} (give it \
                 as one of {into}'s aliases, or keep it in the file until the merge is done)"
            );
        };
        // Its figures hold its children's visits: merged whole, they would
        // count again when the children are.
        if let Some(child) = served.subtree(from).into_iter().find(|def| &def.id != from) {
            bail!(
                "--from {from}: {} lies below it; merge the sites below it first, or give them                  another parent",
                child.id
            );
        }
        let gains = served
            .chain(into)
            .iter()
            .filter(|site| !former.contains(site))
            .cloned()
            .collect();
        Ok(Self {
            from: from.clone(),
            into: into.clone(),
            gains,
        })
    }

    /// What the merge writes of `exported` (the merged site's pieces), each
    /// piece under the site it is written to. A baseline (the counter
    /// before tally, a site's own: parents do not add up their children's)
    /// goes to the target alone; audit entries and deleted polls'
    /// tombstones stay with the merged site's data.
    pub fn pieces(&self, exported: Vec<Piece>) -> Vec<Piece> {
        let into = self.into.as_str().to_owned();
        let mut out = Vec::with_capacity(exported.len());
        for piece in exported {
            match piece {
                Piece::Counters {
                    baseline, visits, ..
                } => {
                    out.extend(self.gains.iter().map(|site| Piece::Counters {
                        site: site.as_str().to_owned(),
                        baseline: if *site == self.into { baseline } else { 0 },
                        visits,
                    }));
                    if baseline > 0 && !self.gains.contains(&self.into) {
                        out.push(Piece::Counters {
                            site: into.clone(),
                            baseline,
                            visits: 0,
                        });
                    }
                }
                Piece::Bucket { period, visits, .. } => {
                    out.extend(self.gains.iter().map(|site| Piece::Bucket {
                        site: site.as_str().to_owned(),
                        period,
                        visits,
                    }));
                }
                Piece::Day {
                    day,
                    visits,
                    imported,
                    ..
                } => {
                    out.extend(self.gains.iter().map(|site| Piece::Day {
                        site: site.as_str().to_owned(),
                        day,
                        visits,
                        imported,
                    }));
                }
                Piece::Page { page, views, .. } => out.push(Piece::Page {
                    site: into.clone(),
                    page,
                    views,
                }),
                Piece::PageDay {
                    day, page, views, ..
                } => out.push(Piece::PageDay {
                    site: into.clone(),
                    day,
                    page,
                    views,
                }),
                Piece::Poll { poll, counts, .. } => out.push(Piece::Poll {
                    site: into.clone(),
                    poll,
                    counts,
                }),
                Piece::PollDay {
                    poll,
                    day,
                    option,
                    ballots,
                    ..
                } => out.push(Piece::PollDay {
                    site: into.clone(),
                    poll,
                    day,
                    option,
                    ballots,
                }),
                Piece::Voter {
                    poll,
                    visitor,
                    record,
                    ..
                } => out.push(Piece::Voter {
                    site: into.clone(),
                    poll,
                    visitor,
                    record,
                }),
                Piece::DeletedPoll { .. } | Piece::Audit { .. } => {}
            }
        }
        // Each site's pieces together, so each is written in one call.
        out.sort_by(|a, b| a.site().cmp(b.site()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sites::{SitesFileDefaults, read_sites_file};

    const PROVINCE: &str = r#"
[[sites]]
id = "tinh"
name = "Tỉnh"

[[sites]]
id = "so-y-te"
name = "Sở Y tế"
parent = "tinh"
aliases = ["so-y-te-cu"]

[[sites]]
id = "so-gd"
name = "Sở Giáo dục"
parent = "tinh"

[[sites]]
id = "xa-an-phu"
name = "Xã An Phú"
parent = "so-y-te"

[[sites]]
id = "xa-binh-an"
name = "Xã Bình An"
parent = "so-gd"
"#;

    fn sites() -> Sites {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("sites.toml");
        std::fs::write(&path, PROVINCE).unwrap();
        let defaults = SitesFileDefaults {
            lang: crate::lang::Lang::Vi,
            timezone: jiff::tz::TimeZone::UTC,
        };
        read_sites_file(&path, &defaults).unwrap()
    }

    fn id(s: &str) -> SiteId {
        SiteId::parse(s).unwrap()
    }

    fn gains(from: &str, into: &str) -> Vec<String> {
        let plan = Plan::new(&sites(), &id(from), &id(into)).unwrap();
        plan.gains.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn visits_go_only_where_they_were_not_counted() {
        // Into its parent: the parent and above hold them already.
        assert!(gains("xa-an-phu", "so-y-te").is_empty());
        // Into a site of another subtree: up to the common ancestor.
        assert_eq!(gains("xa-an-phu", "xa-binh-an"), ["xa-binh-an", "so-gd"]);
        assert_eq!(gains("xa-binh-an", "so-y-te"), ["so-y-te"]);
        // A rename: the alias stood where its site stands.
        assert_eq!(gains("so-y-te-cu", "so-y-te"), ["so-y-te"]);
    }

    #[test]
    fn a_merge_the_file_cannot_place_is_refused() {
        let refused = |from: &str, into: &str| {
            Plan::new(&sites(), &id(from), &id(into))
                .unwrap_err()
                .to_string()
        };
        assert!(refused("so-y-te", "so-y-te").contains("the same site"));
        assert!(refused("xa-an-phu", "khong-co").contains("--into khong-co: not a site"));
        assert!(refused("khong-co", "so-y-te").contains("--from khong-co: neither"));
        assert!(refused("so-y-te-cu", "so-gd").contains("neither"));
        assert!(refused("so-y-te", "xa-an-phu").contains("xa-an-phu lies below it"));
        assert!(refused("so-gd", "so-y-te").contains("xa-binh-an lies below it"));
    }

    #[test]
    fn pages_and_polls_go_to_the_target_and_visits_to_its_gains() {
        let plan = Plan::new(&sites(), &id("xa-an-phu"), &id("xa-binh-an")).unwrap();
        let day: crate::calendar::Day = "2026-11-27".parse().unwrap();
        let exported = vec![
            Piece::Counters {
                site: "xa-an-phu".into(),
                baseline: 500,
                visits: 7,
            },
            Piece::Page {
                site: "xa-an-phu".into(),
                page: "/a".into(),
                views: 3,
            },
            Piece::Day {
                site: "xa-an-phu".into(),
                day,
                visits: 7,
                imported: 0,
            },
            Piece::Audit {
                site: "xa-an-phu".into(),
                entry: "{}".into(),
            },
        ];
        let written = plan.pieces(exported);
        let written_to: Vec<&str> = written.iter().map(Piece::site).collect();
        assert_eq!(
            written_to,
            ["so-gd", "so-gd", "xa-binh-an", "xa-binh-an", "xa-binh-an"]
        );
        assert!(written.contains(&Piece::Counters {
            site: "so-gd".into(),
            baseline: 0,
            visits: 7
        }));
        assert!(written.contains(&Piece::Counters {
            site: "xa-binh-an".into(),
            baseline: 500,
            visits: 7
        }));
        // Into its parent: no visit moves, the baseline does.
        let up = Plan::new(&sites(), &id("xa-an-phu"), &id("so-y-te")).unwrap();
        let counted = Piece::Counters {
            site: "xa-an-phu".into(),
            baseline: 500,
            visits: 7,
        };
        assert_eq!(
            up.pieces(vec![counted]),
            [Piece::Counters {
                site: "so-y-te".into(),
                baseline: 500,
                visits: 0
            }]
        );
        assert!(written.contains(&Piece::Page {
            site: "xa-binh-an".into(),
            page: "/a".into(),
            views: 3
        }));
    }
}
