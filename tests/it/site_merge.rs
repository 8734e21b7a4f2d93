//! `tally merge-site` on each store: a commune merged into its department
//! adds its pages and polls to the department's and leaves every visit
//! figure as it was (the department's and the province's already held the
//! commune's); undone, every count is what it was; confirmed, the commune
//! keeps nothing. A rename is a merge into a new id with the old one as
//! its alias. A poll id on both sites refuses the merge with nothing
//! written.

use std::path::Path;
use std::sync::Arc;

use jiff::SignedDuration;
use reqwest::Method;
use serde_json::{Value, json};
use tally::calendar::Day;
use tally::ids::{PageId, PollId, SiteId};
use tally::store::Store;
use tempfile::TempDir;

use crate::archive::{tally, text};
use crate::polls::admin;
use crate::polls_sites::{ADMIN, POLL, ballot, create, start};
use crate::sites::{PROVINCE, counter, hit, origin, sites_file};
use crate::support::{BROWSER, Backend, Home, TestApp, cookie, noon};

/// The commune's own poll, beside the department's `khao-sat`.
const COMMUNE_POLL: &str = "y-kien";
const PAGES: [&str; 3] = ["/tin/0", "/tin/1", "/tin/2"];
const SITES: [&str; 4] = ["tinh", "so-y-te", "so-gd", "xa-an-phu"];

/// The province once the commune is gone from the file, its id an alias
/// of its department's.
fn aliased() -> String {
    let without = PROVINCE
        .split("[[sites]]")
        .filter(|table| !table.contains("id = \"xa-an-phu\""))
        .collect::<Vec<_>>()
        .join("[[sites]]");
    without.replacen(
        "id = \"so-y-te\"\n",
        "id = \"so-y-te\"\naliases = [\"xa-an-phu\"]\n",
        1,
    )
}

/// The app on `file`, its clock where [`traffic`] left the first one's:
/// the counters' days are the same days.
async fn restart(home: &Home, file: &Path) -> TestApp {
    let app = start(home, file).await;
    app.clock.set(noon() + SignedDuration::from_hours(48));
    app
}

fn id(s: &str) -> SiteId {
    SiteId::parse(s).unwrap()
}

fn days() -> [Day; 2] {
    ["2026-11-27".parse().unwrap(), "2026-11-28".parse().unwrap()]
}

