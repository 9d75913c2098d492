//! The 参保凭证 the 县医疗保障局 issues, as `GetChanges`, `GetCertificates` and
//! `VerifyCertificate` show them.

use onewindow_codes::chrono::{Datelike as _, NaiveDate, NaiveTime};
use serde::{Serialize, Serializer};

use super::protocol::WcfDate;
use super::state::Applicant;
use crate::common::cases::DailySerial;
use crate::common::china_today;

/// TypeCode of a 参保凭证.
pub const CERTIFICATE_TYPE: &str = "YBCBPZ";

/// TypeName of a 参保凭证.
pub const CERTIFICATE_NAME: &str = "城乡居民基本医疗保险参保凭证";

/// `CertificateStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CertificateStatus {
    /// 0 有效.
    Valid,
    /// 1 作废 (the holder joined the employees' scheme).
    Revoked,
    /// 2 过期 (its year is over).
    Expired,
}

impl CertificateStatus {
    /// The `Status` number.
    pub fn code(self) -> u8 {
        match self {
            Self::Valid => 0,
            Self::Revoked => 1,
            Self::Expired => 2,
        }
    }
}

/// A 参保凭证.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// Number, `YB330122-2026-000001`.
    pub number: String,
    /// Holder: the applicant.
    pub holder: Applicant,
    /// IssuedOn.
    pub issued: NaiveDate,
    /// 参保类别.
    pub category: String,
    /// 缴费档次.
    pub grade: String,
    /// Whether it was revoked (作废); otherwise it is valid until its year is over.
    pub revoked: bool,
    /// The case that issued it (平台办件编号).
    pub platform_case_no: String,
}

impl Certificate {
    /// 参保年度: the year it was issued in.
    pub fn year(&self) -> i32 {
        self.issued.year()
    }

    /// ValidUntil: 31 December of its year, the last millisecond of the day.
    pub fn valid_until(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year(), 12, 31).expect("every year has a 31 December")
    }

    /// Its status today: 作废 once revoked, 过期 after its year.
    pub fn status(&self) -> CertificateStatus {
        if self.revoked {
            CertificateStatus::Revoked
        } else if china_today() > self.valid_until() {
            CertificateStatus::Expired
        } else {
            CertificateStatus::Valid
        }
    }
}

/// One line of the certificate's face.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FaceLine<'a> {
    key: &'static str,
    value: &'a str,
}

impl Serialize for Certificate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire<'a> {
            type_code: &'static str,
            type_name: &'static str,
            number: &'a str,
            holder: &'a Applicant,
            issuer: &'static str,
            issued_on: WcfDate,
            valid_until: WcfDate,
            status: u8,
            face: [FaceLine<'a>; 5],
        }
        let year = self.year().to_string();
        let last_moment = NaiveTime::from_hms_milli_opt(23, 59, 59, 999).expect("a valid time");
        Wire {
            type_code: CERTIFICATE_TYPE,
            type_name: CERTIFICATE_NAME,
            number: &self.number,
            holder: &self.holder,
            issuer: super::DEPARTMENT,
            issued_on: WcfDate::day(self.issued),
            valid_until: WcfDate(self.valid_until().and_time(last_moment)),
            status: self.status().code(),
            face: [
                FaceLine {
                    key: "姓名",
                    value: &self.holder.name,
                },
                FaceLine {
                    key: "公民身份号码",
                    value: &self.holder.id_number,
                },
                FaceLine {
                    key: "参保类别",
                    value: &self.category,
                },
                FaceLine {
                    key: "缴费档次",
                    value: &self.grade,
                },
                FaceLine {
                    key: "参保年度",
                    value: &year,
                },
            ],
        }
        .serialize(serializer)
    }
}

/// The serial of certificate numbers, counted from 1 each year (China time).
#[derive(Debug, Clone, Copy, Default)]
pub struct YearlySerial(DailySerial);

impl YearlySerial {
    /// The next number of the year of `today`: `YB330122-<year>-<serial>`.
    pub fn next(&mut self, today: NaiveDate) -> String {
        let year = today.year();
        // A daily serial keyed by the year's first day restarts each year.
        let new_year = NaiveDate::from_ymd_opt(year, 1, 1).expect("every year has a 1 January");
        format!("YB330122-{year}-{:06}", self.0.next(new_year))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_restart_each_year() {
        let mut serial = YearlySerial::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(serial.next(day), "YB330122-2026-000001");
        assert_eq!(
            serial.next(day - onewindow_codes::chrono::Days::new(300)),
            "YB330122-2026-000002"
        );
        assert_eq!(serial.next(day.succ_opt().unwrap()), "YB330122-2027-000001");
    }

    #[test]
    fn the_face_is_in_print_order_and_the_year_ends_the_validity() {
        let certificate = Certificate {
            number: "YB330122-2026-000001".into(),
            holder: Applicant {
                id_type: 1,
                id_number: "11010519491231002X".into(),
                name: "王䶮".into(),
            },
            issued: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            category: "成年居民".into(),
            grade: "一档".into(),
            revoked: false,
            platform_case_no: "P-1".into(),
        };
        let json = serde_json::to_value(&certificate).unwrap();
        let keys: Vec<&str> = json["Face"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["Key"].as_str().unwrap())
            .collect();
        assert_eq!(
            keys,
            ["姓名", "公民身份号码", "参保类别", "缴费档次", "参保年度"]
        );
        assert_eq!(json["Face"][4]["Value"], "2026");
        // 2026-12-07 00:00 and 2026-12-31 23:59:59.999 in Beijing.
        assert_eq!(json["IssuedOn"], "/Date(1796572800000+0800)/");
        assert_eq!(json["ValidUntil"], "/Date(1798732799999+0800)/");
        assert_eq!(json["Holder"]["IdType"], 1);
        assert_eq!(json["Issuer"], "县医疗保障局");
    }
}
