//! Fixed-width records as legacy systems write them: field widths counted in GBK bytes,
//! values padded on the right with ASCII spaces (0x20).

use encoding_rs::GBK;

use crate::gbk::{self, EncodingError, Failure};

/// Why a fixed-width record could not be parsed or formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixedError {
    /// The record is shorter than the layout.
    #[error("record is {found} bytes long, shorter than the {expected} bytes the layout requires")]
    Truncated {
        /// Record width the layout requires.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The record is longer than the layout.
    #[error(
        "record is {found} bytes long, longer than the {expected} bytes the layout requires (strip any line terminator before parsing)"
    )]
    RecordTooLong {
        /// Record width the layout requires.
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// A field boundary falls inside a double-byte character.
    #[error(
        "field \"{field}\" ends in the middle of a double-byte character starting at record offset {offset}; the data does not match the layout's field widths"
    )]
    SplitCharacter {
        /// The field whose last character is cut off.
        field: String,
        /// 0-based record offset of the cut character.
        offset: usize,
    },
    /// A field's bytes are not valid GBK, or its value cannot be written in GBK.
    #[error("field \"{field}\": {error}")]
    Encoding {
        /// The field.
        field: String,
        /// What was wrong; offsets in it count from the start of the record.
        error: EncodingError,
    },
    /// A value does not fit its field.
    #[error(
        "value for field \"{field}\" is {length} bytes in GBK, longer than the field's {width} bytes"
    )]
    ValueTooLong {
        /// The field.
        field: String,
        /// The field's width in bytes.
        width: usize,
        /// The value's length in GBK bytes.
        length: usize,
    },
    /// A field name the layout does not have.
    #[error("the record layout has no field named \"{field}\"")]
    UnknownField {
        /// The name given.
        field: String,
    },
    /// The same field was given two values.
    #[error("field \"{field}\" is given more than one value")]
    DuplicateValue {
        /// The field.
        field: String,
    },
    /// Two columns of a layout have the same name.
    #[error("the record layout names the field \"{field}\" twice")]
    DuplicateField {
        /// The repeated name.
        field: String,
    },
    /// A required field is blank.
    #[error("required field \"{field}\" is empty")]
    Empty {
        /// The field.
        field: String,
    },
}

/// Named fields with their widths in bytes, in record order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    fields: Vec<Field>,
    width: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    start: usize,
    width: usize,
}

impl Layout {
    /// Builds a layout from `(name, width in bytes)` pairs; panics on a duplicate name
    /// (for layouts written in the code; [`try_new`](Self::try_new) for those given at run time).
    pub fn new(fields: &[(&str, usize)]) -> Layout {
        match Layout::try_new(fields) {
            Ok(layout) => layout,
            Err(e) => panic!("fixed-width layout: {e}"),
        }
    }

    /// Builds a layout from `(name, width in bytes)` pairs; a name given twice is an error.
    pub fn try_new(fields: &[(&str, usize)]) -> Result<Layout, FixedError> {
        let mut start = 0;
        let mut built: Vec<Field> = Vec::with_capacity(fields.len());
        for &(name, width) in fields {
            if built.iter().any(|f| f.name == name) {
                return Err(FixedError::DuplicateField {
                    field: name.to_owned(),
                });
            }
            built.push(Field {
                name: name.to_owned(),
                start,
                width,
            });
            start += width;
        }
        Ok(Layout {
            fields: built,
            width: start,
        })
    }

