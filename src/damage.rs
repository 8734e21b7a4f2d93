//! Files a library may find damaged: opening one so that damage, even a
//! panic inside the library (code that was never meant to get such
//! input), is one line naming the file and what to do.
//!
//! The panic's report is silenced for that call, on that thread, only:
//! the process's panic hook is swapped for the call and put back after,
//! and panics on other threads meanwhile are reported as before.

use std::any::Any;
use std::fmt::Display;
use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

/// One swap of the hook at a time, so each puts back the hook it found.
static SWAP: Mutex<()> = Mutex::new(());

/// What `open` opened from the file at `path`, which `setting` names; or
/// one line: the file is damaged (`open` panicked, or `damage` gives the
/// reason for its error) and what to do, or it cannot be opened (`open`'s
/// error).
pub fn open_file<T, E: Display>(
    setting: &str,
    path: &Path,
    damage: impl FnOnce(&E) -> Option<String>,
    open: impl FnOnce() -> Result<T, E>,
) -> anyhow::Result<T> {
    let why = match contained(open) {
        Ok(Ok(opened)) => return Ok(opened),
        Ok(Err(e)) => damage(&e)
            .ok_or_else(|| anyhow::anyhow!("{setting}: cannot open {}: {e}", path.display()))?,
        Err(panicked) => panicked,
    };
    anyhow::bail!(
        "{setting}: {} is damaged ({why}); restore it from a backup, or move it aside \
         to start with an empty store",
        path.display()
    )
}

/// `f`'s value, or what its panic said.
pub fn contained<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let _swap = SWAP.lock().unwrap_or_else(PoisonError::into_inner);
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    let here = thread::current().id();
    let others = Arc::clone(&previous);
    panic::set_hook(Box::new(move |info| {
        if thread::current().id() != here {
            others(info);
        }
    }));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    drop(panic::take_hook());
    match Arc::try_unwrap(previous) {
        Ok(hook) => panic::set_hook(hook),
        Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
    }
    outcome.map_err(|payload| said(payload.as_ref()))
}

/// A panic's message, on one line.
fn said(payload: &(dyn Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message_and_the_hook_comes_back() {
        assert_eq!(contained(|| 7), Ok(7));
        let caught = contained(|| -> u8 { panic!("damaged\npage {}", 3) });
        assert_eq!(caught, Err("damaged page 3".to_owned()));
        let caught = contained(|| -> u8 { panic!("static words") });
        assert_eq!(caught, Err("static words".to_owned()));
        // Panics outside a contained call still unwind as before.
        assert!(std::panic::catch_unwind(|| panic!("elsewhere")).is_err());
    }

    #[test]
    fn a_file_is_opened_or_told_damaged_or_unopenable_in_one_line() {
        let path = Path::new("/data/tally.redb");
        let damage = |e: &String| e.starts_with("bad").then(|| e.clone());
        let open = |r: Result<u8, String>| open_file("TALLY_DATA_DIR", path, damage, || r);
        assert_eq!(open(Ok(1)).unwrap(), 1);
        assert_eq!(
            open(Err("bad page 3".into())).unwrap_err().to_string(),
            "TALLY_DATA_DIR: /data/tally.redb is damaged (bad page 3); restore it from a \
             backup, or move it aside to start with an empty store"
        );
        assert_eq!(
            open(Err("locked".into())).unwrap_err().to_string(),
            "TALLY_DATA_DIR: cannot open /data/tally.redb: locked"
        );
        let panicked = open_file("TALLY_DATA_DIR", path, damage, || -> Result<u8, String> {
            panic!("unreachable code")
        });
        assert!(
            panicked
                .unwrap_err()
                .to_string()
                .contains("is damaged (unreachable code)")
        );
    }
}
