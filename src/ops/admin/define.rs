//! The admin API's changes of sites: a site created under a parent the
//! token's role reaches (a root by a province admin), and a site created
//! so changed. A site of the sites file stays the file's. Each is served
//! on this replica when it answers, and on the others within seconds
//! (`crate::site_book`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use http::{HeaderMap, StatusCode};

use super::sites::{SiteBody, site_body};
use super::{AdminApi, EditSites, Signed, json_body};
use crate::edge::error::ApiError;
use crate::edge::extract::Param;
use crate::edge::respond::{Response, json_response};
use crate::ids::SiteId;
use crate::refusals;
use crate::sites::SiteSpec;

refusals!(CreateSiteRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_site(),
    site_taken(),
    SitesFileRequired,
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);
refusals!(EditSiteRefusals: [
    admin_payload_too_large(),
    invalid_body(),
    unsupported_media_type("application/json"),
    invalid_json(),
    invalid_site(),
    SiteInFile,
    SiteNotFound,
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);

refusals!(DeleteSiteRefusals: [
    SiteInFile,
    SiteHasChildren,
    SiteNotFound,
    AdminDisabled,
    Unauthorized,
    ForbiddenRole,
    locked_out(),
    StoreUnavailable,
]);

/// A site's definition from a request's body.
async fn spec(headers: &HeaderMap, body: Body) -> Result<SiteSpec, ApiError> {
    let value = json_body(headers, body).await?;
    serde_json::from_value(value).map_err(|e| ApiError::InvalidSite(e.to_string()))
}

/// Create a site
///
/// A new site under `parent`, which the token's role must reach (a root
/// takes an admin of every site), checked as the sites file's entries
/// are. It counts at once on this replica, and on the others within a few
/// seconds; the store keeps it, so every start serves it. Its id may not
/// be a site's, an alias or a removed site's whose data is still kept.
#[utoipa::path(
    post, path = "/admin/sites", tag = "admin", operation_id = "createSite",
    security(("bearer" = [])),
    request_body(content = SiteSpec, content_type = "application/json"),
    responses((status = 201, description = "The site created.", body = SiteBody), CreateSiteRefusals),
)]
pub async fn create_site(
    State(api): State<Arc<AdminApi>>,
    signed: Signed<EditSites>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let spec = spec(&headers, body).await?;
    let def = api.book.create(spec, &signed.who, &signed.grant).await?;
    Ok(json_response(StatusCode::CREATED, &site_body(&def, true)))
}

/// Change a site
///
/// The whole definition of a site created through this API or the
/// console (the body's `id` may be left out, and is otherwise the
/// path's; its time zone stays the one it was created with). A site of
/// the sites file is changed in the file: `409 site_in_file`. Moving it
/// under another parent takes a role reaching that parent.
#[utoipa::path(
    put, path = "/admin/sites/{id}", tag = "admin", operation_id = "putSite",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id.", example = "xa-an-phu")),
    request_body(content = SiteSpec, content_type = "application/json"),
    responses((status = 200, description = "The site as changed.", body = SiteBody), EditSiteRefusals),
)]
pub async fn put_site(
    State(api): State<Arc<AdminApi>>,
    Param(path): Param,
    signed: Signed<EditSites>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let id = path
        .and_then(|raw| SiteId::parse(&raw).ok())
        .ok_or(ApiError::SiteNotFound)?;
    let spec = spec(&headers, body).await?;
    let def = api.book.edit(&id, spec, &signed.who, &signed.grant).await?;
    Ok(json_response(StatusCode::OK, &site_body(&def, true)))
}

/// Delete a site
///
/// A site created through this API or the console, with no site below
/// it, by a role reaching its parent (who could create it). It is no
/// longer served, on this replica at once and on the others within a
/// few seconds, and becomes a removed site (`GET /admin/sites/removed`):
/// its data is kept 30 days, then deleted; creating it again within them
/// takes its data back. A site of the sites file is taken out of the
/// file: `409 site_in_file`.
#[utoipa::path(
    delete, path = "/admin/sites/{id}", tag = "admin", operation_id = "deleteSite",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The site's id.", example = "xa-binh-an")),
    responses((status = 200, description = "The site deleted, as it was.", body = SiteBody), DeleteSiteRefusals),
)]
pub async fn delete_site(
    State(api): State<Arc<AdminApi>>,
    Param(path): Param,
    signed: Signed<EditSites>,
) -> Result<Response, ApiError> {
    let id = path
        .and_then(|raw| SiteId::parse(&raw).ok())
        .ok_or(ApiError::SiteNotFound)?;
    let def = api.book.delete(&id, &signed.who, &signed.grant).await?;
    Ok(json_response(StatusCode::OK, &site_body(&def, true)))
}
