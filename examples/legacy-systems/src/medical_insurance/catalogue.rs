//! The matters (事项) the 县医疗保障局 handles, as `GetMatters` lists them.

use serde::{Serialize, Serializer};

/// One material (材料) of a matter, as `Materials` lists it.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Material {
    /// Code 材料编码.
    pub code: &'static str,
    /// Name 材料名称.
    pub name: &'static str,
    /// Required 必须.
    pub required: bool,
    /// LicenseType: the license that may stand in for the paper material.
    pub license_type: Option<&'static str>,
}

/// `FieldType` 表单项类型 (the ones the catalogue uses: 4 公民身份号码 and
/// 5 统一社会信用代码 are defined but asked by no form).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// 0 文本.
    Text,
    /// 1 日期, `2026-12-07` as text.
    Date,
    /// 2 数字, decimal.
    Number,
    /// 3 选项: one of `Options`.
    Choice(&'static [&'static str]),
    /// 6 地址.
    Address,
}

impl FieldType {
    /// The `FieldType` number.
    pub fn code(self) -> u8 {
        match self {
            Self::Text => 0,
            Self::Date => 1,
            Self::Number => 2,
            Self::Choice(_) => 3,
            Self::Address => 6,
        }
    }

    /// `Options`: the choices of a 选项, `null` for the others.
    pub fn options(self) -> Option<&'static [&'static str]> {
        match self {
            Self::Choice(options) => Some(options),
            _ => None,
        }
    }
}

/// `Source` 表单项来源: the applicant's detail that fills an item (the one the
/// catalogue uses of 0 姓名/名称 … 5 法定代表人).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// 4 联系电话.
    Phone,
}

impl Source {
    /// The `Source` number.
    pub fn code(self) -> u8 {
        match self {
            Self::Phone => 4,
        }
    }
}

/// One item of a matter's application form.
#[derive(Debug, Clone, Copy)]
pub struct FormItem {
    /// Key: the name a `SubmitApplication` gives the value under.
    pub key: &'static str,
    /// Label.
    pub label: &'static str,
    /// FieldType (with Options).
    pub kind: FieldType,
    /// Required.
    pub required: bool,
    /// Source.
    pub source: Option<Source>,
}

impl Serialize for FormItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Item {
            key: &'static str,
            label: &'static str,
            field_type: u8,
            options: Option<&'static [&'static str]>,
            required: bool,
            source: Option<u8>,
        }
        Item {
            key: self.key,
            label: self.label,
            field_type: self.kind.code(),
            options: self.kind.options(),
            required: self.required,
            source: self.source.map(Source::code),
        }
        .serialize(serializer)
    }
}

/// The path a matter's cases take through the department.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// 参保登记: 1 → 4 → 6, issuing a 参保凭证.
    Enrolment,
    /// 零星报销: decided by the visit date, the amount and the 出院小结.
    Reimbursement,
    /// 异地就医备案: 1 → 6.
    Filing,
}

/// One matter (事项) of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Matter {
    /// Code 事项编码.
    pub code: &'static str,
    /// Name 事项名称.
    pub name: &'static str,
    /// Kind 事项类型: 0 行政许可 … 6 公共服务.
    pub kind: u8,
    /// LegalDays 法定办结时限, working days.
    pub legal_days: u32,
    /// PromisedDays 承诺办结时限, working days.
    pub promised_days: u32,
    /// Visits 到现场次数.
    pub visits: u32,
    /// Online 网上可办.
    pub online: bool,
    /// Fee 收费标准.
    pub fee: &'static str,
    /// Conditions 受理条件.
    pub conditions: &'static str,
    /// Materials 申请材料.
    pub materials: &'static [Material],
    /// Form 申请表.
    pub form: &'static [FormItem],
    /// How its cases go.
    pub path: Path,
}

impl Matter {
    /// The form item with this key.
    pub fn item(&self, key: &str) -> Option<&'static FormItem> {
        self.form.iter().find(|f| f.key == key)
    }
}

impl Serialize for Matter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Wire {
            code: &'static str,
            name: &'static str,
            agency: &'static str,
            kind: u8,
            legal_days: u32,
            promised_days: u32,
            visits: u32,
            online: bool,
            fee: &'static str,
            conditions: &'static str,
            materials: &'static [Material],
            form: &'static [FormItem],
        }
        Wire {
            code: self.code,
            name: self.name,
            agency: super::DEPARTMENT,
            kind: self.kind,
            legal_days: self.legal_days,
            promised_days: self.promised_days,
            visits: self.visits,
            online: self.online,
            fee: self.fee,
            conditions: self.conditions,
            materials: self.materials,
            form: self.form,
        }
        .serialize(serializer)
    }
}

/// Looks a matter up by its code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

