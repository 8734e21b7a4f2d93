//! A site created or changed through the admin API or the console:
//! checked as the sites file's entries are, placed only where the
//! editor's role reaches, kept in the store, served at once on this
//! replica, and noted in the site's audit log and its parent's.

use std::sync::Arc;

use serde_json::Value;

use super::SiteBook;
use crate::audit::{Action, Audit, AuditEntry};
use crate::edge::error::ApiError;
use crate::ids::SiteId;
use crate::roles::{Grant, Role};
use crate::sites::{Invalid, SiteDef, SiteSpec, Sites, SitesError};
use crate::store::StoreError;

/// Why a site was not created or changed; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum DefineError {
    /// Without a sites file, the deployment serves its one site.
    #[error("sites are created beside a sites file")]
    SitesFileRequired,
    #[error("{0}")]
    Invalid(Invalid),
    /// The id is a site's, an alias or a removed site's (which, said).
    #[error("{0}")]
    Taken(String),
    /// A site of the sites file, which stays the file's.
    #[error("the site is the sites file's")]
    InFile,
    #[error("no such site")]
    NotFound,
    /// Sites below it would be left without a parent.
    #[error("the site has sites below it")]
    HasChildren,
    /// The role does not reach where the site would be.
    #[error("the role does not reach there")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DefineError> for ApiError {
    fn from(e: DefineError) -> Self {
        match e {
            DefineError::SitesFileRequired => ApiError::SitesFileRequired,
            DefineError::Invalid(why) => ApiError::InvalidSite(format!("{}: {}", why.field, why)),
            DefineError::Taken(why) => ApiError::SiteTaken(why),
            DefineError::InFile => ApiError::SiteInFile,
            DefineError::NotFound => ApiError::SiteNotFound,
            DefineError::HasChildren => ApiError::SiteHasChildren,
            DefineError::Forbidden => ApiError::ForbiddenRole,
            DefineError::Store(e) => e.into(),
        }
    }
}

/// Ids the admin API's paths take for lists of sites: a site of one
/// could not be changed at `/admin/sites/{id}`.
const RESERVED: [&str; 2] = ["days", "removed"];

fn invalid(field: &'static str, message: impl Into<String>) -> DefineError {
    DefineError::Invalid(Invalid {
        field,
        message: message.into(),
    })
}

/// A tree that would not hold, in the words of the field at fault.
fn refused_tree(e: SitesError) -> DefineError {
    match e {
        SitesError::Duplicate(id) => DefineError::Taken(format!("{id} is a site")),
        SitesError::AliasIsSite { site, alias } => {
            DefineError::Taken(format!("{alias} is an alias of {site}"))
        }
        SitesError::TooMany { .. } | SitesError::Empty => invalid("id", e.to_string()),
        SitesError::UnknownParent { .. }
        | SitesError::Cycle(_)
        | SitesError::TooDeep(_)
        | SitesError::AliasTwice { .. } => invalid("parent", e.to_string()),
    }
}

/// Whether `grant` may place a site under `parent`: a site the grant
/// reaches; a root only for an admin of every site (a province admin).
fn may_place(sites: &Sites, grant: &Grant, parent: Option<&SiteId>) -> Result<(), DefineError> {
    match parent {
        None if grant.site.is_none() && grant.role == Role::Admin => Ok(()),
        None => Err(DefineError::Forbidden),
        Some(parent) if sites.get(parent).is_none() => {
            Err(invalid("parent", format!("parent {parent} is not a site")))
        }
        Some(parent) if sites.reaches(grant, parent) => Ok(()),
        Some(_) => Err(DefineError::Forbidden),
    }
}

/// The site `id`, if there is one and `grant` reaches it.
fn reached(sites: &Sites, grant: &Grant, id: &SiteId) -> Result<SiteDef, DefineError> {
    let def = sites.get(id).ok_or(DefineError::NotFound)?;
    if !sites.reaches(grant, id) {
        return Err(DefineError::Forbidden);
    }
    Ok(def.clone())
}

impl SiteBook {
    /// Creates the site `spec` defines, under a parent `grant` reaches;
    /// it is served on this replica when this answers.
    pub async fn create(
        &self,
        spec: SiteSpec,
        who: &str,
        grant: &Grant,
    ) -> Result<SiteDef, DefineError> {
        if !self.file.configured() {
            return Err(DefineError::SitesFileRequired);
        }
        let def = spec.check(&self.defaults).map_err(DefineError::Invalid)?;
        if RESERVED.contains(&def.id.as_str()) {
            return Err(invalid(
                "id",
                format!(
                    "{} names a list of the admin API (/admin/sites/{})",
                    def.id, def.id
                ),
            ));
        }
        let _one = self.changing.lock().await;
        self.reread_held().await?;
        let sites = self.sites();
        may_place(&sites, grant, def.parent.as_ref())?;
        if let Some(held) = sites.find(&def.id) {
            return Err(DefineError::Taken(match held.id == def.id {
                true => format!("{} is a site", def.id),
                false => format!("{} is an alias of {}", def.id, held.id),
            }));
        }
        // A removed site's id, its data still kept, takes its data back
        // (a site deleted by mistake is created again) unless a merge of
        // it stands: its counts are then another site's too.
        let listed = self.store.listed_sites().await?;
        let removed = listed.iter().any(|(name, _)| name == def.id.as_str());
        for into in sites.all().into_iter().filter(|_| removed) {
            let merges = self.store.merges(&into.id).await?;
            if merges.iter().any(|(from, _)| from == def.id.as_str()) {
                return Err(DefineError::Taken(format!(
                    "{} is a removed site merged into {} (tally merge-site): confirm or undo the merge first",
                    def.id, into.id
                )));
            }
        }
        let mut defined = defined(&sites);
        defined.push(def.clone());
        let tree = self.file.with_defined(defined).map_err(refused_tree)?;
        let kept = SiteSpec::of(&def);
        let json = serde_json::to_string(&kept).unwrap_or_default();
        if !self.store.define_site(&def.id, json, true).await? {
            return Err(DefineError::Taken(format!("{} is a site", def.id)));
        }
        // Listed now, so retention keeps its data as it keeps the file's.
        self.store
            .list_sites(vec![def.id.clone()], self.clock.now())
            .await?;
        self.serve(Arc::new(tree));
        if let Some(baseline) = def.baseline.filter(|b| *b > 0)
            && let Some(counter) = self.services.counters.get(&def.id)
        {
            counter.set_baseline(baseline).await?;
        }
        let after = serde_json::to_value(&kept).ok();
        self.note(Action::CreateSite, who, &def, None, after, None)
            .await;
        tracing::info!(site = %def.id, %who, "site created");
        Ok(def)
    }

