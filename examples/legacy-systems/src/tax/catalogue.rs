//! The department's matters (事项清单) and their guides.

use super::protocol::Reply;

/// One material of a matter's guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Material {
    /// 材料编码.
    pub code: &'static str,
    /// 材料名称.
    pub name: &'static str,
    /// 是否必须.
    pub required: bool,
    /// 可替代证照类型: the license that can stand in for it.
    pub license_type: Option<&'static str>,
}

/// 字段类型 (`lx`) of a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// WB 文本.
    Text,
    /// RQ 日期 (yyyy-MM-dd).
    Date,
    /// SZ 数字.
    Number,
    /// XZ 选项: one of `xx`.
    Choice(&'static [&'static str]),
    /// SFZ 居民身份证号码.
    IdNumber,
    /// NSRSBH 纳税人识别号 (统一社会信用代码).
    CreditCode,
    /// DZ 地址.
    Address,
}

impl FieldType {
    /// The `lx` code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "WB",
            Self::Date => "RQ",
            Self::Number => "SZ",
            Self::Choice(_) => "XZ",
            Self::IdNumber => "SFZ",
            Self::CreditCode => "NSRSBH",
            Self::Address => "DZ",
        }
    }
}

/// 取值来源 (`ly`): the applicant's basic detail (申请人基本信息) that fills a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// MC 名称或姓名.
    Name,
    /// SFZ 居民身份证号码.
    IdNumber,
    /// NSRSBH 纳税人识别号.
    CreditCode,
    /// DZ 地址.
    Address,
    /// LXDH 联系电话.
    Phone,
    /// FDDBR 法定代表人.
    LegalRepresentative,
}

impl Source {
    /// The `ly` code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "MC",
            Self::IdNumber => "SFZ",
            Self::CreditCode => "NSRSBH",
            Self::Address => "DZ",
            Self::Phone => "LXDH",
            Self::LegalRepresentative => "FDDBR",
        }
    }
}

/// One field of a matter's application form (`sx.{n}.bd.{k}`): what `BJSB` sends
/// back as `bd.{k}.mc`/`bd.{k}.z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// mc 字段名称: the name the value is submitted under.
    pub name: &'static str,
    /// bq 显示标签.
    pub label: &'static str,
    /// lx 字段类型.
    pub kind: FieldType,
    /// bt 是否必填.
    pub required: bool,
    /// ly 取值来源.
    pub source: Option<Source>,
}

/// Who may apply for a matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicants {
    /// 单位纳税人 only (sqrlx=2).
    Units,
    /// 自然人 only (sqrlx=1).
    Persons,
    /// Either.
    Anyone,
}

/// What the system needs to know of an organisation applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Nothing: unknown taxpayers are registered on the way (新办纳税人).
    RegistersNew,
    /// The taxpayer must already be registered here.
    Required,
    /// The matter does not concern a registered taxpayer.
    NotNeeded,
}

/// A matter in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Matter {
    /// 事项编码.
    pub code: &'static str,
    /// 事项名称.
    pub name: &'static str,
    /// 事项类型 (sxlx).
    pub kind: &'static str,
    /// 法定办结时限, working days.
    pub legal_days: u32,
    /// 承诺办结时限, working days.
    pub promised_days: u32,
    /// 到办事现场次数.
    pub visits: u32,
    /// 是否网办.
    pub online: bool,
    /// 收费标准.
    pub fee: &'static str,
    /// 受理条件.
    pub conditions: &'static str,
    /// 申请材料.
    pub materials: &'static [Material],
    /// 表单: the application form's fields, in the order the form asks them.
    /// `模拟结果` and `不予核准原因` are the mock's test switches, not fields.
    pub form: &'static [Field],
    /// Who may apply.
    pub applicants: Applicants,
    /// What an organisation applicant needs.
    pub registration: Registration,
    /// Whether it concerns invoices, which a 非正常户 cannot have.
    pub invoices: bool,
    /// Whether completing it issues a 发票领用 record.
    pub issues_record: bool,
}

