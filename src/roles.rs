//! Who may do what: an editor's role (admin, editor, viewer) and what each
//! admin route and console page needs ([`Need`]). Routes declare their
//! need where they are declared; one check per listener applies it
//! ([`Role::may`]). A role is given on a site and, once sites are
//! configured, reaches that site and its descendants (`Sites::covers`).

use crate::ids::SiteId;

/// What a token, and a console session signed in with it, may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything, the deployment's operations included.
    Admin,
    /// Polls and the visits history (import, baseline), and reading
    /// everything.
    Editor,
    /// Reading only: pages, results, history, the audit log, exports of
    /// figures.
    Viewer,
}

/// What a route needs of whoever calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Need {
    /// Nothing: no sign-in (the console's sign-in page, its stylesheet).
    Open,
    /// Reading anything (every role).
    Read,
    /// Changing polls or the visits history (editors and admins).
    EditPolls,
    /// The deployment's operations: a backup of the whole store (admins).
    Operate,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Editor, Role::Viewer];

    /// Whether this role may do what `need` asks.
    pub fn may(self, need: Need) -> bool {
        match need {
            Need::Open | Need::Read => true,
            Need::EditPolls => matches!(self, Role::Admin | Role::Editor),
            Need::Operate => self == Role::Admin,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role, on the site it was given for (`None`: every site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub site: Option<SiteId>,
}

impl Grant {
    /// The role of `TALLY_ADMIN_TOKEN` and of a `name:token` entry.
    pub const ADMIN: Grant = Grant {
        role: Role::Admin,
        site: None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_may_what_its_table_says() {
        let may = |role: Role| {
            [Need::Open, Need::Read, Need::EditPolls, Need::Operate].map(|n| role.may(n))
        };
        assert_eq!(may(Role::Admin), [true, true, true, true]);
        assert_eq!(may(Role::Editor), [true, true, true, false]);
        assert_eq!(may(Role::Viewer), [true, true, false, false]);
    }

    #[test]
    fn a_role_reads_as_it_is_written() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{role}\""));
        }
        assert_eq!(Role::parse("Admin"), None);
    }
}