/// 城乡居民基本医疗保险参保登记's code.
pub const ENROLMENT: &str = "330122-YB-GG-001";
/// 医疗费用零星报销's code.
pub const REIMBURSEMENT: &str = "330122-YB-JF-001";
/// 异地就医备案's code.
pub const FILING: &str = "330122-YB-GG-002";

/// `Kind` 行政给付.
const BENEFIT: u8 = 2;
/// `Kind` 公共服务.
const PUBLIC_SERVICE: u8 = 6;

/// The material code of 出院小结, without which a large claim waits for 补正.
pub const DISCHARGE_SUMMARY: &str = "04";

const ID_CARD: Material = Material {
    code: "01",
    name: "居民身份证",
    required: true,
    license_type: Some("居民身份证"),
};

const fn paper(code: &'static str, name: &'static str, required: bool) -> Material {
    Material {
        code,
        name,
        required,
        license_type: None,
    }
}

const fn must(key: &'static str, label: &'static str, kind: FieldType) -> FormItem {
    FormItem {
        key,
        label,
        kind,
        required: true,
        source: None,
    }
}

/// The catalogue.
pub const MATTERS: &[Matter] = &[
    Matter {
        code: ENROLMENT,
        name: "城乡居民基本医疗保险参保登记",
        kind: PUBLIC_SERVICE,
        legal_days: 5,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "具有本县户籍或持有本县居住证、未参加职工基本医疗保险的城乡居民（含未成年人和在本县就读的在校大学生）；按年度参保，当年参保当年有效。",
        materials: &[
            ID_CARD,
            Material {
                code: "02",
                name: "居民户口簿",
                required: true,
                license_type: Some("居民户口簿"),
            },
        ],
        form: &[
            must(
                "category",
                "参保类别",
                FieldType::Choice(&["成年居民", "未成年人", "在校大学生"]),
            ),
            must("grade", "缴费档次", FieldType::Choice(&["一档", "二档"])),
            FormItem {
                source: Some(Source::Phone),
                ..must("phone", "联系电话", FieldType::Text)
            },
        ],
        path: Path::Enrolment,
    },
    Matter {
        code: REIMBURSEMENT,
        name: "医疗费用零星报销",
        kind: BENEFIT,
        legal_days: 20,
        promised_days: 10,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "本县参保人员因异地急诊、未持卡就医等原因全额垫付的医疗费用，自就诊之日起一年内申请报销；单次发生金额超过一万元的须提交出院小结，超过五万元的须经专家评审。",
        materials: &[
            ID_CARD,
            paper("02", "医疗费用发票", true),
            paper("03", "费用明细清单", true),
            paper(DISCHARGE_SUMMARY, "出院小结", false),
        ],
        form: &[
            must("hospital", "就诊医院", FieldType::Text),
            must("visitDate", "就诊日期", FieldType::Date),
            must("amount", "发生金额（元）", FieldType::Number),
            must(
                "reason",
                "报销原因",
                FieldType::Choice(&["异地急诊", "未持卡就医", "其他"]),
            ),
        ],
        path: Path::Reimbursement,
    },
    Matter {
        code: FILING,
        name: "异地就医备案",
        kind: PUBLIC_SERVICE,
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "本县参保人员异地长期居住、常驻异地工作或经本县定点医疗机构转诊到异地就医的，在异地就医前办理备案。",
        materials: &[ID_CARD],
        form: &[
            must(
                "kind",
                "备案类型",
                FieldType::Choice(&["异地长期居住", "常驻异地工作", "异地转诊"]),
            ),
            must("place", "就医地", FieldType::Address),
            must("from", "开始日期", FieldType::Date),
        ],
        path: Path::Filing,
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
            assert_eq!(find(m.code).map(|f| f.code), Some(m.code));
            for f in m.form {
                assert_eq!(m.form.iter().filter(|o| o.key == f.key).count(), 1);
                assert!(m.item(f.key).is_some());
            }
        }
    }

    #[test]
    fn items_serialize_with_their_numbers() {
        let phone = serde_json::to_value(find(ENROLMENT).unwrap().form[2]).unwrap();
        assert_eq!(
            phone,
            serde_json::json!({"Key": "phone", "Label": "联系电话", "FieldType": 0,
                "Options": null, "Required": true, "Source": 4})
        );
        let place = serde_json::to_value(find(FILING).unwrap().form[1]).unwrap();
        assert_eq!(place["FieldType"], 6);
        let reason = serde_json::to_value(find(REIMBURSEMENT).unwrap().form[3]).unwrap();
        assert_eq!(
            (reason["FieldType"].as_u64(), reason["Options"].clone()),
            (
                Some(3),
                serde_json::json!(["异地急诊", "未持卡就医", "其他"])
            )
        );
    }
}
