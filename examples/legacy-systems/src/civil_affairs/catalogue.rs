//! The matters (事项) the 县民政局 handles, as `CXSX` lists them.

use crate::common::xml::Element;

/// One material (材料) of a matter.
#[derive(Debug, Clone, Copy)]
pub struct Material {
    /// CLBM 材料编码.
    pub code: &'static str,
    /// CLMC 材料名称.
    pub name: &'static str,
    /// BX 必须.
    pub required: bool,
    /// ZZLX: the license type that may stand in for the paper material.
    pub license_type: Option<&'static str>,
}

/// LX 表单项类型 of a form item (the codes the catalogue uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemType {
    /// T 文本.
    Text,
    /// D 日期 (`2026年12月07日` in 报文).
    Date,
    /// N 数字.
    Number,
    /// S 公民身份号码.
    IdNumber,
    /// A 地址.
    Address,
}

impl ItemType {
    /// The LX code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "T",
            Self::Date => "D",
            Self::Number => "N",
            Self::IdNumber => "S",
            Self::Address => "A",
        }
    }
}

/// LY 表单项来源: which of the applicant's details fills an item (the codes the
/// catalogue uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// ZZ 住址.
    Address,
    /// DH 联系电话.
    Phone,
}

impl Source {
    /// The LY code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Address => "ZZ",
            Self::Phone => "DH",
        }
    }
}

/// One item (BDX) of a matter's application form.
#[derive(Debug, Clone, Copy)]
pub struct FormItem {
    /// ZDM 字段名: the name a `TJSQ` gives the value under.
    pub name: &'static str,
    /// BQ 标签.
    pub label: &'static str,
    /// LX 类型.
    pub kind: ItemType,
    /// BX 必填.
    pub required: bool,
    /// LY 来源.
    pub source: Option<Source>,
}

/// The path a matter's cases take through the department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// 结婚登记: 01 → 05 → 09, issuing a 结婚证.
    Marriage,
    /// 最低生活保障: decided by the household's income per person.
    Subsistence,
    /// 婚姻登记记录证明: 01 → 09.
    Record,
}

/// One matter (事项) of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Matter {
    /// SXBM 事项编码.
    pub code: &'static str,
    /// SXMC 事项名称.
    pub name: &'static str,
    /// SXLX 事项类型.
    pub kind: &'static str,
    /// FDSX 法定办结时限, working days.
    pub legal_days: u32,
    /// CNSX 承诺办结时限, working days.
    pub promised_days: u32,
    /// DCCS 到现场次数.
    pub visits: u32,
    /// WSBL 网上可办.
    pub online: bool,
    /// SFBZ 收费标准.
    pub fee: &'static str,
    /// SLTJ 受理条件.
    pub conditions: &'static str,
    /// CLLB 申请材料.
    pub materials: &'static [Material],
    /// BDLB 申请表.
    pub form: &'static [FormItem],
    /// Whether only residents (证件类型 SFZ) may apply.
    pub residents_only: bool,
    /// How its cases go.
    pub path: Path,
}

impl Matter {
    /// The matter's `<SX>` in `CXSX`'s answer.
    pub fn sx_element(&self) -> Element {
        let mut materials = Element::new("CLLB");
        for m in self.materials {
            let mut cl = Element::new("CL")
                .field("CLBM", m.code)
                .field("CLMC", m.name)
                .field("BX", flag(m.required));
            if let Some(kind) = m.license_type {
                cl = cl.field("ZZLX", kind);
            }
            materials.push(cl);
        }
        let mut form = Element::new("BDLB");
        for f in self.form {
            let mut item = Element::new("BDX")
                .field("ZDM", f.name)
                .field("BQ", f.label)
                .field("LX", f.kind.code())
                .field("BX", flag(f.required));
            if let Some(source) = f.source {
                item = item.field("LY", source.code());
            }
            form.push(item);
        }
        Element::new("SX")
            .field("SXBM", self.code)
            .field("SXMC", self.name)
            .field("SSJG", super::DEPARTMENT)
            .field("SXLX", self.kind)
            .field("FDSX", self.legal_days.to_string())
            .field("CNSX", self.promised_days.to_string())
            .field("DCCS", self.visits.to_string())
            .field("WSBL", flag(self.online))
            .field("SFBZ", self.fee)
            .field("SLTJ", self.conditions)
            .child(materials)
            .child(form)
    }

    /// The form item named `name`.
    pub fn item(&self, name: &str) -> Option<&'static FormItem> {
        self.form.iter().find(|f| f.name == name)
    }
}

fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

/// Looks a matter up by its code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

/// 结婚登记's code.
pub const MARRIAGE: &str = "330122-MZ-QR-001";
/// 最低生活保障审批's code.
pub const SUBSISTENCE: &str = "330122-MZ-JF-001";
/// 婚姻登记记录证明's code.
pub const RECORD: &str = "330122-MZ-GF-001";

/// The county's 最低生活保障标准, 元 a person a month.
pub const SUBSISTENCE_STANDARD: u32 = 870;

const ID_CARD: Option<&str> = Some("居民身份证");

const fn req(
    code: &'static str,
    name: &'static str,
    license_type: Option<&'static str>,
) -> Material {
    Material {
        code,
        name,
        required: true,
        license_type,
    }
}

const fn must(name: &'static str, label: &'static str, kind: ItemType) -> FormItem {
    FormItem {
        name,
        label,
        kind,
        required: true,
        source: None,
    }
}

const fn from(item: FormItem, source: Source) -> FormItem {
    FormItem {
        source: Some(source),
        ..item
    }
}

/// The catalogue.
pub const MATTERS: &[Matter] = &[
    Matter {
        code: MARRIAGE,
        name: "内地居民结婚登记",
        kind: "02",
        legal_days: 1,
        promised_days: 1,
        visits: 1,
        online: false,
        fee: "不收费",
        conditions: "男女双方完全自愿；男方年满二十二周岁、女方年满二十周岁；双方均无配偶；双方没有直系血亲和三代以内旁系血亲关系；男女双方须共同亲自到婚姻登记机关提出申请。",
        materials: &[
            req("01", "居民身份证", ID_CARD),
            req("02", "居民户口簿", Some("居民户口簿")),
            req("03", "近期半身免冠合影照片", None),
            req(
                "04",
                "本人无配偶以及与对方当事人没有直系血亲和三代以内旁系血亲关系的签字声明",
                None,
            ),
        ],
        form: &[
            must("DFXM", "对方姓名", ItemType::Text),
            must("DFSFZ", "对方公民身份号码", ItemType::IdNumber),
            must("DJRQ", "预约登记日期", ItemType::Date),
        ],
        residents_only: true,
        path: Path::Marriage,
    },
    Matter {
        code: SUBSISTENCE,
        name: "最低生活保障审批",
        kind: "03",
        legal_days: 30,
        promised_days: 20,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "申请人具有本县户籍；共同生活的家庭成员人均月收入低于本县最低生活保障标准（每人每月870元），且家庭财产状况符合规定；以家庭为单位提出申请。",
        materials: &[
            req("01", "居民身份证", ID_CARD),
            req("02", "家庭经济状况声明", None),
            Material {
                code: "03",
                name: "残疾人证",
                required: false,
                license_type: Some("残疾人证"),
            },
        ],
        form: &[
            must("JTRK", "家庭人口", ItemType::Number),
            must("YSR", "家庭月收入（元）", ItemType::Number),
            from(must("JZDZ", "居住地址", ItemType::Address), Source::Address),
            from(must("LXDH", "联系电话", ItemType::Text), Source::Phone),
            must("SQLY", "申请理由", ItemType::Text),
        ],
        residents_only: true,
        path: Path::Subsistence,
    },
    Matter {
        code: RECORD,
        name: "婚姻登记记录证明",
        kind: "07",
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "当事人本人申请出具其在本县婚姻登记机关的婚姻登记记录证明（含无婚姻登记记录的证明）。",
        materials: &[req("01", "居民身份证", ID_CARD)],
        form: &[],
        residents_only: false,
        path: Path::Record,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        assert_eq!(MATTERS.len(), 3);
        for m in MATTERS {
            assert!(m.promised_days <= m.legal_days, "{}", m.name);
            assert!(find(m.code).is_some());
            for f in m.form {
                assert_eq!(m.form.iter().filter(|o| o.name == f.name).count(), 1);
            }
            for cl in m.materials {
                assert_eq!(cl.code.len(), 2);
            }
        }
        let sx = find(SUBSISTENCE).unwrap().sx_element();
        let bdlb = sx.find("BDLB").unwrap();
        let jzdz = bdlb.find_all("BDX").nth(2).unwrap();
        assert_eq!(jzdz.text_of("LY"), Some("ZZ"));
        assert_eq!(jzdz.text_of("LX"), Some("A"));
        assert!(
            find(RECORD)
                .unwrap()
                .sx_element()
                .find("BDLB")
                .unwrap()
                .children
                .is_empty()
        );
    }
}