    /// Total record width in bytes.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Splits one record of exactly [`width`](Self::width) bytes into strictly GBK-decoded
    /// fields with trailing spaces trimmed.
    pub fn parse<'a>(&'a self, record: &[u8]) -> Result<Record<'a>, FixedError> {
        if record.len() < self.width {
            return Err(FixedError::Truncated {
                expected: self.width,
                found: record.len(),
            });
        }
        if record.len() > self.width {
            return Err(FixedError::RecordTooLong {
                expected: self.width,
                found: record.len(),
            });
        }
        let values = self
            .fields
            .iter()
            .map(|field| {
                let bytes = &record[field.start..field.start + field.width];
                // Each field is decoded on its own: if every earlier field ended on a character
                // boundary, this one starts on one, so a cut character always shows up as an
                // incomplete sequence at the end of the field it starts in.
                let mut text = gbk::decode_strict(GBK.new_decoder_without_bom_handling(), bytes)
                    .map_err(|failure| match failure {
                        Failure::Truncated { offset } => FixedError::SplitCharacter {
                            field: field.name.clone(),
                            offset: field.start + offset,
                        },
                        malformed @ Failure::Malformed { .. } => FixedError::Encoding {
                            field: field.name.clone(),
                            error: malformed.into_error("GBK", bytes, field.start),
                        },
                    })?;
                // Only the ASCII space is padding; an ideographic space (U+3000) is data.
                text.truncate(text.trim_end_matches(' ').len());
                Ok(text)
            })
            .collect::<Result<Vec<_>, FixedError>>()?;
        Ok(Record {
            layout: self,
            values,
        })
    }

    /// Encodes named values as one record in GBK, each right-padded with spaces to its width;
    /// fields not named are left blank.
    pub fn format(&self, values: &[(&str, &str)]) -> Result<Vec<u8>, FixedError> {
        let mut slots: Vec<Option<&str>> = vec![None; self.fields.len()];
        for &(name, value) in values {
            let index = self.index(name)?;
            if slots[index].replace(value).is_some() {
                return Err(FixedError::DuplicateValue {
                    field: name.to_owned(),
                });
            }
        }
        let mut out = Vec::with_capacity(self.width);
        for (field, value) in self.fields.iter().zip(slots) {
            let bytes =
                gbk::encode(value.unwrap_or_default()).map_err(|error| FixedError::Encoding {
                    field: field.name.clone(),
                    error,
                })?;
            if bytes.len() > field.width {
                return Err(FixedError::ValueTooLong {
                    field: field.name.clone(),
                    width: field.width,
                    length: bytes.len(),
                });
            }
            out.extend_from_slice(&bytes);
            out.resize(out.len() + field.width - bytes.len(), b' ');
        }
        Ok(out)
    }

    fn index(&self, name: &str) -> Result<usize, FixedError> {
        self.fields
            .iter()
            .position(|f| f.name == name)
            .ok_or_else(|| FixedError::UnknownField {
                field: name.to_owned(),
            })
    }
}

/// One parsed record: decoded, right-trimmed field values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    layout: &'a Layout,
    values: Vec<String>,
}

