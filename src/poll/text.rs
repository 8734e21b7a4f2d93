//! What a poll's question and labels may hold: one line of text as people
//! read it, so no control character (NUL, a line break, C1 codes) and none
//! of the marks that reorder how the text around them is shown (a label
//! could otherwise display as another answer's words).

use std::fmt;

use crate::ids::OptionId;

/// The characters that change the direction text is displayed in:
/// embeddings and overrides (U+202A–U+202E), isolates (U+2066–U+2069)
/// and the invisible direction marks (U+200E, U+200F, U+061C).
fn reorders(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Which text of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextField {
    Question,
    /// The label of the option at `position` (from 1).
    Label {
        position: usize,
        id: OptionId,
    },
}

/// A character a poll's text cannot hold, and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCharacter {
    pub field: TextField,
    pub character: char,
}

impl BadCharacter {
    /// The character as people look it up: `U+202E`.
    pub fn code_point(&self) -> String {
        format!("U+{:04X}", u32::from(self.character))
    }

    /// Why, in Vietnamese and in English.
    pub fn words(&self) -> (String, String) {
        let at = self.code_point();
        let (vi_field, en_field) = match &self.field {
            TextField::Question => ("Câu hỏi".to_owned(), "The question".to_owned()),
            TextField::Label { position, id } => (
                format!("Phương án thứ {position} ({id})"),
                format!("Option {position} ('{id}')"),
            ),
        };
        let (vi_kind, en_kind) = if self.character.is_control() {
            ("ký tự điều khiển", "a control character")
        } else {
            (
                "ký tự đổi chiều hiển thị văn bản",
                "a character that changes the direction text is shown in",
            )
        };
        (
            format!(
                "{vi_field} chứa {vi_kind} {at}; câu hỏi và phương án chỉ là một dòng chữ thường."
            ),
            format!(
                "{en_field} holds {at}, {en_kind}; a question or a label is one line of plain text."
            ),
        )
    }
}

impl fmt::Display for BadCharacter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.words().1)
    }
}

/// The first character of `text` a poll's text cannot hold, if any.
pub fn check_line(text: &str, field: impl FnOnce() -> TextField) -> Result<(), BadCharacter> {
    match text.chars().find(|&c| c.is_control() || reorders(c)) {
        None => Ok(()),
        Some(character) => Err(BadCharacter {
            field: field(),
            character,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<String> {
        check_line(text, || TextField::Question)
            .err()
            .map(|e| e.code_point())
    }

    #[test]
    fn one_line_of_plain_text_passes() {
        for text in [
            "Bạn đánh giá thế nào?",
            "Rất tốt 👍",
            "مرحبا",
            "a\u{00A0}b",
            "x\u{200D}y",
        ] {
            assert_eq!(refused(text), None, "{text:?}");
        }
    }

    #[test]
    fn controls_and_direction_changes_are_named() {
        let cases = [
            ("a\0b", "U+0000"),
            ("a\nb", "U+000A"),
            ("a\tb", "U+0009"),
            ("a\u{7f}", "U+007F"),
            ("\u{85}", "U+0085"),
            ("\u{9f}", "U+009F"),
            ("Tốt\u{202E}txe", "U+202E"),
            ("\u{202A}", "U+202A"),
            ("\u{2066}a\u{2069}", "U+2066"),
            ("a\u{200E}", "U+200E"),
            ("a\u{200F}", "U+200F"),
        ];
        for (text, code) in cases {
            assert_eq!(refused(text).as_deref(), Some(code), "{text:?}");
        }
        let e = check_line("x\u{202E}", || TextField::Label {
            position: 2,
            id: OptionId::parse("tot").unwrap(),
        })
        .unwrap_err();
        let (vi, en) = e.words();
        assert!(
            vi.starts_with("Phương án thứ 2 (tot) chứa") && vi.contains("U+202E"),
            "{vi}"
        );
        assert!(en.starts_with("Option 2 ('tot') holds U+202E"), "{en}");
    }
}
