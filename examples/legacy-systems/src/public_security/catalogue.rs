//! The matters (事项) the 县公安局 handles, as its catalogue lists them.

use super::records::{FORM_FIELD, MATERIAL, MATTER, Out};

/// Who may apply for a matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicant {
    /// 自然人.
    Person,
    /// 法人或其他组织.
    Organization,
}

/// What finishing a matter does besides closing the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Registers the applicant as a resident and issues a 居民户口簿 page.
    MoveIn,
    /// Registers the newborn named in the form in the applicant's household.
    Birth,
    /// Re-issues the applicant's 居民身份证.
    IdCard,
    /// Issues a 居住证.
    ResidencePermit,
    /// Issues a paper 临时身份证明.
    TemporaryProof,
    /// Issues a paper permit.
    Permit,
    /// Files a 备案 and answers its number.
    Filing,
}

/// One material (材料) of a matter.
#[derive(Debug, Clone, Copy)]
pub struct Material {
    /// 材料编码.
    pub code: &'static str,
    /// 材料名称.
    pub name: &'static str,
    /// 必要标志.
    pub required: bool,
    /// 可替代证照.
    pub license: Option<&'static str>,
}

/// 字段类型 of a form field: what it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// `TX` 文本.
    Text,
    /// `RQ` 日期.
    Date,
    /// `SZ` 数字.
    Number,
    /// `XZ` 选择: one of the listed values.
    Choice(&'static [&'static str]),
    /// `SF` 公民身份号码.
    IdNumber,
    /// `XY` 统一社会信用代码.
    CreditCode,
    /// `DZ` 地址.
    Address,
}

impl FieldType {
    /// The code of the `12` record.
    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "TX",
            Self::Date => "RQ",
            Self::Number => "SZ",
            Self::Choice(_) => "XZ",
            Self::IdNumber => "SF",
            Self::CreditCode => "XY",
            Self::Address => "DZ",
        }
    }
}

/// 取值来源: the applicant's detail the window fills a field from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `XM` 姓名或名称.
    Name,
    /// `SF` 公民身份号码.
    IdNumber,
    /// `XY` 统一社会信用代码.
    CreditCode,
    /// `DZ` 住所或地址.
    Address,
    /// `DH` 联系电话.
    Phone,
    /// `FR` 法定代表人.
    LegalRepresentative,
}

impl Source {
    /// The code of the `12` record.
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "XM",
            Self::IdNumber => "SF",
            Self::CreditCode => "XY",
            Self::Address => "DZ",
            Self::Phone => "DH",
            Self::LegalRepresentative => "FR",
        }
    }
}

/// One field of a matter's application form (申请表), as `12` 表单项定义 declares it.
#[derive(Debug, Clone, Copy)]
pub struct FormField {
    /// 字段名: the name the `02` 表单项 of a `2001` carries.
    pub name: &'static str,
    /// 显示名称.
    pub label: &'static str,
    /// 字段类型.
    pub kind: FieldType,
    /// 必填标志: the department cannot handle the case without it.
    pub required: bool,
    /// 取值来源.
    pub source: Option<Source>,
}

/// The separator of 可选值 in a `12` record.
pub const OPTION_SEPARATOR: char = '|';

/// 印章类型 the department files (公章刻制备案).
pub const SEAL_TYPES: &[&str] = &[
    "单位公章",
    "财务专用章",
    "发票专用章",
    "合同专用章",
    "法定代表人名章",
];

/// One matter (事项) of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Matter {
    /// 事项编码.
    pub code: &'static str,
    /// 事项名称.
    pub name: &'static str,
    /// 事项类型 (XK 行政许可, QR 行政确认, … GF 公共服务).
    pub kind: &'static str,
    /// 法定时限, working days.
    pub legal_days: u32,
    /// 承诺时限, working days.
    pub promised_days: u32,
    /// 到现场次数.
    pub visits: u32,
    /// 网办标志.
    pub online: bool,
    /// 收费标准.
    pub fee: &'static str,
    /// 受理条件.
    pub conditions: &'static str,
    /// 材料清单.
    pub materials: &'static [Material],
    /// 申请表: the form fields, in the order the form asks them.
    pub form: &'static [FormField],
    /// Who may apply.
    pub applicant: Applicant,
    /// What finishing it does.
    pub effect: Effect,
}