/// A ballot for `option` in `poll` of `site`, from its own page.
async fn vote(app: &TestApp, site: &str, poll: &str, option: &str) {
    let answered = app
        .http
        .post(app.url(&format!("/v1/polls/{poll}/votes")))
        .query(&[("site", site)])
        .header("user-agent", BROWSER)
        .header("origin", origin(site))
        .header("content-type", "text/plain;charset=UTF-8")
        .header("cookie", format!("tally_vid={}", cookie()))
        .body(json!({ "options": [option] }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 201, "ballot in {poll} of {site}");
}

/// A poll `poll` of options `a` and `b` on `site`.
async fn poll_on(app: &TestApp, site: &str, poll: &str) {
    let body = json!({
        "id": poll,
        "question": format!("{site} hỏi"),
        "options": [{ "id": "a", "label": "A" }, { "id": "b", "label": "B" }],
    });
    let path = format!("/admin/polls?site={site}");
    let created = admin(app, Method::POST, &path, Some(ADMIN), Some(body)).await;
    assert_eq!(created.status(), 201, "{poll} on {site}");
}

/// Hits on two days over every site, a poll on the department and one on
/// the commune, with ballots.
async fn traffic(app: &TestApp) {
    let mut n = 0usize;
    for day in 0..2 {
        for (s, site) in SITES.iter().enumerate() {
            for visitor in 0..(2 + s + day) {
                let who = cookie();
                for page in PAGES.iter().take(1 + (visitor + n) % 3) {
                    let answered = hit(app, site, origin(site), &who, page).await;
                    assert_eq!(answered.status(), 200);
                }
                n += 1;
            }
        }
        app.flushed().await;
        app.clock.advance(SignedDuration::from_hours(24));
    }
    assert_eq!(create(app, "so-y-te", ADMIN, "Hỏi").await.status(), 201);
    for option in ["a", "b", "a"] {
        assert_eq!(
            ballot(app, "so-y-te", origin("so-y-te"), option)
                .await
                .status(),
            201
        );
    }
    poll_on(app, "xa-an-phu", COMMUNE_POLL).await;
    for option in ["b", "b", "a", "b"] {
        vote(app, "xa-an-phu", COMMUNE_POLL, option).await;
    }
    app.flushed().await;
}

/// What `site` shows: its counter (without who is online) and each page's
/// views, and each of `polls`' results (`null` where it has none).
async fn shown(app: &TestApp, site: &str, polls: &[&str]) -> Value {
    let mut view = counter(app, site, None).await;
    view.as_object_mut().unwrap().remove("online");
    for page in PAGES {
        view[page] = counter(app, site, Some(page)).await["page"]["views"].clone();
    }
    for poll in polls {
        let answered = app
            .http
            .get(app.url(&format!("/v1/polls/{poll}/results")))
            .query(&[("site", site)])
            .send()
            .await
            .unwrap();
        view[*poll] = match answered.status().as_u16() {
            200 => answered.json().await.unwrap(),
            _ => Value::Null,
        };
    }
    view
}

/// What the store keeps of `site`'s history: visits per day, the pages of
/// each day, each poll's ballots per day.
async fn kept(store: &Arc<dyn Store>, site: &str) -> Value {
    let site = id(site);
    let [first, last] = days();
    let visits = store.visits_by_day(&site, first, last).await.unwrap();
    let pages = store.pages_by_day(&site, &days(), 10).await.unwrap();
    let pages: Vec<Vec<(String, u64)>> = pages
        .into_iter()
        .map(|day| {
            let mut day: Vec<_> = day.into_iter().map(|(p, n)| (p.to_string(), n)).collect();
            day.sort();
            day
        })
        .collect();
    let mut ballots = serde_json::Map::new();
    for poll in [POLL, COMMUNE_POLL] {
        let poll_id = PollId::parse(poll).unwrap();
        let mut days = store.ballots_by_day(&site, &poll_id).await.unwrap();
        days.sort();
        ballots.insert(poll.into(), json!(days));
    }
    let views = store
        .page_views(&site, &PAGES.map(|p| PageId::parse(p).unwrap()))
        .await
        .unwrap();
    json!({ "visits": visits, "pages": pages, "ballots": ballots, "views": views })
}

/// `tally merge-site ARGS` on `home`'s store with the sites file `file`.
async fn merge_site(home: &Home, file: &Path, args: &[&str]) -> std::process::Output {
    let mut env = home.env();
    env.push(("TALLY_SITES_FILE", file.display().to_string()));
    let mut line = vec!["merge-site"];
    line.extend(args);
    tally(&line, &env).await
}

/// `merge-site`'s arguments: `from` into `into`, its journal at `journal`.
fn merge_args<'a>(from: &'a str, into: &'a str, journal: &'a str) -> [&'a str; 6] {
    ["--from", from, "--into", into, "--journal", journal]
}

/// Each element of `a` plus `b`'s, both numbers or both lists of them.
fn sum(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Array(a), Value::Array(b)) => {
            Value::Array(a.iter().zip(b).map(|(a, b)| sum(a, b)).collect())
        }
        _ => json!(a.as_u64().unwrap() + b.as_u64().unwrap()),
    }
}

