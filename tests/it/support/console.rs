//! A signed-in editors' console client for the integration tests: a browser
//! without script that keeps its session cookie, reads the CSRF token from a
//! page, posts forms and sees each redirect rather than following it.

use reqwest::{Response, StatusCode, header};

use super::TestApp;

/// A client that does not follow redirects, so each answer is seen.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// An editor's browser on the console of `app`.
pub struct Console<'a> {
    pub app: &'a TestApp,
    pub http: reqwest::Client,
    /// The session cookie (`name=value`) once signed in.
    pub cookie: Option<String>,
    /// The CSRF token read after [`Console::signed_in`]; empty before.
    pub csrf: String,
}

impl<'a> Console<'a> {
    /// A browser that has not signed in.
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: browser(),
            cookie: None,
            csrf: String::new(),
        }
    }

    /// A browser signed in with `token`, holding the pages' CSRF token.
    pub async fn signed_in(app: &'a TestApp, token: &str) -> Self {
        let mut console = Self::new(app);
        let r = console.sign_in(token).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "signing in");
        console.csrf = console.csrf().await;
        console
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.ops)
    }

    /// `GET path` with the session cookie, if any.
    pub async fn get(&self, path: &str) -> Response {
        let mut req = self.http.get(self.url(path));
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.unwrap()
    }

    /// Posts `form` as it is (no CSRF token added) with the session cookie.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Response {
        let mut req = self.http.post(self.url(path)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        req.send().await.unwrap()
    }

    /// Posts the sign-in form; keeps the session cookie it sets.
    pub async fn sign_in(&mut self, token: &str) -> Response {
        let r = self.post("/admin/sign-in", &[("token", token)]).await;
        self.keep_cookie(&r);
        r
    }

    /// Keeps the session cookie `r` sets, if it sets one.
    pub fn keep_cookie(&mut self, r: &Response) {
        if let Some(set) = r.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            self.cookie = Some(pair);
        }
    }

    /// The CSRF token in a signed-in page's forms.
    pub async fn csrf(&self) -> String {
        let page = self.get("/admin/").await.text().await.unwrap();
        let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + 19;
        page[at..at + 64].to_owned()
    }

    /// The page at `path`: its status and text.
    pub async fn page(&self, path: &str) -> (StatusCode, String) {
        answer(self.get(path).await).await
    }

    /// The page at `path`, which must answer 200.
    pub async fn text(&self, path: &str) -> String {
        let (status, page) = self.page(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        page
    }

    /// Posts `fields` after the CSRF token, as a page's form does: the
    /// status and the answer's text.
    pub async fn send(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        answer(self.post(path, &self.with_csrf(fields)).await).await
    }

    /// As [`Console::send`], but a redirect gives where it leads instead
    /// of its (empty) text.
    pub async fn send_to(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let r = self.post(path, &self.with_csrf(fields)).await;
        let status = r.status();
        let to = r
            .headers()
            .get(header::LOCATION)
            .map(|l| l.to_str().unwrap().to_owned());
        (status, to.unwrap_or(r.text().await.unwrap()))
    }

    fn with_csrf<'f>(&'f self, fields: &[(&'f str, &'f str)]) -> Vec<(&'f str, &'f str)> {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        form
    }

    /// Posts a form to `path` as a browser sends it with file `name`
    /// chosen in its `file` input (and an empty `csv` field beside it).
    pub async fn upload(&self, path: &str, name: &str, file: &[u8]) -> (StatusCode, String) {
        let boundary = "----tally-form-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (field, value) in [("csrf", self.csrf.as_str()), ("csv", "")] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n").as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut req = self.http.post(self.url(path)).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        answer(req.body(body).send().await.unwrap()).await
    }
}

/// An answer's status and text.
pub async fn answer(r: Response) -> (StatusCode, String) {
    (r.status(), r.text().await.unwrap())
}

/// `s` as the page's text says it, HTML's escapes undone.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