/// 发票申领, the matter of the platform's 开办企业 theme.
pub const INVOICE_APPLICATION: &str = "330122-SW-FP-001";

const fn m(
    code: &'static str,
    name: &'static str,
    required: bool,
    license_type: Option<&'static str>,
) -> Material {
    Material {
        code,
        name,
        required,
        license_type,
    }
}

/// A required field.
const fn must(name: &'static str, label: &'static str, kind: FieldType) -> Field {
    Field {
        name,
        label,
        kind,
        required: true,
        source: None,
    }
}

/// An optional field.
const fn may(name: &'static str, label: &'static str, kind: FieldType) -> Field {
    Field {
        required: false,
        ..must(name, label, kind)
    }
}

/// `field`, filled from the applicant's basic details.
const fn from(field: Field, source: Source) -> Field {
    Field {
        source: Some(source),
        ..field
    }
}

/// 发票种类, as the records name them.
const INVOICE_KINDS: FieldType = FieldType::Choice(&[
    "数电发票（增值税普通发票）",
    "数电发票（增值税专用发票、增值税普通发票）",
    "增值税专用发票（纸质）",
]);
/// 单份发票最高开票限额.
const AMOUNTS: FieldType = FieldType::Choice(&["一万元", "十万元", "一百万元", "一千万元"]);
/// 领用方式.
const DELIVERIES: FieldType = FieldType::Choice(&["网上申领，邮寄送达", "办税服务厅领取"]);

const LICENSE: Option<&str> = Some("营业执照");
const ID_CARD: Option<&str> = Some("居民身份证");

