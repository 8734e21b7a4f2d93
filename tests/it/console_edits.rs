//! Editing a poll's options in the console, as editors do it, on every
//! store: inserting an answer by retyping the rows below it, moving rows
//! with their buttons (a round trip without script) or in place (what the
//! script posts), renaming and removing. No edit moves a ballot to another
//! answer; a rename or removal that touches ballots is confirmed in words
//! first; votes and voters agree afterwards.

use std::collections::HashMap;

use crate::support::console::{Console, unescape};
use crate::support::{BROWSER, Backend, Home, TestApp, cookie};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::Value;

const TOKEN: &str = "console-edit-token-0123456789";

fn settings(s: &mut tally::config::Settings) {
    s.admin_token = Some(tally::config::Secret::new(TOKEN.into()));
    s.votes_per_address = 1_000_000;
    s.votes_per_network = 1_000_000;
    s.votes_per_ipv6_site = 1_000_000;
}

/// A form row: the label typed, the option id the row carries.
type Rows = Vec<(String, String)>;

/// The value of the first input named `name` on `page`.
fn value_of(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!(r#"name="{name}""#))?;
    let rest = &page[at..];
    let start = rest.find(r#"value=""#)? + 7;
    let end = rest[start..].find('"')?;
    Some(unescape(&rest[start..start + end]))
}

/// The rows of the poll form on `page`, in order.
fn rows_of(page: &str) -> Rows {
    page.split(r#"<div class="option-row" data-row>"#)
        .skip(1)
        .map(|row| {
            (
                value_of(row, "label").unwrap_or_default(),
                value_of(row, "option-id").unwrap_or_default(),
            )
        })
        .collect()
}

/// What the form posts: the poll's other fields, then the rows.
fn fields(question: &str, rows: &Rows, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = vec![
        ("question".into(), question.into()),
        ("max_choices".into(), "1".into()),
        ("opens_at".into(), String::new()),
        ("closes_at".into(), String::new()),
        ("results".into(), "always".into()),
    ];
    for (label, id) in rows {
        f.push(("label".into(), label.clone()));
        f.push(("option-id".into(), id.clone()));
    }
    f.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    f
}

/// `fields` as a form's pairs.
fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// What saving the form came to.
enum Saved {
    Done,
    /// The changes to confirm, in words, and what confirming them sends.
    Confirm(Vec<String>, String),
}

/// The list items of the confirmation on `page`.
fn confirmation(page: &str) -> Option<(Vec<String>, String)> {
    let at = page.find(r#"<section class="confirm""#)?;
    let section = &page[at..at + page[at..].find("</section>")?];
    let items = section
        .split("<li>")
        .skip(1)
        .map(|li| unescape(&li[..li.find("</li>").unwrap_or(li.len())]))
        .collect();
    Some((items, value_of(section, "confirm")?))
}

async fn save(
    editor: &Console<'_>,
    poll: &str,
    question: &str,
    rows: &Rows,
    confirm: Option<&str>,
) -> Saved {
    let mut extra = vec![("save", "yes")];
    if let Some(token) = confirm {
        extra.push(("confirm", token));
    }
    let path = format!("/admin/console/polls/{poll}/edit");
    let (status, page) = editor
        .send(&path, &pairs(&fields(question, rows, &extra)))
        .await;
    match status {
        StatusCode::SEE_OTHER => Saved::Done,
        StatusCode::OK => {
            let (items, token) = confirmation(&page).unwrap_or_else(|| panic!("{page}"));
            Saved::Confirm(items, token)
        }
        other => panic!("{other}: {page}"),
    }
}

/// A row button, pressed without script: the form comes back with the
/// rows moved.
async fn press(
    editor: &Console<'_>,
    poll: &str,
    question: &str,
    rows: &Rows,
    button: &str,
) -> Rows {
    let path = format!("/admin/console/polls/{poll}/edit");
    let (status, page) = editor
        .send(&path, &pairs(&fields(question, rows, &[("row", button)])))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    rows_of(&page)
}

async fn create(editor: &Console<'_>, poll: &str, question: &str, labels: &[&str]) {
    let rows: Rows = labels
        .iter()
        .map(|l| ((*l).to_owned(), String::new()))
        .collect();
    let mut f = fields(question, &rows, &[("save", "yes")]);
    f.push(("id".into(), poll.into()));
    let (status, page) = editor.send("/admin/console/polls", &pairs(&f)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
}

/// Results by option id: (label, votes); and total votes and voters.
async fn results(app: &TestApp, poll: &str) -> (HashMap<String, (String, u64)>, u64, u64) {
    let r: Value = app
        .http
        .get(app.url(&format!("/v1/polls/{poll}/results")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let options = r["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap().to_owned(),
                (
                    o["label"].as_str().unwrap().to_owned(),
                    o["votes"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    (
        options,
        r["total_votes"].as_u64().unwrap(),
        r["total_voters"].as_u64().unwrap(),
    )
}

/// Votes by label, as a reader of the public results sees them.
async fn by_label(app: &TestApp, poll: &str) -> Vec<(String, u64)> {
    let r: Value = app
        .http
        .get(app.url(&format!("/v1/polls/{poll}/results")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["label"].as_str().unwrap().to_owned(),
                o["votes"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn vote(app: &TestApp, poll: &str, option: &str) {
    let r = app
        .http
        .post(app.url(&format!("/v1/polls/{poll}/votes")))
        .header("user-agent", BROWSER)
        .header("cookie", format!("tally_vid={}", cookie()))
        .json(&serde_json::json!({ "options": [option] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

fn owned(rows: &[(&str, &str)]) -> Rows {
    rows.iter()
        .map(|(l, i)| ((*l).to_owned(), (*i).to_owned()))
        .collect()
}

fn counts(list: &[(&str, u64)]) -> Vec<(String, u64)> {
    list.iter().map(|(l, n)| ((*l).to_owned(), *n)).collect()
}

const Q: &str = "Bạn đánh giá như thế nào về cổng thông tin này?";

/// The edit that once moved a ballot: "Khá" inserted after "Tốt" by
/// retyping the rows below it. Then a rename and a removal that touch
/// ballots, each shown in words and saved only once confirmed.
async fn editors_edits_keep_every_ballot_with_its_answer(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    create(
        &editor,
        "danh-gia",
        Q,
        &["Rất tốt", "Tốt", "Bình thường", "Chưa tốt"],
    )
    .await;
    let form = rows_of(&editor.text("/admin/console/polls/danh-gia/edit").await);
    let ids: Vec<String> = form.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids, ["rat-tot", "tot", "binh-thuong", "chua-tot", ""]);
    for (option, n) in [("rat-tot", 5), ("tot", 3), ("chua-tot", 1)] {
        for _ in 0..n {
            vote(&app, "danh-gia", option).await;
        }
    }

    // Retyped: the ids stay on their rows, the labels move down one.
    let retyped = owned(&[
        ("Rất tốt", "rat-tot"),
        ("Tốt", "tot"),
        ("Khá", "binh-thuong"),
        ("Bình thường", "chua-tot"),
        ("Chưa tốt", ""),
    ]);
    assert!(matches!(
        save(&editor, "danh-gia", Q, &retyped, None).await,
        Saved::Done
    ));
    assert_eq!(
        by_label(&app, "danh-gia").await,
        counts(&[
            ("Rất tốt", 5),
            ("Tốt", 3),
            ("Khá", 0),
            ("Bình thường", 0),
            ("Chưa tốt", 1)
        ])
    );

    // A rename of an answer with a ballot: shown in words, saved once
    // confirmed, its ballot with it.
    let mut rows = rows_of(&editor.text("/admin/console/polls/danh-gia/edit").await);
    rows[4].0 = "Không tốt".into();
    let Saved::Confirm(items, token) = save(&editor, "danh-gia", Q, &rows, None).await else {
        panic!("a rename with ballots is confirmed first");
    };
    assert_eq!(
        items,
        ["Đổi tên «Chưa tốt» → «Không tốt» · 1 phiếu giữ nguyên"]
    );
    assert_eq!(
        by_label(&app, "danh-gia").await[4],
        ("Chưa tốt".into(), 1),
        "nothing saved yet"
    );
    assert!(matches!(
        save(&editor, "danh-gia", Q, &rows, Some(&token)).await,
        Saved::Done
    ));
    assert_eq!(by_label(&app, "danh-gia").await[4], ("Không tốt".into(), 1));

    // Removing "Tốt" with its button: named by its label and its ballots.
    let rows = rows_of(&editor.text("/admin/console/polls/danh-gia/edit").await);
    let rows = press(&editor, "danh-gia", Q, &rows, "remove:1").await;
    assert!(rows.iter().all(|(l, _)| l != "Tốt"), "{rows:?}");
    let Saved::Confirm(items, token) = save(&editor, "danh-gia", Q, &rows, None).await else {
        panic!("a removal with ballots is confirmed first");
    };
    assert_eq!(items, ["Bỏ phương án «Tốt» và xoá 3 phiếu của nó"]);
    // A confirmation given for other changes is not this one's.
    let mut other = rows.clone();
    other[0].0 = "Rất hài lòng".into();
    assert!(matches!(
        save(&editor, "danh-gia", Q, &other, Some(&token)).await,
        Saved::Confirm(..)
    ));
    assert!(matches!(
        save(&editor, "danh-gia", Q, &rows, Some(&token)).await,
        Saved::Done
    ));
    let (_, votes, voters) = results(&app, "danh-gia").await;
    assert_eq!(
        (votes, voters),
        (6, 6),
        "votes and voters agree after a removal"
    );
    assert_eq!(
        by_label(&app, "danh-gia").await,
        counts(&[
            ("Rất tốt", 5),
            ("Khá", 0),
            ("Bình thường", 0),
            ("Không tốt", 1)
        ])
    );
    // Duplicate labels are refused, saying which.
    let mut twice = rows_of(&editor.text("/admin/console/polls/danh-gia/edit").await);
    twice[1].0 = " rất TỐT ".into();
    let (status, page) = editor
        .send(
            "/admin/console/polls/danh-gia/edit",
            &pairs(&fields(Q, &twice, &[("save", "yes")])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("xuất hiện hai lần"), "{page}");

    // The audit log says what each edit did, in words, filtered and as a
    // spreadsheet.
    let log = editor.text("/admin/console/audit?poll=danh-gia").await;
    for line in [
        "Tạo câu hỏi",
        "Sửa câu hỏi",
        "Thêm phương án «Khá»",
        "Đổi tên «Chưa tốt» → «Không tốt» · 1 phiếu",
        "Bỏ phương án «Tốt» · 3 phiếu",
        r#"<a href="/admin/console/polls/danh-gia">"#,
    ] {
        assert!(log.contains(line), "{line}: {log}");
    }
    assert!(
        !log.contains("replace_poll") && !log.contains("create_poll"),
        "{log}"
    );
    let nobody = editor.text("/admin/console/audit?who=nobody").await;
    assert!(nobody.contains("Không có thay đổi nào."), "{nobody}");
    let later = editor.text("/admin/console/audit?from=2999-01-01").await;
    assert!(later.contains("Không có thay đổi nào."), "{later}");
    let csv = editor
        .text("/admin/console/audit?poll=danh-gia&sheet=csv")
        .await;
    assert!(
        csv.contains("Đổi tên «Chưa tốt» → «Không tốt» · 1 phiếu")
            && csv.contains("Lúc;Người;Việc"),
        "{csv}"
    );
    app.stop().await;
}

/// The row buttons, without script: up, down, insert below, remove; each
/// row keeps the option id it carries.
async fn row_buttons_move_rows_with_their_options(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    create(&editor, "thu-tu", Q, &["Một", "Hai", "Ba"]).await;
    let rows = rows_of(&editor.text("/admin/console/polls/thu-tu/edit").await);
    assert_eq!(
        rows,
        owned(&[("Một", "mot"), ("Hai", "hai"), ("Ba", "ba"), ("", "")])
    );
    let rows = press(&editor, "thu-tu", Q, &rows, "down:0").await;
    assert_eq!(
        rows,
        owned(&[("Hai", "hai"), ("Một", "mot"), ("Ba", "ba"), ("", "")])
    );
    let rows = press(&editor, "thu-tu", Q, &rows, "up:2").await;
    assert_eq!(
        rows,
        owned(&[("Hai", "hai"), ("Ba", "ba"), ("Một", "mot"), ("", "")])
    );
    let rows = press(&editor, "thu-tu", Q, &rows, "add:0").await;
    assert_eq!(rows[1], (String::new(), String::new()));
    assert_eq!(rows.len(), 5);
    let rows = press(&editor, "thu-tu", Q, &rows, "remove:1").await;
    let rows = press(&editor, "thu-tu", Q, &rows, "add:end").await;
    assert_eq!(rows.len(), 5);
    // Nothing was saved by the buttons.
    let (saved, _, _) = results(&app, "thu-tu").await;
    assert_eq!(saved["mot"].0, "Một");
    assert!(matches!(
        save(&editor, "thu-tu", Q, &rows, None).await,
        Saved::Done
    ));
    let order: Vec<(String, u64)> = by_label(&app, "thu-tu").await;
    assert_eq!(order, counts(&[("Hai", 0), ("Ba", 0), ("Một", 0)]));
    app.stop().await;
}

/// One random edit, as an editor makes it.
#[derive(Debug, Clone)]
enum Step {
    /// The "+" button (a round trip), then the new row typed in.
    InsertWithButton(usize, String),
    /// Retyping the rows from `at` down, one row lower.
    InsertByRetyping(usize, String),
    /// "↑" or "↓" (a round trip).
    MoveWithButton(usize, bool),
    /// Moved in place by the script, which posts the rows in their new
    /// order with their ids.
    MoveWithScript(usize, usize),
    Rename(usize, String),
    RemoveWithButton(usize),
    RemoveWithScript(usize),
}

const WORDS: [&str; 8] = [
    "Khá",
    "Tạm được",
    "Xuất sắc",
    "Kém",
    "Rất kém",
    "Ý kiến khác",
    "Hài lòng",
    "Không rõ",
];

fn random_step(rng: &mut StdRng) -> Step {
    let at = rng.random_range(0..8);
    let word = WORDS[rng.random_range(0..WORDS.len())].to_owned();
    match rng.random_range(0..7) {
        0 => Step::InsertWithButton(at, word),
        1 => Step::InsertByRetyping(at, word),
        2 => Step::MoveWithButton(at, rng.random_bool(0.5)),
        3 => Step::MoveWithScript(at, rng.random_range(0..8)),
        4 => Step::Rename(at, word),
        5 => Step::RemoveWithButton(at),
        _ => Step::RemoveWithScript(at),
    }
}

async fn apply(editor: &Console<'_>, poll: &str, rows: Rows, step: &Step) -> Rows {
    let filled = rows.iter().filter(|(l, _)| !l.is_empty()).count().max(1);
    let mut rows = rows;
    match step {
        Step::InsertWithButton(at, word) => {
            let at = at % filled;
            rows = press(editor, poll, Q, &rows, &format!("add:{at}")).await;
            if let Some(row) = rows.get_mut(at + 1) {
                row.0 = word.clone();
            }
        }
        Step::InsertByRetyping(at, word) => {
            if rows.last().is_none_or(|(l, _)| !l.is_empty()) {
                rows = press(editor, poll, Q, &rows, "add:end").await;
            }
            let at = at % filled;
            let mut labels: Vec<String> = rows.iter().map(|(l, _)| l.clone()).collect();
            labels.insert(at, word.clone());
            for (row, label) in rows.iter_mut().zip(labels) {
                row.0 = label;
            }
        }
        Step::MoveWithButton(at, up) => {
            let at = at % filled;
            let button = format!("{}:{at}", if *up { "up" } else { "down" });
            rows = press(editor, poll, Q, &rows, &button).await;
        }
        Step::MoveWithScript(from, to) => {
            let row = rows.remove(from % filled);
            rows.insert(to % filled, row);
        }
        Step::Rename(at, word) => rows[at % filled].0 = word.clone(),
        Step::RemoveWithButton(at) => {
            rows = press(editor, poll, Q, &rows, &format!("remove:{}", at % filled)).await;
        }
        Step::RemoveWithScript(at) => {
            rows.remove(at % filled);
        }
    }
    rows
}

/// Random edit sequences, saved and confirmed as the page asks: every
/// option keeps its ballots and its label (or the confirmation said it is
/// renamed), what goes was named with its ballots, labels on the form keep
/// their ballots wherever their row went, and votes equal voters.
async fn random_edits_never_move_a_ballot(backend: Backend) {
    let home = Home::open(backend).await;
    let app = TestApp::start(&home, settings).await;
    let editor = Console::signed_in(&app, TOKEN).await;
    let seed: u64 = std::env::var("TALLY_EDIT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().random());
    println!("TALLY_EDIT_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    for case in 0..16 {
        let poll = format!("ngau-nhien-{case}");
        create(
            &editor,
            &poll,
            Q,
            &["Rất tốt", "Tốt", "Bình thường", "Chưa tốt"],
        )
        .await;
        for option in ["rat-tot", "tot", "binh-thuong", "chua-tot"] {
            for _ in 0..rng.random_range(0..4) {
                vote(&app, &poll, option).await;
            }
        }
        let (before, _, _) = results(&app, &poll).await;
        let mut rows = rows_of(
            &editor
                .text(&format!("/admin/console/polls/{poll}/edit"))
                .await,
        );
        let steps: Vec<Step> = (0..rng.random_range(1..6))
            .map(|_| random_step(&mut rng))
            .collect();
        for step in &steps {
            rows = apply(&editor, &poll, rows, step).await;
        }
        let context = format!("seed {seed}, case {case}: {steps:?} → {rows:?}");
        let mut labels: Vec<String> = rows
            .iter()
            .map(|(l, _)| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        let mut distinct = labels.clone();
        distinct.sort_by_key(|l| l.to_lowercase());
        distinct.dedup_by_key(|l| l.to_lowercase());
        if labels.len() < 2 || distinct.len() != labels.len() {
            continue; // refused by the form, as other tests show
        }
        let said = match save(&editor, &poll, Q, &rows, None).await {
            Saved::Done => Vec::new(),
            Saved::Confirm(items, token) => {
                assert!(
                    matches!(
                        save(&editor, &poll, Q, &rows, Some(&token)).await,
                        Saved::Done
                    ),
                    "{context}"
                );
                items
            }
        };
        let (after, votes, voters) = results(&app, &poll).await;
        let order: Vec<String> = by_label(&app, &poll)
            .await
            .into_iter()
            .map(|(l, _)| l)
            .collect();
        assert_eq!(
            order,
            std::mem::take(&mut labels),
            "the labels as posted: {context}"
        );
        for (id, (label, n)) in &after {
            match before.get(id) {
                Some((old, m)) => {
                    assert_eq!(n, m, "{id} kept its ballots: {context}");
                    if old != label && *m > 0 {
                        let words = format!("Đổi tên «{old}» → «{label}» · {m} phiếu giữ nguyên");
                        assert!(said.contains(&words), "{words} in {said:?}: {context}");
                    }
                }
                None => assert_eq!(*n, 0, "a new answer has no ballots: {context}"),
            }
        }
        for (id, (label, m)) in &before {
            if !after.contains_key(id) && *m > 0 {
                let words = format!("Bỏ phương án «{label}» và xoá {m} phiếu của nó");
                assert!(said.contains(&words), "{words} in {said:?}: {context}");
            }
            if order
                .iter()
                .any(|l| l.to_lowercase() == label.to_lowercase())
            {
                let now = after.get(id).map(|(l, _)| l.to_lowercase());
                assert_eq!(
                    now,
                    Some(label.to_lowercase()),
                    "{label} stayed with its ballots: {context}"
                );
            }
        }
        assert_eq!(votes, voters, "votes and voters agree: {context}");
    }
    app.stop().await;
}

on_every_store!(
    editors_edits_keep_every_ballot_with_its_answer,
    row_buttons_move_rows_with_their_options,
    random_edits_never_move_a_ballot,
);
