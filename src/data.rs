//! The binary's data commands: `backup`, `restore`, `check`, `migrate` and
//! `merge-site`, each one line on failure and an exit code a script can
//! test.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tally::archive::format::Header;
use tally::archive::merge::{self, Plan};
use tally::archive::{check, fetch, restore};
use tally::config::{BackupArgs, Settings};
use tally::ids::SiteId;
use tally::sites::{Sites, load_sites, sites_defaults};
use tally::store::{self, Store};

/// How long the embedded store may hold a write before making it durable
/// (a restore syncs at its end anyway).
const SYNC_EVERY: Duration = Duration::from_secs(1);

fn failed(e: &anyhow::Error) -> ExitCode {
    eprintln!("tally: {e:#}");
    ExitCode::from(1)
}

#[tokio::main]
pub async fn backup(args: BackupArgs) -> ExitCode {
    let (from, token) = (&args.from, &args.admin_token);
    if args.keep.is_some() && args.out_dir.is_none() {
        eprintln!("tally: --keep: only with --out-dir (it prunes that directory)");
        return ExitCode::from(2);
    }
    if let Some(dir) = &args.out_dir {
        let keep = args.keep.map(|n| n as usize);
        return match fetch::backup_into(from, token, dir, keep).await {
            Ok(kept) => {
                said(&kept.file, &kept.header, kept.records);
                for gone in &kept.removed {
                    println!(
                        "{}: removed (older than the newest {})",
                        gone.display(),
                        keep.unwrap_or(0)
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => failed(&e),
        };
    }
    let Some(out) = &args.out else {
        eprintln!("tally: backup needs --out FILE or --out-dir DIR");
        return ExitCode::from(2);
    };
    match fetch::backup(from, token, out).await {
        Ok((header, records)) => {
            said(out, &header, records);
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

fn said(file: &Path, header: &Header, records: u64) {
    println!(
        "{}: {records} records from the {} store, cut at {}",
        file.display(),
        header.store,
        header.cut
    );
}

async fn open(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let ca = settings.redis_ca_file.as_deref();
    store::open::open(&settings.store, ca, settings.store_timeout, SYNC_EVERY).await
}

/// The sites a data command knows: the sites file's, and those created
/// through the admin API that `store` keeps. Restoring `export`, also
/// those whose definitions it carries that neither the file nor the store
/// has: they are returned to be written ([`define`]) once the restore is
/// done, so a refused restore writes nothing.
async fn sites_of(
    settings: &Settings,
    store: &Arc<dyn Store>,
    export: Option<&Path>,
) -> anyhow::Result<(Sites, Vec<(SiteId, String)>)> {
    let file = load_sites(settings)?;
    if !file.configured() {
        return Ok((file, Vec::new()));
    }
    let mut stored = store.defined_sites().await?;
    let mut carried = Vec::new();
    if let Some(export) = export {
        let header = restore::open(export)?.header().clone();
        for entry in &header.defined {
            let Ok(id) = SiteId::parse(&entry.id) else {
                continue;
            };
            if file.find(&id).is_some() || stored.iter().any(|(site, _)| *site == entry.id) {
                continue;
            }
            let json = entry.definition.to_string();
            stored.push((entry.id.clone(), json.clone()));
            carried.push((id, json));
        }
    }
    let defaults = sites_defaults(settings);
    let sites = Arc::unwrap_or_clone(file.with_stored(&stored, &defaults));
    Ok((sites, carried))
}

/// Writes the created sites' definitions a restore brought, each listed
/// as named now, so the next start serves them.
async fn define(store: &Arc<dyn Store>, carried: Vec<(SiteId, String)>) -> anyhow::Result<()> {
    for (id, json) in carried {
        store.define_site(&id, json, true).await?;
        store.list_sites(vec![id], jiff::Timestamp::now()).await?;
    }
    Ok(())
}

#[tokio::main]
pub async fn restore(settings: Settings, file: &Path, merge: bool) -> ExitCode {
    let run = async {
        let store = open(&settings).await?;
        let (served, carried) = sites_of(&settings, &store, Some(file)).await?;
        let written = restore::restore(Arc::clone(&store), &served, file, merge).await?;
        define(&store, carried).await?;
        store.sync().await?;
        anyhow::Ok(written)
    };
    match run.await {
        Ok(written) => {
            println!("{}: {written} records restored", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

#[tokio::main]
pub async fn check(settings: Settings, file: &Path, against: Option<&Path>) -> ExitCode {
    let run = async {
        let here = check::file_summary(file)?;
        let (there, there_is) = match against {
            Some(other) => (check::file_summary(other)?, other.display().to_string()),
            None => {
                let store = open(&settings).await?;
                let (served, _) = sites_of(&settings, &store, None).await?;
                (
                    store_summary(store, &served, file).await?,
                    "the store".to_owned(),
                )
            }
        };
        anyhow::Ok((
            here.differences(&there, &file.display().to_string(), &there_is),
            here.len(),
        ))
    };
    match run.await {
        Ok((differences, _)) if !differences.is_empty() => {
            for line in &differences {
                println!("{line}");
            }
            eprintln!("tally: {} differences", differences.len());
            ExitCode::from(1)
        }
        Ok((_, lines)) => {
            println!("no difference ({lines} lines compared)");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

/// What the store holds of every site this tally serves or the export
/// `file` lists; refused if a restore of any of them is incomplete.
async fn store_summary(
    store: Arc<dyn Store>,
    served: &Sites,
    file: &Path,
) -> anyhow::Result<check::Summary> {
    let header = restore::open(file)?.header().clone();
    let sites = check::compared_sites(served, &header);
    for site in &sites {
        if let Some(cut) = store.holding(site).await?.restoring {
            anyhow::bail!(
                "the store holds an incomplete restore of site {site} (of an export cut at {})",
                restore::cut_time(cut)
            );
        }
    }
    Ok(check::store_summary(store, &sites).await?)
}

/// Backup, restore, check: a running deployment moved into the store the
/// settings name, and proved to hold the same counts.
#[tokio::main]
pub async fn migrate(settings: Settings, from: &str, file: &Path) -> ExitCode {
    let Some(token) = settings.admin_token.as_ref().map(|t| t.expose().to_owned()) else {
        eprintln!("tally: TALLY_ADMIN_TOKEN: migrate needs the source's admin token");
        return ExitCode::from(2);
    };
    let run = async {
        let (header, records) = fetch::backup(from, &token, file).await?;
        said(file, &header, records);
        let store = open(&settings).await?;
        let (served, carried) = sites_of(&settings, &store, Some(file)).await?;
        let written = restore::restore(Arc::clone(&store), &served, file, false).await?;
        define(&store, carried).await?;
        store.sync().await?;
        println!("{written} records restored");
        let here = check::file_summary(file)?;
        let there = store_summary(store, &served, file).await?;
        anyhow::Ok((
            here.differences(&there, "the export", "the store"),
            here.len(),
        ))
    };
    match run.await {
        Ok((differences, _)) if !differences.is_empty() => {
            for line in &differences {
                println!("{line}");
            }
            eprintln!(
                "tally: the store differs from the export in {} lines",
                differences.len()
            );
            ExitCode::from(1)
        }
        Ok((_, lines)) => {
            println!("no difference ({lines} lines compared)");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}

/// What `tally merge-site` is asked to do.
pub enum Life {
    Merge {
        from: String,
        into: String,
        confirm: bool,
    },
    Undo,
}

fn site(flag: &str, name: &str) -> anyhow::Result<SiteId> {
    SiteId::parse(name).map_err(|e| anyhow::anyhow!("{flag} {name:?}: {e}"))
}

#[tokio::main]
pub async fn merge_site(settings: Settings, what: Life, journal: Option<&Path>) -> ExitCode {
    let run = async {
        let store = open(&settings).await?;
        let (served, _) = sites_of(&settings, &store, None).await?;
        let now = jiff::Timestamp::now();
        let said = match what {
            Life::Undo => {
                let journal = journal.expect("clap requires --journal with --undo");
                let plan = merge::undo(store, &served, journal).await?;
                format!(
                    "the merge of {} into {} is undone ({})",
                    plan.from,
                    plan.into,
                    journal.display()
                )
            }
            Life::Merge {
                from,
                into,
                confirm: true,
            } => {
                let plan = Plan {
                    from: site("--from", &from)?,
                    into: site("--into", &into)?,
                    gains: Vec::new(),
                };
                let removed = merge::confirm(store, &served, &plan, now).await?;
                format!(
                    "the merge of {from} into {into} is confirmed: {removed} keys of {from} deleted"
                )
            }
            Life::Merge { from, into, .. } => {
                let plan = Plan::new(&served, &site("--from", &from)?, &site("--into", &into)?)?;
                let journal = journal.map_or_else(
                    || merge::default_journal(&settings.data_dir, &plan, now),
                    Path::to_path_buf,
                );
                let merged = merge::merge(store, &served, &plan, &journal, now).await?;
                let mut said = format!(
                    "{from} is merged into {into} ({} records), pending: its journal is {}; \
                     `tally merge-site --undo --journal {}` takes it back, `tally merge-site \
                     --confirm --from {from} --into {into}` deletes {from}'s own data",
                    merged.written,
                    merged.journal.display(),
                    merged.journal.display()
                );
                if merged.baseline > 0 {
                    said.push_str(&format!(
                        "\n{from}'s baseline, {}, is added to {into}'s (the store's stands \
                         over the sites file's)",
                        merged.baseline
                    ));
                }
                said
            }
        };
        anyhow::Ok(said)
    };
    match run.await {
        Ok(said) => {
            println!("{said}");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    }
}
