"""Schemathesis hooks for tally's APIs (loaded by scripts/schemathesis for both
runs; all but the text deserializer concern the public routes only).

What the generic checks cannot know, or would not try:

- HTML, SVG, CSS and JavaScript answers are text: they are read as strings so
  that their schemas (`type: string`) are checked instead of skipped.
- The HTML routes (`/polls/{id}`, `/polls/{id}/results`) answer their errors
  as a page when `Accept` names `text/html` and as JSON otherwise; generated
  requests to them send a browser's `Accept`, a JSON client's, or none, so
  both kinds of answer are checked against the document.
- A `text/plain` body of a hit or a ballot is "any string" in the document
  (`JsonText`) but is parsed as the JSON body, so a schema-valid string that is
  not JSON is rightly refused with `400 invalid_json`.
- A visitor votes once: requests name a fresh visitor (a new, well-formed
  `tally_vid` cookie) half of the time, so ballots are counted (`201`, `303`
  with `thanks`) as well as refused as repeats (`409`, `303` with `already`).
- A page id is limited to 256 *bytes*, which JSON Schema cannot say: the
  document says `maxLength: 256` (characters) and the description says bytes,
  so a page of at most 256 characters but more than 256 bytes is rightly
  refused with `400 invalid_page`.
- A form ballot from a visitor who has already voted, or for a poll that is
  closed or not open yet, is answered `303` to the results page with a notice
  before its choices are looked at: that is the form's flow, not a schema
  violation accepted.

The last three drop only the failure they explain; every other check still
runs on the same request.

One check is added: the poll and results pages, and their error pages, carry
no script and no inline style or event handler (the document promises pages
that work without JavaScript under a strict Content-Security-Policy).
"""

import json

import schemathesis
from hypothesis import strategies as st


@schemathesis.deserializer("text/html", "image/svg+xml", "text/css", "text/javascript")
def text_body(ctx, response):
    return response.content.decode("utf-8")


HTML_ROUTES = ("/polls/{id}", "/polls/{id}/results")
ACCEPTS = (
    None,
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json",
)


@schemathesis.hook
def flatmap_case(context, case):
    if context.operation is None or context.operation.path not in HTML_ROUTES:
        return st.just(case)

    def with_accept(accept):
        if accept is not None:
            headers = dict(case.headers or {})
            headers["Accept"] = accept
            case.headers = headers
        return case

    return st.sampled_from(ACCEPTS).map(with_accept)


@schemathesis.hook
def flatmap_cookies(context, cookies):
    fresh = st.binary(min_size=18, max_size=18).map(
        lambda random: {**(cookies or {}), "tally_vid": random.hex()}
    )
    return st.one_of(st.just(cookies), fresh)


# What a page under `default-src 'none'; style-src 'self'` must not contain.
FORBIDDEN_IN_PAGES = (b"<script", b" style=", b" onclick=", b" onload=", b"javascript:")


@schemathesis.check
def pages_carry_no_script(ctx, response, case):
    if case.operation.path not in HTML_ROUTES:
        return None
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if media_type != "text/html":
        return None
    body = response.content.lower()
    found = [marker.decode() for marker in FORBIDDEN_IN_PAGES if marker in body]
    if found:
        raise AssertionError(f"The page contains {', '.join(found)}")
    return None


def _request_media_type(response):
    value = response.request.headers.get("Content-Type") or ""
    return value.split(";")[0].strip().lower()


def _error_code(response):
    try:
        return json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def _pages(case):
    """The page ids a request names, in its query or its JSON body."""
    pages = []
    for container in (case.query, case.body):
        if isinstance(container, dict) and isinstance(container.get("page"), str):
            pages.append(container["page"])
    return pages


# Schema-valid request rejected (positive_data_acceptance).
SCHEMA_VALID_REJECTED = "ST202"
# Schema-violating request accepted (negative_data_rejection).
SCHEMA_VIOLATING_ACCEPTED = "ST201"
PAGE_ID_MAX_BYTES = 256
# What `POST /polls/{id}` redirects to when the ballot box answered before
# the choices were checked.
BALLOT_BOX_NOTICES = ("notice=already", "notice=closed", "notice=not_open")


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if failure.code == SCHEMA_VALID_REJECTED and response.status_code == 400:
        code = _error_code(response)
        if code == "invalid_json" and _request_media_type(response) == "text/plain":
            return False
        if code == "invalid_page" and any(
            len(page.encode("utf-8")) > PAGE_ID_MAX_BYTES for page in _pages(case)
        ):
            return False
    if (
        failure.code == SCHEMA_VIOLATING_ACCEPTED
        and case.operation.method.upper() == "POST"
        and case.operation.path == "/polls/{id}"
        and response.status_code == 303
    ):
        location = response.headers.get("location", [""])[0]
        if location.endswith(BALLOT_BOX_NOTICES):
            return False
    return True
