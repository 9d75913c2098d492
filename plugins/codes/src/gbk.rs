//! Strict GBK conversion, and decoding with the charset a legacy system declared.
//!
//! "GBK" follows the WHATWG Encoding Standard as implemented by `encoding_rs`: decoding also
//! accepts GB18030 four-byte sequences, encoding produces GBK proper.

use encoding_rs::{Decoder, DecoderResult, EncoderResult, Encoding, GBK};

/// Why text could not be converted between bytes and a string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodingError {
    /// The bytes contain a sequence that is not valid in the charset.
    #[error("byte 0x{byte:02X} at offset {offset} is not valid {charset} text")]
    Malformed {
        /// The charset the bytes were decoded as, as it was named.
        charset: String,
        /// 0-based byte offset of the start of the bad sequence.
        offset: usize,
        /// The first byte of the bad sequence.
        byte: u8,
    },
    /// The bytes end in the middle of a multi-byte character.
    #[error(
        "{charset} text is cut off: the multi-byte character starting at offset {offset} is incomplete"
    )]
    Truncated {
        /// The charset the bytes were decoded as, as it was named.
        charset: String,
        /// 0-based byte offset of the incomplete character.
        offset: usize,
    },
    /// A character that the charset (GBK unless another was named) has no code for.
    #[error(
        "character '{ch}' (U+{code:04X}) at position {position} cannot be represented in {charset}",
        code = u32::from(*ch)
    )]
    Unmappable {
        /// The charset the text was encoded to, as it was named.
        charset: String,
        /// The character.
        ch: char,
        /// 1-based character position in the text.
        position: usize,
    },
    /// A charset label that is not a supported WHATWG encoding label.
    #[error(
        "unknown or unsupported charset \"{label}\"; expected a label such as GBK, GB18030 or UTF-8"
    )]
    UnknownCharset {
        /// The label as given.
        label: String,
    },
}

/// Strictly decodes GBK bytes; malformed or truncated input is an error naming the byte offset.
pub fn decode(bytes: &[u8]) -> Result<String, EncodingError> {
    decode_strict(GBK.new_decoder_without_bom_handling(), bytes)
        .map_err(|failure| failure.into_error("GBK", bytes, 0))
}

/// Strictly encodes to GBK; a character GBK cannot represent is an error naming it.
pub fn encode(s: &str) -> Result<Vec<u8>, EncodingError> {
    encode_strict(GBK, "GBK", s)
}

/// Strictly encodes to the charset named by a WHATWG Encoding Standard label (`GBK`,
/// `GB18030`, `UTF-8`, `Big5`, …); a character the charset cannot represent is an error
/// naming it. Labels of charsets that cannot be written (UTF-16, which the standard
/// writes as UTF-8, and `replacement`) are refused.
pub fn encode_declared(s: &str, label: &str) -> Result<Vec<u8>, EncodingError> {
    let encoding = Encoding::for_label_no_replacement(label.as_bytes())
        .filter(|e| e.output_encoding() == *e)
        .ok_or_else(|| EncodingError::UnknownCharset {
            label: label.to_owned(),
        })?;
    encode_strict(encoding, label.trim(), s)
}

fn encode_strict(
    encoding: &'static Encoding,
    charset: &str,
    s: &str,
) -> Result<Vec<u8>, EncodingError> {
    let mut encoder = encoding.new_encoder();
    let mut out = Vec::new();
    let mut read_total = 0;
    loop {
        let rest = &s[read_total..];
        out.reserve(
            encoder
                .max_buffer_length_from_utf8_without_replacement(rest.len())
                .unwrap_or(rest.len()),
        );
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(rest, &mut out, true);
        read_total += read;
        match result {
            EncoderResult::InputEmpty => return Ok(out),
            EncoderResult::OutputFull => {}
            EncoderResult::Unmappable(ch) => {
                let at = read_total - ch.len_utf8();
                return Err(EncodingError::Unmappable {
                    charset: charset.to_owned(),
                    ch,
                    position: s[..at].chars().count() + 1,
                });
            }
        }
    }
}

