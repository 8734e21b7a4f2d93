//! The tree's rules and the sites file, on a province of three levels:
//! the province, two departments, a commune under one of them.

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
origins = ["https://tinh.gov.vn", "https://www.tinh.gov.vn/"]
baseline = 7582803

[[sites]]
id = "so-y-te"
name = "Sở Y tế"
parent = "tinh"
origins = ["https://soyte.tinh.gov.vn"]
results = "after_vote"

[[sites]]
id = "so-giao-duc"
name = "Sở Giáo dục và Đào tạo"
parent = "tinh"
origins = ["https://sgd.tinh.gov.vn"]
lang = "en"
challenge = "auto"

[[sites]]
id = "xa-an-phu"
name = "Xã An Phú"
parent = "so-y-te"
origins = ["https://anphu.tinh.gov.vn"]
timezone = "Asia/Bangkok"
home = "https://anphu.tinh.gov.vn/trang-chu"
"#;

fn id(s: &str) -> SiteId {
    SiteId::parse(s).unwrap()
}

fn ids(sites: &[SiteId]) -> Vec<&str> {
    sites.iter().map(SiteId::as_str).collect()
}

#[test]
fn a_hit_counts_for_its_site_and_every_ancestor() {
    let sites = parse(PROVINCE, &defaults()).unwrap();
    assert_eq!(sites.len(), 4);
    assert_eq!(
        ids(sites.chain(&id("xa-an-phu"))),
        ["xa-an-phu", "so-y-te", "tinh"]
    );
    assert_eq!(
        ids(sites.chain(&id("so-giao-duc"))),
        ["so-giao-duc", "tinh"]
    );
    assert_eq!(ids(sites.chain(&id("tinh"))), ["tinh"]);
    assert!(sites.chain(&id("khong-co")).is_empty());
}

#[test]
fn a_role_reaches_its_site_and_what_lies_below() {
    let sites = parse(PROVINCE, &defaults()).unwrap();
    let below = |s: &str| -> Vec<String> {
        sites
            .subtree(&id(s))
            .iter()
            .map(|d| d.id.to_string())
            .collect()
    };
    assert_eq!(
        below("tinh"),
        ["so-giao-duc", "so-y-te", "tinh", "xa-an-phu"]
    );
    assert_eq!(below("so-y-te"), ["so-y-te", "xa-an-phu"]);
    assert_eq!(below("so-giao-duc"), ["so-giao-duc"]);
    assert!(sites.covers(&id("so-y-te"), &id("xa-an-phu")));
    assert!(!sites.covers(&id("so-giao-duc"), &id("xa-an-phu")));
    assert!(
        !sites.covers(&id("xa-an-phu"), &id("so-y-te")),
        "a role does not reach up"
    );
}

#[test]
fn the_file_fills_what_a_site_leaves_out_and_keeps_what_it_says() {
    let sites = parse(PROVINCE, &defaults()).unwrap();
    let province = sites.get(&id("tinh")).unwrap();
    assert_eq!(
        province.origins,
        ["https://tinh.gov.vn", "https://www.tinh.gov.vn"]
    );
    assert_eq!(province.baseline, Some(7_582_803));
    assert_eq!(province.lang, Lang::Vi);
    assert_eq!(province.results, Visibility::Always);
    assert_eq!(province.challenge, ChallengeMode::Off);
    let health = sites.get(&id("so-y-te")).unwrap();
    assert_eq!(health.results, Visibility::AfterVote);
    let education = sites.get(&id("so-giao-duc")).unwrap();
    assert_eq!(
        (education.lang, education.challenge),
        (Lang::En, ChallengeMode::Auto)
    );
    let commune = sites.get(&id("xa-an-phu")).unwrap();
    assert_eq!(commune.timezone, TimeZone::get("Asia/Bangkok").unwrap());
    assert_eq!(
        commune.home.as_deref(),
        Some("https://anphu.tinh.gov.vn/trang-chu")
    );
    assert_eq!(commune.parent, Some(id("so-y-te")));
}

