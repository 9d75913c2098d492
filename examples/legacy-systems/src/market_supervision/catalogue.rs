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

/// 字段类型 (ZDLX) of a form field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// WB 文本.
    Text,
    /// RQ 日期 (yyyy-MM-dd).
    Date,
    /// SZ 数字.
    Number,
    /// XZ 选择: one of the options (KXZ, separated by `|`).
    Choice(&'static [&'static str]),
    /// SFZ 公民身份号码.
    IdNumber,
    /// XYDM 统一社会信用代码.
    CreditCode,
    /// DZ 地址.
    Address,
}

impl FieldType {
    /// The ZDLX code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Text => "WB",
            Self::Date => "RQ",
            Self::Number => "SZ",
            Self::Choice(_) => "XZ",
            Self::IdNumber => "SFZ",
            Self::CreditCode => "XYDM",
            Self::Address => "DZ",
        }
    }
}

/// 数据来源 (SJLY): which of the applicant's basic details (申请人基本信息) fills a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// MC 申请人名称.
    Name,
    /// ZJHM 公民身份号码.
    IdNumber,
    /// XYDM 统一社会信用代码.
    CreditCode,
    /// ZS 住所（地址）.
    Address,
    /// LXDH 联系电话.
    Phone,
    /// FDDBR 法定代表人.
    LegalRepresentative,
}

impl Source {
    /// The SJLY code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "MC",
            Self::IdNumber => "ZJHM",
            Self::CreditCode => "XYDM",
            Self::Address => "ZS",
            Self::Phone => "LXDH",
            Self::LegalRepresentative => "FDDBR",
        }
    }
}

/// One field (ZD) of a matter's application form (表单清单), as `BJSB` sends it
/// back in `BDXX` (`<ZD MC="…">`).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// ZDMC 字段名称: the `MC` the value is submitted under.
    pub name: &'static str,
    /// ZDBQ 显示标签.
    pub label: &'static str,
    /// ZDLX 字段类型.
    pub kind: FieldType,
    /// SFBT 是否必填.
    pub required: bool,
    /// SJLY 数据来源.
    pub source: Option<Source>,
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
    /// 表单清单: the application form's fields, in the order the form asks them.
    /// `模拟结果` and `不予许可原因` are the mock's test switches, not fields.
    pub form: &'static [Field],
}

impl Matter {
    /// Whether finishing this matter issues a 营业执照.
    pub fn issues_business_license(&self) -> bool {
        matches!(self.name, "企业设立登记" | "营业执照遗失补领")
    }

