//! The matters (事项) the 县市场监督管理局 handles, as its catalogue lists them.

use crate::common::xml::Element;

/// One material (材料) of a matter.
#[derive(Debug, Clone, Copy)]
pub struct Material {
    /// 材料编码.
    pub code: &'static str,
    /// 材料名称.
    pub name: &'static str,
    /// 是否必须.
    pub required: bool,
    /// 可替代证照类型: a license that can stand in for the paper material.
    pub replaceable_by: Option<&'static str>,
}

/// One matter (事项) of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Matter {
    /// 事项编码.
    pub code: &'static str,
    /// 事项名称.
    pub name: &'static str,
    /// 事项类型 code (01 行政许可 … 10 公共服务).
    pub kind: &'static str,
    /// 法定办结时限, working days.
    pub legal_days: u32,
    /// 承诺办结时限, working days.
    pub promised_days: u32,
    /// 到现场次数.
    pub visits: u32,
    /// 是否网办.
    pub online: bool,
    /// 收费标准.
    pub fee: &'static str,
    /// 受理条件.
    pub conditions: &'static str,
    /// 材料清单.
    pub materials: &'static [Material],
}

impl Matter {
    /// Whether finishing this matter issues a 营业执照.
    pub fn issues_business_license(&self) -> bool {
        matches!(self.name, "企业设立登记" | "营业执照遗失补领")
    }

    /// The `<SX>` element of `CXSXQD`.
    pub fn sx_element(&self) -> Element {
        let mut materials = Element::new("CLQD");
        for m in self.materials {
            let mut cl = Element::new("CL")
                .field("CLBM", m.code)
                .field("CLMC", m.name)
                .field("SFBX", if m.required { "1" } else { "0" });
            if let Some(kind) = m.replaceable_by {
                cl = cl.field("ZZLX", kind);
            }
            materials.push(cl);
        }
        Element::new("SX")
            .field("SXBM", self.code)
            .field("SXMC", self.name)
            .field("SSBM", super::DEPARTMENT)
            .field("SXLX", self.kind)
            .field("FDBJSX", self.legal_days.to_string())
            .field("CNBJSX", self.promised_days.to_string())
            .field("DXCCS", self.visits.to_string())
            .field("SFWB", if self.online { "1" } else { "0" })
            .field("SFBZ", self.fee)
            .field("SLTJ", self.conditions)
            .child(materials)
    }
}

/// Looks a matter up by its code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

const ID_CARD: Option<&str> = Some("居民身份证");
const LICENSE: Option<&str> = Some("营业执照");

const fn req(code: &'static str, name: &'static str) -> Material {
    Material {
        code,
        name,
        required: true,
        replaceable_by: None,
    }
}

const fn opt(code: &'static str, name: &'static str) -> Material {
    Material {
        code,
        name,
        required: false,
        replaceable_by: None,
    }
}

const fn by(material: Material, license: Option<&'static str>) -> Material {
    Material {
        replaceable_by: license,
        ..material
    }
}