/// The catalogue, in the order `SXQD` lists it.
pub const MATTERS: &[Matter] = &[
    Matter {
        code: "330122-SW-DJ-001",
        name: "税务登记信息确认",
        kind: "QR",
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "已在市场监督管理部门办理设立登记、领取加载统一社会信用代码营业执照的单位纳税人，首次办理涉税事项时确认税务登记信息",
        materials: &[
            m("001", "营业执照", true, LICENSE),
            m("002", "经办人身份证件", true, ID_CARD),
            m("003", "新办纳税人涉税事项综合申请表", false, None),
        ],
        form: &[
            from(
                must("生产经营地址", "生产经营地址", FieldType::Address),
                Source::Address,
            ),
            must(
                "会计核算方式",
                "会计核算方式",
                FieldType::Choice(&["独立核算自负盈亏", "独立核算盈亏汇总", "非独立核算"]),
            ),
            must("财务负责人", "财务负责人", FieldType::Text),
            may("办税人员", "办税人员", FieldType::Text),
            from(must("联系电话", "联系电话", FieldType::Text), Source::Phone),
        ],
        applicants: Applicants::Units,
        registration: Registration::RegistersNew,
        invoices: false,
        issues_record: false,
    },
    Matter {
        code: INVOICE_APPLICATION,
        name: "发票申领",
        kind: "GG",
        legal_days: 5,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "已办理税务登记信息确认的单位纳税人；新设立企业可在开办企业一件事中与设立登记一并申领，由税务机关同步确认税务登记信息并核定票种",
        materials: &[
            m("001", "营业执照", true, LICENSE),
            m("002", "经办人身份证件", true, ID_CARD),
            m("003", "纳税人领用发票票种核定表", false, None),
        ],
        form: &[
            may("发票种类", "发票种类", INVOICE_KINDS),
            may("单份发票最高开票限额", "单份发票最高开票限额", AMOUNTS),
            may(
                "每月最高领用数量",
                "每月最高领用数量（如：25份）",
                FieldType::Text,
            ),
            may("领用方式", "领用方式", DELIVERIES),
            may("经办人", "经办人（办税人员）", FieldType::Text),
            from(
                may("法定代表人", "法定代表人", FieldType::Text),
                Source::LegalRepresentative,
            ),
        ],
        applicants: Applicants::Units,
        registration: Registration::RegistersNew,
        invoices: true,
        issues_record: true,
    },
    Matter {
        code: "330122-SW-FP-002",
        name: "发票票种核定",
        kind: "QT",
        legal_days: 20,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "已办理税务登记、需要领用发票的单位纳税人，申请核定或调整发票种类、单份最高开票限额和每月最高领用数量",
        materials: &[
            m("001", "纳税人领用发票票种核定表", true, None),
            m("002", "营业执照", true, LICENSE),
            m("003", "经办人身份证件", true, ID_CARD),
            m("004", "发票专用章印模", false, None),
        ],
        form: &[
            must("发票种类", "发票种类", INVOICE_KINDS),
            must("单份发票最高开票限额", "单份发票最高开票限额", AMOUNTS),
            must(
                "每月最高领用数量",
                "每月最高领用数量（如：25份）",
                FieldType::Text,
            ),
        ],
        applicants: Applicants::Units,
        registration: Registration::Required,
        invoices: true,
        issues_record: false,
    },
    Matter {
        code: "330122-SW-XK-001",
        name: "增值税专用发票（增值税税控系统）最高开票限额审批",
        kind: "XK",
        legal_days: 20,
        promised_days: 10,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "增值税一般纳税人或选择自行开具增值税专用发票的小规模纳税人；申请最高开票限额为十万元及以下的，即时办结",
        materials: &[
            m("001", "税务行政许可申请表", true, None),
            m("002", "增值税专用发票最高开票限额申请单", true, None),
            m("003", "营业执照", true, LICENSE),
            m("004", "经办人身份证件", true, ID_CARD),
        ],
        form: &[
            must(
                "申请最高开票限额",
                "申请最高开票限额",
                FieldType::Choice(&["十万元", "一百万元", "一千万元"]),
            ),
            must("申请理由", "申请理由", FieldType::Text),
        ],
        applicants: Applicants::Units,
        registration: Registration::Required,
        invoices: true,
        issues_record: false,
    },
    Matter {
        code: "330122-SW-QS-001",
        name: "清税申报",
        kind: "QT",
        legal_days: 20,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "拟向市场监督管理部门申请注销登记的纳税人，已结清应纳税款、滞纳金、罚款并缴销发票",
        materials: &[
            m("001", "清税申报表", true, None),
            m("002", "营业执照", true, LICENSE),
            m("003", "经办人身份证件", true, ID_CARD),
            m("004", "上级主管部门批复文件或董事会决议", false, None),
        ],
        form: &[
            must(
                "清税原因",
                "清税原因",
                FieldType::Choice(&["决议解散", "依法被吊销营业执照", "依法被撤销登记", "其他"]),
            ),
            may("清税说明", "清税说明", FieldType::Text),
        ],
        applicants: Applicants::Units,
        registration: Registration::Required,
        invoices: false,
        issues_record: false,
    },
    Matter {
        code: "330122-SW-FP-003",
        name: "代开增值税发票",
        kind: "GG",
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "已办理税务登记的小规模纳税人，以及临时取得应税收入、需要开具增值税发票的自然人",
        materials: &[
            m("001", "代开增值税发票缴纳税款申报单", true, None),
            m("002", "合同、协议或其他证明交易的材料", true, None),
            m("003", "申请人身份证件", true, ID_CARD),
        ],
        form: &[
            must("购买方名称", "购买方名称", FieldType::Text),
            may(
                "购买方纳税人识别号",
                "购买方纳税人识别号",
                FieldType::CreditCode,
            ),
            must(
                "货物或应税劳务名称",
                "货物或应税劳务、服务名称",
                FieldType::Text,
            ),
            must("金额", "金额（元，含税）", FieldType::Number),
        ],
        applicants: Applicants::Anyone,
        registration: Registration::NotNeeded,
        invoices: true,
        issues_record: false,
    },
    Matter {
        code: "330122-SW-ZM-001",
        name: "开具个人所得税纳税记录",
        kind: "GG",
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "在中国境内负有个人所得税纳税义务的自然人",
        materials: &[m("001", "居民身份证", true, ID_CARD)],
        form: &[
            must("开具期间起", "开具期间起", FieldType::Date),
            must("开具期间止", "开具期间止", FieldType::Date),
            may("用途", "用途", FieldType::Text),
        ],
        applicants: Applicants::Persons,
        registration: Registration::NotNeeded,
        invoices: false,
        issues_record: false,
    },
];