async fn merging_a_commune_into_its_department_keeps_every_count(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let (_alias_dir, alias_file) = sites_file(&aliased());
    let journals = TempDir::new().unwrap();
    let polls = [POLL, COMMUNE_POLL];

    let app = start(&home, &province).await;
    traffic(&app).await;
    let mut before = serde_json::Map::new();
    for site in SITES {
        before.insert(site.into(), shown(&app, site, &polls).await);
    }
    app.stop().await;
    let store = home.open_store().await;
    let (health_kept, commune_kept) = (
        kept(&store, "so-y-te").await,
        kept(&store, "xa-an-phu").await,
    );
    drop(store);

    let journal = journals.path().join("merge.jsonl.gz");
    let journal = journal.to_str().unwrap();
    let args = merge_args("xa-an-phu", "so-y-te", journal);
    let merged = merge_site(&home, &province, &args).await;
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert!(
        text(&merged.stdout).contains("pending"),
        "{}",
        text(&merged.stdout)
    );
    // Confirming while the file still serves the commune is refused.
    let confirm = ["--confirm", "--from", "xa-an-phu", "--into", "so-y-te"];
    let refused = merge_site(&home, &province, &confirm).await;
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        text(&refused.stderr).contains("still a site"),
        "{}",
        text(&refused.stderr)
    );

    let app = restart(&home, &alias_file).await;
    let health = shown(&app, "so-y-te", &polls).await;
    let (was, commune) = (&before["so-y-te"], &before["xa-an-phu"]);
    for figure in ["total", "today", "yesterday", "this_week", "this_month"] {
        assert_eq!(
            health[figure], was[figure],
            "so-y-te {figure}: counted already"
        );
    }
    for page in PAGES {
        assert_eq!(
            health[page],
            sum(&was[page], &commune[page]),
            "so-y-te {page}"
        );
    }
    assert_eq!(health[POLL], was[POLL]);
    assert_eq!(
        health[COMMUNE_POLL], commune[COMMUNE_POLL],
        "the commune's poll moved"
    );
    for site in ["tinh", "so-gd"] {
        assert_eq!(shown(&app, site, &polls).await, before[site], "{site}");
    }
    // The commune's id is the department's now.
    assert_eq!(shown(&app, "xa-an-phu", &polls).await, health);
    app.stop().await;
    let store = home.open_store().await;
    let now = kept(&store, "so-y-te").await;
    assert_eq!(now["visits"], health_kept["visits"]);
    assert_eq!(
        now["views"],
        sum(&health_kept["views"], &commune_kept["views"])
    );
    assert_eq!(now["ballots"][POLL], health_kept["ballots"][POLL]);
    assert_eq!(
        now["ballots"][COMMUNE_POLL],
        commune_kept["ballots"][COMMUNE_POLL]
    );
    let pages_of = |v: &Value, day: usize| v["pages"][day].as_array().unwrap().len();
    for day in 0..2 {
        let mut summed: std::collections::BTreeMap<String, u64> = Default::default();
        for side in [&health_kept, &commune_kept] {
            for row in side["pages"][day].as_array().unwrap() {
                *summed.entry(row[0].as_str().unwrap().into()).or_default() +=
                    row[1].as_u64().unwrap();
            }
        }
        assert_eq!(pages_of(&now, day), summed.len());
        assert_eq!(
            now["pages"][day],
            json!(summed.into_iter().collect::<Vec<_>>())
        );
    }
    drop(store);

    let undone = merge_site(&home, &alias_file, &["--undo", "--journal", journal]).await;
    assert!(undone.status.success(), "{}", text(&undone.stderr));
    let again = merge_site(&home, &alias_file, &["--undo", "--journal", journal]).await;
    assert!(text(&again.stderr).contains("no merge of xa-an-phu into so-y-te stands"));
    let store = home.open_store().await;
    assert_eq!(kept(&store, "so-y-te").await, health_kept);
    assert_eq!(kept(&store, "xa-an-phu").await, commune_kept);
    drop(store);
    let app = restart(&home, &province).await;
    for site in SITES {
        assert_eq!(
            shown(&app, site, &polls).await,
            before[site],
            "{site} after the undo"
        );
    }
    app.stop().await;

    // Merged again and confirmed: the commune's own data is gone.
    let second = journals.path().join("again.jsonl.gz");
    let args = merge_args("xa-an-phu", "so-y-te", second.to_str().unwrap());
    let merged = merge_site(&home, &province, &args).await;
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let confirmed = merge_site(&home, &alias_file, &confirm).await;
    assert!(confirmed.status.success(), "{}", text(&confirmed.stderr));
    let store = home.open_store().await;
    assert!(store.holding(&id("xa-an-phu")).await.unwrap().empty);
    assert!(store.merges(&id("so-y-te")).await.unwrap().is_empty());
    // In the province's log, and in the target's, where its editors read it.
    for site in ["tinh", "so-y-te"] {
        let audit = store.audit(&id(site), 10).await.unwrap();
        let actions: Vec<String> = audit
            .iter()
            .map(|e| {
                serde_json::from_str::<Value>(e).unwrap()["action"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            actions[..4],
            ["confirm_merge", "merge_site", "undo_merge", "merge_site"],
            "{site}"
        );
    }
}

/// A rename: the commune's counts merged into its new id, whose file
/// keeps the old one as an alias, so pages that name it count on.
async fn a_rename_is_a_merge_into_a_new_id_with_the_old_as_alias(backend: Backend) {
    let home = Home::open(backend).await;
    // The commune's counter before tally, which the renamed site keeps.
    let with_baseline = PROVINCE.replacen(
        "id = \"xa-an-phu\"\n",
        "id = \"xa-an-phu\"\nbaseline = 100\n",
        1,
    );
    let (_dir, province) = sites_file(&with_baseline);
    let renamed = PROVINCE.replacen(
        "id = \"xa-an-phu\"\n",
        "id = \"xa-an-phu-moi\"\naliases = [\"xa-an-phu\"]\n",
        1,
    );
    let (_renamed_dir, renamed) = sites_file(&renamed);
    let app = start(&home, &province).await;
    for page in PAGES {
        hit(&app, "xa-an-phu", origin("xa-an-phu"), &cookie(), page).await;
    }
    app.flushed().await;
    let before = counter(&app, "xa-an-phu", Some(PAGES[0])).await;
    assert_eq!(before["total"], 103);
    let (health, province_total) = (
        counter(&app, "so-y-te", None).await["total"]
            .as_u64()
            .unwrap(),
        counter(&app, "tinh", None).await["total"].as_u64().unwrap(),
    );
    app.stop().await;
    let journals = TempDir::new().unwrap();
    let journal = journals.path().join("rename.jsonl.gz");
    let args = merge_args("xa-an-phu", "xa-an-phu-moi", journal.to_str().unwrap());
    let mut env = home.env();
    env.push(("TALLY_SITES_FILE", renamed.display().to_string()));
    let mut line = vec!["rename-site"];
    line.extend(args);
    let merged = tally(&line, &env).await;
    assert!(merged.status.success(), "{}", text(&merged.stderr));

    let app = start(&home, &renamed).await;
    let after = counter(&app, "xa-an-phu-moi", Some(PAGES[0])).await;
    assert_eq!(
        (after["total"].clone(), after["page"].clone()),
        (before["total"].clone(), json!({"id": PAGES[0], "views": 1}))
    );
    // An old embed, naming the old id from the commune's pages.
    let old = hit(&app, "xa-an-phu", origin("xa-an-phu"), &cookie(), "/cu").await;
    assert_eq!(old.status(), 200);
    app.flushed().await;
    let total = |v: Value| v["total"].as_u64().unwrap();
    assert_eq!(
        total(counter(&app, "xa-an-phu-moi", None).await),
        total(before.clone()) + 1
    );
    assert_eq!(total(counter(&app, "so-y-te", None).await), health + 1);
    assert_eq!(total(counter(&app, "tinh", None).await), province_total + 1);
    app.stop().await;
}

/// One poll id on both sites: the merge is refused naming it, and nothing
/// is written (no journal, no mark, the department's counts as they were).
async fn a_poll_on_both_sites_refuses_the_merge(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let app = start(&home, &province).await;
    for site in ["so-y-te", "xa-an-phu"] {
        hit(&app, site, origin(site), &cookie(), PAGES[0]).await;
        assert_eq!(create(&app, site, ADMIN, "Hỏi").await.status(), 201);
        assert_eq!(ballot(&app, site, origin(site), "a").await.status(), 201);
    }
    app.flushed().await;
    app.stop().await;
    let store = home.open_store().await;
    let health = kept(&store, "so-y-te").await;
    drop(store);
    let journals = TempDir::new().unwrap();
    let journal = journals.path().join("merge.jsonl.gz");
    let args = merge_args("xa-an-phu", "so-y-te", journal.to_str().unwrap());
    let refused = merge_site(&home, &province, &args).await;
    assert_eq!(refused.status.code(), Some(1));
    let why = text(&refused.stderr);
    assert!(
        why.contains(&format!("poll {POLL} is on both xa-an-phu and so-y-te"))
            && why.trim().lines().count() == 1,
        "{why}"
    );
    assert!(!journal.exists());
    let store = home.open_store().await;
    assert_eq!(kept(&store, "so-y-te").await, health);
    assert!(store.merges(&id("so-y-te")).await.unwrap().is_empty());
}

/// An undo that would take ballots away is refused, and so are an undo
/// and a confirm of a merge cut off while writing: nothing is changed.
async fn an_undo_that_would_lose_ballots_is_refused(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);
    let (_alias_dir, alias_file) = sites_file(&aliased());
    let app = start(&home, &province).await;
    poll_on(&app, "xa-an-phu", COMMUNE_POLL).await;
    vote(&app, "xa-an-phu", COMMUNE_POLL, "a").await;
    app.stop().await;
    let journals = TempDir::new().unwrap();
    let journal = journals.path().join("merge.jsonl.gz");
    let journal = journal.to_str().unwrap();
    let args = merge_args("xa-an-phu", "so-y-te", journal);
    let merged = merge_site(&home, &province, &args).await;
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    // A ballot in the moved poll, on the department, through the old id.
    let app = restart(&home, &alias_file).await;
    vote(&app, "so-y-te", COMMUNE_POLL, "b").await;
    app.stop().await;
    let refused = merge_site(&home, &alias_file, &["--undo", "--journal", journal]).await;
    assert_eq!(refused.status.code(), Some(1));
    let why = text(&refused.stderr);
    assert!(
        why.contains("poll y-kien took ballots on so-y-te since the merge")
            && why.trim().lines().count() == 1,
        "{why}"
    );
    let store = home.open_store().await;
    let (into, from) = (id("so-y-te"), id("xa-an-phu"));
    let poll = PollId::parse(COMMUNE_POLL).unwrap();
    let state = store.poll_state(&into, &poll, None).await.unwrap().unwrap();
    assert_eq!(state.voters, 2, "the merge stands");
    // Cut off while writing: what it wrote is not known.
    use tally::store::piece::MergeMark;
    store
        .mark_merge(&into, &from, Some(MergeMark::Writing))
        .await
        .unwrap();
    store.sync().await.unwrap();
    drop(store);
    let confirm = ["--confirm", "--from", "xa-an-phu", "--into", "so-y-te"];
    for args in [&["--undo", "--journal", journal][..], &confirm[..]] {
        let refused = merge_site(&home, &alias_file, args).await;
        assert_eq!(refused.status.code(), Some(1), "{args:?}");
        assert!(
            text(&refused.stderr).contains("cut off while writing"),
            "{args:?}"
        );
    }
    let store = home.open_store().await;
    assert!(
        !store.holding(&from).await.unwrap().empty,
        "nothing deleted"
    );
}

on_every_store!(
    merging_a_commune_into_its_department_keeps_every_count,
    a_rename_is_a_merge_into_a_new_id_with_the_old_as_alias,
    a_poll_on_both_sites_refuses_the_merge,
    an_undo_that_would_lose_ballots_is_refused,
);
