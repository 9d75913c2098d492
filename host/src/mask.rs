//! Masking of personal data in logs and traces: resident ID numbers and names
//! never reach a log line in full.

use std::sync::LazyLock;

use regex::Regex;

/// An 18-character resident ID number standing on its own in text.
static ID_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^0-9A-Za-z])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])($|[^0-9A-Za-z])")
        .expect("the ID number pattern is valid")
});

/// Masks a resident ID number, keeping the region code's first digits and the
/// last four: `330106********123X`.
pub fn id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let keep_tail = 4.min(chars.len() - 3);
    let mut out: String = chars[..6.min(chars.len() - keep_tail)].iter().collect();
    out.push_str(&"*".repeat(chars.len() - out.chars().count() - keep_tail));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}

/// Masks a person's name, keeping the first character: `张*`, `欧阳**`→`欧***`.
pub fn name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count();
            let mut out = String::with_capacity(name.len());
            out.push(first);
            out.push_str(&"*".repeat(rest.max(1)));
            out
        }
        None => String::new(),
    }
}

/// Masks every resident ID number in free text (adapter logs, legacy messages).
pub fn text(text: &str) -> String {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return text.to_owned();
    }
    ID_NUMBER
        .replace_all(text, |c: &regex::Captures<'_>| {
            format!("{}{}********{}{}", &c[1], &c[2], &c[4], &c[5])
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_in_text_are_masked() {
        assert_eq!(
            text("申请人 11010519491231002X 提交, 另见 330106199001011234。"),
            "申请人 110105********002X 提交, 另见 330106********1234。"
        );
        // Credit codes and longer digit runs are not ID numbers.
        assert_eq!(text("91350100M000100Y43"), "91350100M000100Y43");
        assert_eq!(text("12345678901234567890"), "12345678901234567890");
    }

    #[test]
    fn names_and_ids_mask_to_their_first_characters() {
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("欧阳娜娜"), "欧***");
        assert_eq!(name("李"), "李*");
        assert_eq!(id_number("11010519491231002X"), "110105********002X");
    }
}
