//! Who calls an admin route, and the one check of what their role may do:
//! a handler takes [`Signed<N>`], `N` naming what it needs ([`Read`],
//! [`EditPolls`], [`Operate`]), so the need is declared in the handler's
//! own signature and checked before the handler runs — before its path
//! or body is read, and before anything is touched. A grant on one site
//! reaches that site and the sites below it: a route of the primary
//! site's (its history, audit log, backup) refuses a grant that does not
//! reach it; a route of a site's own ([`Named`]: its polls) refuses a
//! grant that does not reach the site its `site` parameter names; the
//! sites' routes ([`ReadSites`]) show a grant its own sites.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

use super::AdminApi;
use crate::edge::client::Client;
use crate::edge::error::ApiError;
use crate::edge::respond::query_param;
use crate::ids::SiteId;
use crate::roles::{Grant, Need};

/// What a route needs, as a type its handler names.
pub trait Needs: Send + Sync {
    const NEED: Need;
    /// Whether the route serves a grant on any site, showing it only its
    /// own sites; else it speaks of the primary site, which the grant
    /// must reach.
    const ANY_SITE: bool = false;
}

/// Reading anything: every role.
pub struct Read;
/// Changing polls or the visits history: editors and admins.
pub struct EditPolls;
/// The deployment's operations (a backup of the whole store): admins.
pub struct Operate;
/// Reading the sites a grant reaches: every role, on any site.
pub struct ReadSites;
/// Creating and changing sites: editors and admins, on any site (the
/// handler checks that the grant reaches where the site goes).
pub struct EditSites;

impl Needs for Read {
    const NEED: Need = Need::Read;
}
impl Needs for EditPolls {
    const NEED: Need = Need::EditPolls;
}
impl Needs for Operate {
    const NEED: Need = Need::Operate;
}
impl Needs for ReadSites {
    const NEED: Need = Need::Read;
    const ANY_SITE: bool = true;
}
impl Needs for EditSites {
    const NEED: Need = Need::EditPolls;
    const ANY_SITE: bool = true;
}

/// Which site a route speaks of, as a type its handler names.
pub trait Scope: Send + Sync {
    /// Whether the route acts on the site its `site` query parameter
    /// names (the primary site when it names none); else on the primary
    /// site, whatever the query says.
    const NAMED: bool;
}

/// The primary site's routes: its history, imports, audit log, backup.
pub struct Primary;
/// A site's own routes (its polls): the site the query names.
pub struct Named;

impl Scope for Primary {
    const NAMED: bool = false;
}
impl Scope for Named {
    const NAMED: bool = true;
}

/// A caller whose token is right and whose role may do what `N` needs,
/// on the site the route speaks of (`S`).
pub struct Signed<N: Needs, S: Scope = Primary> {
    /// The token's name, as the audit log says who.
    pub who: String,
    pub grant: Grant,
    /// The site the route acts on, which the grant reaches (the primary
    /// site on an [`Needs::ANY_SITE`] route, which shows its own sites).
    pub site: SiteId,
    need: PhantomData<(N, S)>,
}

impl<St, N, S> FromRequestParts<St> for Signed<N, S>
where
    St: Send + Sync,
    N: Needs,
    S: Scope,
    Arc<AdminApi>: FromRef<St>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, ApiError> {
        let api = Arc::<AdminApi>::from_ref(state);
        let client = Client::from_request_parts(parts, state).await?;
        let (who, grant) = api.authenticate(&parts.headers, client)?;
        let role = grant.role;
        if !role.may(N::NEED) {
            tracing::info!(%who, %role, path = parts.uri.path(), "admin API: refused by role");
            return Err(ApiError::ForbiddenRole);
        }
        let sites = api.counters.sites();
        let site = match query_param(parts.uri.query(), "site") {
            Some(name) if S::NAMED => SiteId::parse(&name)
                .ok()
                .filter(|id| sites.get(id).is_some())
                .ok_or(ApiError::SiteNotFound)?,
            _ => sites.primary().id.clone(),
        };
        if !N::ANY_SITE && !sites.reaches(&grant, &site) {
            tracing::info!(%who, %role, %site, path = parts.uri.path(), "admin API: refused by site");
            return Err(ApiError::ForbiddenRole);
        }
        Ok(Self {
            who,
            grant,
            site,
            need: PhantomData,
        })
    }
}
