//! Property tests of the check digits and the legacy codecs: what holds for every
//! input, not only for the examples in the unit tests.

use onewindow_codes::chrono::{NaiveDate, TimeDelta};
use onewindow_codes::fixed::Layout;
use onewindow_codes::{credit_code, date, gbk, id_number};
use proptest::prelude::*;

/// The first 17 characters of a resident ID number: a region of 桐庐县 or
/// elsewhere, a birth date from 1900 to 2025, and a sequence number.
fn id_body() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["330122", "110105", "440305", "510107"]),
        (0i64..45_000),
        0u32..1000,
    )
        .prop_map(|(region, days, sequence)| {
            let birth = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono_days(days);
            format!("{region}{}{sequence:03}", birth.format("%Y%m%d"))
        })
}

fn chrono_days(days: i64) -> TimeDelta {
    TimeDelta::days(days)
}

const CREDIT_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

fn credit_body() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(CREDIT_CHARS.chars().collect::<Vec<_>>()),
        17,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Replaces the character at `at` by a different one from `alphabet`.
fn substitute(s: &str, at: usize, pick: usize, alphabet: &str) -> String {
    let old = s.chars().nth(at).unwrap();
    let others: Vec<char> = alphabet.chars().filter(|&c| c != old).collect();
    let new = others[pick % others.len()];
    s.chars()
        .enumerate()
        .map(|(i, c)| if i == at { new } else { c })
        .collect()
}

/// Text GBK can hold: ASCII letters and digits, common hanzi, and the rare but
/// valid name characters the departments meet.
fn gbk_text(max: usize) -> impl Strategy<Value = String> {
    let hanzi: Vec<char> = "镕喆堃珺陈晓东王建国李秀英桐庐县富春江蜂语茶业有限公司申屠欧阳"
        .chars()
        .collect();
    prop::collection::vec(
        prop_oneof![
            prop::char::range('a', 'z'),
            prop::char::range('0', '9'),
            prop::sample::select(hanzi),
        ],
        0..max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #[test]
    fn an_id_number_with_its_check_character_is_valid(body in id_body()) {
        let check = id_number::check_char(&body).unwrap();
        let number = format!("{body}{check}");
        prop_assert_eq!(id_number::validate(&number), Ok(()));
    }

    #[test]
    fn one_wrong_digit_in_an_id_number_is_caught(body in id_body(), at in 0usize..17, pick in 0usize..9) {
        let number = format!("{body}{}", id_number::check_char(&body).unwrap());
        let typo = substitute(&number, at, pick, "0123456789");
        prop_assert!(id_number::validate(&typo).is_err(), "{} passed", typo);
    }

    #[test]
    fn two_swapped_neighbours_in_an_id_number_are_caught(body in id_body(), at in 0usize..16) {
        let number = format!("{body}{}", id_number::check_char(&body).unwrap());
        let mut chars: Vec<char> = number.chars().collect();
        prop_assume!(chars[at] != chars[at + 1]);
        chars.swap(at, at + 1);
        let swapped: String = chars.into_iter().collect();
        prop_assert!(id_number::validate(&swapped).is_err(), "{} passed", swapped);
    }

    #[test]
    fn a_credit_code_with_its_check_character_is_valid(body in credit_body()) {
        let check = credit_code::check_char(&body).unwrap();
        prop_assert_eq!(credit_code::validate(&format!("{body}{check}")), Ok(()));
    }

    #[test]
    fn one_wrong_character_in_a_credit_code_is_caught(body in credit_body(), at in 0usize..18, pick in 0usize..30) {
        let code = format!("{body}{}", credit_code::check_char(&body).unwrap());
        let typo = substitute(&code, at, pick, CREDIT_CHARS);
        prop_assert!(credit_code::validate(&typo).is_err(), "{} passed", typo);
    }

    #[test]
    fn validators_never_panic(s in ".{0,40}") {
        let _ = id_number::validate(&s);
        let _ = credit_code::validate(&s);
    }

    #[test]
    fn gbk_round_trips(text in gbk_text(40)) {
        let bytes = gbk::encode(&text).unwrap();
        prop_assert_eq!(gbk::decode(&bytes).unwrap(), text);
    }

    #[test]
    fn gbk_decoding_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = gbk::decode(&bytes);
    }

    #[test]
    fn fixed_width_records_round_trip(name in gbk_text(10), code in "[0-9A-Z]{0,8}", note in gbk_text(20)) {
        let layout = Layout::new(&[("name", 20), ("code", 8), ("note", 40)]);
        let record = layout.format(&[("name", &name), ("code", &code), ("note", &note)]).unwrap();
        prop_assert_eq!(record.len(), layout.width());
        let parsed = layout.parse(&record).unwrap();
        prop_assert_eq!(parsed.get("name").unwrap(), name.as_str());
        prop_assert_eq!(parsed.get("code").unwrap(), code.as_str());
        prop_assert_eq!(parsed.get("note").unwrap(), note.as_str());
    }

    #[test]
    fn fixed_width_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        let layout = Layout::new(&[("name", 20), ("code", 8), ("note", 40)]);
        let _ = layout.parse(&bytes);
    }

    #[test]
    fn chinese_and_compact_dates_round_trip(days in 0i64..73_000) {
        let day = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono_days(days);
        prop_assert_eq!(date::parse(&date::to_chinese(day)), Ok(day));
        prop_assert_eq!(date::parse(&date::to_compact(day)), Ok(day));
        prop_assert_eq!(date::parse(&date::to_iso(day)), Ok(day));
    }

    #[test]
    fn date_parsing_never_panics(s in ".{0,24}") {
        let _ = date::parse(&s);
        let _ = date::parse_datetime(&s);
    }
}