/// The catalogue, in the department's order.
pub static MATTERS: &[Matter] = &[
    Matter {
        code: "330122-SCJG-XK-001",
        name: "企业设立登记",
        kind: "01",
        legal_days: 15,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "申请人具有相应的民事行为能力；企业名称符合《企业名称登记管理规定》且不与同一登记机关已登记企业名称相同；有符合规定的住所；经营范围中属于依法须经批准的项目已取得许可；申请材料齐全、符合法定形式。",
        materials: &[
            req("001", "公司登记（备案）申请书"),
            req("002", "公司章程"),
            by(req("003", "法定代表人身份证明"), ID_CARD),
            by(req("004", "股东主体资格证明或自然人身份证明"), ID_CARD),
            req("005", "住所使用相关文件"),
            opt("006", "法律、行政法规规定设立公司必须报经批准的批准文件"),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-002",
        name: "企业变更登记",
        kind: "01",
        legal_days: 15,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "企业已依法登记且营业执照有效；变更事项依法作出决议或决定；变更后的登记事项符合法律、行政法规规定；申请材料齐全、符合法定形式。",
        materials: &[
            req("001", "公司登记（备案）申请书"),
            req("002", "关于变更事项的决议或者决定"),
            opt("003", "章程修正案或修改后的章程"),
            by(req("004", "营业执照正、副本"), LICENSE),
            by(opt("005", "新任法定代表人身份证明"), ID_CARD),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-003",
        name: "企业注销登记",
        kind: "01",
        legal_days: 15,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "企业已依法清算完毕，清算报告已经股东会或者出资人确认；已结清应缴税款及社会保险费；无未结清的债权债务或已作出妥善安排；未被列入严重违法失信名单。",
        materials: &[
            req("001", "企业注销登记申请书"),
            req("002", "依法作出解散的决议或者决定"),
            req("003", "经确认的清算报告"),
            req("004", "清税证明"),
            by(req("005", "营业执照正、副本"), LICENSE),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-004",
        name: "食品经营许可",
        kind: "01",
        legal_days: 20,
        promised_days: 5,
        visits: 1,
        online: true,
        fee: "不收费",
        conditions: "具有与经营的食品品种、数量相适应的经营场所，并与有毒、有害场所及其他污染源保持规定的距离；具有相应的设备设施；有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；具有合理的设备布局和工艺流程。",
        materials: &[
            req("001", "食品经营许可申请书"),
            by(req("002", "营业执照或者其他主体资格证明文件"), LICENSE),
            req("003", "与食品经营相适应的主要设备设施布局、操作流程等文件"),
            req(
                "004",
                "食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等保证食品安全的规章制度",
            ),
            by(opt("005", "食品安全管理人员身份证明"), ID_CARD),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-005",
        name: "食品经营许可变更",
        kind: "01",
        legal_days: 20,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "食品经营许可证在有效期内；变更事项符合食品经营许可条件；经营场所改变的应当重新申请食品经营许可。",
        materials: &[
            req("001", "食品经营许可变更申请书"),
            req("002", "与变更食品经营许可事项有关的材料"),
            by(req("003", "营业执照"), LICENSE),
            opt("004", "食品经营许可证正、副本"),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-006",
        name: "个体工商户设立登记",
        kind: "01",
        legal_days: 15,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "经营者为有经营能力的自然人；有固定的经营场所；经营范围不属于法律、行政法规禁止进入的行业；个体工商户名称符合规定。",
        materials: &[
            req("001", "个体工商户登记（备案）申请书"),
            by(req("002", "经营者身份证明"), ID_CARD),
            req("003", "经营场所使用相关文件"),
            opt("004", "家庭经营的家庭成员关系证明"),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-007",
        name: "个体工商户注销登记",
        kind: "01",
        legal_days: 15,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "个体工商户已结清应缴税款，无未结清的债权债务，未处于被行政机关立案调查或者被司法机关冻结的状态。",
        materials: &[
            req("001", "个体工商户注销登记申请书"),
            by(req("002", "营业执照正、副本"), LICENSE),
            by(req("003", "经营者身份证明"), ID_CARD),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-008",
        name: "农民专业合作社设立登记",
        kind: "01",
        legal_days: 20,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "有五名以上符合规定的成员，其中农民至少占成员总数的百分之八十；有符合规定的章程、组织机构、名称和住所；有符合章程规定的成员出资。",
        materials: &[
            req("001", "农民专业合作社登记申请书"),
            req("002", "全体设立人签名、盖章的设立大会纪要"),
            req("003", "全体设立人签名、盖章的章程"),
            req("004", "成员名册及成员出资清单"),
            by(req("005", "法定代表人、理事的任职文件及身份证明"), ID_CARD),
            req("006", "住所使用证明"),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-009",
        name: "广告发布登记",
        kind: "01",
        legal_days: 20,
        promised_days: 5,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "申请人为广播电台、电视台、报刊出版单位；具有直接发布广告的媒介或者手段；设有专门从事广告业务的机构，配有广告从业人员和熟悉广告法律法规的广告审查人员；有与广告发布相适应的场所、设备。",
        materials: &[
            req("001", "广告发布登记申请表"),
            by(req("002", "营业执照或事业单位法人证书"), LICENSE),
            req("003", "相关媒体批准文件"),
            req("004", "广告业务机构和广告审查人员证明文件"),
            opt("005", "广告业务管理制度"),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-010",
        name: "特种设备使用登记",
        kind: "01",
        legal_days: 15,
        promised_days: 5,
        visits: 1,
        online: true,
        fee: "不收费（定期检验费用按规定另行缴纳）",
        conditions: "特种设备已经监督检验或定期检验合格；使用单位已配备取得相应资格的作业人员和安全管理人员；已建立特种设备安全管理制度和岗位责任制。",
        materials: &[
            req("001", "特种设备使用登记表"),
            by(req("002", "使用单位统一社会信用代码证明"), LICENSE),
            req("003", "特种设备产品合格证"),
            req("004", "监督检验证明或定期检验报告"),
            opt("005", "机动车行驶证（场车）"),
        ],
    },
    Matter {
        code: "330122-SCJG-XK-011",
        name: "计量器具型式批准",
        kind: "01",
        legal_days: 20,
        promised_days: 15,
        visits: 1,
        online: false,
        fee: "不收费",
        conditions: "申请单位为计量器具制造单位；计量器具已完成设计定型，样机已经具有资质的技术机构型式评价合格；计量器具符合国家计量技术法规的要求。",
        materials: &[
            req("001", "计量器具型式批准申请书"),
            by(req("002", "申请单位营业执照"), LICENSE),
            req("003", "型式评价报告"),
            req("004", "计量器具照片及使用说明书"),
        ],
    },
    Matter {
        code: "330122-SCJG-QR-001",
        name: "股权出质设立登记",
        kind: "02",
        legal_days: 5,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "出质股权依法可以转让和出质；股权未被人民法院冻结；质押合同已签订且出质人、质权人均同意办理出质登记。",
        materials: &[
            req("001", "股权出质设立登记申请书"),
            req("002", "质押合同"),
            by(req("003", "出质人主体资格证明或自然人身份证明"), ID_CARD),
            by(req("004", "质权人主体资格证明或自然人身份证明"), ID_CARD),
        ],
    },
    Matter {
        code: "330122-SCJG-QR-002",
        name: "动产抵押登记",
        kind: "02",
        legal_days: 5,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "抵押人为企业、个体工商户或农业生产经营者；抵押财产为现有的或者将有的生产设备、原材料、半成品、产品；当事人已签订书面抵押合同。",
        materials: &[
            req("001", "动产抵押登记书"),
            req("002", "抵押合同"),
            by(req("003", "抵押人主体资格证明"), LICENSE),
            opt("004", "抵押财产清单"),
        ],
    },
    Matter {
        code: "330122-SCJG-QT-001",
        name: "企业经营异常名录移出",
        kind: "09",
        legal_days: 5,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "被列入经营异常名录的情形已经消除：已补报未报年度的年度报告并公示，或已更正其公示的信息，或依法办理住所变更登记，或已与企业取得联系。",
        materials: &[
            req("001", "移出经营异常名录申请书"),
            by(req("002", "营业执照"), LICENSE),
            req("003", "列入经营异常名录情形消除的证明材料"),
        ],
    },
    Matter {
        code: "330122-SCJG-JL-001",
        name: "食品安全违法行为举报奖励",
        kind: "05",
        legal_days: 30,
        promised_days: 20,
        visits: 1,
        online: false,
        fee: "不收费",
        conditions: "举报事项已立案查处并作出行政处罚决定或移送司法机关；举报人提供的主要违法事实、线索和证据事先未被市场监督管理部门掌握；举报人为实名举报。",
        materials: &[
            req("001", "举报奖励申领表"),
            by(req("002", "举报人身份证明"), ID_CARD),
            req("003", "银行账户信息"),
        ],
    },
    Matter {
        code: "330122-SCJG-GG-001",
        name: "营业执照遗失补领",
        kind: "10",
        legal_days: 10,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "企业已依法登记且未被吊销、注销；营业执照原件遗失或者毁损，已通过国家企业信用信息公示系统发布作废声明。",
        materials: &[
            req("001", "营业执照补领申请书"),
            req("002", "遗失作废声明"),
            by(req("003", "法定代表人身份证明"), ID_CARD),
        ],
    },
    Matter {
        code: "330122-SCJG-GG-002",
        name: "消费者投诉举报受理",
        kind: "10",
        legal_days: 7,
        promised_days: 5,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "有明确的被投诉人；有具体的投诉请求以及消费者权益争议事实；属于本部门管辖范围。",
        materials: &[
            req("001", "投诉举报登记表"),
            by(req("002", "投诉人身份证明"), ID_CARD),
            opt("003", "购货凭证或服务单据"),
            opt("004", "相关证据材料"),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        assert!(MATTERS.len() >= 12);
        for m in MATTERS {
            assert!(m.promised_days <= m.legal_days, "{}", m.name);
            assert!((3..=6).contains(&m.materials.len()), "{}", m.name);
            assert!(MATTERS.iter().filter(|o| o.code == m.code).count() == 1);
            assert!(["01", "02", "03", "04", "05", "09", "10"].contains(&m.kind));
        }
        for name in [
            "企业设立登记",
            "企业变更登记",
            "企业注销登记",
            "食品经营许可",
            "食品经营许可变更",
            "个体工商户设立登记",
            "个体工商户注销登记",
            "农民专业合作社设立登记",
            "营业执照遗失补领",
            "广告发布登记",
            "特种设备使用登记",
            "计量器具型式批准",
        ] {
            assert!(MATTERS.iter().any(|m| m.name == name), "{name}");
        }
    }
}
