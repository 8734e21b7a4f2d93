//! Bodies the code renders for the admin API's history, export, import,
//! audit and sites schemas.

use serde_json::{Value, json};

use super::rendered::to_json;
use crate::ops::admin::bodies::{
    AuditEntryBody, AuditLog, BallotsPerDay, DayBallotsBody, DayPages, DayVisits, Deleted,
    ImportBody, MonthVisits, PageCount, PagesPerDay, TopPages, VisitsPerDay, VisitsPerMonth,
};
use crate::ops::admin::sites::{
    RemovedSiteBody, RemovedSitesBody, SiteBody, SiteDayBody, SiteDaysBody, SitesBody,
    SitesDaysBody,
};

fn pages() -> Vec<PageCount> {
    vec![
        PageCount {
            page: "/tin-tuc/thời-sự".into(),
            views: 138,
        },
        PageCount {
            page: "/".into(),
            views: 12,
        },
    ]
}

/// Bodies for `schema`, if it is one of these.
pub(super) fn rendered(schema: &str) -> Option<Vec<Value>> {
    Some(match schema {
        "Deleted" => vec![to_json(Deleted {
            id: "danh-gia-cong".into(),
            votes: 1204,
            voters: 1180,
        })],
        "VisitsPerDay" => vec![to_json(VisitsPerDay {
            time_zone: "Asia/Ho_Chi_Minh".into(),
            days: vec![
                DayVisits {
                    day: "2026-12-01".into(),
                    visits: 3398,
                },
                DayVisits {
                    day: "2026-12-02".into(),
                    visits: 0,
                },
            ],
            total: 3398,
        })],
        "VisitsPerMonth" => vec![to_json(VisitsPerMonth {
            time_zone: "Asia/Ho_Chi_Minh".into(),
            months: vec![MonthVisits {
                month: "2026-11".into(),
                visits: 40_213,
            }],
            total: 40_213,
        })],
        "PagesPerDay" => vec![to_json(PagesPerDay {
            top_pages: 100,
            days_kept: 90,
            days: vec![
                DayPages {
                    day: "2026-12-02".into(),
                    pages: pages(),
                },
                DayPages {
                    day: "2026-12-03".into(),
                    pages: vec![],
                },
            ],
        })],
        "TopPages" => vec![to_json(TopPages {
            from: "2026-11-26".into(),
            to: "2026-12-02".into(),
            pages: pages(),
        })],
        "BallotsPerDay" => vec![to_json(BallotsPerDay {
            poll: "danh-gia-cong".into(),
            options: vec!["tot".into(), "chua-tot".into()],
            days: vec![DayBallotsBody {
                day: "2026-12-02".into(),
                votes: vec![12, 3],
                voters: 15,
            }],
        })],
        "ImportBody" => vec![to_json(ImportBody {
            days: 3652,
            changed: 0,
            added: -500,
        })],
        "AuditLog" => vec![to_json(AuditLog {
            entries: vec![
                AuditEntryBody {
                    at: "2026-12-02T17:37:47+07:00".into(),
                    who: "lan".into(),
                    action: "close_poll".into(),
                    target: "danh-gia-cong".into(),
                    before: Some(json!({ "poll": {}, "votes": {}, "voters": 0 })),
                    after: Some(json!({ "poll": {}, "votes": {}, "voters": 0 })),
                },
                AuditEntryBody {
                    at: "2026-12-02T17:40:00+07:00".into(),
                    who: "admin".into(),
                    action: "set_baseline".into(),
                    target: "counter".into(),
                    before: None,
                    after: Some(json!({ "baseline": 7_582_803 })),
                },
            ],
        })],
        "SitesBody" => vec![to_json(SitesBody {
            configured: true,
            sites: vec![SiteBody {
                id: "so-y-te".into(),
                name: "Sở Y tế".into(),
                parent: Some("tinh".into()),
                origins: vec!["https://soyte.tinh.gov.vn".into()],
                lang: "vi".into(),
                time_zone: "Asia/Ho_Chi_Minh".into(),
                aliases: vec!["so-y-te-cu".into()],
                defined: false,
            }],
        })],
        "SiteBody" => vec![to_json(SiteBody {
            id: "xa-an-phu".into(),
            name: "Xã An Phú".into(),
            parent: Some("so-y-te".into()),
            origins: vec!["https://anphu.tinh.gov.vn".into()],
            lang: "vi".into(),
            time_zone: "Asia/Ho_Chi_Minh".into(),
            aliases: Vec::new(),
            defined: true,
        })],
        "RemovedSitesBody" => vec![to_json(RemovedSitesBody {
            sites: vec![RemovedSiteBody {
                id: "xa-an-phu".into(),
                last_listed: "2026-12-01T02:00:00Z".into(),
                purged_from: "2026-12-31T02:00:00Z".into(),
            }],
        })],
        "SitesDaysBody" => vec![to_json(SitesDaysBody {
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
            sites: vec![SiteDaysBody {
                id: "tinh".into(),
                name: "Cổng thông tin điện tử tỉnh".into(),
                parent: None,
                days: vec![SiteDayBody {
                    day: "2026-12-01".into(),
                    visits: 3398,
                    own: 1204,
                }],
                total: 3398,
                own_total: 1204,
            }],
        })],
        _ => return None,
    })
}