impl Matter {
    /// The `10` record and its `11` records.
    pub fn records(&self) -> Vec<Out> {
        let mut out = vec![
            Out::new(&MATTER)
                .set("事项编码", self.code)
                .set("事项名称", self.name)
                .set("实施机构", super::DEPARTMENT)
                .set("事项类型", self.kind)
                .set("法定时限", format!("{:03}", self.legal_days))
                .set("承诺时限", format!("{:03}", self.promised_days))
                .set("到现场次数", self.visits.to_string())
                .set("网办标志", if self.online { "1" } else { "0" })
                .set("收费标准", self.fee)
                .set("受理条件", self.conditions)
                .set("材料数", format!("{:02}", self.materials.len()))
                .set("表单项数", format!("{:02}", self.form.len())),
        ];
        for m in self.materials {
            out.push(
                Out::new(&MATERIAL)
                    .set("材料编码", m.code)
                    .set("材料名称", m.name)
                    .set("必要标志", if m.required { "1" } else { "0" })
                    .set("可替代证照", m.license.unwrap_or_default()),
            );
        }
        for f in self.form {
            let options = match f.kind {
                FieldType::Choice(options) => options.join(&OPTION_SEPARATOR.to_string()),
                _ => String::new(),
            };
            out.push(
                Out::new(&FORM_FIELD)
                    .set("字段名", f.name)
                    .set("显示名称", f.label)
                    .set("字段类型", f.kind.code())
                    .set("必填标志", if f.required { "1" } else { "0" })
                    .set("取值来源", f.source.map_or("", Source::code))
                    .set("可选值", options),
            );
        }
        out
    }

    /// The declared form field named `name`.
    pub fn field(&self, name: &str) -> Option<&FormField> {
        self.form.iter().find(|f| f.name == name)
    }
}

/// Looks a matter up by its code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

const ID_CARD: Option<&str> = Some("居民身份证");
const BUSINESS_LICENSE: Option<&str> = Some("营业执照");

const fn m(
    code: &'static str,
    name: &'static str,
    required: bool,
    license: Option<&'static str>,
) -> Material {
    Material {
        code,
        name,
        required,
        license,
    }
}

