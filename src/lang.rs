//! The languages the site speaks, and how numbers read in each:
//! Vietnamese (the default) and English.

/// A language the pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// `?lang=vi` or `?lang=en` if the query asks, else the site's
    /// language. A browser's `Accept-Language` never decides on its own:
    /// the portal's pages, and the question, are in the site's language.
    pub fn choose(query: Option<&str>, site: Lang) -> Self {
        query
            .and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "lang")
                    .and_then(|(_, v)| Self::from_tag(&v))
            })
            .unwrap_or(site)
    }

    /// A language from a tag such as `vi`, `en-US` or `en_GB`.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// A whole number with thousands grouped: `7.582.803` / `7,582,803`.
    pub fn number(self, n: u64) -> String {
        let sep = match self {
            Lang::Vi => '.',
            Lang::En => ',',
        };
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(sep);
            }
            out.push(d);
        }
        out
    }

    /// A percentage from tenths: `41,7%` / `41.7%`.
    pub fn percent(self, tenths: u32) -> String {
        let mark = match self {
            Lang::Vi => ',',
            Lang::En => '.',
        };
        format!("{}{mark}{}%", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_grouped_the_vietnamese_way() {
        assert_eq!(Lang::Vi.number(7_582_803), "7.582.803");
        assert_eq!(Lang::Vi.number(138), "138");
        assert_eq!(Lang::Vi.number(1000), "1.000");
        assert_eq!(Lang::Vi.number(0), "0");
        assert_eq!(Lang::En.number(7_582_803), "7,582,803");
        assert_eq!(Lang::Vi.percent(417), "41,7%");
        assert_eq!(Lang::En.percent(1000), "100.0%");
    }

    #[test]
    fn the_query_switches_and_nothing_else_does() {
        assert_eq!(Lang::choose(None, Lang::Vi), Lang::Vi);
        assert_eq!(Lang::choose(Some("lang=en"), Lang::Vi), Lang::En);
        assert_eq!(Lang::choose(Some("x=1&lang=en-US"), Lang::Vi), Lang::En);
        assert_eq!(Lang::choose(Some("lang=vi"), Lang::En), Lang::Vi);
        assert_eq!(Lang::choose(Some("lang=de"), Lang::Vi), Lang::Vi);
        assert_eq!(Lang::choose(Some("lang=de"), Lang::En), Lang::En);
    }
}
