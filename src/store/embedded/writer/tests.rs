//! The writer's group commit, write-behind and death, on a real file.

use super::*;
use redb::{Database, ReadableDatabase, TableDefinition};

const T: TableDefinition<&str, u64> = TableDefinition::new("t");

fn put(key: &'static str, committed: mpsc::Sender<Result<(), String>>) -> Work {
    Box::new(move |txn| {
        txn.open_table(T)?.insert(key, 1)?;
        Ok(Box::new(move |outcome| {
            let _ = committed.send(outcome);
        }) as Deliver)
    })
}

/// A writer of a new database in `path`, which the test reads too.
fn start(path: &std::path::Path) -> (Arc<Database>, Writer) {
    let db = Arc::new(Database::create(path).unwrap());
    let current = Arc::new(Current::new(Arc::clone(&db)));
    let writer = Writer::start(current, path.to_owned(), Duration::from_secs(3600)).unwrap();
    (db, writer)
}

fn has(db: &Database, key: &str) -> bool {
    let txn = db.begin_read().unwrap();
    txn.open_table(T)
        .is_ok_and(|t| t.get(key).unwrap().is_some())
}

#[test]
fn a_held_write_behind_is_committed_durably_when_the_writer_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let (db, writer) = start(&path);
    let (committed, outcomes) = mpsc::channel();
    // Just after the writer started: held for BEHIND_EVERY.
    writer
        .queue_behind(put("behind", committed), false)
        .unwrap();
    drop(writer);
    assert_eq!(outcomes.try_recv(), Ok(Ok(())));
    drop(db);
    // Reopened: the stop's commit was durable.
    let db = Database::open(&path).unwrap();
    assert!(has(&db, "behind"));
}

#[test]
fn a_write_behind_commits_beside_other_writes_and_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (db, writer) = start(&dir.path().join("db"));
    let (committed, outcomes) = mpsc::channel();
    writer
        .queue_behind(put("behind", committed.clone()), false)
        .unwrap();
    writer
        .queue(
            Arc::clone(&writer.places).try_acquire_owned().unwrap(),
            Durability::None,
            put("other", committed.clone()),
        )
        .unwrap();
    // Both committed and answered: the other write at once, the
    // write-behind when due.
    for _ in 0..2 {
        let outcome = outcomes.recv_timeout(Duration::from_secs(10));
        assert_eq!(outcome, Ok(Ok(())));
    }
    assert!(has(&db, "behind") && has(&db, "other"));
    // Alone, a write-behind still commits (when due), with no other
    // write to join.
    writer.queue_behind(put("alone", committed), false).unwrap();
    assert_eq!(outcomes.recv_timeout(Duration::from_secs(10)), Ok(Ok(())));
    assert!(has(&db, "alone"));
}

#[test]
fn a_held_write_behind_waits_out_other_commits_and_goes_when_hurried() {
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let (db, writer) = start(&dir.path().join("db"));
    let (committed, outcomes) = mpsc::channel();
    // Just after the writer started: held for BEHIND_EVERY.
    writer
        .queue_behind(put("behind", committed.clone()), false)
        .unwrap();
    let (other, other_outcome) = mpsc::channel();
    writer
        .queue(
            Arc::clone(&writer.places).try_acquire_owned().unwrap(),
            Durability::None,
            put("other", other),
        )
        .unwrap();
    assert_eq!(
        other_outcome.recv_timeout(Duration::from_secs(10)),
        Ok(Ok(()))
    );
    // The other write's commit did not take the held one with it: it
    // went only if it fell due meanwhile.
    assert!(has(&db, "other"));
    let went = has(&db, "behind");
    assert!(!went || started.elapsed() >= BEHIND_EVERY);
    if !went {
        writer.hurry_behind().unwrap();
    }
    assert_eq!(outcomes.recv_timeout(Duration::from_secs(10)), Ok(Ok(())));
    assert!(has(&db, "behind"));
}

#[tokio::test]
async fn a_writer_that_died_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (_, writer) = start(&dir.path().join("db"));
    assert!(writer.alive());
    let died = writer
        .write(Durability::None, |_| -> Result<(), redb::Error> {
            panic!("a write that panics")
        })
        .await;
    assert!(died.is_err());
    for _ in 0..100 {
        if !writer.alive() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!writer.alive());
    assert!(writer.write(Durability::None, |_| Ok(())).await.is_err());
}