    /// Whether finishing this matter ends the applicant's 营业执照 (注销).
    pub fn deregisters(&self) -> bool {
        self.name == "企业注销登记"
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
        let mut form = Element::new("BDQD");
        for f in self.form {
            let mut zd = Element::new("ZD")
                .field("ZDMC", f.name)
                .field("ZDBQ", f.label)
                .field("ZDLX", f.kind.code());
            if let Choice(options) = f.kind {
                zd = zd.field("KXZ", options.join("|"));
            }
            zd = zd.field("SFBT", if f.required { "1" } else { "0" });
            if let Some(source) = f.source {
                zd = zd.field("SJLY", source.code());
            }
            form.push(zd);
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
            .child(form)
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

use FieldType::{Address, Choice, Date, Number, Text};

const ENTERPRISE_TYPES: &[&str] = &[
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "有限责任公司（非自然人投资或控股的法人独资）",
    "股份有限公司（非上市、自然人投资或控股）",
];

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
        form: &[
            must("企业名称", "企业名称", Text),
            may("企业类型", "企业类型", Choice(ENTERPRISE_TYPES)),
            from(
                must("法定代表人", "法定代表人", Text),
                Source::LegalRepresentative,
            ),
            must("注册资本", "注册资本（如：100万元人民币）", Text),
            from(must("住所", "住所", Address), Source::Address),
            must("经营范围", "经营范围", Text),
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
        form: &[
            must(
                "变更事项",
                "变更事项",
                Choice(&[
                    "名称",
                    "住所",
                    "法定代表人",
                    "注册资本",
                    "经营范围",
                    "企业类型",
                ]),
            ),
            may("变更前内容", "变更前登记内容", Text),
            must("变更后内容", "变更后登记内容", Text),
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
        form: &[
            must(
                "注销原因",
                "注销原因",
                Choice(&[
                    "股东会决议解散",
                    "营业期限届满",
                    "因合并或者分立需要解散",
                    "依法被吊销营业执照、责令关闭或者被撤销",
                    "人民法院依法予以解散",
                ]),
            ),
            must("清算组负责人", "清算组负责人", Text),
            may("清算完结日期", "清算完结日期", Date),
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
        form: &[
            must(
                "主体业态",
                "主体业态",
                Choice(&["食品销售经营者", "餐饮服务经营者", "单位食堂"]),
            ),
            from(must("经营场所", "经营场所", Address), Source::Address),
            must("经营项目", "经营项目", Text),
            may("食品安全管理人员", "食品安全管理人员", Text),
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
        form: &[
            must("许可证编号", "食品经营许可证编号", Text),
            must(
                "变更事项",
                "变更事项",
                Choice(&["经营者名称", "法定代表人（负责人）", "经营项目", "主体业态"]),
            ),
            must("变更后内容", "变更后内容", Text),
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
        form: &[
            may("个体工商户名称", "个体工商户名称（可不起字号名称）", Text),
            from(must("经营者", "经营者姓名", Text), Source::Name),
            must("组成形式", "组成形式", Choice(&["个人经营", "家庭经营"])),
            from(must("经营场所", "经营场所", Address), Source::Address),
            must("经营范围", "经营范围", Text),
            may("资金数额", "资金数额（万元）", Number),
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
        form: &[must(
            "注销原因",
            "注销原因",
            Choice(&[
                "经营者决定停止经营",
                "经营者死亡或丧失经营能力",
                "依法被吊销营业执照",
            ]),
        )],
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
        form: &[
            must("合作社名称", "农民专业合作社名称", Text),
            from(
                must("法定代表人", "法定代表人（理事长）", Text),
                Source::LegalRepresentative,
            ),
            from(must("住所", "住所", Address), Source::Address),
            must("成员出资总额", "成员出资总额（万元）", Number),
            must("成员人数", "成员人数", Number),
            must("业务范围", "业务范围", Text),
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
        form: &[
            must(
                "发布媒介",
                "广告发布媒介",
                Choice(&["广播", "电视", "报纸", "期刊"]),
            ),
            must("媒介名称", "媒介名称", Text),
            must("广告审查人员", "广告审查人员", Text),
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
        form: &[
            must(
                "设备类别",
                "特种设备类别",
                Choice(&[
                    "锅炉",
                    "压力容器",
                    "电梯",
                    "起重机械",
                    "场（厂）内专用机动车辆",
                    "大型游乐设施",
                    "压力管道",
                ]),
            ),
            must("设备代码", "设备代码", Text),
            must("使用地点", "设备使用地点", Address),
            must("安全管理人员", "安全管理人员", Text),
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
        form: &[
            must("器具名称", "计量器具名称", Text),
            must("型号规格", "型号规格", Text),
            may("准确度等级", "准确度等级", Text),
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
        form: &[
            must("出质股权所在公司", "出质股权所在公司名称", Text),
            must("出质股权数额", "出质股权数额（万元）", Number),
            must("质权人", "质权人名称或姓名", Text),
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
        form: &[
            must("抵押权人", "抵押权人名称或姓名", Text),
            must("被担保债权数额", "被担保债权数额（万元）", Number),
            must("债务履行期限届满日", "债务人履行债务的期限届满日", Date),
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
        form: &[must(
            "列入原因",
            "列入经营异常名录的原因",
            Choice(&[
                "未按照规定期限公示年度报告",
                "未在责令的期限内公示有关企业信息",
                "公示企业信息隐瞒真实情况、弄虚作假",
                "通过登记的住所或者经营场所无法联系",
            ]),
        )],
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
        form: &[
            must("举报案件编号", "举报案件编号", Text),
            must("开户银行", "收款开户银行", Text),
            must("银行账号", "收款银行账号", Text),
            from(must("联系电话", "联系电话", Text), Source::Phone),
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
        form: &[
            must(
                "补领执照",
                "补领营业执照",
                Choice(&["正本", "副本", "正本和副本"]),
            ),
            must("作废声明日期", "遗失作废声明发布日期", Date),
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
        form: &[
            must("被投诉人", "被投诉人名称", Text),
            may("被投诉人地址", "被投诉人地址", Address),
            must("投诉请求", "投诉请求及争议事实", Text),
            from(must("联系电话", "联系电话", Text), Source::Phone),
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
            assert!(!m.form.is_empty(), "{} declares its form", m.name);
            for f in m.form {
                assert_eq!(m.form.iter().filter(|o| o.name == f.name).count(), 1);
                assert!(
                    !["模拟结果", "不予许可原因"].contains(&f.name),
                    "{}: the mock's switches are not form fields",
                    m.name
                );
                if let Choice(options) = f.kind {
                    assert!(options.len() >= 2 && options.iter().all(|o| !o.contains('|')));
                }
            }
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
        let setup = find("330122-SCJG-XK-001").unwrap();
        let field = |name: &str| setup.form.iter().find(|f| f.name == name).unwrap();
        for name in ["企业名称", "法定代表人", "注册资本", "住所", "经营范围"] {
            assert!(field(name).required, "{name}");
        }
        assert_eq!(
            field("法定代表人").source,
            Some(Source::LegalRepresentative)
        );
        assert_eq!(
            (field("住所").kind, field("住所").source),
            (Address, Some(Source::Address))
        );
    }
}