/// Strictly decodes bytes in the charset a legacy system declared (a WHATWG Encoding Standard label).
///
/// A byte order mark for the declared charset itself is dropped; any other is treated as data.
pub fn decode_declared(bytes: &[u8], label: &str) -> Result<String, EncodingError> {
    // The no-replacement lookup rejects labels such as "hz-gb-2312" that WHATWG maps to an
    // encoding which turns every input into a single U+FFFD, which would silently lose data.
    let encoding = Encoding::for_label_no_replacement(label.as_bytes()).ok_or_else(|| {
        EncodingError::UnknownCharset {
            label: label.to_owned(),
        }
    })?;
    decode_strict(encoding.new_decoder_with_bom_removal(), bytes)
        .map_err(|failure| failure.into_error(label.trim(), bytes, 0))
}

/// The `encoding` of an XML declaration at the start of the bytes, if there is one.
///
/// The scan only looks at ASCII, so it works before the charset is known; a UTF-8 byte order
/// mark and leading ASCII whitespace (which some legacy systems emit) are skipped.
pub fn xml_declared_encoding(bytes: &[u8]) -> Option<&str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let rest = trim_start(bytes).strip_prefix(b"<?xml")?;
    // Without whitespace this is another processing instruction, e.g. `<?xml-stylesheet`.
    if !rest.first()?.is_ascii_whitespace() {
        return None;
    }
    let mut rest = rest;
    loop {
        rest = trim_start(rest);
        let name_len = rest
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || b"_-.:".contains(&b)))?;
        if name_len == 0 {
            // `?>` or anything unexpected ends the declaration.
            return None;
        }
        let (name, after) = rest.split_at(name_len);
        let after = trim_start(trim_start(after).strip_prefix(b"=")?);
        let (&quote, after) = after.split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value_len = after.iter().position(|&b| b == quote)?;
        let (value, after) = after.split_at(value_len);
        if name == b"encoding" {
            if value.is_empty() || !value.iter().all(u8::is_ascii_graphic) {
                return None;
            }
            return std::str::from_utf8(value).ok();
        }
        rest = &after[1..];
    }
}

/// The `charset` parameter of a Content-Type header value, if present and not empty.
pub fn content_type_charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim();
        // Some legacy servers quote with apostrophes, which RFC 9110 does not allow but is unambiguous.
        let value = ['"', '\'']
            .iter()
            .find_map(|&q| value.strip_prefix(q)?.strip_suffix(q))
            .unwrap_or(value)
            .trim();
        (!value.is_empty()).then_some(value)
    })
}

/// Where strict decoding stopped, as 0-based offsets into the decoded slice.
pub(crate) enum Failure {
    /// A bad byte sequence starts here.
    Malformed { offset: usize },
    /// The input ends inside a character that starts here.
    Truncated { offset: usize },
}

impl Failure {
    /// Describes the failure; `base` is where `bytes` starts in the caller's larger buffer.
    pub(crate) fn into_error(self, charset: &str, bytes: &[u8], base: usize) -> EncodingError {
        match self {
            Failure::Malformed { offset } => EncodingError::Malformed {
                charset: charset.to_owned(),
                offset: base + offset,
                byte: bytes.get(offset).copied().unwrap_or_default(),
            },
            Failure::Truncated { offset } => EncodingError::Truncated {
                charset: charset.to_owned(),
                offset: base + offset,
            },
        }
    }
}

/// Decodes all of `bytes` without replacement characters.
pub(crate) fn decode_strict(mut decoder: Decoder, bytes: &[u8]) -> Result<String, Failure> {
    let mut out = String::new();
    // Feeding the input as non-final first and then finishing with no input tells a sequence
    // cut off by the end of the input apart from a bad byte in the middle.
    feed(&mut decoder, bytes, 0, false, &mut out)
        .map_err(|offset| Failure::Malformed { offset })?;
    feed(&mut decoder, &[], bytes.len(), true, &mut out)
        .map_err(|offset| Failure::Truncated { offset })?;
    Ok(out)
}

