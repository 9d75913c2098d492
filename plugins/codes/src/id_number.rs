//! 公民身份号码 (resident ID number), GB 11643-1999, check character per ISO 7064 MOD 11-2.

use chrono::NaiveDate;

use crate::CodeError;

/// How [`CodeError`] names this kind of code.
pub const KIND: &str = "resident ID number";

const LEN: usize = 18;

/// Weight of position i (1-based) is 2^(18-i) mod 11.
const WEIGHTS: [u32; 17] = {
    let mut w = [0; 17];
    let mut i = 17;
    let mut power = 1;
    while i > 0 {
        i -= 1;
        power = power * 2 % 11;
        w[i] = power;
    }
    w
};

/// Check character indexed by the weighted sum mod 11, as tabulated in GB 11643-1999.
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Check character for the first 17 digits; `None` unless the input is exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    (bytes.len() == LEN - 1 && bytes.iter().all(u8::is_ascii_digit)).then(|| check_of(bytes))
}

/// Validates an 18-character resident ID number: digits, a real birth date and the check character.
///
/// The check character may be `X` but not `x`: registries store the uppercase form, so a
/// lowercase one would later fail to match.
pub fn validate(s: &str) -> Result<(), CodeError> {
    let found = s.chars().count();
    if found != LEN {
        return Err(CodeError::Length {
            kind: KIND,
            expected: LEN,
            found,
        });
    }
    for (index, ch) in s.chars().enumerate() {
        let position = index + 1;
        let last = position == LEN;
        if ch.is_ascii_digit() || (last && ch == 'X') {
            continue;
        }
        return Err(if last && ch == 'x' {
            CodeError::Lowercase {
                kind: KIND,
                position,
                ch,
            }
        } else {
            CodeError::Char {
                kind: KIND,
                position,
                ch,
            }
        });
    }
    // From here on every character is ASCII, so byte slicing is character slicing.
    let digits = &s[6..14];
    if birth_date(digits).is_none() {
        return Err(CodeError::BirthDate {
            digits: digits.to_owned(),
        });
    }
    let expected = check_of(&s.as_bytes()[..LEN - 1]);
    let found = char::from(s.as_bytes()[LEN - 1]);
    if found != expected {
        return Err(CodeError::CheckChar {
            kind: KIND,
            found,
            expected,
        });
    }
    Ok(())
}

/// Calendar date of eight ASCII digits YYYYMMDD, if real and within the years GB 11643 covers.
fn birth_date(digits: &str) -> Option<NaiveDate> {
    let year = digits[0..4].parse().ok()?;
    let month = digits[4..6].parse().ok()?;
    let day = digits[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day).filter(|_| (1900..=2100).contains(&year))
}

/// Caller guarantees 17 ASCII digits.
fn check_of(digits: &[u8]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_numbers() {
        for valid in [
            "11010519491231002X",
            "44030419900307123X",
            "310115198512010026",
            // Born on a leap day.
            "510104200002290070",
            "110105209602290026",
            // Both ends of the accepted birth years.
            "110105190001010028",
            "110105210012310021",
        ] {
            assert_eq!(validate(valid), Ok(()), "{valid}");
        }
    }

    #[test]
    fn check_char_matches_the_last_character_of_valid_numbers() {
        assert_eq!(check_char("11010519491231002"), Some('X'));
        assert_eq!(check_char("31011519851201002"), Some('6'));
        assert_eq!(check_char("51010420000229007"), Some('0'));
    }

    #[test]
    fn check_char_rejects_anything_but_17_digits() {
        assert_eq!(check_char("1101051949123100"), None);
        assert_eq!(check_char("110105194912310021"), None);
        assert_eq!(check_char("1101051949123100A"), None);
        // Full-width digits are not ASCII digits.
        assert_eq!(check_char("１１０１０５１９４９１２３１００２"), None);
    }

    #[test]
    fn rejects_invalid_numbers() {
        let cases = [
            (
                "110105194912310021",
                CodeError::CheckChar {
                    kind: KIND,
                    found: '1',
                    expected: 'X',
                },
            ),
            (
                "440304199003071235",
                CodeError::CheckChar {
                    kind: KIND,
                    found: '5',
                    expected: 'X',
                },
            ),
            (
                "11010519491231002",
                CodeError::Length {
                    kind: KIND,
                    expected: 18,
                    found: 17,
                },
            ),
            (
                // A first-generation 15-digit number.
                "110105491231002",
                CodeError::Length {
                    kind: KIND,
                    expected: 18,
                    found: 15,
                },
            ),
            (
                "11010519491231A02X",
                CodeError::Char {
                    kind: KIND,
                    position: 15,
                    ch: 'A',
                },
            ),
            (
                "X10105194912310021",
                CodeError::Char {
                    kind: KIND,
                    position: 1,
                    ch: 'X',
                },
            ),
            (
                "11010519491231002x",
                CodeError::Lowercase {
                    kind: KIND,
                    position: 18,
                    ch: 'x',
                },
            ),
            (
                "１10105194912310021",
                CodeError::Char {
                    kind: KIND,
                    position: 1,
                    ch: '１',
                },
            ),
            // Check characters below are right, so only the birth date is wrong.
            (
                "110105194902310026",
                CodeError::BirthDate {
                    digits: "19490231".into(),
                },
            ),
            (
                // 2100 is not a leap year.
                "110105210002290020",
                CodeError::BirthDate {
                    digits: "21000229".into(),
                },
            ),
            (
                "110105189912310023",
                CodeError::BirthDate {
                    digits: "18991231".into(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(validate(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn messages_tell_what_to_fix() {
        let message = |s: &str| validate(s).unwrap_err().to_string();
        assert_eq!(
            message("440304199003071235"),
            "resident ID number check character is 5, expected X"
        );
        assert_eq!(
            message("11010519491231002x"),
            "character 'x' at position 18 must be written in uppercase ('X') in a resident ID number"
        );
        assert_eq!(
            message("110105194902310026"),
            "positions 7-14 of the resident ID number (19490231) are not a real birth date between 1900-01-01 and 2100-12-31"
        );
        assert_eq!(
            message("1101051949123100"),
            "resident ID number must be 18 characters long, found 16"
        );
    }
}
