//! 统一社会信用代码 (unified social credit code), GB 32100-2015.

use crate::CodeError;

/// How [`CodeError`] names this kind of code.
pub const KIND: &str = "unified social credit code";

const LEN: usize = 18;

/// The 31 code characters in value order; I, O, S, V and Z are left out because they
/// are easily confused with 1, 0, 5, U and 2 when read aloud or handwritten.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weight of position i (1-based) is 3^(i-1) mod 31.
const WEIGHTS: [u32; 17] = {
    let mut w = [1; 17];
    let mut i = 1;
    while i < 17 {
        w[i] = w[i - 1] * 3 % 31;
        i += 1;
    }
    w
};

/// Check character for the first 17 characters; `None` unless they are 17 code characters
/// (digits and uppercase letters other than I, O, S, V, Z).
pub fn check_char(first17: &str) -> Option<char> {
    if first17.len() != LEN - 1 {
        return None;
    }
    let values = first17.chars().map(value).collect::<Option<Vec<_>>>()?;
    Some(check_of(&values))
}

/// Validates an 18-character unified social credit code: code characters only and the check character.
pub fn validate(s: &str) -> Result<(), CodeError> {
    let found = s.chars().count();
    if found != LEN {
        return Err(CodeError::Length {
            kind: KIND,
            expected: LEN,
            found,
        });
    }
    let mut values = Vec::with_capacity(LEN);
    for (index, ch) in s.chars().enumerate() {
        let position = index + 1;
        match value(ch) {
            Some(v) => values.push(v),
            None if ch.is_ascii_lowercase() && value(ch.to_ascii_uppercase()).is_some() => {
                return Err(CodeError::Lowercase {
                    kind: KIND,
                    position,
                    ch,
                });
            }
            None => {
                return Err(CodeError::Char {
                    kind: KIND,
                    position,
                    ch,
                });
            }
        }
    }
    let expected = check_of(&values[..LEN - 1]);
    let found = char::from(ALPHABET[values[LEN - 1] as usize]);
    if found != expected {
        return Err(CodeError::CheckChar {
            kind: KIND,
            found,
            expected,
        });
    }
    Ok(())
}

fn value(ch: char) -> Option<u32> {
    let position = ALPHABET.iter().position(|&a| char::from(a) == ch)?;
    u32::try_from(position).ok()
}

/// Caller guarantees 17 values below 31.
fn check_of(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    // 31 - (sum mod 31) is in 1..=31, and 31 stands for the character with value 0.
    let check = (31 - sum % 31) % 31;
    char::from(ALPHABET[check as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_powers_of_three_mod_31() {
        assert_eq!(
            WEIGHTS,
            [
                1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
            ]
        );
    }

    #[test]
    fn accepts_valid_codes() {
        for valid in [
            "91350100M000100Y43",
            // Letter check characters.
            "91110108MA01G5K38L",
            "12100000400000000W",
            // Check value 31 is written as 0.
            "91440300MA5F2KQ1W0",
            "91330100MA2CF0B7F0",
        ] {
            assert_eq!(validate(valid), Ok(()), "{valid}");
        }
    }

    #[test]
    fn check_char_matches_the_last_character_of_valid_codes() {
        assert_eq!(check_char("91350100M000100Y4"), Some('3'));
        assert_eq!(check_char("91110108MA01G5K38"), Some('L'));
        assert_eq!(check_char("91440300MA5F2KQ1W"), Some('0'));
    }

    #[test]
    fn check_char_rejects_anything_but_17_code_characters() {
        assert_eq!(check_char("91350100M000100Y"), None);
        assert_eq!(check_char("91350100M000100Y43"), None);
        assert_eq!(check_char("91350100O000100Y4"), None);
        assert_eq!(check_char("91350100m000100Y4"), None);
    }

    #[test]
    fn rejects_invalid_codes() {
        let cases = [
            (
                "91350100M000100Y44",
                CodeError::CheckChar {
                    kind: KIND,
                    found: '4',
                    expected: '3',
                },
            ),
            (
                "91440300MA5F2KQ1WX",
                CodeError::CheckChar {
                    kind: KIND,
                    found: 'X',
                    expected: '0',
                },
            ),
            (
                "91350100M000100Y4",
                CodeError::Length {
                    kind: KIND,
                    expected: 18,
                    found: 17,
                },
            ),
            (
                "91350100M000100Y43 ",
                CodeError::Length {
                    kind: KIND,
                    expected: 18,
                    found: 19,
                },
            ),
            (
                "91350100m000100Y43",
                CodeError::Lowercase {
                    kind: KIND,
                    position: 9,
                    ch: 'm',
                },
            ),
            (
                // Lowercase of a letter that is not allowed at all.
                "91350100i000100Y43",
                CodeError::Char {
                    kind: KIND,
                    position: 9,
                    ch: 'i',
                },
            ),
            (
                "91350100M000100Y4-",
                CodeError::Char {
                    kind: KIND,
                    position: 18,
                    ch: '-',
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(validate(input), Err(expected), "{input}");
        }
    }

    #[test]
    fn rejects_letters_left_out_of_the_alphabet() {
        for (position, ch) in [(3, 'I'), (9, 'O'), (10, 'S'), (16, 'V'), (18, 'Z')] {
            let code: String = "91350100M000100Y43"
                .chars()
                .enumerate()
                .map(|(i, c)| if i + 1 == position { ch } else { c })
                .collect();
            assert_eq!(
                validate(&code),
                Err(CodeError::Char {
                    kind: KIND,
                    position,
                    ch
                }),
                "{code}"
            );
        }
    }

    #[test]
    fn messages_tell_what_to_fix() {
        let message = |s: &str| validate(s).unwrap_err().to_string();
        assert_eq!(
            message("91I50100M000100Y43"),
            "character 'I' at position 3 is not allowed in a unified social credit code"
        );
        assert_eq!(
            message("91350100M000100Y44"),
            "unified social credit code check character is 4, expected 3"
        );
        assert_eq!(
            message("91350100m000100Y43"),
            "character 'm' at position 9 must be written in uppercase ('M') in a unified social credit code"
        );
    }
}
