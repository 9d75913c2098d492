//! Dates and date-times as Chinese legacy systems write them.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Why a date or date-time could not be read; every variant quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The input does not have the shape of a date.
    #[error(
        "\"{input}\" is not a date; expected a form like 2018年11月25日, 20181125, 2018-11-25, 2018/11/25 or 2018.11.25"
    )]
    NotADate {
        /// The input as given.
        input: String,
    },
    /// The input does not have the shape of a date and time.
    #[error(
        "\"{input}\" is not a date and time; expected a form like 2018-11-25 14:03:05, 2018年11月25日 14时03分05秒 or 20181125140305"
    )]
    NotADateTime {
        /// The input as given.
        input: String,
    },
    /// The input names a day that does not exist, such as 2019-02-29.
    #[error("\"{input}\" names a day that does not exist in the calendar")]
    NoSuchDay {
        /// The input as given.
        input: String,
    },
    /// The input names a time of day that does not exist, such as 24:00:00.
    #[error("\"{input}\" names a time of day that does not exist")]
    NoSuchTime {
        /// The input as given.
        input: String,
    },
}

/// Parses `2018年11月25日`, `2018年1月5日`, `20181125`, `2018-11-25`, `2018/11/25` or `2018.11.25`,
/// ignoring surrounding whitespace.
pub fn parse(s: &str) -> Result<NaiveDate, DateError> {
    let (year, month, day) = split_date(s.trim()).ok_or_else(|| DateError::NotADate {
        input: s.to_owned(),
    })?;
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| DateError::NoSuchDay {
        input: s.to_owned(),
    })
}

/// Parses a date form accepted by [`parse`], then a space or `T`, then `14:03:05` or `14时03分05秒`;
/// also `20181125140305`, and `2018年11月25日14时03分05秒` without a separator.
pub fn parse_datetime(s: &str) -> Result<NaiveDateTime, DateError> {
    let t = s.trim();
    let ((year, month, day), (hour, minute, second)) =
        split_datetime(t).ok_or_else(|| DateError::NotADateTime {
            input: s.to_owned(),
        })?;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| DateError::NoSuchDay {
        input: s.to_owned(),
    })?;
    let time =
        NaiveTime::from_hms_opt(hour, minute, second).ok_or_else(|| DateError::NoSuchTime {
            input: s.to_owned(),
        })?;
    Ok(date.and_time(time))
}

