//! The matters (事项) the 县不动产登记中心 handles, as `sxqd.csv` and `clqd.csv` list them.

use super::export::Sheet;

/// One material (材料) of a matter.
#[derive(Debug, Clone, Copy)]
pub struct Material {
    /// 材料编码.
    pub code: &'static str,
    /// 材料名称.
    pub name: &'static str,
    /// 是否必需.
    pub required: bool,
    /// 可替代证照.
    pub license: Option<&'static str>,
}

/// One field of a matter's application form (表单清单, `bdqd.csv`).
#[derive(Debug, Clone, Copy)]
pub struct FormField {
    /// 字段名: the key the case file's [表单] rows carry.
    pub key: &'static str,
    /// 字段标签: what the window shows.
    pub label: &'static str,
    /// 字段类型: `1` 文本, `2` 日期, `3` 数值, `4` 选项, `5` 公民身份号码,
    /// `6` 统一社会信用代码, `7` 地址.
    pub kind: &'static str,
    /// 可选值 of a `4` 选项 field, separated by `|`.
    pub options: &'static str,
    /// 是否必填.
    pub required: bool,
    /// 预填来源: the applicant's detail it is filled from: `1` 申请人姓名或名称,
    /// `2` 公民身份号码, `3` 统一社会信用代码, `4` 住所, `5` 联系电话, `6` 法定代表人;
    /// empty for none.
    pub prefill: &'static str,
}

/// What finishing a matter does to the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A new certificate to the applicant; the one the case names is 注销.
    Transfer,
    /// A new certificate to the applicant.
    FirstRegistration,
    /// A new certificate to the applicant in place of the one the case names.
    Change,
    /// The named certificate's 权利限制 gains 抵押.
    Mortgage,
    /// The named certificate's 权利限制 gains 查封.
    Seizure,
    /// The named certificate's 抵押 is lifted.
    MortgageRelease,
    /// Nothing in the register changes.
    None,
}

impl Effect {
    /// Whether the case concerns an existing certificate, which must then be in force.
    pub fn needs_certificate(self) -> bool {
        matches!(
            self,
            Effect::Transfer
                | Effect::Change
                | Effect::Mortgage
                | Effect::Seizure
                | Effect::MortgageRelease
        )
    }

    /// Whether a 查封 on the certificate stops the case.
    pub fn blocked_by_seizure(self) -> bool {
        matches!(self, Effect::Transfer | Effect::Change | Effect::Mortgage)
    }
}

/// One matter (事项) of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct Matter {
    /// 事项编码.
    pub code: &'static str,
    /// 事项名称.
    pub name: &'static str,
    /// 事项类型 code.
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
    pub form: &'static [FormField],
    /// What completing it does.
    pub effect: Effect,
}

