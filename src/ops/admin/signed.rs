//! Who calls an admin route, and the one check of what their role may do:
//! a handler takes [`Signed<N>`], `N` naming what it needs ([`Read`],
//! [`EditPolls`], [`Operate`]), so the need is declared in the handler's
//! own signature and checked before the handler runs — before its path,
//! query or body is read, and before anything is touched. A grant on one
//! site reaches that site and the sites below it: a route of the primary
//! site's (its polls, history, audit log, backup) refuses a grant that
//! does not reach it; the sites' routes ([`ReadSites`]) show a grant its
//! own sites.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

use super::AdminApi;
use crate::edge::client::Client;
use crate::edge::error::ApiError;
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

/// A caller whose token is right and whose role may do what `N` needs,
/// on the sites it concerns.
pub struct Signed<N: Needs> {
    /// The token's name, as the audit log says who.
    pub who: String,
    pub grant: Grant,
    need: PhantomData<N>,
}

impl<S, N> FromRequestParts<S> for Signed<N>
where
    S: Send + Sync,
    N: Needs,
    Arc<AdminApi>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let api = Arc::<AdminApi>::from_ref(state);
        let client = Client::from_request_parts(parts, state).await?;
        let (who, grant) = api.authenticate(&parts.headers, client)?;
        let role = grant.role;
        if !role.may(N::NEED) {
            tracing::info!(%who, %role, path = parts.uri.path(), "admin API: refused by role");
            return Err(ApiError::ForbiddenRole);
        }
        let sites = api.counters.sites();
        if !N::ANY_SITE && !sites.reaches(&grant, &sites.primary().id) {
            tracing::info!(%who, %role, path = parts.uri.path(), "admin API: refused by site");
            return Err(ApiError::ForbiddenRole);
        }
        Ok(Self {
            who,
            grant,
            need: PhantomData,
        })
    }
}