const fn field(
    name: &'static str,
    label: &'static str,
    kind: FieldType,
    required: bool,
    source: Option<Source>,
) -> FormField {
    FormField {
        name,
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
const ETHNICITY: FormField = field("民族", "民族", FieldType::Text, false, None);

/// The catalogue, in the department's order.
pub static MATTERS: &[Matter] = &[
    Matter {
        code: "330122-GA-QR-001",
        name: "户口迁移（迁入）登记",
        kind: "QR",
        legal_days: 15,
        promised_days: 5,
        visits: 1,
        online: true,
        fee: "不收费",
        conditions: "在本县有合法稳定住所（含购房、租赁）、投靠直系亲属或经本县人才引进，拟将常住户口迁入本县的人员；已在本县登记常住户口的不能重复办理",
        materials: &[
            m("001", "居民身份证", true, ID_CARD),
            m("002", "户口迁移申请表", true, None),
            m(
                "003",
                "合法稳定住所证明（不动产权证书或租赁备案证明）",
                true,
                Some("不动产权证书"),
            ),
            m("004", "准予迁入证明或人才引进证明", false, None),
        ],
        form: &[
            field(
                "迁出地",
                "迁出地（原户籍所在地）",
                FieldType::Address,
                true,
                None,
            ),
            field("迁入地址", "迁入地址", FieldType::Address, true, None),
            field(
                "迁移原因",
                "迁移原因",
                FieldType::Choice(&["购房迁入", "投靠亲属", "人才引进", "其他"]),
                false,
                None,
            ),
            ETHNICITY,
            PHONE,
        ],
        applicant: Applicant::Person,
        effect: Effect::MoveIn,
    },
    Matter {
        code: "330122-GA-QR-002",
        name: "出生登记",
        kind: "QR",
        legal_days: 10,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "父母一方在本县登记常住户口的新生儿，由其监护人在出生后一个月内申报出生登记",
        materials: &[
            m("001", "申报人居民身份证", true, ID_CARD),
            m("002", "出生医学证明", true, None),
            m("003", "父母结婚证", false, None),
        ],
        form: &[
            field("新生儿姓名", "新生儿姓名", FieldType::Text, true, None),
            field(
                "新生儿性别",
                "新生儿性别",
                FieldType::Choice(&["男", "女"]),
                true,
                None,
            ),
            field("出生日期", "出生日期", FieldType::Date, true, None),
            ETHNICITY,
            PHONE,
        ],
        applicant: Applicant::Person,
        effect: Effect::Birth,
    },
    Matter {
        code: "330122-GA-QR-003",
        name: "居民身份证换领",
        kind: "QR",
        legal_days: 60,
        promised_days: 20,
        visits: 1,
        online: false,
        fee: "工本费20元",
        conditions: "在本县登记常住户口、居民身份证有效期满、证件损坏或登记项目变更的公民；须本人到场采集人像和指纹",
        materials: &[
            m("001", "原居民身份证", true, ID_CARD),
            m("002", "居民户口簿", true, Some("居民户口簿")),
            m("003", "近期免冠彩色照片（现场采集）", false, None),
        ],
        form: &[
            field(
                "换领原因",
                "换领原因",
                FieldType::Choice(&["有效期满", "证件损坏", "登记项目变更"]),
                false,
                None,
            ),
            PHONE,
        ],
        applicant: Applicant::Person,
        effect: Effect::IdCard,
    },
    Matter {
        code: "330122-GA-QR-004",
        name: "居住证办理",
        kind: "QR",
        legal_days: 15,
        promised_days: 7,
        visits: 0,
        online: true,
        fee: "首次申领不收费",
        conditions: "离开常住户口所在地，在本县居住半年以上，且有合法稳定就业、合法稳定住所或连续就读条件之一的公民",
        materials: &[
            m("001", "居民身份证", true, ID_CARD),
            m("002", "居住登记证明或租赁合同", true, None),
            m("003", "劳动合同或营业执照", false, BUSINESS_LICENSE),
        ],
        form: &[
            field("居住地址", "在本县居住地址", FieldType::Address, true, None),
            PHONE,
        ],
        applicant: Applicant::Person,
        effect: Effect::ResidencePermit,
    },
    Matter {
        code: "330122-GA-GF-001",
        name: "临时身份证明开具",
        kind: "GF",
        legal_days: 1,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "在本县登记常住户口、居民身份证丢失或正在办理期间急需证明身份的公民",
        materials: &[
            m("001", "居民户口簿", true, Some("居民户口簿")),
            m("002", "近期免冠照片", true, None),
        ],
        form: &[
            field(
                "开具原因",
                "开具原因",
                FieldType::Choice(&["居民身份证丢失", "居民身份证正在办理"]),
                false,
                None,
            ),
            PHONE,
        ],
        applicant: Applicant::Person,
        effect: Effect::TemporaryProof,
    },
    Matter {
        code: "330122-GA-XK-001",
        name: "旅馆业特种行业许可证核发",
        kind: "XK",
        legal_days: 20,
        promised_days: 10,
        visits: 1,
        online: true,
        fee: "不收费",
        conditions: "已取得营业执照、房屋建筑和消防安全符合要求、配备旅客住宿登记系统的旅馆经营单位",
        materials: &[
            m("001", "营业执照", true, BUSINESS_LICENSE),
            m("002", "法定代表人身份证明", true, ID_CARD),
            m("003", "经营场所平面图", true, None),
            m("004", "治安保卫制度及安全设施情况", true, None),
        ],
        form: &[
            field(
                "法定代表人",
                "法定代表人",
                FieldType::Text,
                false,
                Some(Source::LegalRepresentative),
            ),
            field(
                "经营场所",
                "经营场所地址",
                FieldType::Address,
                true,
                Some(Source::Address),
            ),
            field("客房数", "客房数（间）", FieldType::Number, false, None),
            PHONE,
        ],
        applicant: Applicant::Organization,
        effect: Effect::Permit,
    },
    Matter {
        code: "330122-GA-BA-001",
        name: "自行招用保安员单位备案",
        kind: "QT",
        legal_days: 15,
        promised_days: 5,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "自行招用保安员的机关、团体、企业、事业单位，自开始保安服务之日起30日内备案",
        materials: &[
            m("001", "营业执照或法人登记证书", true, BUSINESS_LICENSE),
            m("002", "法定代表人身份证明", true, ID_CARD),
            m("003", "保安员名单及保安员证", true, None),
            m("004", "保安服务管理制度", true, None),
        ],
        form: &[
            field(
                "保安员人数",
                "自行招用保安员人数",
                FieldType::Number,
                true,
                None,
            ),
            field(
                "保安服务开始日期",
                "开始保安服务日期",
                FieldType::Date,
                true,
                None,
            ),
            PHONE,
        ],
        applicant: Applicant::Organization,
        effect: Effect::Filing,
    },
    Matter {
        code: "330122-GA-BA-003",
        name: "公章刻制备案",
        kind: "QT",
        legal_days: 3,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "依法设立的企业、个体工商户、农民专业合作社等需要刻制公章的单位；新设立企业可在开办企业一件事中一并申请",
        materials: &[
            m("001", "营业执照", true, BUSINESS_LICENSE),
            m("002", "法定代表人身份证明", true, ID_CARD),
            m("003", "印章印模", true, None),
            m("004", "委托书（委托他人办理时提供）", false, None),
        ],
        form: &[
            // The seal bears the organization's registered name unless told otherwise.
            field(
                "印章名称",
                "印章名称（印文）",
                FieldType::Text,
                false,
                Some(Source::Name),
            ),
            field(
                "印章类型",
                "印章类型",
                FieldType::Choice(SEAL_TYPES),
                false,
                None,
            ),
        ],
        applicant: Applicant::Organization,
        effect: Effect::Filing,
    },
];
