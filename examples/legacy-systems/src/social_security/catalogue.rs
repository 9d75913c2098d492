//! The matters (事项) the 县人力资源和社会保障局 handles, as its 金保 catalogue lists them.

use serde_json::{Value, json};

/// One material (材料) of a matter.
#[derive(Debug, Clone, Copy)]
pub struct Material {
    /// bae010 材料编码.
    pub code: &'static str,
    /// bae011 材料名称.
    pub name: &'static str,
    /// bae012 是否必须.
    pub required: bool,
    /// bae013 可替代证照类型: a license that can stand in for the paper material.
    pub license_type: Option<&'static str>,
}

/// bae113 字段类型 of a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// 1 文本.
    Text,
    /// 2 日期 (yyyyMMdd or yyyy-MM-dd).
    Date,
    /// 3 数字.
    Number,
    /// 4 代码选择: one of bae116 可选值.
    Choice(&'static [&'static str]),
    /// 5 公民身份号码.
    IdNumber,
    /// 6 统一社会信用代码.
    CreditCode,
    /// 7 地址.
    Address,
}

impl FieldType {
    /// The bae113 code.
    pub fn code(self) -> u8 {
        match self {
            Self::Text => 1,
            Self::Date => 2,
            Self::Number => 3,
            Self::Choice(_) => 4,
            Self::IdNumber => 5,
            Self::CreditCode => 6,
            Self::Address => 7,
        }
    }
}

/// bae115 取值来源: the applicant's detail that fills a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// 1 姓名或单位名称.
    Name = 1,
    /// 2 公民身份号码.
    IdNumber = 2,
    /// 3 统一社会信用代码.
    CreditCode = 3,
    /// 4 地址.
    Address = 4,
    /// 5 联系电话.
    Phone = 5,
    /// 6 法定代表人.
    LegalRepresentative = 6,
}

/// One field of a matter's application form (bdxx 表单信息), as the catalogue declares it.
#[derive(Debug, Clone, Copy)]
pub struct FormField {
    /// bae110 字段名: the name a 业务申请 gives the value under.
    pub bae110: &'static str,
    /// bae112 显示名称.
    pub label: &'static str,
    /// bae113 字段类型 (with bae116 可选值 for a choice).
    pub kind: FieldType,
    /// bae114 是否必填: the department cannot handle the case without it.
    pub required: bool,
    /// bae115 取值来源.
    pub source: Option<Source>,
}

impl FormField {
    /// The field's record in 事项目录查询's `bdxx`.
    pub fn record(&self) -> Value {
        let mut record = json!({
            "bae110": self.bae110,
            "bae112": self.label,
            "bae113": self.kind.code(),
            "bae114": u8::from(self.required),
            "bae115": self.source.map(|s| s as u8),
        });
        if let FieldType::Choice(options) = self.kind {
            record["bae116"] = json!(options);
        }
        record
    }
}

/// Who may apply for a matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicants {
    /// 个人 only (bae101 = 1).
    Person,
    /// 单位 only (bae101 = 2).
    Organization,
    /// Either.
    Any,
}

/// What finishing a matter (60 办结, not denied) does to the card register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond the case itself.
    None,
    /// Issues a new 社会保障卡 to the applicant.
    IssueCard,
    /// Sets the applicant's usable cards to 3 正式挂失.
    ReportLoss,
    /// Cancels (4 注销) the applicant's cards and issues a new one.
    ReplaceCard,
}

/// A business rule checked when a case is submitted (a violation answers 3001).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No rule.
    None,
    /// The applicant must not hold a usable card (正常 or 临时挂失).
    NoUsableCard,
    /// The applicant must hold a usable card.
    HasUsableCard,
    /// The applicant must hold some card (of any state).
    HasCard,
    /// The applicant must not be in any basic pension insurance (110, 120, 170).
    NoPension,
    /// The applicant must be insured in 城乡居民基本养老保险 (170).
    ResidentPension,
    /// The applicant must be insured in 失业保险 (210).
    Unemployment,
}