/// `2018-11-25`.
pub fn to_iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `2018年11月25日`; month and day are not zero-padded (`2018年1月5日`), as GB/T 9704 prescribes
/// for official documents.
pub fn to_chinese(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// `20181125`.
pub fn to_compact(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// `2018年11月25日 14时03分05秒`: the date as [`to_chinese`] writes it, the time zero-padded.
pub fn datetime_to_chinese(dt: NaiveDateTime) -> String {
    dt.format("%Y年%-m月%-d日 %H时%M分%S秒").to_string()
}

// The shapes are checked by hand rather than with chrono's format strings because `%Y`
// accepts one to four digits and `%Y%m%d` accepts seven digits, so `18-11-25` would become
// the year 18 and `2018115` a valid date; chrono still decides which dates exist.

/// Year, month and day as written, not yet checked against the calendar.
type Ymd = (i32, u32, u32);
/// Hour, minute and second as written, not yet checked against the clock.
type Hms = (u32, u32, u32);

fn split_date(t: &str) -> Option<Ymd> {
    if let Some((year, rest)) = t.split_once('年') {
        let (month, rest) = rest.split_once('月')?;
        let day = rest.strip_suffix('日')?;
        return ymd(year, month, day);
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        return ymd(t.get(0..4)?, t.get(4..6)?, t.get(6..8)?);
    }
    let separator = t.chars().find(|c| ['-', '/', '.'].contains(c))?;
    let mut parts = t.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    ymd(year, month, day)
}

fn split_datetime(t: &str) -> Option<(Ymd, Hms)> {
    if t.len() == 14 && t.bytes().all(|b| b.is_ascii_digit()) {
        let (date, time) = t.split_at(8);
        return Some((
            split_date(date)?,
            hms(&time[0..2], &time[2..4], &time[4..6], 2)?,
        ));
    }
    let (date, time) = match t.find(|c: char| c.is_whitespace() || c == 'T') {
        Some(at) => {
            let (date, rest) = t.split_at(at);
            let time = match rest.strip_prefix('T') {
                Some(time) => time,
                None => rest.trim_start(),
            };
            (date, time)
        }
        None => t.split_at(t.find('日')? + '日'.len_utf8()),
    };
    Some((split_date(date)?, split_time(time)?))
}

fn split_time(t: &str) -> Option<Hms> {
    if let Some((hour, rest)) = t.split_once('时') {
        let (minute, rest) = rest.split_once('分')?;
        let second = rest.strip_suffix('秒')?;
        return hms(hour, minute, second, 1);
    }
    let mut parts = t.split(':');
    let (hour, minute, second) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    hms(hour, minute, second, 2)
}

fn ymd(year: &str, month: &str, day: &str) -> Option<Ymd> {
    Some((
        i32::try_from(number(year, 4, 4)?).ok()?,
        number(month, 1, 2)?,
        number(day, 1, 2)?,
    ))
}

/// Hours may always be a single digit; minutes and seconds only when `min_digits` allows it.
fn hms(hour: &str, minute: &str, second: &str, min_digits: usize) -> Option<Hms> {
    Some((
        number(hour, 1, 2)?,
        number(minute, min_digits, 2)?,
        number(second, min_digits, 2)?,
    ))
}

/// ASCII digits only: `str::parse` alone would also take a leading `+`.
fn number(s: &str, min_digits: usize, max_digits: usize) -> Option<u32> {
    ((min_digits..=max_digits).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(date: NaiveDate, h: u32, m: u32, s: u32) -> NaiveDateTime {
        date.and_hms_opt(h, m, s).unwrap()
    }

    #[test]
    fn parses_every_date_form() {
        for (input, expected) in [
            ("2018年11月25日", ymd(2018, 11, 25)),
            ("2018年1月5日", ymd(2018, 1, 5)),
            ("2018年01月05日", ymd(2018, 1, 5)),
            ("20181125", ymd(2018, 11, 25)),
            ("2018-11-25", ymd(2018, 11, 25)),
            ("2018-1-5", ymd(2018, 1, 5)),
            ("2018/11/25", ymd(2018, 11, 25)),
            ("2018.11.25", ymd(2018, 11, 25)),
            ("  2020-02-29\n", ymd(2020, 2, 29)),
            ("\t2018年11月25日 ", ymd(2018, 11, 25)),
        ] {
            assert_eq!(parse(input), Ok(expected), "{input:?}");
        }
    }

    #[test]
    fn rejects_impossible_dates_quoting_the_input() {
        for input in [
            "2019-02-29",
            "2018年13月1日",
            "20180431",
            "2018/00/10",
            "2018.12.32",
        ] {
            let error = parse(input).unwrap_err();
            assert_eq!(
                error,
                DateError::NoSuchDay {
                    input: input.into()
                }
            );
        }
        assert_eq!(
            parse("2019-02-29").unwrap_err().to_string(),
            "\"2019-02-29\" names a day that does not exist in the calendar"
        );
    }

    #[test]
    fn rejects_other_shapes_quoting_the_input() {
        for input in [
            "",
            "18-11-25",
            "2018115",
            "201811250",
            "2018-11/25",
            "2018-11-25-1",
            "2018年11月",
            "2018年11月25",
            "2018-+1-25",
            "2018-011-25",
            "二〇一八年十一月二十五日",
            "2018-11-25 14:03:05",
        ] {
            assert_eq!(
                parse(input),
                Err(DateError::NotADate {
                    input: input.into()
                }),
                "{input:?}"
            );
        }
        assert_eq!(
            parse("18-11-25").unwrap_err().to_string(),
            "\"18-11-25\" is not a date; expected a form like 2018年11月25日, 20181125, 2018-11-25, 2018/11/25 or 2018.11.25"
        );
    }

    #[test]
    fn parses_every_datetime_form() {
        let expected = at(ymd(2018, 11, 25), 14, 3, 5);
        for input in [
            "2018-11-25 14:03:05",
            "2018-11-25T14:03:05",
            "2018/11/25 14:03:05",
            "2018.11.25 14:03:05",
            "20181125 14:03:05",
            "20181125140305",
            "2018年11月25日 14时03分05秒",
            "2018年11月25日14时03分05秒",
            "2018年11月25日 14时3分5秒",
            " 2018-11-25  14:03:05 ",
        ] {
            assert_eq!(parse_datetime(input), Ok(expected), "{input:?}");
        }
        assert_eq!(
            parse_datetime("2018-1-5 9:03:05"),
            Ok(at(ymd(2018, 1, 5), 9, 3, 5))
        );
    }

    #[test]
    fn rejects_bad_datetimes_quoting_the_input() {
        for input in [
            "2018-11-25",
            "2018-11-25 14:03",
            "2018-11-25 14:3:05",
            "2018112514030",
            "2018-11-25 14时03分",
            "2018-11-25T",
        ] {
            assert_eq!(
                parse_datetime(input),
                Err(DateError::NotADateTime {
                    input: input.into()
                }),
                "{input:?}"
            );
        }
        assert_eq!(
            parse_datetime("2019-02-29 10:00:00"),
            Err(DateError::NoSuchDay {
                input: "2019-02-29 10:00:00".into()
            })
        );
        let error = parse_datetime("20181125240000").unwrap_err();
        assert_eq!(
            error,
            DateError::NoSuchTime {
                input: "20181125240000".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "\"20181125240000\" names a time of day that does not exist"
        );
        assert_eq!(
            parse_datetime("2018-11-25 14:60:00"),
            Err(DateError::NoSuchTime {
                input: "2018-11-25 14:60:00".into()
            })
        );
    }

    #[test]
    fn writes_each_form() {
        let d = ymd(2018, 11, 25);
        assert_eq!(to_iso(d), "2018-11-25");
        assert_eq!(to_chinese(d), "2018年11月25日");
        assert_eq!(to_compact(d), "20181125");
        assert_eq!(
            datetime_to_chinese(at(d, 14, 3, 5)),
            "2018年11月25日 14时03分05秒"
        );

        let early = ymd(2018, 1, 5);
        assert_eq!(to_iso(early), "2018-01-05");
        assert_eq!(to_chinese(early), "2018年1月5日");
        assert_eq!(to_compact(early), "20180105");
        assert_eq!(
            datetime_to_chinese(at(early, 9, 0, 0)),
            "2018年1月5日 09时00分00秒"
        );
    }

    #[test]
    fn written_forms_parse_back() {
        let d = ymd(2024, 2, 29);
        for written in [to_iso(d), to_chinese(d), to_compact(d)] {
            assert_eq!(parse(&written), Ok(d), "{written}");
        }
        let dt = at(d, 23, 59, 59);
        assert_eq!(parse_datetime(&datetime_to_chinese(dt)), Ok(dt));
    }
}