/// The matter with this code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

impl Matter {
    /// Writes the matter as `sx.{n}.*` lines.
    pub fn write(&self, reply: &mut Reply, n: usize) {
        let p = format!("sx.{n}");
        let yn = |b: bool| if b { "Y" } else { "N" };
        reply
            .line(format!("{p}.bm"), self.code)
            .line(format!("{p}.mc"), self.name)
            .line(format!("{p}.ssjg"), super::DEPARTMENT)
            .line(format!("{p}.sxlx"), self.kind)
            .line(format!("{p}.fdsx"), self.legal_days.to_string())
            .line(format!("{p}.cnsx"), self.promised_days.to_string())
            .line(format!("{p}.dccs"), self.visits.to_string())
            .line(format!("{p}.wb"), yn(self.online))
            .line(format!("{p}.sfbz"), self.fee)
            .line(format!("{p}.sltj"), self.conditions)
            .line(format!("{p}.cl.ts"), self.materials.len().to_string());
        for (i, material) in self.materials.iter().enumerate() {
            let c = format!("{p}.cl.{}", i + 1);
            reply
                .line(format!("{c}.bm"), material.code)
                .line(format!("{c}.mc"), material.name)
                .line(format!("{c}.bx"), yn(material.required));
            if let Some(license_type) = material.license_type {
                reply.line(format!("{c}.zzlx"), license_type);
            }
        }
        reply.line(format!("{p}.bd.ts"), self.form.len().to_string());
        for (i, field) in self.form.iter().enumerate() {
            let f = format!("{p}.bd.{}", i + 1);
            reply
                .line(format!("{f}.mc"), field.name)
                .line(format!("{f}.bq"), field.label)
                .line(format!("{f}.lx"), field.kind.code());
            if let FieldType::Choice(options) = field.kind {
                reply.line(format!("{f}.xx.ts"), options.len().to_string());
                for (j, option) in options.iter().enumerate() {
                    reply.line(format!("{f}.xx.{}.z", j + 1), *option);
                }
            }
            reply.line(format!("{f}.bt"), yn(field.required));
            if let Some(source) = field.source {
                reply.line(format!("{f}.ly"), source.code());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guides_are_consistent() {
        assert!(MATTERS.len() >= 6);
        for matter in MATTERS {
            assert!(matter.promised_days <= matter.legal_days, "{}", matter.name);
            assert!(matter.code.starts_with("330122-SW-"), "{}", matter.code);
            assert_eq!(MATTERS.iter().filter(|m| m.code == matter.code).count(), 1);
        }
        for matter in MATTERS {
            assert!(!matter.form.is_empty(), "{}", matter.name);
            for field in matter.form {
                assert_eq!(
                    matter.form.iter().filter(|f| f.name == field.name).count(),
                    1
                );
                assert!(!["模拟结果", "不予核准原因", "不予许可原因"].contains(&field.name));
            }
        }
        let invoices = find(INVOICE_APPLICATION).unwrap();
        // What the record of a 发票申领 is made of, each with its default.
        for name in [
            "发票种类",
            "单份发票最高开票限额",
            "每月最高领用数量",
            "领用方式",
            "经办人",
        ] {
            let field = invoices.form.iter().find(|f| f.name == name).unwrap();
            assert!(!field.required, "{name} has a default");
        }
        assert_eq!(invoices.name, "发票申领");
        assert_eq!(invoices.promised_days, 1);
        assert!(invoices.issues_record);
        assert_eq!(MATTERS.iter().filter(|m| m.issues_record).count(), 1);
    }
}
