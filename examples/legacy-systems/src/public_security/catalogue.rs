//! The matters (事项) the 县公安局 handles, as its catalogue lists them.

use super::records::{MATERIAL, MATTER, Out};

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
                .set("材料数", format!("{:02}", self.materials.len())),
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
        out
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
        applicant: Applicant::Organization,
        effect: Effect::Filing,
    },
];