#[test]
fn a_request_belongs_to_the_site_it_names_from_that_sites_pages() {
    let sites = parse(PROVINCE, &defaults()).unwrap();
    let own = Some("https://tally.tinh.gov.vn");
    let site = |named, origin| {
        sites
            .resolve(named, origin, || own.map(str::to_owned))
            .map(|d| d.id.to_string())
    };
    assert_eq!(
        site(Some("so-y-te"), Some("https://soyte.tinh.gov.vn")).unwrap(),
        "so-y-te"
    );
    // tally's own pages (results, archive) count for the site they name.
    assert_eq!(site(Some("so-y-te"), own).unwrap(), "so-y-te");
    // A client that is not a browser names no origin; none could be proved.
    assert_eq!(site(Some("xa-an-phu"), None).unwrap(), "xa-an-phu");
    // Another site's page, even its parent's, does not count for it.
    assert_eq!(
        site(Some("so-y-te"), Some("https://tinh.gov.vn")),
        Err(NotCounted::ForeignOrigin)
    );
    assert_eq!(
        site(Some("tinh"), Some("https://soyte.tinh.gov.vn")),
        Err(NotCounted::ForeignOrigin)
    );
    assert_eq!(
        site(Some("khong-co"), Some("https://tinh.gov.vn")),
        Err(NotCounted::UnknownSite)
    );
    assert_eq!(site(Some("Sở Y tế"), None), Err(NotCounted::UnknownSite));
    assert_eq!(
        site(None, Some("https://tinh.gov.vn")),
        Err(NotCounted::NoSite)
    );
    assert_eq!(NotCounted::ForeignOrigin.reason(), "foreign_origin");
}

#[test]
fn without_a_sites_file_every_request_is_the_one_site() {
    let default = SiteDef {
        id: SiteId::DEFAULT,
        name: "default".into(),
        parent: None,
        origins: vec!["https://portal.gov.vn".into()],
        lang: Lang::Vi,
        timezone: TimeZone::UTC,
        baseline: None,
        home: None,
        challenge: ChallengeMode::Off,
        results: Visibility::Always,
        rate_limit: None,
        aliases: Vec::new(),
    };
    let sites = Sites::single(default);
    let site = |named, origin| {
        sites
            .resolve(named, origin, || None)
            .map(|d| d.id.to_string())
    };
    assert_eq!(site(None, None).unwrap(), "default");
    assert_eq!(
        site(None, Some("https://portal.gov.vn")).unwrap(),
        "default"
    );
    assert_eq!(site(Some("default"), None).unwrap(), "default");
    assert_eq!(
        site(None, Some("https://evil.example")),
        Err(NotCounted::ForeignOrigin)
    );
    assert_eq!(site(Some("tinh"), None), Err(NotCounted::UnknownSite));
    assert_eq!(ids(sites.chain(&SiteId::DEFAULT)), ["default"]);
}

