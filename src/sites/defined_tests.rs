//! Sites defined through the admin API: checked as the file's entries
//! are, and joined to the file's tree, parents first, the file's own
//! standing.

use jiff::tz::TimeZone;

use super::file::parse;
use super::*;

fn defaults() -> SitesFileDefaults {
    SitesFileDefaults {
        lang: Lang::Vi,
        timezone: TimeZone::get("Asia/Ho_Chi_Minh").unwrap(),
    }
}

const PROVINCE: &str = r#"
[[sites]]
id = "tinh"
name = "Cổng thông tin điện tử tỉnh"

[[sites]]
id = "so-y-te"
name = "Sở Y tế"
parent = "tinh"

[[sites]]
id = "so-giao-duc"
name = "Sở Giáo dục và Đào tạo"
parent = "tinh"
"#;

fn stored(id: &str, parent: Option<&str>) -> (String, String) {
    let spec = SiteSpec {
        id: id.into(),
        name: format!("Xã {id}"),
        parent: parent.map(str::to_owned),
        origins: vec![format!("https://{id}.tinh.gov.vn")],
        ..SiteSpec::default()
    };
    (id.to_owned(), serde_json::to_string(&spec).unwrap())
}

#[test]
fn stored_sites_join_the_files_tree_parents_first_and_the_file_stands() {
    let file = parse(PROVINCE, &defaults()).unwrap();
    let defs = [
        // A child stored before its parent (the store's order is by id).
        stored("a-thon", Some("xa-moi")),
        stored("xa-moi", Some("so-y-te")),
        // Its parent is no site: left out, the others served.
        stored("mo-coi", Some("huyen-khong-co")),
        // The file's own id: the file's definition stands.
        stored("so-y-te", Some("so-giao-duc")),
        ("hong".to_owned(), "{not json".to_owned()),
    ];
    let sites = file.with_stored(&defs, &defaults());
    let chain = |id: &str| -> Vec<&str> {
        let id = SiteId::parse(id).unwrap();
        sites.chain(&id).iter().map(SiteId::as_str).collect()
    };
    assert_eq!(chain("a-thon"), ["a-thon", "xa-moi", "so-y-te", "tinh"]);
    assert_eq!(chain("so-y-te"), ["so-y-te", "tinh"]);
    assert!(chain("mo-coi").is_empty() && chain("hong").is_empty());
    let id = |s: &str| SiteId::parse(s).unwrap();
    assert!(sites.is_defined(&id("xa-moi")) && !sites.is_defined(&id("so-y-te")));
    // Whatever is added, the primary site is the file's.
    assert_eq!(sites.primary().id, file.primary().id);
    assert_eq!(sites.len(), file.len() + 2);
}

#[test]
fn a_definition_is_checked_as_the_files_entries_are() {
    let spec = |origins: &[&str], rate: Option<&str>| SiteSpec {
        id: "xa-moi".into(),
        name: "  Xã Mới ".into(),
        parent: Some("tinh".into()),
        origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        rate_limit: rate.map(str::to_owned),
        ..SiteSpec::default()
    };
    let def = spec(&["https://XaMoi.tinh.gov.vn/"], Some("5,10"))
        .check(&defaults())
        .unwrap();
    assert_eq!(def.name, "Xã Mới");
    assert_eq!(def.origins, ["https://xamoi.tinh.gov.vn"]);
    // Read back as it is kept, the same site.
    let kept = SiteSpec::of(&def).check(&defaults()).unwrap();
    assert_eq!(kept, def);
    let field = |s: SiteSpec| s.check(&defaults()).unwrap_err().field;
    assert_eq!(field(spec(&["xamoi.tinh.gov.vn"], None)), "origins");
    assert_eq!(field(spec(&[], Some("nhanh"))), "rate_limit");
    assert_eq!(
        field(SiteSpec {
            id: "Xã".into(),
            ..spec(&[], None)
        }),
        "id"
    );
    assert_eq!(
        field(SiteSpec {
            name: " ".into(),
            ..spec(&[], None)
        }),
        "name"
    );
    let zone = Some("Asia/Sai_Gon_Khong_Co".to_owned());
    assert_eq!(
        field(SiteSpec {
            timezone: zone,
            ..spec(&[], None)
        }),
        "timezone"
    );
}
