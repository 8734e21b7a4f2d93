//! The history through the real app: 400 simulated days of visits and page
//! views, moved through by the injectable clock, read back through the
//! admin API (JSON and CSV) and checked day by day, month by month and
//! page by page against a model, on every store; what the store holds
//! afterwards stays within the bound the README states. And a previous
//! counter's ten years of history, imported twice, raise the total once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde_json::Value;
use tally::calendar::Day;
use tally::config::Secret;

use crate::support::{Backend, Home, TestApp, cookie};

const TOKEN: &str = "history-admin-token-0123456789";
/// What each past day keeps of its pages, and for how many days.
const TOP: u32 = 3;
const KEPT_DAYS: u32 = 30;
const DAYS: i64 = 400;
const PAGES: usize = 5;

/// What the app should have counted.
#[derive(Default)]
struct Model {
    visits: BTreeMap<Day, u64>,
    /// Each day's page views, most read first.
    pages: BTreeMap<Day, Vec<(String, u64)>>,
}

/// Day `d`'s views of each page: a permutation of 1..=PAGES, different
/// from day to day, so each day's most-read pages are unambiguous.
fn views_on(d: i64) -> [u64; PAGES] {
    let mut views = [1, 2, 3, 4, 5];
    views.rotate_left((d % PAGES as i64) as usize);
    if d % 3 == 0 {
        views.swap(0, 4);
    }
    if d % 7 == 2 {
        views.swap(1, 3);
    }
    views
}

/// `(key, number)` of each object in a JSON list.
fn pairs<'a>(
    list: &'a Value,
    key: &'a str,
    number: &'a str,
) -> impl Iterator<Item = (String, u64)> + 'a {
    list.as_array().unwrap().iter().map(move |v| {
        (
            v[key].as_str().unwrap().to_owned(),
            v[number].as_u64().unwrap(),
        )
    })
}

/// Posts a history to import.
async fn import(app: &TestApp, content_type: &str, csv: String) -> reqwest::Response {
    app.http
        .post(format!("{}/admin/history/import", app.ops))
        .bearer_auth(TOKEN)
        .header("content-type", content_type)
        .body(csv)
        .send()
        .await
        .unwrap()
}

async fn start(home: &Home) -> TestApp {
    let app = TestApp::start(home, |s| {
        s.admin_token = Some(Secret::new(TOKEN.into()));
        s.history_top_pages = TOP;
        s.history_page_days = KEPT_DAYS;
        s.flush_interval = Duration::from_millis(10);
    })
    .await;
    // 400 days before the day the test ends on, at varying hours.
    app.clock.set("2025-11-02T00:00:00+07:00".parse().unwrap());
    app
}

async fn admin(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.ops))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("admin answered")
}

async fn admin_json(app: &TestApp, path: &str) -> Value {
    let response = admin(app, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.unwrap()
}

/// Plays one day: visitors reading pages (each page read by as many
/// visitors as `views_on` says, one of them reloading it), and visitors
/// who read no page.
async fn play_day(app: &TestApp, d: i64, model: &mut Model) {
    let start: Timestamp = "2025-11-02T00:00:00+07:00".parse().unwrap();
    // Hours vary from day to day; some days' visits come at 23:59.
    let minutes = if d % 11 == 0 {
        23 * 60 + 59
    } else {
        (d * 37) % (23 * 60)
    };
    let at = start
        .checked_add(SignedDuration::from_hours(24 * d) + SignedDuration::from_mins(minutes))
        .unwrap();
    app.clock.set(at);
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let day = Day::new(at.to_zoned_datetime(zone).date());
    let views = views_on(d);
    let readers = *views.iter().max().unwrap();
    let idle = (d * 7 % 4) as u64;
    let hits = (0..readers).map(|v| {
        let pages: Vec<String> = (0..PAGES)
            .filter(|p| views[*p] > v)
            .map(|p| format!("/tin-tuc/bai-{p}"))
            .collect();
        async move {
            let visitor = cookie();
            for page in &pages {
                app.hit_json(Some(&visitor), Some(page)).await;
            }
            // A reload is not a view.
            app.hit_json(Some(&visitor), Some(&pages[0])).await;
        }
    });
    join_all(hits).await;
    join_all((0..idle).map(|_| async { app.hit_json(Some(&cookie()), None).await })).await;
    let visits = readers + idle;
    model.visits.insert(day, visits);
    let mut pages: Vec<(String, u64)> = (0..PAGES)
        .map(|p| (format!("/tin-tuc/bai-{p}"), views[p]))
        .collect();
    pages.sort_by_key(|p| std::cmp::Reverse(p.1));
    model.pages.insert(day, pages);
    // Every hit of the day is in the store before the clock moves on.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let counter = app.counter(None).await;
        if counter["today"] == visits && counter["stale"] == false {
            break;
        }
        assert!(Instant::now() < deadline, "day {day}: {counter}");
        tokio::time::sleep(Duration::from_millis(15)).await;
    }
}

