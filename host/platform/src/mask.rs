//! Masking of personal data in logs and traces: resident ID numbers and names
//! never reach a log line in full.

/// The length of a resident ID number.
const ID_LEN: usize = 18;

/// Whether the 18 bytes at `at` of `text` are to be masked as an ID number:
/// any 17 digits and a digit or `X` standing on their own (any six digits may
/// lead one: `codes::id_number::validate`, which the platform accepts holders
/// by, does not check the region code), or, glued to letters or digits (inside
/// a fixed-width record), a number with a real birth date and check character.
fn id_number_at(text: &[u8], at: usize) -> bool {
    let Some(id) = text.get(at..at + ID_LEN) else {
        return false;
    };
    if !id[..ID_LEN - 1].iter().all(u8::is_ascii_digit)
        || !matches!(id[ID_LEN - 1], b'0'..=b'9' | b'X' | b'x')
    {
        return false;
    }
    let alone = (at == 0 || !text[at - 1].is_ascii_alphanumeric())
        && text
            .get(at + ID_LEN)
            .is_none_or(|after| !after.is_ascii_alphanumeric());
    // All ASCII, so the bytes are the characters.
    alone
        || std::str::from_utf8(id).ok().is_some_and(|id| {
            onewindow_codes::id_number::validate(&id.to_ascii_uppercase()).is_ok()
        })
}

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

/// Masks every resident ID number in free text (adapter logs, legacy messages),
/// those inside longer runs of letters and digits included.
pub fn text(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let (mut copied, mut at) = (0, 0);
    while at + ID_LEN <= bytes.len() {
        if id_number_at(bytes, at) {
            // Digits are ASCII, so these are character boundaries.
            out.push_str(&text[copied..at + 6]);
            out.push_str("********");
            copied = at + 14;
            at += ID_LEN;
        } else {
            at += 1;
        }
    }
    if copied == 0 {
        return text.to_owned();
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
    fn id_numbers_glued_to_letters_or_digits_are_masked() {
        // A fixed-width record quoted in an error: name, ID number, date.
        assert_eq!(
            text("记录有误：ZHANG11010519491231002X20240101"),
            "记录有误：ZHANG110105********002X20240101"
        );
        assert_eq!(text("00012330122198203150014A"), "00012330122********0014A");
        // Digits that are no ID number (no birth date, wrong check digit) stay.
        assert_eq!(text("A123456789012345678B"), "A123456789012345678B");
        assert_eq!(text("x330122198203150015y"), "x330122198203150015y");
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
