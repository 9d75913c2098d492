//! The SDK codecs (`onewindow-codes`) on arbitrary input: nothing panics, errors
//! point at what is really there, and every round trip holds:
//! GBK `decode(encode(s)) == s`, strict decoding agrees with `decode_declared`,
//! fixed-width `parse(format(values))` gives the values back (and `format` of a
//! parsed record gives the record back), dates and date-times read back what
//! `to_iso`, `to_compact`, `to_chinese` and `datetime_to_chinese` write, and the
//! ID-number and credit-code check characters agree with `validate`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use onewindow_codes::chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use onewindow_codes::{CodeError, EncodingError, credit_code, date, fixed, gbk, id_number};

#[derive(Arbitrary, Debug)]
enum Input<'a> {
    GbkBytes(&'a [u8]),
    GbkText(&'a str),
    Declared { bytes: &'a [u8], label: &'a str },
    Xml(&'a [u8]),
    ContentType(&'a str),
    Fixed(FixedInput<'a>),
    DateText(&'a str),
    DateTimeText(&'a str),
    Day { days: i32, seconds: u32 },
    IdText(&'a str),
    IdDigits([u8; 17]),
    CreditText(&'a str),
    CreditChars([u8; 17]),
}

#[derive(Arbitrary, Debug)]
struct FixedInput<'a> {
    widths: Vec<u8>,
    values: Vec<(u8, &'a str)>,
    record: &'a [u8],
}

const NAMES: [&str; 6] = ["a", "b", "c", "d", "e", "f"];
/// The 31 characters of a unified social credit code, in value order.
const CREDIT_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fuzz_target!(|input: Input<'_>| match input {
    Input::GbkBytes(bytes) => gbk_bytes(bytes),
    Input::GbkText(text) => gbk_text(text),
    Input::Declared { bytes, label } => declared(bytes, label),
    Input::Xml(bytes) => {
        if let Some(value) = gbk::xml_declared_encoding(bytes) {
            assert!(!value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()));
            assert!(
                bytes.windows(value.len()).any(|w| w == value.as_bytes()),
                "the encoding {value:?} is not in the bytes"
            );
        }
    }
    Input::ContentType(ct) => {
        if let Some(charset) = gbk::content_type_charset(ct) {
            assert!(!charset.is_empty());
            assert_eq!(charset, charset.trim());
            assert!(ct.contains(charset));
        }
    }
    Input::Fixed(input) => fixed_width(input),
    Input::DateText(text) => {
        if let Ok(d) = date::parse(text) {
            dates_round_trip(d);
        }
    }
    Input::DateTimeText(text) => {
        if let Ok(dt) = date::parse_datetime(text) {
            datetimes_round_trip(dt);
        }
    }
    Input::Day { days, seconds } => {
        let Some(d) = NaiveDate::from_num_days_from_ce_opt(days % 3_700_000) else {
            return;
        };
        let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds % 86_400, 0).unwrap();
        if (0..=9999).contains(&d.year()) {
            dates_round_trip(d);
            datetimes_round_trip(d.and_time(time));
        } else {
            // A year the forms cannot write in four digits is not read back.
            assert!(date::parse(&date::to_iso(d)).is_err());
        }
    }
    Input::IdText(text) => id_text(text),
    Input::IdDigits(raw) => {
        let first17: String = raw.iter().map(|b| char::from(b'0' + b % 10)).collect();
        let check = id_number::check_char(&first17).expect("17 digits have a check character");
        let number = format!("{first17}{check}");
        match id_number::validate(&number) {
            Ok(()) | Err(CodeError::BirthDate { .. }) => {}
            Err(e) => panic!("{number} has the check character check_char gives, yet: {e}"),
        }
        let wrong = if check == '0' { '1' } else { '0' };
        assert!(id_number::validate(&format!("{first17}{wrong}")).is_err());
    }
    Input::CreditText(text) => credit_text(text),
    Input::CreditChars(raw) => {
        let first17: String = raw
            .iter()
            .map(|b| char::from(CREDIT_ALPHABET[usize::from(*b) % 31]))
            .collect();
        let check = credit_code::check_char(&first17).expect("17 code characters have a check");
        let code = format!("{first17}{check}");
        assert_eq!(credit_code::validate(&code), Ok(()), "{code}");
        let wrong = if check == '0' { '1' } else { '0' };
        assert!(credit_code::validate(&format!("{first17}{wrong}")).is_err());
    }
});

fn gbk_bytes(bytes: &[u8]) {
    match gbk::decode(bytes) {
        Ok(text) => {
            // GB18030 four-byte sequences decode but are not GBK proper.
            if let Ok(again) = gbk::encode(&text) {
                assert_eq!(gbk::decode(&again).as_deref(), Ok(text.as_str()));
            }
        }
        Err(EncodingError::Malformed { offset, byte, .. }) => {
            assert_eq!(
                bytes.get(offset),
                Some(&byte),
                "offset {offset} of {bytes:x?}"
            );
        }
        Err(EncodingError::Truncated { offset, .. }) => assert!(offset < bytes.len()),
        Err(e) => panic!("decoding cannot fail with {e:?}"),
    }
}

fn gbk_text(text: &str) {
    match gbk::encode(text) {
        Ok(bytes) => assert_eq!(
            gbk::decode(&bytes).as_deref(),
            Ok(text),
            "{text:?} encodes as {bytes:x?}"
        ),
        Err(EncodingError::Unmappable { ch, position, .. }) => {
            assert_eq!(text.chars().nth(position - 1), Some(ch), "{text:?}");
        }
        Err(e) => panic!("encoding cannot fail with {e:?}"),
    }
}

fn declared(bytes: &[u8], label: &str) {
    let result = gbk::decode_declared(bytes, label);
    if let Err(EncodingError::Malformed { offset, byte, .. }) = &result {
        assert_eq!(bytes.get(*offset), Some(byte));
    }
    // Every name of GBK decodes exactly as `decode` does.
    for name in ["gbk", "GBK", "gb2312", "x-gbk"] {
        assert_eq!(
            gbk::decode_declared(bytes, name).ok(),
            gbk::decode(bytes).ok(),
            "{name}"
        );
    }
    let utf8 = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    assert_eq!(
        gbk::decode_declared(bytes, "utf-8").ok().as_deref(),
        std::str::from_utf8(utf8).ok()
    );
}

fn fixed_width(input: FixedInput<'_>) {
    let fields: Vec<(&'static str, usize)> = NAMES
        .iter()
        .zip(&input.widths)
        .map(|(name, width)| (*name, usize::from(*width % 24)))
        .collect();
    let layout = fixed::Layout::new(&fields);
    assert_eq!(layout.width(), fields.iter().map(|f| f.1).sum::<usize>());
    let values: Vec<(&str, &str)> = input
        .values
        .iter()
        .map(|(field, value)| (NAMES[usize::from(*field) % NAMES.len()], *value))
        .collect();
    if let Ok(record) = layout.format(&values) {
        assert_eq!(record.len(), layout.width());
        let parsed = layout
            .parse(&record)
            .unwrap_or_else(|e| panic!("a formatted record does not parse: {e}; {record:x?}"));
        for (name, _) in &fields {
            let given = values.iter().find(|(n, _)| n == name).map_or("", |v| v.1);
            assert_eq!(
                parsed.get(name),
                Some(given.trim_end_matches(' ')),
                "{name}"
            );
        }
    }
    match layout.parse(input.record) {
        Ok(parsed) => {
            assert_eq!(input.record.len(), layout.width());
            let values: Vec<(&str, &str)> = fields
                .iter()
                .map(|(name, _)| (*name, parsed.get(name).unwrap()))
                .collect();
            if let Ok(again) = layout.format(&values) {
                assert_eq!(again, input.record, "format(parse(record)) != record");
            }
        }
        Err(fixed::FixedError::Truncated { expected, found })
        | Err(fixed::FixedError::RecordTooLong { expected, found }) => {
            assert_eq!((expected, found), (layout.width(), input.record.len()));
        }
        Err(_) => {}
    }
}

fn dates_round_trip(d: NaiveDate) {
    assert_eq!(date::parse(&date::to_iso(d)), Ok(d), "{}", date::to_iso(d));
    assert_eq!(
        date::parse(&date::to_compact(d)),
        Ok(d),
        "{}",
        date::to_compact(d)
    );
    assert_eq!(
        date::parse(&date::to_chinese(d)),
        Ok(d),
        "{}",
        date::to_chinese(d)
    );
}

fn datetimes_round_trip(dt: NaiveDateTime) {
    dates_round_trip(dt.date());
    let chinese = date::datetime_to_chinese(dt);
    assert_eq!(date::parse_datetime(&chinese), Ok(dt), "{chinese}");
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S"] {
        let written = dt.format(format).to_string();
        assert_eq!(date::parse_datetime(&written), Ok(dt), "{written}");
    }
}

fn id_text(text: &str) {
    let valid = id_number::validate(text);
    if let Some(first17) = text.get(..17)
        && let Some(check) = id_number::check_char(first17)
        && text.len() == 18
    {
        let last = text.as_bytes()[17];
        if valid.is_ok() {
            assert_eq!(char::from(last), check);
        } else if char::from(last) == check {
            assert!(
                matches!(valid, Err(CodeError::BirthDate { .. })),
                "{text}: {valid:?}"
            );
        }
    } else {
        assert!(
            valid.is_err(),
            "{text:?} is valid without 17 leading digits"
        );
    }
}

fn credit_text(text: &str) {
    let valid = credit_code::validate(text);
    match text.get(..17).and_then(credit_code::check_char) {
        Some(check) if text.len() == 18 => {
            let last = char::from(text.as_bytes()[17]);
            assert_eq!(valid.is_ok(), last == check, "{text}: {valid:?}");
        }
        _ => assert!(
            valid.is_err(),
            "{text:?} is valid without 17 code characters"
        ),
    }
}