/// Runs the decoder over `src`, which starts at `base` in the whole input; on a malformed
/// sequence returns where it starts in the whole input.
fn feed(
    decoder: &mut Decoder,
    src: &[u8],
    base: usize,
    last: bool,
    out: &mut String,
) -> Result<(), usize> {
    let mut read_total = 0;
    loop {
        let remaining = src.len() - read_total;
        out.reserve(
            decoder
                .max_utf8_buffer_length_without_replacement(remaining)
                .unwrap_or(remaining),
        );
        let (result, read) =
            decoder.decode_to_string_without_replacement(&src[read_total..], out, last);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(()),
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, after) => {
                return Err(
                    (base + read_total).saturating_sub(usize::from(bad) + usize::from(after))
                );
            }
        }
    }
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_chinese_text() {
        let text = "中华人民共和国 北京市朝阳区 No.1 （一号）";
        let bytes = encode(text).unwrap();
        assert_eq!(
            &bytes[..14],
            b"\xD6\xD0\xBB\xAA\xC8\xCB\xC3\xF1\xB9\xB2\xBA\xCD\xB9\xFA"
        );
        assert_eq!(decode(&bytes).unwrap(), text);
        assert_eq!(encode("张三").unwrap(), b"\xD5\xC5\xC8\xFD");
        assert_eq!(decode(b"").unwrap(), "");
    }

    #[test]
    fn malformed_bytes_name_their_offset() {
        let error = decode(&[0xB0, 0xA1, 0x81, 0x20]).unwrap_err();
        assert_eq!(
            error,
            EncodingError::Malformed {
                charset: "GBK".into(),
                offset: 2,
                byte: 0x81
            }
        );
        assert_eq!(
            error.to_string(),
            "byte 0x81 at offset 2 is not valid GBK text"
        );
        assert_eq!(
            decode(b"ab\xFFcd").unwrap_err(),
            EncodingError::Malformed {
                charset: "GBK".into(),
                offset: 2,
                byte: 0xFF
            }
        );
    }

    #[test]
    fn cut_off_character_is_reported_as_truncated() {
        let error = decode(b"\xD5\xC5\xC8").unwrap_err();
        assert_eq!(
            error,
            EncodingError::Truncated {
                charset: "GBK".into(),
                offset: 2
            }
        );
        assert_eq!(
            error.to_string(),
            "GBK text is cut off: the multi-byte character starting at offset 2 is incomplete"
        );
    }

    #[test]
    fn unmappable_character_is_named_with_its_position() {
        let error = encode("张三😀").unwrap_err();
        assert_eq!(
            error,
            EncodingError::Unmappable {
                charset: "GBK".into(),
                ch: '😀',
                position: 3
            }
        );
        assert_eq!(
            error.to_string(),
            "character '😀' (U+1F600) at position 3 cannot be represented in GBK"
        );
    }

    #[test]
    fn encoding_to_a_named_charset_is_as_strict_as_to_gbk() {
        // GB 18030 has a code for every character, four bytes for those outside GBK.
        let bytes = encode_declared("张三😀", "GB18030").unwrap();
        assert_eq!(&bytes[..4], b"\xD5\xC5\xC8\xFD");
        assert_eq!(bytes.len(), 8);
        assert_eq!(decode_declared(&bytes, "GB18030").unwrap(), "张三😀");
        assert_eq!(
            encode_declared("张三", " gbk ").unwrap(),
            encode("张三").unwrap()
        );
        assert_eq!(
            encode_declared("张三", "Big5").unwrap_err().to_string(),
            "character '张' (U+5F20) at position 1 cannot be represented in Big5"
        );
        for label in ["UTF-16LE", "replacement", "GBK2000"] {
            assert_eq!(
                encode_declared("x", label),
                Err(EncodingError::UnknownCharset {
                    label: label.into()
                })
            );
        }
    }

    #[test]
    fn decodes_with_declared_charset() {
        let gbk = b"\xD5\xC5\xC8\xFD";
        assert_eq!(decode_declared(gbk, "GBK").unwrap(), "张三");
        assert_eq!(decode_declared(gbk, "gb2312").unwrap(), "张三");
        assert_eq!(decode_declared(gbk, " GB18030 ").unwrap(), "张三");
        assert_eq!(decode_declared("张三".as_bytes(), "UTF-8").unwrap(), "张三");
        assert_eq!(
            decode_declared(b"\xEF\xBB\xBF\xE5\xBC\xA0", "utf-8").unwrap(),
            "张"
        );
    }

    #[test]
    fn declared_charset_errors_name_the_charset() {
        assert_eq!(
            decode_declared(b"\xD5\xC5", "UTF-8").unwrap_err(),
            EncodingError::Malformed {
                charset: "UTF-8".into(),
                offset: 0,
                byte: 0xD5
            }
        );
        let unknown = decode_declared(b"abc", "GBK2000").unwrap_err();
        assert_eq!(
            unknown,
            EncodingError::UnknownCharset {
                label: "GBK2000".into()
            }
        );
        assert_eq!(
            unknown.to_string(),
            "unknown or unsupported charset \"GBK2000\"; expected a label such as GBK, GB18030 or UTF-8"
        );
        // WHATWG maps this label to an encoding that would turn everything into U+FFFD.
        assert!(matches!(
            decode_declared(b"abc", "hz-gb-2312"),
            Err(EncodingError::UnknownCharset { .. })
        ));
    }

    #[test]
    fn finds_xml_declared_encoding() {
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\" encoding=\"GBK\"?><a/>"),
            Some("GBK")
        );
        assert_eq!(
            xml_declared_encoding(b"<?xml version='1.0' encoding = 'gb2312' standalone='yes'?>"),
            Some("gb2312")
        );
        assert_eq!(
            xml_declared_encoding(b"\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            Some("UTF-8")
        );
        assert_eq!(
            xml_declared_encoding(b"\r\n<?xml version=\"1.0\" encoding=\"GB18030\"?>"),
            Some("GB18030")
        );
        // The body follows the declaration in GBK, which the scan must not trip over.
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\" encoding=\"GBK\"?><n>\xD5\xC5</n>"),
            Some("GBK")
        );
    }

    #[test]
    fn no_xml_declared_encoding() {
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\"?><a encoding=\"GBK\"/>"),
            None
        );
        assert_eq!(xml_declared_encoding(b"<a/>"), None);
        assert_eq!(
            xml_declared_encoding(b"<?xml-stylesheet encoding=\"GBK\"?>"),
            None
        );
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\" encoding=\"\"?>"),
            None
        );
        assert_eq!(
            xml_declared_encoding(b"<?xml version=\"1.0\" encoding=\"GBK"),
            None
        );
        assert_eq!(xml_declared_encoding(b""), None);
    }

    #[test]
    fn finds_content_type_charset() {
        assert_eq!(content_type_charset("text/xml; charset=GBK"), Some("GBK"));
        assert_eq!(
            content_type_charset("text/xml;charset=\"gb2312\""),
            Some("gb2312")
        );
        assert_eq!(
            content_type_charset("application/xml; Charset='GB18030' ; q=1"),
            Some("GB18030")
        );
        assert_eq!(
            content_type_charset("text/html; boundary=x; CHARSET = utf-8"),
            Some("utf-8")
        );
        assert_eq!(content_type_charset("text/xml"), None);
        assert_eq!(content_type_charset("text/xml; charset="), None);
        assert_eq!(content_type_charset("charset=GBK"), None);
    }
}