    /// Changes the site `id` to what `spec` says (its id and time zone
    /// stay), within what `grant` reaches: a site of the file is the
    /// file's.
    pub async fn edit(
        &self,
        id: &SiteId,
        spec: SiteSpec,
        who: &str,
        grant: &Grant,
    ) -> Result<SiteDef, DefineError> {
        let _one = self.changing.lock().await;
        self.reread_held().await?;
        let sites = self.sites();
        let old = reached(&sites, grant, id)?;
        if !sites.is_defined(id) {
            return Err(DefineError::InFile);
        }
        if !spec.id.is_empty() && spec.id != id.as_str() {
            return Err(invalid(
                "id",
                "a site's id does not change (a rename is the sites file's, with an alias)",
            ));
        }
        let spec = SiteSpec {
            id: id.to_string(),
            ..spec
        };
        let def = spec.check(&self.defaults).map_err(DefineError::Invalid)?;
        if def.timezone != old.timezone {
            return Err(invalid(
                "timezone",
                "a site's time zone is the one it was created with: its days would straddle two calendars",
            ));
        }
        if def.parent != old.parent {
            may_place(&sites, grant, def.parent.as_ref())?;
        }
        let mut defined = defined(&sites);
        defined.retain(|d| d.id != def.id);
        defined.push(def.clone());
        let tree = self.file.with_defined(defined).map_err(refused_tree)?;
        let kept = SiteSpec::of(&def);
        let json = serde_json::to_string(&kept).unwrap_or_default();
        if !self.store.define_site(id, json, false).await? {
            return Err(DefineError::NotFound);
        }
        self.serve(Arc::new(tree));
        if def.baseline != old.baseline
            && let Some(baseline) = def.baseline
            && let Some(counter) = self.services.counters.get(id)
        {
            counter.set_baseline(baseline).await?;
        }
        let before = serde_json::to_value(SiteSpec::of(&old)).ok();
        let after = serde_json::to_value(&kept).ok();
        let moved_from = old.parent.filter(|p| Some(p) != def.parent.as_ref());
        self.note(Action::EditSite, who, &def, before, after, moved_from)
            .await;
        tracing::info!(site = %def.id, %who, "site changed");
        Ok(def)
    }

    /// Deletes the site `id`, created through the admin API and with no
    /// site below it, by a role that could create it (one reaching its
    /// parent): it is no longer served, and becomes a removed site whose
    /// data is kept [`crate::retention::REMOVED_SITE_DAYS`] days from now,
    /// as a site taken out of the sites file; creating it again within
    /// them takes its data back.
    pub async fn delete(
        &self,
        id: &SiteId,
        who: &str,
        grant: &Grant,
    ) -> Result<SiteDef, DefineError> {
        let _one = self.changing.lock().await;
        self.reread_held().await?;
        let sites = self.sites();
        let old = reached(&sites, grant, id)?;
        may_place(&sites, grant, old.parent.as_ref())?;
        if !sites.is_defined(id) {
            return Err(DefineError::InFile);
        }
        if sites
            .all()
            .iter()
            .any(|def| def.parent.as_ref() == Some(id))
        {
            return Err(DefineError::HasChildren);
        }
        let mut defined = defined(&sites);
        defined.retain(|d| d.id != *id);
        let tree = self.file.with_defined(defined).map_err(refused_tree)?;
        // Its 30 days count from now, not from the last sweep.
        self.store
            .list_sites(vec![id.clone()], self.clock.now())
            .await?;
        if !self.store.undefine_site(id).await? {
            return Err(DefineError::NotFound);
        }
        self.serve(Arc::new(tree));
        let before = serde_json::to_value(SiteSpec::of(&old)).ok();
        self.note(Action::DeleteSite, who, &old, before, None, None)
            .await;
        tracing::info!(site = %id, %who, "site deleted; its data is kept as a removed site's");
        Ok(old)
    }

    /// Notes a change of `def` in its audit log, its parent's and, when
    /// it moved, its former parent's.
    async fn note(
        &self,
        action: Action,
        who: &str,
        def: &SiteDef,
        before: Option<Value>,
        after: Option<Value>,
        moved_from: Option<SiteId>,
    ) {
        let entry = AuditEntry {
            at: self.clock.now(),
            who: who.to_owned(),
            action,
            target: def.id.to_string(),
            before,
            after,
        };
        let logs = std::iter::once(def.id.clone())
            .chain(def.parent.clone())
            .chain(moved_from);
        for site in logs {
            Audit::new(Arc::clone(&self.store), site)
                .record(entry.clone())
                .await;
        }
    }
}

/// The sites defined through the admin API among `sites`.
fn defined(sites: &Sites) -> Vec<SiteDef> {
    sites
        .all()
        .into_iter()
        .filter(|def| sites.is_defined(&def.id))
        .cloned()
        .collect()
}
