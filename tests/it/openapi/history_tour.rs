//! The tour's leg through the admin API's poll lifecycle, history,
//! exports, import and audit log.

use reqwest::Method;
use serde_json::json;

use super::tour::{Req, TOKEN, Tour};
use crate::support::{Backend, Home, TestApp, cookie};

pub async fn visit(tour: &mut Tour) {
    // A poll with a ballot, reopened, archived, exported, then deleted;
    // a draft published.
    let poll = json!({"question": "Thử?", "options": [{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]});
    let created = tour
        .send(Req::admin(Method::PUT, "/admin/polls/lich-su").json(poll))
        .await;
    assert_eq!(created.status, 201);
    // A draft, published.
    let draft = json!({"question": "Nháp?", "draft": true, "options": [{"id": "co", "label": "Có"}, {"id": "khong", "label": "Không"}]});
    let drafted = tour
        .send(Req::admin(Method::PUT, "/admin/polls/nhap-thu").json(draft))
        .await;
    assert_eq!(drafted.status, 201);
    assert_eq!(drafted.json()["draft"], json!(true));
    let published = tour
        .send(Req::admin(Method::POST, "/admin/polls/nhap-thu/publish"))
        .await;
    assert_eq!(published.json()["draft"], json!(false));
    let voted = tour
        .send(
            Req::post("/v1/polls/lich-su/votes")
                .visitor(&cookie())
                .json(json!({"options": ["co"]})),
        )
        .await;
    assert_eq!(voted.status, 201);
    tour.send(Req::admin(Method::POST, "/admin/polls/lich-su/close"))
        .await;
    let reopened = tour
        .send(
            Req::admin(Method::POST, "/admin/polls/lich-su/reopen")
                .json(json!({"closes_at": "2099-12-31T17:00"})),
        )
        .await;
    assert_eq!(reopened.json()["poll"]["status"], "open");
    assert!(
        reopened.json()["poll"]["closes_at"]
            .as_str()
            .unwrap()
            .starts_with("2099-12-31T17:00:00+07:00")
    );
    let archived = tour
        .send(Req::admin(Method::POST, "/admin/polls/lich-su/archive"))
        .await;
    assert!(archived.json()["archived_at"].is_string());
    let days = tour
        .send(Req::admin(
            Method::GET,
            "/admin/polls/lich-su/ballots-per-day",
        ))
        .await;
    assert_eq!(days.json()["days"][0]["votes"], json!([1, 0]));
    let csv = tour
        .send(Req::admin(
            Method::GET,
            "/admin/polls/lich-su/results?format=csv",
        ))
        .await;
    assert!(String::from_utf8_lossy(&csv.body).contains("co,Có,1,100.0"));
    tour.send(Req::admin(Method::GET, "/admin/polls/lich-su/results"))
        .await;
    let deleted = tour
        .send(Req::admin(Method::DELETE, "/admin/polls/lich-su"))
        .await;
    assert_eq!(deleted.json()["votes"], 1);
    let gone = tour
        .send(Req::admin(Method::GET, "/admin/polls/lich-su"))
        .await;
    assert_eq!(gone.status, 404);

    // The history and its exports.
    for path in [
        "/admin/history/days",
        "/admin/history/days?format=csv",
        "/admin/history/months?from=2026-01&to=2026-12",
        "/admin/history/pages",
        "/admin/history/top-pages?limit=5",
        "/admin/audit?limit=10",
        "/admin/audit?format=csv",
        "/admin/backup",
        "/admin/sites",
        "/admin/sites/days",
        "/admin/sites/days?format=xlsx",
        "/admin/sites/removed",
    ] {
        assert_eq!(
            tour.send(Req::admin(Method::GET, path)).await.status,
            200,
            "{path}"
        );
    }
    let imported = tour
        .send(
            Req::admin(Method::POST, "/admin/history/import")
                .body("text/csv", "date,visits\n2020-01-01,10\n2020-01-02,12\n"),
        )
        .await;
    assert_eq!(imported.json()["added"], 22);
    for refused in [
        Req::admin(
            Method::GET,
            "/admin/history/days?from=2026-12-31&to=2026-01-01",
        ),
        Req::admin(Method::GET, "/admin/history/days?format=xml"),
        Req::admin(
            Method::GET,
            "/admin/sites/days?from=2020-01-01&to=2026-01-01",
        ),
        Req::admin(Method::GET, "/admin/history/months?from=2026-13"),
        Req::admin(Method::GET, "/admin/audit?limit=0"),
        Req::admin(Method::GET, "/admin/audit?site=khong-co"),
        Req::admin(Method::POST, "/admin/history/import").body("text/csv", "x,y\n1,2\n"),
        Req::admin(Method::POST, "/admin/history/import").body("application/json", "{}"),
        Req::admin(Method::POST, "/admin/polls/khong-co/archive"),
        Req::admin(Method::DELETE, "/admin/polls/khong-co"),
    ] {
        assert!(tour.send(refused).await.status.is_client_error());
    }
}

/// The leg through the sites' changes, on a province of a sites file
/// (the tour's own deployment has none, and serves its one site): a
/// commune created and changed, and what is refused.
pub async fn visit_sites(tour: &mut Tour) {
    let home = Home::new(Backend::Embedded);
    let (_dir, file) = crate::sites::sites_file(crate::sites::PROVINCE);
    let province = TestApp::start(&home, move |s| {
        s.sites_file = Some(file);
        s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    })
    .await;
    let tours_own = std::mem::replace(&mut tour.app, province);
    let commune = json!({"id": "xa-moi", "name": "Xã Mới", "parent": "so-y-te", "origins": ["https://xamoi.tinh.gov.vn"]});
    let created = tour
        .send(Req::admin(Method::POST, "/admin/sites").json(commune.clone()))
        .await;
    assert_eq!(created.status, 201);
    let mut moved = commune.clone();
    moved["origins"] = json!(["https://xamoi.gov.vn"]);
    let changed = tour
        .send(Req::admin(Method::PUT, "/admin/sites/xa-moi").json(moved))
        .await;
    assert_eq!(changed.status, 200);
    for refused in [
        Req::admin(Method::POST, "/admin/sites").json(commune),
        Req::admin(Method::POST, "/admin/sites").json(json!({"id": "xa", "name": ""})),
        Req::admin(Method::PUT, "/admin/sites/so-y-te").json(json!({"name": "Sở"})),
        Req::admin(Method::PUT, "/admin/sites/khong-co").json(json!({"name": "Sở"})),
        Req::admin(Method::DELETE, "/admin/sites/so-y-te"),
        Req::admin(Method::DELETE, "/admin/sites/khong-co"),
    ] {
        assert!(tour.send(refused).await.status.is_client_error());
    }
    let deleted = tour
        .send(Req::admin(Method::DELETE, "/admin/sites/xa-moi"))
        .await;
    assert_eq!(deleted.status, 200);
    let province = std::mem::replace(&mut tour.app, tours_own);
    province.stop().await;
}
