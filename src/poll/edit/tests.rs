//! The option-edit rules, by example and by property: random edit
//! sequences never move a ballot to another answer.
use super::*;
use proptest::prelude::*;

fn id(s: &str) -> OptionId {
    OptionId::parse(s).unwrap()
}

fn options(labels: &[(&str, &str)]) -> Vec<PollOption> {
    labels
        .iter()
        .map(|(i, l)| PollOption {
            id: id(i),
            label: (*l).to_owned(),
        })
        .collect()
}

fn row(label: &str, carried: Option<&str>) -> Row {
    Row {
        label: label.to_owned(),
        carried: carried.map(id),
    }
}

fn seed() -> Vec<PollOption> {
    options(&[
        ("o1", "Rất tốt"),
        ("o2", "Tốt"),
        ("o3", "Bình thường"),
        ("o4", "Chưa tốt"),
    ])
}

#[test]
fn retyping_rows_to_insert_one_keeps_every_ballot_with_its_answer() {
    // "Khá" inserted after "Tốt" by retyping the rows below it: the
    // ids stay with the rows, the labels move down one.
    let rows = [
        row("Rất tốt", Some("o1")),
        row("Tốt", Some("o2")),
        row("Khá", Some("o3")),
        row("Bình thường", Some("o4")),
        row("Chưa tốt", None),
    ];
    let edit = edit_options(&seed(), &[5, 3, 0, 1], &rows).unwrap();
    let ids: Vec<&str> = edit.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["o1", "o2", "kha", "o3", "o4"]);
    assert_eq!(
        edit.changes,
        [OptionChange::Added {
            id: id("kha"),
            label: "Khá".into()
        }]
    );
    assert!(!edit.needs_confirmation());
}

#[test]
fn a_rename_with_ballots_is_named_and_needs_confirming() {
    let rows = [
        row("Rất tốt", Some("o1")),
        row("Tốt", Some("o2")),
        row("Bình thường", Some("o3")),
        row("Không tốt", Some("o4")),
    ];
    let edit = edit_options(&seed(), &[5, 3, 0, 1], &rows).unwrap();
    assert_eq!(
        edit.changes,
        [OptionChange::Renamed {
            id: id("o4"),
            from: "Chưa tốt".into(),
            to: "Không tốt".into(),
            votes: 1
        }]
    );
    assert!(edit.needs_confirmation());
    // Renaming an option nobody chose needs nothing.
    let rows = [
        row("Rất tốt", Some("o1")),
        row("Tốt", Some("o2")),
        row("Trung bình", Some("o3")),
        row("Chưa tốt", Some("o4")),
    ];
    let edit = edit_options(&seed(), &[5, 3, 0, 1], &rows).unwrap();
    assert!(!edit.needs_confirmation());
}

#[test]
fn case_spacing_and_unicode_form_do_not_make_a_new_answer() {
    let nfd: String = "Bình thường".nfd().collect();
    let rows = [
        row("rất  TỐT", None),
        row("Tốt", Some("o2")),
        row(&nfd, None),
        row("Chưa tốt", Some("o4")),
    ];
    let edit = edit_options(&seed(), &[1, 1, 1, 1], &rows).unwrap();
    let ids: Vec<&str> = edit.options.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, ["o1", "o2", "o3", "o4"]);
    // "rất  TỐT" reads as "Rất tốt": a change of case is a rename.
    assert!(matches!(&edit.changes[..], [OptionChange::Renamed { id, .. }] if id.as_str() == "o1"));
}

#[test]
fn duplicate_labels_are_refused() {
    let rows = [row("Có", None), row(" có ", None)];
    assert_eq!(
        edit_options(&[], &[], &rows),
        Err(RowsError::DuplicateLabel("có".into()))
    );
}

#[test]
fn removals_are_named_with_their_ballots_and_moves_are_seen() {
    let rows = [row("Tốt", Some("o2")), row("Rất tốt", Some("o1"))];
    let edit = edit_options(&seed(), &[5, 3, 0, 1], &rows).unwrap();
    assert!(edit.reordered);
    assert_eq!(
        edit.removed().collect::<Vec<_>>(),
        [(&id("o3"), 0), (&id("o4"), 1)]
    );
    assert!(edit.needs_confirmation());
    assert_eq!(edit.confirmation(), "remove:o4:1");
}

