//! Masking of personal data in logs and traces: resident ID numbers and names
//! never reach a log line in full.

use std::sync::LazyLock;

use regex::Regex;

/// An 18-character resident ID number standing on its own in text. Any six
/// digits may lead it: `codes::id_number::validate` (which the platform accepts
/// holders by) does not check the region code.
static ID_NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(^|[^0-9A-Za-z])([0-9]{6})([0-9]{8})([0-9]{3}[0-9Xx])($|[^0-9A-Za-z])")
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
    // Not `replace_all`: a match takes the character after the number with it,
    // which may be the one before the next number (`a,b`); each search starts
    // right after the last number instead.
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    while let Some(c) = ID_NUMBER.captures_at(text, copied) {
        let (birth, tail) = (c.get(3).expect("group 3"), c.get(4).expect("group 4"));
        out.push_str(&text[copied..birth.start()]);
        out.push_str("********");
        out.push_str(tail.as_str());
        copied = tail.end();
    }
    out.push_str(&text[copied..]);
    out
}

/// Masks every resident ID number in `text`, and each of `names` (the people a
/// call concerns, whom the host knows from the call's arguments).
pub fn text_with_names(text: &str, names: &[String]) -> String {
    // Names first: masking a name glued to a number (`Li110105...`) leaves the
    // number standing on its own, and then it is masked too.
    let mut out = text.to_owned();
    for full in names.iter().filter(|n| n.chars().count() >= 2) {
        if out.contains(full.as_str()) {
            out = out.replace(full.as_str(), &name(full));
        }
    }
    self::text(&out)
}

/// A log writer that masks every resident ID number in what passes through it,
/// so that no log line carries one in full, whoever wrote it (a legacy system's
/// message inside an error included). Each formatted event arrives in one write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writer;

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let masked = text(&String::from_utf8_lossy(buf));
        std::io::stderr().write_all(masked.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Writer {
    type Writer = Writer;

    fn make_writer(&'a self) -> Self::Writer {
        Writer
    }
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
    fn the_names_a_call_concerns_are_masked_with_the_ids() {
        let names = vec!["王镕".to_owned(), "欧阳娜娜".to_owned()];
        assert_eq!(
            text_with_names(
                "提交办件：申请人 王镕（330122198203150014），代理人 欧阳娜娜",
                &names
            ),
            "提交办件：申请人 王*（330122********0014），代理人 欧***"
        );
    }

    #[test]
    fn neighbouring_id_numbers_are_all_masked() {
        // The second of two numbers one character apart was left in full (seen
        // while writing tests/fuzz/fuzz_targets/adapter_output.rs, which checks it).
        assert_eq!(
            text("11010519491231002X,330106199001011234 330106199001011234"),
            "110105********002X,330106********1234 330106********1234"
        );
        // Found by tests/fuzz (adapter_output): a valid number with a leading 0.
        assert_eq!(text("<000000190001010009"), "<000000********0009");
        // A name glued to a number: once the name is masked, the number stands alone.
        assert_eq!(
            text_with_names("Li330106199001011234", &["Li".to_owned()]),
            "L*330106********1234"
        );
    }

    #[test]
    fn the_log_writer_masks_what_passes_through() {
        use std::io::Write as _;
        // Writes to stderr; what matters is that it accepts every byte.
        assert_eq!(Writer.write(b"11010519491231002X\n").unwrap(), 19);
    }

    #[test]
    fn names_and_ids_mask_to_their_first_characters() {
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("欧阳娜娜"), "欧***");
        assert_eq!(name("李"), "李*");
        assert_eq!(id_number("11010519491231002X"), "110105********002X");
    }
}