impl Record<'_> {
    /// The value of a field (empty if blank); `None` if the layout has no such field.
    pub fn get(&self, name: &str) -> Option<&str> {
        let index = self.layout.index(name).ok()?;
        Some(&self.values[index])
    }

    /// The value of a field that must be present; an unknown or blank field is an error.
    pub fn require(&self, name: &str) -> Result<&str, FixedError> {
        let index = self.layout.index(name)?;
        match self.values[index].as_str() {
            "" => Err(FixedError::Empty {
                field: self.layout.fields[index].name.clone(),
            }),
            value => Ok(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new(&[("id", 4), ("name", 8), ("district", 12), ("amount", 6)])
    }

    #[test]
    fn width_is_the_sum_of_field_widths() {
        assert_eq!(layout().width(), 30);
        assert_eq!(Layout::new(&[]).width(), 0);
    }

    #[test]
    fn formats_with_widths_in_gbk_bytes() {
        let record = layout()
            .format(&[
                ("name", "张三"),
                ("id", "0001"),
                ("amount", "12.50"),
                ("district", "朝阳区"),
            ])
            .unwrap();
        // 张三 takes 4 of the 8 bytes, 朝阳区 6 of 12; the rest is space padding.
        assert_eq!(
            record,
            b"0001\xD5\xC5\xC8\xFD    \xB3\xAF\xD1\xF4\xC7\xF8      12.50 ".to_vec()
        );
        assert_eq!(record.len(), 30);
    }

    #[test]
    fn parses_and_trims_padding() {
        let layout = layout();
        let bytes = b"0001\xD5\xC5\xC8\xFD    \xB3\xAF\xD1\xF4\xC7\xF8      12.50 ";
        let record = layout.parse(bytes).unwrap();
        assert_eq!(record.get("id"), Some("0001"));
        assert_eq!(record.get("name"), Some("张三"));
        assert_eq!(record.get("district"), Some("朝阳区"));
        assert_eq!(record.get("amount"), Some("12.50"));
        assert_eq!(record.get("phone"), None);
        assert_eq!(record.require("name"), Ok("张三"));
    }

    #[test]
    fn round_trips_values() {
        let layout = layout();
        let values = [
            ("id", "A-07"),
            ("name", "欧阳娜娜"),
            ("district", "浦东新区"),
        ];
        let record = layout.format(&values).unwrap();
        let parsed = layout.parse(&record).unwrap();
        for (name, value) in values {
            assert_eq!(parsed.get(name), Some(value));
        }
        assert_eq!(parsed.get("amount"), Some(""));
    }

    #[test]
    fn leading_and_ideographic_spaces_are_data() {
        let layout = Layout::new(&[("a", 6), ("b", 4)]);
        let record = layout.format(&[("a", " 张　"), ("b", "x")]).unwrap();
        let parsed = layout.parse(&record).unwrap();
        assert_eq!(parsed.get("a"), Some(" 张　"));
        assert_eq!(parsed.get("b"), Some("x"));
    }

    #[test]
    fn short_and_long_records_are_errors() {
        let layout = layout();
        let error = layout.parse(&[b' '; 29]).unwrap_err();
        assert_eq!(
            error,
            FixedError::Truncated {
                expected: 30,
                found: 29
            }
        );
        assert_eq!(
            error.to_string(),
            "record is 29 bytes long, shorter than the 30 bytes the layout requires"
        );
        let mut with_newline = vec![b' '; 30];
        with_newline.extend_from_slice(b"\r\n");
        assert_eq!(
            layout.parse(&with_newline).unwrap_err(),
            FixedError::RecordTooLong {
                expected: 30,
                found: 32
            }
        );
    }

    #[test]
    fn split_double_byte_character_names_the_field() {
        // 3 bytes for "name" cuts 三 (C8 FD) in half.
        let layout = Layout::new(&[("name", 3), ("rest", 3)]);
        let error = layout.parse(b"\xD5\xC5\xC8\xFD  ").unwrap_err();
        assert_eq!(
            error,
            FixedError::SplitCharacter {
                field: "name".into(),
                offset: 2
            }
        );
        assert_eq!(
            error.to_string(),
            "field \"name\" ends in the middle of a double-byte character starting at record offset 2; the data does not match the layout's field widths"
        );
        // A cut at the very end of the record.
        let layout = Layout::new(&[("a", 2), ("b", 1)]);
        assert_eq!(
            layout.parse(b"ab\xD5").unwrap_err(),
            FixedError::SplitCharacter {
                field: "b".into(),
                offset: 2
            }
        );
    }

    #[test]
    fn malformed_field_names_the_field_and_record_offset() {
        let layout = Layout::new(&[("a", 2), ("b", 3)]);
        let error = layout.parse(b"ab\xFF  ").unwrap_err();
        assert_eq!(
            error,
            FixedError::Encoding {
                field: "b".into(),
                error: EncodingError::Malformed {
                    charset: "GBK".into(),
                    offset: 2,
                    byte: 0xFF
                }
            }
        );
        assert_eq!(
            error.to_string(),
            "field \"b\": byte 0xFF at offset 2 is not valid GBK text"
        );
    }

    #[test]
    fn too_long_value_names_field_width_and_length() {
        let error = layout().format(&[("name", "欧阳娜娜娜")]).unwrap_err();
        assert_eq!(
            error,
            FixedError::ValueTooLong {
                field: "name".into(),
                width: 8,
                length: 10
            }
        );
        assert_eq!(
            error.to_string(),
            "value for field \"name\" is 10 bytes in GBK, longer than the field's 8 bytes"
        );
        // Exactly the width fits.
        assert_eq!(layout().format(&[("name", "欧阳娜娜")]).unwrap().len(), 30);
    }

    #[test]
    fn format_rejects_unknown_duplicate_and_unmappable_values() {
        let layout = layout();
        assert_eq!(
            layout.format(&[("phone", "1")]).unwrap_err(),
            FixedError::UnknownField {
                field: "phone".into()
            }
        );
        assert_eq!(
            layout.format(&[("id", "1"), ("id", "2")]).unwrap_err(),
            FixedError::DuplicateValue { field: "id".into() }
        );
        assert_eq!(
            layout.format(&[("name", "张😀")]).unwrap_err(),
            FixedError::Encoding {
                field: "name".into(),
                error: EncodingError::Unmappable {
                    charset: "GBK".into(),
                    ch: '😀',
                    position: 2
                }
            }
        );
    }

    #[test]
    fn require_rejects_blank_and_unknown_fields() {
        let layout = layout();
        let record = layout.parse(&[b' '; 30]).unwrap();
        let error = record.require("name").unwrap_err();
        assert_eq!(
            error,
            FixedError::Empty {
                field: "name".into()
            }
        );
        assert_eq!(error.to_string(), "required field \"name\" is empty");
        assert_eq!(
            record.require("phone").unwrap_err(),
            FixedError::UnknownField {
                field: "phone".into()
            }
        );
    }

    #[test]
    #[should_panic(expected = "names the field \"id\" twice")]
    fn duplicate_layout_field_panics() {
        Layout::new(&[("id", 2), ("id", 3)]);
    }

    #[test]
    fn a_layout_given_at_run_time_refuses_a_duplicate_name() {
        let names = [String::from("id"), String::from("id")];
        assert_eq!(
            Layout::try_new(&[(&names[0], 2), (&names[1], 3)]),
            Err(FixedError::DuplicateField { field: "id".into() })
        );
        assert_eq!(Layout::try_new(&[(&names[0], 2)]).unwrap().width(), 2);
    }
}
