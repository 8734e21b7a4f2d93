//! A role given on a site created through the admin API: read at start
//! once the store's sites are read, on each store. The token edits that
//! site's polls and is refused on its parent's; a role on a site that
//! neither the sites file nor the store defines still stops the start.

use serde_json::json;

use crate::polls::error_code;
use crate::polls_sites::{ADMIN, create};
use crate::sites::{PROVINCE, sites_file};
use crate::sites_defined::create_site;
use crate::support::{Backend, Home, TestApp, noon};

const COMMUNE: &str = "xa-binh-an";
const COMMUNE_EDITOR: &str = "c7d2a9e41f8b3065d4a1e7c92b5f8d30";

/// The tokens of the province's admin and of the commune's editor.
fn tokens() -> String {
    format!("ha:{ADMIN},binhan=editor@{COMMUNE}:{COMMUNE_EDITOR}")
}

/// Why the start with `tokens` stops, on `home`'s store.
async fn start_stops(home: &Home, province: &std::path::Path, tokens: &str) -> String {
    let mut settings = tally::config::Settings::for_tests(std::env::temp_dir());
    settings.store = home.store_settings();
    settings.sites_file = Some(province.to_path_buf());
    settings.admin_tokens = tally::config::named_tokens(tokens).unwrap();
    let clock = std::sync::Arc::new(tally::clock::ManualClock::new(noon()));
    let err = tally::app::start(settings, clock)
        .await
        .err()
        .expect("the start stops");
    format!("{err:#}")
}

async fn a_role_on_a_created_site_is_read_at_start(backend: Backend) {
    let home = Home::open(backend).await;
    let (_dir, province) = sites_file(PROVINCE);

    // Before the commune is created, its role names no site.
    let line = start_stops(&home, &province, &tokens()).await;
    assert!(
        line.starts_with(&format!("TALLY_ADMIN_TOKENS: binhan=editor@{COMMUNE}")),
        "{line}"
    );
    assert!(line.contains("is not a site of TALLY_SITES_FILE"), "{line}");
    assert!(!line.contains(COMMUNE_EDITOR), "{line}");

    let path = province.clone();
    let app = TestApp::start(&home, move |s| {
        s.sites_file = Some(path);
        s.admin_tokens = tally::config::named_tokens(&format!("ha:{ADMIN}")).unwrap();
    })
    .await;
    let body = json!({"id": COMMUNE, "name": "Xã Bình An", "parent": "so-y-te"});
    assert_eq!(create_site(&app, ADMIN, body).await.status(), 201);
    app.stop().await;

    // Restarted with a token on the commune: it edits the commune's polls
    // and not its parent's.
    let path = province.clone();
    let app = TestApp::start(&home, move |s| {
        s.sites_file = Some(path);
        s.admin_tokens = tally::config::named_tokens(&tokens()).unwrap();
    })
    .await;
    let created = create(&app, COMMUNE, COMMUNE_EDITOR, "Hỏi").await;
    assert_eq!(created.status(), 201);
    let refused = create(&app, "so-y-te", COMMUNE_EDITOR, "Hỏi").await;
    assert_eq!(error_code(refused).await, (403, "forbidden_role".into()));
    app.stop().await;

    // A site neither the file nor the store defines still stops it.
    let other = format!("ha:{ADMIN},lan=editor@xa-khong-co:{COMMUNE_EDITOR}");
    let line = start_stops(&home, &province, &other).await;
    assert!(
        line.starts_with("TALLY_ADMIN_TOKENS: lan=editor@xa-khong-co: xa-khong-co is not a site"),
        "{line}"
    );
}

on_every_store!(a_role_on_a_created_site_is_read_at_start);