async fn replay(backend: Backend) {
    let home = Home::open(backend).await;
    let app = start(&home).await;
    let mut model = Model::default();
    for d in 0..DAYS {
        play_day(&app, d, &mut model).await;
    }
    let (first, last) = (
        *model.visits.keys().next().unwrap(),
        *model.visits.keys().last().unwrap(),
    );
    // The last day's increments reach the store with the next flush.
    let deadline = Instant::now() + Duration::from_secs(10);
    while admin_json(&app, &format!("/admin/history/days?from={last}&to={last}")).await["total"]
        != model.visits[&last]
    {
        assert!(
            Instant::now() < deadline,
            "the last day never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Every day's visits, in JSON and in CSV.
    let days = admin_json(&app, &format!("/admin/history/days?from={first}&to={last}")).await;
    let read: BTreeMap<String, u64> = pairs(&days["days"], "day", "visits").collect();
    let expected: BTreeMap<String, u64> = model
        .visits
        .iter()
        .map(|(d, n)| (d.to_string(), *n))
        .collect();
    let differ: Vec<_> = expected
        .iter()
        .filter(|(d, n)| read.get(*d) != Some(n))
        .map(|(d, n)| format!("{d}: read {:?}, counted {n}", read.get(d)))
        .collect();
    assert!(differ.is_empty(), "{differ:?}");
    assert_eq!(read.len(), expected.len());
    assert_eq!(days["total"], expected.values().sum::<u64>());
    let csv = admin(
        &app,
        &format!("/admin/history/days?from={first}&to={last}&format=csv"),
    )
    .await
    .text()
    .await
    .unwrap();
    let csv = csv.strip_prefix('\u{feff}').expect("a byte-order mark");
    let rows: BTreeMap<String, u64> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let (d, n) = l.split_once(',').unwrap();
            (d.to_owned(), n.parse().unwrap())
        })
        .collect();
    assert_eq!(rows, expected);

    // Every month's sum.
    let months = admin_json(
        &app,
        &format!(
            "/admin/history/months?from={}&to={}",
            first.month(),
            last.month()
        ),
    )
    .await;
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    for (day, n) in &model.visits {
        *sums.entry(day.month().to_string()).or_default() += n;
    }
    let read: BTreeMap<String, u64> = pairs(&months["months"], "month", "visits").collect();
    assert_eq!(read, sums);

    // Each kept day's most-read pages; days before are gone.
    let pages = admin_json(
        &app,
        &format!("/admin/history/pages?from={first}&to={last}"),
    )
    .await;
    let listed = pages["days"].as_array().unwrap();
    assert_eq!(listed.len(), KEPT_DAYS as usize);
    for entry in listed {
        let day: Day = entry["day"].as_str().unwrap().parse().unwrap();
        let read: Vec<(String, u64)> = pairs(&entry["pages"], "page", "views").collect();
        let top: Vec<(String, u64)> = model.pages[&day][..TOP as usize].to_vec();
        assert_eq!(read, top, "{day}");
    }
    assert_eq!(
        listed.first().unwrap()["day"],
        last.days_before(KEPT_DAYS - 1).to_string()
    );

    // The most-read pages of the last 7 days: the sum of each day's top.
    let week = last.days_before(6);
    let top = admin_json(
        &app,
        &format!("/admin/history/top-pages?from={week}&to={last}&limit=5"),
    )
    .await;
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    for day in week.through(last) {
        for (page, n) in &model.pages[&day][..TOP as usize] {
            *sums.entry(page.clone()).or_default() += n;
        }
    }
    let read: BTreeMap<String, u64> = pairs(&top["pages"], "page", "views").collect();
    assert_eq!(read, sums);
    let views: Vec<u64> = top["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["views"].as_u64().unwrap())
        .collect();
    assert!(views.windows(2).all(|w| w[0] >= w[1]), "most read first");

    app.stop().await;
    within_the_bound(&home, first, last).await;
}

/// What the README promises the history costs: per past day at most
/// `TALLY_HISTORY_TOP_PAGES` pages, for `TALLY_HISTORY_PAGE_DAYS` days.
async fn within_the_bound(home: &Home, first: Day, last: Day) {
    let store = home.open_store().await;
    let days: Vec<Day> = first.through(last).collect();
    let kept = store
        .pages_by_day(&tally::ids::SiteId::DEFAULT, &days, 1000)
        .await
        .unwrap();
    for (day, pages) in days.iter().zip(&kept) {
        let age = day.through(last).count() as u32 - 1;
        if age >= KEPT_DAYS {
            assert!(pages.is_empty(), "{day} is past the days kept");
        } else if age > 0 {
            assert!(pages.len() <= TOP as usize, "{day}: {}", pages.len());
        }
    }
    if let Home::Redis(server) = home {
        let keys = server.cli(&["--scan", "--pattern", "tally:{default}:pages:day:*"]);
        assert!(keys.lines().count() <= KEPT_DAYS as usize, "{keys}");
        let mut bytes = 0;
        for key in keys.lines().chain(
            server
                .cli(&["--scan", "--pattern", "tally:{default}:visits:days:*"])
                .lines(),
        ) {
            bytes += server
                .cli(&["MEMORY", "USAGE", key])
                .trim()
                .parse::<u64>()
                .unwrap();
        }
        // README: under 1 KiB per month of visits and per kept day of
        // pages (at 100 pages a day, under 12 KiB).
        let months = 14;
        eprintln!(
            "history on Redis after {DAYS} days: {bytes} bytes in {} keys",
            keys.lines().count() + months as usize
        );
        assert!(
            bytes < (months + u64::from(KEPT_DAYS)) * 1024,
            "history holds {bytes} bytes"
        );
    }
}

async fn ten_years_imported_twice(backend: Backend) {
    let home = Home::open(backend).await;
    let app = start(&home).await;
    app.clock.set("2026-12-04T09:00:00+07:00".parse().unwrap());
    app.hit_json(Some(&cookie()), Some("/")).await;
    let before = app.settled_counter(None).await["total"].as_u64().unwrap();
    // Ten years of a previous counter, ending the day before tally began.
    let mut csv = String::from("\u{feff}Ngày;Lượt truy cập\r\n");
    let mut day: jiff::civil::Date = "2014-12-01".parse().unwrap();
    let end: jiff::civil::Date = "2024-11-30".parse().unwrap();
    let mut sum = 0u64;
    let mut n = 0u64;
    while day <= end {
        let visits = 1_000 + (n * 7919) % 5_000;
        csv.push_str(&format!(
            "{:02}/{:02}/{};{}\r\n",
            day.day(),
            day.month(),
            day.year(),
            visits
        ));
        sum += visits;
        n += 1;
        day = day.checked_add(1.day()).unwrap();
    }
    let first: Value = import(&app, "text/csv; charset=utf-8", csv.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["days"], n);
    assert_eq!(first["changed"], n);
    assert_eq!(first["added"], sum);
    // The replica's counter reads the store again at its next flush.
    let total = before + sum;
    assert_eq!(app.counter_eventually("total", total).await["total"], total);
    let again: Value = import(&app, "text/csv", csv.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["changed"], 0);
    assert_eq!(again["added"], 0);
    // The counter has read the store again since.
    app.flushed().await;
    assert_eq!(app.settled_counter(None).await["total"], total);
    // The imported days are the history's: a month, and a year of months.
    let march = admin_json(&app, "/admin/history/days?from=2019-03-01&to=2019-03-31").await;
    assert_eq!(march["days"].as_array().unwrap().len(), 31);
    let year = admin_json(&app, "/admin/history/months?from=2020-01&to=2020-12").await;
    let months: u64 = year["total"].as_u64().unwrap();
    assert!(months > 365 * 1_000 && months < 366 * 6_000, "{year}");
    // A file that changes one day moves the total by the difference only.
    let changed = csv.replacen("01/12/2014;1000", "01/12/2014;1500", 1);
    let third: Value = import(&app, "text/csv", changed)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (third["changed"].as_u64(), third["added"].as_i64()),
        (Some(1), Some(500))
    );
    assert_eq!(
        app.counter_eventually("total", total + 500).await["total"],
        total + 500
    );
    // The audit log says who imported, twice with a change, not for the
    // import that changed nothing.
    let audit = admin_json(&app, "/admin/audit").await;
    let imports: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "import_visits")
        .collect();
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0]["who"], "admin");
    assert!(imports[0]["at"].as_str().unwrap().ends_with("+07:00"));
    // A file that cannot be read changes nothing and says which line.
    let response = import(&app, "text/csv", "2020-01-01,5\n2020-01-01,6\n".into()).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_import");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 2")
    );
    // The counter has read the store again since.
    app.flushed().await;
    assert_eq!(app.settled_counter(None).await["total"], total + 500);
    app.stop().await;
}

/// The counter's last week (Monday to Sunday before this one) and last
/// month (the calendar month before), from the history.
async fn last_week_and_last_month(backend: Backend) {
    let home = Home::open(backend).await;
    let app = start(&home).await;
    app.clock.set("2026-11-27T12:00:00+07:00".parse().unwrap());
    // Today is Friday 27 November 2026.
    let csv = "date,visits\n\
               2026-09-30,400\n2026-10-01,100\n2026-10-31,200\n\
               2026-11-15,5\n2026-11-16,10\n2026-11-22,20\n2026-11-23,40\n";
    let imported = import(&app, "text/csv", csv.into()).await;
    assert_eq!(imported.status(), 200, "{}", imported.text().await.unwrap());
    let counter = app.counter(None).await;
    assert_eq!(
        (
            counter["last_week"].as_u64(),
            counter["last_month"].as_u64()
        ),
        (Some(30), Some(300)),
        "{counter}"
    );
    app.stop().await;
}

on_every_store!(replay, ten_years_imported_twice, last_week_and_last_month);
