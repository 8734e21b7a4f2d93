//! Schemas of what the body types cannot derive for themselves: the domain's
//! identifiers, poll status and poll definition (domain types carry no
//! documentation concerns), and the shapes of requests and answers that
//! are not JSON types (a form ballot, a page, a header). Limits come from
//! the domain's own constants. The tests hold each one against the type it
//! describes.

use utoipa::ToSchema;
use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Ref, Type};

use crate::ids::PAGE_ID_MAX_BYTES;
use crate::poll::MAX_OPTIONS;

/// Describes a schema by hand, under a name.
#[macro_export]
macro_rules! described {
    ($(#[$doc:meta])* $name:ident, $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $schema.into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// A string schema.
pub fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// `[a-z0-9-]{1,64}`, the shape of poll and option ids.
fn slug(description: &str, example: &str) -> ObjectBuilder {
    string(description)
        .pattern(Some("^[a-z0-9-]{1,64}$"))
        .examples([example])
}

described!(
    /// [`crate::ids::PollId`].
    PollId,
    slug("A poll id: 1 to 64 of `a-z`, `0-9`, `-`.", "danh-gia-cong")
);

described!(
    /// [`crate::ids::SiteId`].
    SiteId,
    slug("A site id: 1 to 64 of `a-z`, `0-9`, `-`.", "so-y-te")
);

described!(
    /// [`crate::ids::OptionId`].
    OptionId,
    slug("An option id: 1 to 64 of `a-z`, `0-9`, `-`.", "tot")
);

described!(
    /// [`crate::ids::PageId`]. JSON Schema counts characters, not bytes:
    /// the byte limit is in words.
    PageId,
    string(&format!(
        "A page of the portal, usually its path: 1 to {PAGE_ID_MAX_BYTES} **bytes** of UTF-8 \
         (so fewer characters when they are not ASCII), no control characters."
    ))
    .min_length(Some(1))
    .max_length(Some(PAGE_ID_MAX_BYTES))
    .pattern(Some("^[^\\u0000-\\u001F\\u007F-\\u009F]*$"))
    .examples(["/tin-tuc/123"])
);

mod poll;
pub use poll::*;

described!(
    /// One event of `GET /v1/polls/{id}/events`, as server-sent events are
    /// described: its name and its data.
    ResultsEvent,
    ObjectBuilder::new()
        .description(Some(
            "A `results` event: its data is the JSON of `GET /v1/polls/{id}/results` (schema \
             `Results`) on one line. Between events the stream carries comments (`: keep-alive`).",
        ))
        .property("event", string("Always `results`.").enum_values(Some(["results"])))
        .property(
            "data",
            string("The results, as JSON (schema `Results`).").content_media_type("application/json"),
        )
        .required("event")
        .required("data")
);

/// `VoteRequest::options`: the chosen option ids.
pub fn choices() -> ArrayBuilder {
    ArrayBuilder::new()
        .items(Ref::from_schema_name(OptionId::name()))
        .min_items(Some(1))
        .max_items(Some(MAX_OPTIONS))
        .unique_items(true)
}

described!(
    /// A form ballot (`application/x-www-form-urlencoded`).
    FormBallot,
    ObjectBuilder::new()
        .description(Some("The HTML form's fields; other fields are ignored."))
        .property(
            "option",
            ArrayBuilder::new()
                .items(OptionId::schema())
                .min_items(Some(1))
                .max_items(Some(MAX_OPTIONS))
                .unique_items(true)
                .description(Some("A chosen option id; repeated for several choices.")),
        )
        .required("option")
);

described!(
    /// A JSON body sent as `text/plain`.
    JsonText,
    string(
        "The same JSON document as the `application/json` body, sent as `text/plain` so that \
         a browser sends it without a CORS preflight."
    )
);

described!(
    /// One of tally's HTML pages.
    HtmlPage,
    string(
        "An HTML document (UTF-8) with no script and no inline style; it links `pages.css` \
         relatively."
    )
);

described!(
    /// The visitor id as a cookie, a header or a `Set-Cookie`: 36
    /// lowercase hex digits.
    VisitorId,
    string("A visitor id: 36 lowercase hex digits (a 4-digit routing tag and 128 random bits).")
        .pattern(Some("^[0-9a-f]{36}$"))
        .examples(["3f2a9c1e0b7d4a6f8e5c2b1a0d9e8f7c6b5a"])
);

described!(
    /// The `tally_vid` cookie as a request may carry it: anything that is
    /// not a visitor id is ignored.
    VisitorCookie,
    AnyOfBuilder::new()
        .item(VisitorId::schema())
        .item(string("Anything else: ignored, as if absent."))
);

/// An answer's header, as a pattern.
pub fn header(description: &str, pattern: &str) -> ObjectBuilder {
    string(description).pattern(Some(pattern))
}

described!(
    /// The `Set-Cookie` that issues the visitor cookie.
    SetCookie,
    header(
        "`tally_vid`: 36 lowercase hex digits, two years, `HttpOnly`, `SameSite=Lax`, `Secure` \
         over HTTPS.",
        "^tally_vid=[0-9a-f]{36}; HttpOnly; SameSite=Lax(; Secure)?; Path=/; Max-Age=63072000$",
    )
);

described!(
    /// The pages' Content-Security-Policy.
    PageCsp,
    header(
        "The pages' policy.",
        "^default-src 'none'; style-src 'self'[^;]*; img-src 'self'[^;]*; form-action 'self'; \
         frame-ancestors 'self'[^;]*; base-uri 'none'$",
    )
);

described!(
    /// Where a form ballot is sent on: the results page beside the form.
    ResultsLocation,
    header(
        "Relative to the form's own address; `back` carries the article the form was opened from.",
        "^[a-z0-9-]{1,64}/results\\?lang=(vi|en)(&back=[^&]+)?$",
    )
);

described!(
    /// The widget's entity tag.
    WidgetEtag,
    header(
        "12 hex digits of the widget's content hash, quoted.",
        "^\"[0-9a-f]{12}\"$",
    )
);

described!(
    /// An OpenAPI document.
    Document,
    ObjectBuilder::new()
        .description(Some("An OpenAPI 3.1 document."))
        .required("openapi")
        .required("info")
        .required("paths")
);