/// One matter (事项) of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Matter {
    /// aaa121 事项编码.
    pub code: &'static str,
    /// aaa122 事项名称.
    pub name: &'static str,
    /// aaa123 事项类型 (1 行政许可 … 10 公共服务).
    pub kind: u8,
    /// bae001 法定办结时限, working days.
    pub legal_days: u32,
    /// bae002 承诺办结时限, working days.
    pub promised_days: u32,
    /// bae003 到现场次数.
    pub visits: u32,
    /// bae004 是否网上可办.
    pub online: bool,
    /// bae005 收费标准.
    pub fee: &'static str,
    /// bae006 受理条件.
    pub conditions: &'static str,
    /// clxx 材料清单.
    pub materials: &'static [Material],
    /// bdxx 表单信息: the application form's fields, in the order it asks them.
    pub form: &'static [FormField],
    /// Who may apply.
    pub applicants: Applicants,
    /// The rule checked on submission.
    pub rule: Rule,
    /// What finishing it does.
    pub effect: Effect,
}

impl Matter {
    /// The record of 事项目录查询.
    pub fn record(&self) -> Value {
        let materials: Vec<Value> = self
            .materials
            .iter()
            .map(|m| {
                json!({
                    "bae010": m.code,
                    "bae011": m.name,
                    "bae012": u8::from(m.required),
                    "bae013": m.license_type,
                })
            })
            .collect();
        json!({
            "aaa121": self.code,
            "aaa122": self.name,
            "aab300": super::DEPARTMENT,
            "aaa123": self.kind,
            "bae001": self.legal_days,
            "bae002": self.promised_days,
            "bae003": self.visits,
            "bae004": u8::from(self.online),
            "bae005": self.fee,
            "bae006": self.conditions,
            "clxx": materials,
            "bdxx": self.form.iter().map(FormField::record).collect::<Vec<_>>(),
        })
    }
}

/// Looks a matter up by its code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

