//! The 结婚证 the 县民政局 issues, as `CXZZ`, `YZZZ` and `CXBH` show them.

use onewindow_codes::chrono::{Datelike as _, NaiveDate};
use onewindow_codes::date::to_chinese;

use super::state::Applicant;
use crate::common::xml::Element;

/// ZZLXDM of a 结婚证.
pub const MARRIAGE_CERTIFICATE: &str = "MZJHZ";

/// ZZLXMC of a 结婚证.
pub const MARRIAGE_CERTIFICATE_NAME: &str = "结婚证";

/// ZT 证照状态 of a license (the ones the mock gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseStatus {
    /// 1 有效.
    Valid,
    /// 2 注销 (after a divorce).
    Cancelled,
}

impl LicenseStatus {
    /// The ZT code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Valid => "1",
            Self::Cancelled => "2",
        }
    }
}

/// A 结婚证.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    /// ZZBH 证照编号, `J330122-2026-000001`.
    pub number: String,
    /// CZR 持证人: the applicant.
    pub holder: Applicant,
    /// 对方姓名.
    pub spouse_name: String,
    /// 对方公民身份号码.
    pub spouse_id: String,
    /// FZRQ 发证日期 (and 登记日期).
    pub issued: NaiveDate,
    /// ZT.
    pub status: LicenseStatus,
    /// The case that issued it (平台办件编号).
    pub ptbh: String,
}

impl License {
    /// The `<ZZ>` of the license.
    pub fn element(&self) -> Element {
        let issued = to_chinese(self.issued);
        let face = [
            ("持证人", self.holder.xm.as_str()),
            ("公民身份号码", self.holder.zjhm.as_str()),
            ("对方姓名", self.spouse_name.as_str()),
            ("对方公民身份号码", self.spouse_id.as_str()),
            ("登记日期", issued.as_str()),
            ("登记机关", super::DEPARTMENT),
        ];
        let mut zmxx = Element::new("ZMXX");
        for (name, value) in face {
            zmxx.push(Element::new("X").field("ZDM", name).field("Z", value));
        }
        Element::new("ZZ")
            .field("ZZLXDM", MARRIAGE_CERTIFICATE)
            .field("ZZLXMC", MARRIAGE_CERTIFICATE_NAME)
            .field("ZZBH", &self.number)
            .child(
                Element::new("CZR")
                    .field("ZJLX", &self.holder.zjlx)
                    .field("ZJHM", &self.holder.zjhm)
                    .field("XM", &self.holder.xm),
            )
            .field("FZJG", super::DEPARTMENT)
            .field("FZRQ", issued.clone())
            // 长期: a 结婚证 does not expire.
            .field("YXQZ", "")
            .field("ZT", self.status.code())
            .child(zmxx)
    }
}

/// The serial of 证照编号, counted from 1 each year (China time).
#[derive(Debug, Clone, Copy, Default)]
pub struct YearlySerial(Option<(i32, u32)>);

impl YearlySerial {
    /// The next 证照编号 of the year of `today`: `J330122-<year>-<serial>`.
    pub fn next(&mut self, today: NaiveDate) -> String {
        let year = today.year();
        let serial = match &mut self.0 {
            Some((y, serial)) if *y == year => {
                *serial += 1;
                *serial
            }
            slot => {
                *slot = Some((year, 1));
                1
            }
        };
        format!("J330122-{year}-{serial:06}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_restart_each_year() {
        let mut serial = YearlySerial::default();
        let day = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(serial.next(day), "J330122-2026-000001");
        assert_eq!(serial.next(day), "J330122-2026-000002");
        assert_eq!(serial.next(day.succ_opt().unwrap()), "J330122-2027-000001");
    }

    #[test]
    fn the_face_is_in_print_order() {
        let license = License {
            number: "J330122-2026-000001".into(),
            holder: Applicant {
                zjlx: "SFZ".into(),
                zjhm: "11010519491231002X".into(),
                xm: "王䶮".into(),
            },
            spouse_name: "李𠈌".into(),
            spouse_id: "330122199001011234".into(),
            issued: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            status: LicenseStatus::Valid,
            ptbh: "P-1".into(),
        };
        let zz = license.element();
        let names: Vec<&str> = zz
            .find("ZMXX")
            .unwrap()
            .find_all("X")
            .map(|x| x.text_of("ZDM").unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "持证人",
                "公民身份号码",
                "对方姓名",
                "对方公民身份号码",
                "登记日期",
                "登记机关"
            ]
        );
        assert_eq!(zz.text_of("YXQZ"), None);
        assert!(zz.find("YXQZ").is_some());
        assert_eq!(zz.text_of("FZRQ"), Some("2026年12月7日"));
    }
}