#[test]
fn new_ids_are_slugs_of_their_labels_and_never_reuse_one() {
    let used: HashSet<OptionId> = [id("tot"), id("o")].into_iter().collect();
    assert_eq!(fresh_id("Rất tốt", &used), id("rat-tot"));
    assert_eq!(fresh_id("Tốt", &used), id("tot-2"));
    assert_eq!(fresh_id("Đồng ý!", &used), id("dong-y"));
    assert_eq!(fresh_id("???", &used), id("o-1"));
    assert_eq!(fresh_id(&"Ư".repeat(100), &used).as_str().len(), 48);
}

/// What a form can do to rows, as an editor does it.
#[derive(Debug, Clone)]
enum Step {
    /// Insert a new label at a row, as a script or the form's own
    /// button does: ids travel with their rows.
    Insert(usize, u8),
    /// Insert by retyping: the labels from the row down shift one
    /// row, the ids stay where they were.
    InsertByRetyping(usize, u8),
    Move(usize, usize),
    Rename(usize, u8),
    Remove(usize),
}

fn label(n: u8) -> String {
    [
        "Khá",
        "Tạm được",
        "Xuất sắc",
        "Kém",
        "Rất kém",
        "Ý kiến khác",
    ][usize::from(n) % 6]
        .to_owned()
        + &" ".repeat(usize::from(n) / 6)
        + &"·".repeat(usize::from(n) / 6)
}

fn apply(rows: &mut Vec<Row>, step: &Step) -> Option<(usize, String)> {
    let n = rows.len();
    match *step {
        Step::Insert(at, l) => rows.insert(at % (n + 1), row(&label(l), None)),
        Step::InsertByRetyping(at, l) => {
            let at = at % (n + 1);
            let mut labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
            labels.insert(at, label(l));
            rows.push(row("", None));
            for (r, l) in rows.iter_mut().zip(labels) {
                r.label = l;
            }
        }
        Step::Move(from, to) if n > 0 => {
            let r = rows.remove(from % n);
            rows.insert(to % n, r);
        }
        Step::Rename(at, l) if n > 0 => {
            let at = at % n;
            rows[at].label = label(l);
            return Some((at, label(l)));
        }
        Step::Remove(at) if n > 0 => {
            rows.remove(at % n);
        }
        _ => {}
    }
    None
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..8usize, any::<u8>()).prop_map(|(a, l)| Step::Insert(a, l)),
        (0..8usize, any::<u8>()).prop_map(|(a, l)| Step::InsertByRetyping(a, l)),
        (0..8usize, 0..8usize).prop_map(|(a, b)| Step::Move(a, b)),
        (0..8usize, any::<u8>()).prop_map(|(a, l)| Step::Rename(a, l)),
        (0..8usize).prop_map(Step::Remove),
    ]
}

proptest! {
    /// Whatever the editor does to the rows, every option keeps its
    /// label unless the edit says it renamed it, every option the edit
    /// keeps is one it had, and what it removes it names with its votes.
    #[test]
    fn no_edit_moves_a_ballot_to_another_answer(steps in prop::collection::vec(step(), 1..8)) {
        let before = seed();
        let votes = [5, 3, 0, 1];
        let mut rows: Vec<Row> = before
            .iter()
            .map(|o| row(&o.label, Some(o.id.as_str())))
            .collect();
        for s in &steps {
            apply(&mut rows, s);
        }
        let Ok(edit) = edit_options(&before, &votes, &rows) else {
            return Ok(());
        };
        for option in &edit.options {
            if let Some(old) = before.iter().find(|o| o.id == option.id) {
                let renamed = edit.changes.iter().any(|c| matches!(c,
                    OptionChange::Renamed { id, from, to, .. }
                        if *id == option.id && *from == old.label && *to == option.label));
                prop_assert!(old.label == option.label || renamed, "{option:?} was {old:?}");
            }
        }
        for (i, old) in before.iter().enumerate() {
            let kept = edit.options.iter().any(|o| o.id == old.id);
            let removed = edit.changes.contains(&OptionChange::Removed {
                id: old.id.clone(), label: old.label.clone(), votes: votes[i],
            });
            prop_assert!(kept != removed, "{old:?}: kept {kept}, removed {removed}");
            // A label still on the form keeps its ballots.
            if rows.iter().any(|r| key(&r.label) == key(&old.label)) {
                prop_assert!(edit.options.iter().any(|o| o.id == old.id && key(&o.label) == key(&old.label)));
            }
        }
        let ids: HashSet<&OptionId> = edit.options.iter().map(|o| &o.id).collect();
        prop_assert_eq!(ids.len(), edit.options.len());
    }
}