/// Looks a matter up by its code.
pub fn find(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

/// The header of `sxqd.csv`.
pub const MATTER_COLUMNS: [&str; 10] = [
    "事项编码",
    "事项名称",
    "实施机构",
    "事项类型",
    "法定办结时限",
    "承诺办结时限",
    "到现场次数",
    "是否网办",
    "收费标准",
    "受理条件",
];

/// The header of `clqd.csv`.
pub const MATERIAL_COLUMNS: [&str; 5] =
    ["事项编码", "材料编码", "材料名称", "是否必需", "可替代证照"];

/// The header of `bdqd.csv`.
pub const FORM_COLUMNS: [&str; 7] = [
    "事项编码",
    "字段名",
    "字段标签",
    "字段类型",
    "可选值",
    "是否必填",
    "预填来源",
];

fn yes_no(flag: bool) -> String {
    if flag { "是" } else { "否" }.to_owned()
}

/// `sxqd.csv`.
pub fn matters_sheet() -> Sheet {
    Sheet::new(
        &MATTER_COLUMNS,
        MATTERS
            .iter()
            .map(|m| {
                vec![
                    m.code.to_owned(),
                    m.name.to_owned(),
                    super::DEPARTMENT.to_owned(),
                    m.kind.to_owned(),
                    m.legal_days.to_string(),
                    m.promised_days.to_string(),
                    m.visits.to_string(),
                    yes_no(m.online),
                    m.fee.to_owned(),
                    m.conditions.to_owned(),
                ]
            })
            .collect(),
    )
}

/// `clqd.csv`.
pub fn materials_sheet() -> Sheet {
    Sheet::new(
        &MATERIAL_COLUMNS,
        MATTERS
            .iter()
            .flat_map(|m| {
                m.materials.iter().map(|material| {
                    vec![
                        m.code.to_owned(),
                        material.code.to_owned(),
                        material.name.to_owned(),
                        yes_no(material.required),
                        material.license.unwrap_or_default().to_owned(),
                    ]
                })
            })
            .collect(),
    )
}

/// `bdqd.csv`.
pub fn forms_sheet() -> Sheet {
    Sheet::new(
        &FORM_COLUMNS,
        MATTERS
            .iter()
            .flat_map(|m| {
                m.form.iter().map(|field| {
                    vec![
                        m.code.to_owned(),
                        field.key.to_owned(),
                        field.label.to_owned(),
                        field.kind.to_owned(),
                        field.options.to_owned(),
                        yes_no(field.required),
                        field.prefill.to_owned(),
                    ]
                })
            })
            .collect(),
    )
}

const fn field(key: &'static str, label: &'static str, kind: &'static str) -> FormField {
    FormField {
        key,
        label,
        kind,
        options: "",
        required: false,
        prefill: "",
    }
}

const fn text(key: &'static str, label: &'static str) -> FormField {
    field(key, label, "1")
}

const fn date(key: &'static str, label: &'static str) -> FormField {
    field(key, label, "2")
}

const fn number(key: &'static str, label: &'static str) -> FormField {
    field(key, label, "3")
}

const fn choice(key: &'static str, label: &'static str, options: &'static str) -> FormField {
    FormField {
        options,
        ..field(key, label, "4")
    }
}

const fn address(key: &'static str, label: &'static str) -> FormField {
    field(key, label, "7")
}

const fn must(field: FormField) -> FormField {
    FormField {
        required: true,
        ..field
    }
}

const fn prefilled(field: FormField, prefill: &'static str) -> FormField {
    FormField { prefill, ..field }
}

/// The certificate a case concerns, when the applicant does not reuse it as a license.
const CERTIFICATE_NUMBER: FormField = text(
    "不动产权证号",
    "不动产权证号（未以电子证照提交不动产权证书时填写）",
);
const PHONE: FormField = prefilled(text("联系电话", "联系电话"), "5");
const LOCATION: FormField = address("坐落", "坐落");
const AREA: FormField = number("面积", "建筑面积（平方米）");
const PRICE: FormField = number("成交价格", "成交价格（元）");
const USAGE: FormField = choice(
    "用途",
    "用途",
    "城镇住宅用地/住宅|商服用地/商业|商务金融用地/办公|工业用地/工业|宅基地/住宅|城镇住宅用地",
);

const ID_CARD: Option<&str> = Some("居民身份证");
const BUSINESS_LICENSE: Option<&str> = Some("营业执照");
const CERTIFICATE: Option<&str> = Some("不动产权证书");

const fn req(code: &'static str, name: &'static str) -> Material {
    Material {
        code,
        name,
        required: true,
        license: None,
    }
}

const fn opt(code: &'static str, name: &'static str) -> Material {
    Material {
        code,
        name,
        required: false,
        license: None,
    }
}

const fn by(material: Material, license: Option<&'static str>) -> Material {
    Material {
        license,
        ..material
    }
}

const FEE: &str =
    "住宅类每件80元，非住宅类每件550元；证书工本费每增加一本加收10元（小微企业免收登记费）";

/// The catalogue, in the department's order.
pub static MATTERS: &[Matter] = &[
    Matter {
        code: "330122-BDC-DJ-001",
        name: "不动产转移登记",
        kind: "07",
        legal_days: 30,
        promised_days: 5,
        visits: 1,
        online: true,
        fee: FEE,
        conditions: "已登记的不动产因买卖、互换、赠与、继承、受遗赠、作价出资（入股）、法人或其他组织合并分立等导致权利发生转移的，当事人可以共同申请转移登记；不动产已被查封的不予办理",
        materials: &[
            req("001", "不动产登记申请书"),
            by(req("002", "申请人身份证明"), ID_CARD),
            by(req("003", "不动产权证书"), CERTIFICATE),
            req("004", "不动产买卖合同（或其他权属转移材料）"),
            req("005", "契税完税凭证"),
            by(
                opt("006", "营业执照（申请人为法人或其他组织的）"),
                BUSINESS_LICENSE,
            ),
            opt("007", "授权委托书及代理人身份证明（委托代理的）"),
        ],
        form: &[
            must(choice(
                "转移原因",
                "转移原因",
                "买卖|互换|赠与|继承|受遗赠|作价出资（入股）|法人或其他组织合并分立",
            )),
            CERTIFICATE_NUMBER,
            address("坐落", "坐落（不填则沿用原不动产权证书）"),
            AREA,
            choice("共有情况", "共有情况", "单独所有|共同共有|按份共有"),
            PRICE,
            PHONE,
        ],
        effect: Effect::Transfer,
    },
    Matter {
        code: "330122-BDC-DJ-002",
        name: "不动产抵押登记",
        kind: "07",
        legal_days: 30,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: FEE,
        conditions: "以已登记的不动产设定抵押的，抵押人与抵押权人可以共同申请抵押权首次登记；不动产已被查封的不予办理",
        materials: &[
            req("001", "不动产登记申请书"),
            by(req("002", "抵押人身份证明"), ID_CARD),
            by(req("003", "不动产权证书"), CERTIFICATE),
            req("004", "主债权合同"),
            req("005", "抵押合同"),
            by(req("006", "抵押权人营业执照"), BUSINESS_LICENSE),
        ],
        form: &[
            CERTIFICATE_NUMBER,
            must(text("抵押权人", "抵押权人")),
            must(field(
                "抵押权人统一社会信用代码",
                "抵押权人统一社会信用代码",
                "6",
            )),
            must(choice("抵押方式", "抵押方式", "一般抵押|最高额抵押")),
            must(number("被担保主债权数额", "被担保主债权数额（万元）")),
            must(date("债务履行期限起", "债务履行期限（起）")),
            must(date("债务履行期限止", "债务履行期限（止）")),
            PHONE,
        ],
        effect: Effect::Mortgage,
    },
    Matter {
        code: "330122-BDC-DJ-003",
        name: "国有建设用地使用权及房屋所有权首次登记",
        kind: "07",
        legal_days: 30,
        promised_days: 10,
        visits: 1,
        online: false,
        fee: FEE,
        conditions: "依法取得国有建设用地使用权并建成房屋、已通过竣工验收的，由建设单位申请房屋所有权首次登记",
        materials: &[
            req("001", "不动产登记申请书"),
            by(req("002", "建设单位营业执照"), BUSINESS_LICENSE),
            by(req("003", "国有建设用地使用权不动产权证书"), CERTIFICATE),
            req("004", "建设工程符合规划的材料"),
            req("005", "房屋已经竣工的材料"),
            req("006", "房地产调查或者测绘报告"),
        ],
        form: &[
            must(LOCATION),
            must(AREA),
            must(USAGE),
            choice(
                "权利性质",
                "权利性质",
                "出让/市场化商品房|出让/自建房|划拨/自建房",
            ),
            text(
                "使用期限",
                "土地使用期限（如2023年02月15日起2093年02月14日止）",
            ),
            prefilled(text("法定代表人", "建设单位法定代表人"), "6"),
            PHONE,
        ],
        effect: Effect::FirstRegistration,
    },
    Matter {
        code: "330122-BDC-DJ-004",
        name: "不动产变更登记",
        kind: "07",
        legal_days: 30,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收取登记费；换发证书的，每本收取工本费10元",
        conditions: "权利人姓名或者名称、身份证明类型或者号码，不动产坐落、界址、用途、面积等状况发生变化的，权利人可以申请变更登记",
        materials: &[
            req("001", "不动产登记申请书"),
            by(req("002", "申请人身份证明"), ID_CARD),
            by(req("003", "不动产权证书"), CERTIFICATE),
            req("004", "不动产权利变更的证明材料"),
            by(
                opt("005", "营业执照（申请人为法人或其他组织的）"),
                BUSINESS_LICENSE,
            ),
        ],
        form: &[
            must(choice(
                "变更事项",
                "变更事项",
                "权利人姓名或名称|身份证明类型或号码|坐落|用途|面积|界址",
            )),
            CERTIFICATE_NUMBER,
            address("坐落", "变更后坐落"),
            USAGE,
            number("面积", "变更后建筑面积（平方米）"),
            PHONE,
        ],
        effect: Effect::Change,
    },
    Matter {
        code: "330122-BDC-DJ-005",
        name: "预购商品房预告登记",
        kind: "07",
        legal_days: 30,
        promised_days: 3,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "预购商品房的买受人与开发企业签订并备案商品房预售合同、约定申请预告登记的，可以申请预告登记",
        materials: &[
            req("001", "不动产登记申请书"),
            by(req("002", "申请人身份证明"), ID_CARD),
            req("003", "已备案的商品房预售合同"),
            opt("004", "当事人关于预告登记的约定"),
        ],
        form: &[
            must(text("预售合同备案号", "商品房预售合同备案号")),
            must(LOCATION),
            AREA,
            PRICE,
            PHONE,
        ],
        effect: Effect::None,
    },
    Matter {
        code: "330122-BDC-DJ-006",
        name: "不动产查封登记",
        kind: "10",
        legal_days: 1,
        promised_days: 1,
        visits: 1,
        online: false,
        fee: "不收费",
        conditions: "人民法院等国家有权机关依法作出查封、预查封裁定，并送达协助执行通知书的，不动产登记机构应当办理查封登记",
        materials: &[
            req("001", "协助执行通知书"),
            req("002", "查封裁定书"),
            req("003", "执行公务人员工作证和执行公务证"),
        ],
        form: &[
            must(text("不动产权证号", "被查封不动产的不动产权证号")),
            must(text("执行法院", "执行法院")),
            must(text("协助执行通知书文号", "协助执行通知书文号")),
            must(date("查封期限起", "查封期限（起）")),
            must(date("查封期限止", "查封期限（止）")),
        ],
        effect: Effect::Seizure,
    },
    Matter {
        code: "330122-BDC-DJ-007",
        name: "不动产抵押权注销登记",
        kind: "07",
        legal_days: 30,
        promised_days: 1,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "主债权消灭、抵押权已经实现、抵押权人放弃抵押权等导致抵押权消灭的，当事人可以申请抵押权注销登记",
        materials: &[
            req("001", "不动产登记申请书"),
            by(req("002", "申请人身份证明"), ID_CARD),
            by(req("003", "不动产权证书"), CERTIFICATE),
            req("004", "抵押权消灭的材料"),
            by(opt("005", "抵押权人营业执照"), BUSINESS_LICENSE),
        ],
        form: &[
            CERTIFICATE_NUMBER,
            must(text("不动产登记证明号", "抵押权不动产登记证明号")),
            must(choice(
                "注销原因",
                "注销原因",
                "主债权消灭|抵押权已经实现|抵押权人放弃抵押权|其他",
            )),
            PHONE,
        ],
        effect: Effect::MortgageRelease,
    },
    Matter {
        code: "330122-BDC-CX-001",
        name: "不动产登记资料查询",
        kind: "20",
        legal_days: 5,
        promised_days: 0,
        visits: 0,
        online: true,
        fee: "不收费",
        conditions: "权利人、利害关系人可以依法查询、复制不动产登记资料；能够当场提供查询结果的当场办结",
        materials: &[
            req("001", "不动产登记资料查询申请书"),
            by(req("002", "查询人身份证明"), ID_CARD),
            by(opt("003", "不动产权证书"), CERTIFICATE),
        ],
        form: &[
            must(choice(
                "查询目的",
                "查询目的",
                "了解本人不动产情况|办理继承|诉讼|购房前查询|其他",
            )),
            CERTIFICATE_NUMBER,
            LOCATION,
            PHONE,
            prefilled(address("通讯地址", "查询结果邮寄地址"), "4"),
        ],
        effect: Effect::None,
    },
];