const fn material(
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

const fn field(
    bae110: &'static str,
    label: &'static str,
    kind: FieldType,
    required: bool,
    source: Option<Source>,
) -> FormField {
    FormField {
        bae110,
        label,
        kind,
        required,
        source,
    }
}

const PHONE: FormField = field(
    "联系电话",
    "联系电话",
    FieldType::Text,
    false,
    Some(Source::Phone),
);
const BANK: FormField = field(
    "开户银行",
    "社会保障卡开户银行（不填由经办机构指定）",
    FieldType::Text,
    false,
    None,
);

const ID_CARD: Option<&str> = Some("居民身份证");
const SOCIAL_CARD: Option<&str> = Some("社会保障卡");
const BUSINESS_LICENSE: Option<&str> = Some("营业执照");

/// The catalogue, in the order 事项目录查询 pages through it.
pub static MATTERS: &[Matter] = &[
    Matter {
        code: "330122-RS-SB-001",
        name: "社会保障卡申领",
        kind: 10,
        legal_days: 20,
        promised_days: 5,
        visits: 0,
        online: true,
        fee: "首次申领不收费",
        conditions: "在本县参加社会保险或户籍在本县、尚未持有有效社会保障卡的人员；未满16周岁的由监护人代为申请。制卡完成后邮寄到家或到合作银行网点领取。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "近期免冠彩色证件照片（白底）", true, None),
            material(
                "003",
                "监护人居民身份证（未满16周岁申请人提供）",
                false,
                ID_CARD,
            ),
        ],
        form: &[
            BANK,
            field(
                "邮寄地址",
                "制卡后邮寄地址",
                FieldType::Address,
                false,
                Some(Source::Address),
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::NoUsableCard,
        effect: Effect::IssueCard,
    },
    Matter {
        code: "330122-RS-SB-002",
        name: "社会保障卡挂失",
        kind: 10,
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "持有本县发放的社会保障卡、卡片遗失或被盗的持卡人本人或其监护人。挂失后卡片的社保和金融功能均暂停使用。",
        materials: &[material("001", "居民身份证", true, ID_CARD)],
        form: &[
            field(
                "挂失原因",
                "挂失原因",
                FieldType::Choice(&["遗失", "被盗"]),
                false,
                None,
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::HasUsableCard,
        effect: Effect::ReportLoss,
    },
    Matter {
        code: "330122-RS-SB-003",
        name: "社会保障卡补换领",
        kind: 10,
        legal_days: 20,
        promised_days: 5,
        visits: 1,
        online: true,
        fee: "补领收取工本费20元；有效期满或卡面信息变更换领不收费",
        conditions: "持有本县发放的社会保障卡，卡片遗失、损坏、有效期满或卡面信息需要变更的持卡人。补换领后原卡注销。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "近期免冠彩色证件照片（白底）", true, None),
            material("003", "原社会保障卡（换领时交回）", false, SOCIAL_CARD),
        ],
        form: &[
            field(
                "补换领原因",
                "补换领原因（补领收取工本费）",
                FieldType::Choice(&["遗失补领", "损坏换领", "有效期满换领", "卡面信息变更换领"]),
                true,
                None,
            ),
            BANK,
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::HasCard,
        effect: Effect::ReplaceCard,
    },
    Matter {
        code: "330122-RS-YL-001",
        name: "城乡居民基本养老保险参保登记",
        kind: 10,
        legal_days: 5,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "年满16周岁（不含在校学生）、非国家机关和事业单位工作人员、不属于职工基本养老保险覆盖范围的本县户籍居民。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "居民户口簿", true, None),
        ],
        form: &[
            field(
                "缴费档次",
                "缴费档次（元/年）",
                FieldType::Choice(&[
                    "200", "300", "500", "800", "1000", "1500", "2000", "3000", "5000",
                ]),
                true,
                None,
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::NoPension,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-YL-002",
        name: "企业职工基本养老保险关系转移接续",
        kind: 10,
        legal_days: 15,
        promised_days: 10,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "跨统筹地区流动就业、在转出地参加企业职工基本养老保险并转入本县参保的人员。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "基本养老保险参保缴费凭证", true, None),
            material("003", "基本养老保险关系转移接续申请表", true, None),
        ],
        form: &[
            field(
                "转出地",
                "转出地社会保险经办机构",
                FieldType::Text,
                true,
                None,
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::None,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-YL-003",
        name: "城乡居民基本养老保险待遇申领",
        kind: 3,
        legal_days: 20,
        promised_days: 10,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "参加本县城乡居民基本养老保险、年满60周岁、累计缴费满15年，且未领取国家规定的基本养老保障待遇的人员。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "社会保障卡（待遇发放账户）", true, SOCIAL_CARD),
            material("003", "居民户口簿", false, None),
        ],
        form: &[
            field(
                "居住地址",
                "居住地址",
                FieldType::Address,
                false,
                Some(Source::Address),
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::ResidentPension,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-SY-001",
        name: "失业保险金申领",
        kind: 3,
        legal_days: 10,
        promised_days: 5,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "失业前用人单位和本人已按规定参加失业保险并缴费满一年、非因本人意愿中断就业、已进行失业登记并有求职要求的人员。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "解除或终止劳动关系证明", true, None),
            material("003", "社会保障卡（待遇发放账户）", false, SOCIAL_CARD),
        ],
        form: &[
            field(
                "离职日期",
                "解除或终止劳动关系日期",
                FieldType::Date,
                true,
                None,
            ),
            field("原工作单位", "原工作单位", FieldType::Text, false, None),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::Unemployment,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-JY-001",
        name: "就业创业证申领",
        kind: 10,
        legal_days: 5,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "在法定劳动年龄内、有劳动能力和就业要求的城乡劳动者，以及在本县创业、灵活就业的人员。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "近期免冠彩色证件照片", false, None),
        ],
        form: &[
            field(
                "就业状态",
                "就业状态",
                FieldType::Choice(&["就业", "创业", "灵活就业", "失业"]),
                false,
                None,
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::None,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-JY-002",
        name: "失业登记",
        kind: 10,
        legal_days: 5,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的本县常住城乡劳动者。",
        materials: &[
            material("001", "居民身份证", true, ID_CARD),
            material("002", "解除或终止劳动关系证明", false, None),
        ],
        form: &[
            field(
                "失业原因",
                "失业原因",
                FieldType::Choice(&["劳动合同期满", "用人单位解除", "本人辞职", "其他"]),
                false,
                None,
            ),
            PHONE,
        ],
        applicants: Applicants::Person,
        rule: Rule::None,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-GS-001",
        name: "工伤认定申请",
        kind: 2,
        legal_days: 60,
        promised_days: 20,
        visits: 1,
        online: true,
        fee: "不收费",
        conditions: "职工发生事故伤害或被诊断为职业病，所在单位自事故伤害发生之日或被诊断、鉴定为职业病之日起30日内提出；单位未提出的，职工或其近亲属、工会组织可在1年内提出。",
        materials: &[
            material("001", "工伤认定申请表", true, None),
            material("002", "与用人单位存在劳动关系的证明材料", true, None),
            material("003", "医疗诊断证明书或职业病诊断证明书", true, None),
            material("004", "用人单位营业执照", false, BUSINESS_LICENSE),
            material("005", "受伤害职工居民身份证", true, ID_CARD),
        ],
        form: &[
            field(
                "受伤害职工姓名",
                "受伤害职工姓名",
                FieldType::Text,
                true,
                None,
            ),
            field(
                "受伤害职工公民身份号码",
                "受伤害职工公民身份号码",
                FieldType::IdNumber,
                true,
                None,
            ),
            field("事故发生日期", "事故发生日期", FieldType::Date, true, None),
            field("用人单位名称", "用人单位名称", FieldType::Text, false, None),
            field("事故经过", "事故经过简述", FieldType::Text, false, None),
            PHONE,
        ],
        applicants: Applicants::Any,
        rule: Rule::None,
        effect: Effect::None,
    },
    Matter {
        code: "330122-RS-DW-001",
        name: "用人单位社会保险登记",
        kind: 10,
        legal_days: 15,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "在本县依法设立的企业、个体经济组织、民办非企业单位等用人单位，自成立之日起30日内办理。",
        materials: &[
            material("001", "营业执照或其他登记证书", true, BUSINESS_LICENSE),
            material("002", "法定代表人居民身份证", true, ID_CARD),
            material("003", "单位银行开户信息", true, None),
        ],
        form: &[
            field(
                "法定代表人",
                "法定代表人",
                FieldType::Text,
                true,
                Some(Source::LegalRepresentative),
            ),
            field(
                "单位地址",
                "单位地址",
                FieldType::Address,
                true,
                Some(Source::Address),
            ),
            PHONE,
        ],
        applicants: Applicants::Organization,
        rule: Rule::None,
        effect: Effect::None,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_consistent() {
        assert!(MATTERS.len() > 10, "more than one page of 10");
        for (i, m) in MATTERS.iter().enumerate() {
            assert!(m.code.starts_with("330122-RS-"), "{}", m.code);
            assert!(m.promised_days <= m.legal_days, "{}", m.name);
            assert!([1, 2, 3, 4, 5, 9, 10].contains(&m.kind), "{}", m.name);
            assert!(!m.materials.is_empty(), "{}", m.name);
            assert!(
                MATTERS[..i].iter().all(|o| o.code != m.code),
                "{} twice",
                m.code
            );
            for (j, f) in m.form.iter().enumerate() {
                assert!(
                    m.form[..j].iter().all(|o| o.bae110 != f.bae110),
                    "{} twice in {}",
                    f.bae110,
                    m.name
                );
                assert!(!["模拟结果", "不予办理原因"].contains(&f.bae110));
            }
        }
        assert!(find("330122-RS-SB-001").is_some());
        assert!(find("330122-RS-SB-999").is_none());
    }
}