/// Each wrong file, and the line that stops the start.
#[test]
fn a_wrong_file_is_refused_in_one_line_naming_the_site_and_field() {
    let cases = [
        ("", "no site is defined"),
        (
            "[[sites]]\nid = \"Tinh\"\nname = \"x\"",
            "site \"Tinh\": id may contain only a-z, 0-9 and '-'",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"  \"",
            "site \"tinh\": name must be 1 to 200",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\norigins = [\"tinh.gov.vn\"]",
            "site \"tinh\": \"tinh.gov.vn\" must start with https://",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\norigins = [\"https://tinh.gov.vn/a\"]",
            "must be scheme://host[:port] with no path",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\nlang = \"fr\"",
            "site \"tinh\": lang must be vi or en",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\ntimezone = \"Hanoi\"",
            "site \"tinh\": unknown time zone \"Hanoi\"",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\nresults = \"sometimes\"",
            "not valid TOML",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\nowner = \"y\"",
            "not valid TOML: unknown field `owner`",
        ),
        (
            "[[sites]]\nid = \"tinh\"\nname = \"x\"\n[[sites]]\nid = \"tinh\"\nname = \"y\"",
            "site \"tinh\" is defined twice",
        ),
        (
            "[[sites]]\nid = \"xa\"\nname = \"x\"\nparent = \"huyen\"",
            "site \"xa\": its parent \"huyen\" is not a site",
        ),
        (
            "[[sites]]\nid = \"a\"\nname = \"a\"\nparent = \"b\"\n[[sites]]\nid = \"b\"\nname = \"b\"\nparent = \"a\"",
            "is its own ancestor",
        ),
        (
            "[[sites]]\nid = \"a\"\nname = \"a\"\nparent = \"a\"",
            "site \"a\" is its own ancestor",
        ),
    ];
    for (text, expected) in cases {
        let error = parse(text, &defaults()).expect_err(text);
        assert!(
            error.contains(expected),
            "{text:?}: {error:?} lacks {expected:?}"
        );
        assert!(!error.contains('\n'), "one line: {error:?}");
    }
}

#[test]
fn a_chain_deeper_than_the_bound_is_refused() {
    let file = |levels: usize| -> String {
        (0..levels)
            .map(|n| {
                let parent = if n == 0 {
                    String::new()
                } else {
                    format!("parent = \"l{}\"\n", n - 1)
                };
                format!("[[sites]]\nid = \"l{n}\"\nname = \"Cấp {n}\"\n{parent}")
            })
            .collect()
    };
    let deepest = parse(&file(MAX_DEPTH), &defaults()).unwrap();
    assert_eq!(
        deepest.chain(&id(&format!("l{}", MAX_DEPTH - 1))).len(),
        MAX_DEPTH
    );
    let error = parse(&file(MAX_DEPTH + 1), &defaults()).unwrap_err();
    assert!(
        error.contains(&format!("is more than {MAX_DEPTH} levels below its root")),
        "{error}"
    );
}

#[test]
fn an_alias_is_served_as_the_site_that_holds_it() {
    let renamed = PROVINCE.replace(
        "id = \"xa-an-phu\"\n",
        "id = \"xa-an-phu\"\naliases = [\"xa-an-phu-cu\", \"an-phu\"]\n",
    );
    let sites = parse(&renamed, &defaults()).unwrap();
    assert_eq!(sites.len(), 4, "an alias is not a site");
    let site = |named, origin| {
        sites
            .resolve(named, origin, || None)
            .map(|d| d.id.to_string())
    };
    assert_eq!(
        site(Some("an-phu"), Some("https://anphu.tinh.gov.vn")).unwrap(),
        "xa-an-phu"
    );
    assert_eq!(site(Some("xa-an-phu-cu"), None).unwrap(), "xa-an-phu");
    // The origins checked are the holding site's.
    assert_eq!(
        site(Some("an-phu"), Some("https://soyte.tinh.gov.vn")),
        Err(NotCounted::ForeignOrigin)
    );
    assert_eq!(sites.find(&id("an-phu")).unwrap().id, id("xa-an-phu"));
    assert_eq!(sites.alias_of(&id("an-phu")).unwrap().id, id("xa-an-phu"));
    assert!(sites.get(&id("an-phu")).is_none(), "get names sites only");
    assert!(sites.alias_of(&id("xa-an-phu")).is_none());
    assert!(sites.chain(&id("an-phu")).is_empty());
}

#[test]
fn an_alias_that_is_a_site_or_given_twice_is_refused() {
    let refused = |text: &str| parse(text, &defaults()).unwrap_err();
    let is_site = PROVINCE.replace(
        "id = \"xa-an-phu\"\n",
        "id = \"xa-an-phu\"\naliases = [\"so-y-te\"]\n",
    );
    assert_eq!(
        refused(&is_site),
        "site \"xa-an-phu\": its alias \"so-y-te\" is also a site's id"
    );
    let itself = PROVINCE.replace(
        "id = \"xa-an-phu\"\n",
        "id = \"xa-an-phu\"\naliases = [\"xa-an-phu\"]\n",
    );
    assert!(refused(&itself).contains("is also a site's id"));
    let twice = PROVINCE
        .replace(
            "id = \"xa-an-phu\"\n",
            "id = \"xa-an-phu\"\naliases = [\"cu\"]\n",
        )
        .replace(
            "id = \"so-y-te\"\n",
            "id = \"so-y-te\"\naliases = [\"cu\"]\n",
        );
    assert_eq!(
        refused(&twice),
        "alias \"cu\" is given to both \"so-y-te\" and \"xa-an-phu\""
    );
    let malformed = PROVINCE.replace(
        "id = \"xa-an-phu\"\n",
        "id = \"xa-an-phu\"\naliases = [\"An Phú\"]\n",
    );
    assert!(refused(&malformed).starts_with("site \"xa-an-phu\": alias "));
}
