//! The write-behind of hits: decided records speak until written.

use super::*;
use crate::ids::{PageKey, VisitorKey};
use jiff::{SignedDuration, Timestamp};

fn hit(id: u64, at_ms: i64) -> Touch {
    Touch {
        visitor: VisitorKey::from_address_hash([7; 16]),
        inherit: None,
        page: Some(PageKey(1)),
        at: Timestamp::from_millisecond(at_ms).unwrap(),
        day: "2026-12-04".parse().unwrap(),
        window: SignedDuration::from_mins(30),
        max_pages: 512,
        id,
    }
}

async fn decide(
    decided: &Arc<Decided>,
    db: &Arc<Database>,
    key: &str,
    t: &Touch,
    jobs: &mut Vec<Write>,
) -> TouchOutcome {
    decided
        .touch(&Current::new(Arc::clone(db)), key, None, t, |job, _| {
            jobs.extend(job);
            Ok(())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_decided_record_speaks_until_it_is_written_then_the_table_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::create(dir.path().join("t.redb")).unwrap());
    super::super::tables::create_all(&db).unwrap();
    let decided = Arc::new(Decided::default());
    let waiting = |d: &Decided| d.lock().records.len();
    let mut jobs = Vec::new();
    let at = 1_796_400_000_000;
    assert!(
        decide(&decided, &db, "v", &hit(1, at), &mut jobs)
            .await
            .new_visit
    );
    let reload = decide(&decided, &db, "v", &hit(2, at + 1), &mut jobs).await;
    assert!(!reload.new_visit && !reload.new_page_view);
    assert!(
        decide(&decided, &db, "w", &hit(3, at), &mut jobs)
            .await
            .new_visit
    );
    // One write job waits for all of them.
    assert_eq!(jobs.len(), 1);
    assert_eq!(waiting(&decided), 2);

    let txn = db.begin_write().unwrap();
    jobs[0].put(&txn).unwrap();
    // Decided while the job is on its way: it needs a job of its own.
    let meanwhile = decide(&decided, &db, "v", &hit(4, at + 2), &mut jobs).await;
    assert!(!meanwhile.new_visit);
    assert_eq!(jobs.len(), 2);
    txn.commit().unwrap();
    drop(jobs.remove(0));
    assert_eq!(waiting(&decided), 1, "v's newer record waits");
    let txn = db.begin_write().unwrap();
    jobs[0].put(&txn).unwrap();
    txn.commit().unwrap();
    drop(jobs.drain(..));
    assert_eq!(waiting(&decided), 0);
    let read = db.begin_read().unwrap();
    let table = read.open_table(VISITORS).unwrap();
    let kept = decode(table.get("v").unwrap().unwrap().value()).unwrap();
    assert_eq!(kept.last.as_millisecond(), at + 2);
    drop((table, read));
    // Now the table speaks.
    let later = decide(&decided, &db, "v", &hit(5, at + 60_000), &mut jobs).await;
    assert!(!later.new_visit && !later.new_page_view);

    // A job that never ran gives its records up.
    drop(jobs.drain(..));
    assert_eq!(waiting(&decided), 0);
    assert!(!decided.lock().queued);
}

#[tokio::test]
async fn a_held_job_is_hurried_once_when_the_room_runs_short() {
    let dir = tempfile::tempdir().unwrap();
    let db = Arc::new(Database::create(dir.path().join("t.redb")).unwrap());
    super::super::tables::create_all(&db).unwrap();
    let decided = Arc::new(Decided::default());
    let current = Current::new(Arc::clone(&db));
    let at = 1_796_400_000_000;
    // (job given, hurried) for every call of `queue`.
    let mut calls = Vec::new();
    let mut jobs = Vec::new();
    for n in 0..MOST_DECIDED - HURRY_BELOW + 10 {
        let key = format!("v{n}");
        decided
            .touch(
                &current,
                &key,
                None,
                &hit(n as u64 + 1, at),
                |job, hurry| {
                    calls.push((job.is_some(), hurry));
                    jobs.extend(job);
                    Ok(())
                },
            )
            .await
            .unwrap();
    }
    // One job, then one hurry for it, however many more decisions.
    assert_eq!(calls, [(true, false), (false, true)]);
    // Once the job has taken the records, the next one starts unhurried.
    let txn = db.begin_write().unwrap();
    jobs[0].put(&txn).unwrap();
    txn.commit().unwrap();
    jobs.clear();
    calls.clear();
    decided
        .touch(&current, "w", None, &hit(1, at), |job, hurry| {
            calls.push((job.is_some(), hurry));
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(calls, [(true, false)]);
}
