//! The registered taxpayers (纳税人登记信息) and their 发票领用 records.
//!
//! The taxpayers are the enterprises of the market-supervision mock (same names,
//! same credit codes), as the county's real systems share them.

use onewindow_codes::chrono::NaiveDate;
use onewindow_codes::credit_code;
use serde::Serialize;

use super::protocol::Reply;

/// 纳税人状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TaxpayerStatus {
    /// 正常.
    #[serde(rename = "正常")]
    Normal,
    /// 非正常户: has not filed or cannot be reached; no invoices until it is lifted.
    #[serde(rename = "非正常")]
    Abnormal,
    /// 注销: registration cancelled.
    #[serde(rename = "注销")]
    Cancelled,
}

impl TaxpayerStatus {
    /// The Chinese name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Normal => "正常",
            Self::Abnormal => "非正常户",
            Self::Cancelled => "注销",
        }
    }
}

/// A registered taxpayer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taxpayer {
    /// 纳税人识别号 (the unified social credit code).
    pub nsrsbh: String,
    /// 纳税人名称.
    pub nsrmc: String,
    /// 法定代表人 (or 投资人 / 执行事务合伙人).
    pub fddbr: String,
    /// 办税人员.
    pub bsry: String,
    /// 纳税人资格: 一般纳税人 or 小规模纳税人.
    pub zg: String,
    /// 主管税务机关.
    pub zgswjg: String,
    /// 纳税人状态.
    pub status: TaxpayerStatus,
}

/// 证照状态 (zt) of a 发票领用 record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RecordStatus {
    /// 1 有效.
    #[serde(rename = "有效")]
    Valid,
    /// 2 已缴销.
    #[serde(rename = "已缴销")]
    Cancelled,
    /// 3 已失效.
    #[serde(rename = "已失效")]
    Lapsed,
}

impl RecordStatus {
    /// The `zt` code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Valid => "1",
            Self::Cancelled => "2",
            Self::Lapsed => "3",
        }
    }
}

/// A 发票领用 record: what a taxpayer may draw, issued by a 发票申领.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    /// 发票领用编号 (证照编号).
    pub number: String,
    /// 纳税人识别号.
    pub nsrsbh: String,
    /// 纳税人名称.
    pub nsrmc: String,
    /// 发票种类.
    pub fpzl: String,
    /// 单份发票最高开票限额.
    pub dzzgxe: String,
    /// 每月最高领用数量.
    pub myzgsl: String,
    /// 领用方式.
    pub lyfs: String,
    /// 经办人.
    pub jbr: String,
    /// 主管税务机关.
    pub zgswjg: String,
    /// 发证日期.
    pub issued: NaiveDate,
    /// 有效期至; none is 长期.
    pub valid_until: Option<NaiveDate>,
    /// 状态.
    pub status: RecordStatus,
}

/// 证照类型代码 of a 发票领用 record.
pub const RECORD_TYPE: &str = "FPLY";
/// 证照类型名称.
pub const RECORD_NAME: &str = "发票领用";

impl InvoiceRecord {
    /// Writes the record as `{prefix}.*` lines.
    pub fn write(&self, reply: &mut Reply, prefix: &str) {
        let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        reply
            .line(format!("{prefix}.zzlxdm"), RECORD_TYPE)
            .line(format!("{prefix}.zzlxmc"), RECORD_NAME)
            .line(format!("{prefix}.zzbh"), &self.number)
            .line(format!("{prefix}.nsrsbh"), &self.nsrsbh)
            .line(format!("{prefix}.nsrmc"), &self.nsrmc)
            .line(format!("{prefix}.fzjg"), super::DEPARTMENT)
            .line(format!("{prefix}.fzrq"), date(self.issued))
            .line(
                format!("{prefix}.yxqz"),
                self.valid_until.map_or_else(|| "长期".to_owned(), date),
            )
            .line(format!("{prefix}.zt"), self.status.code())
            .line(format!("{prefix}.fpzl"), &self.fpzl)
            .line(format!("{prefix}.dzzgxe"), &self.dzzgxe)
            .line(format!("{prefix}.myzgsl"), &self.myzgsl)
            .line(format!("{prefix}.lyfs"), &self.lyfs)
            .line(format!("{prefix}.jbr"), &self.jbr)
            .line(format!("{prefix}.zgswjg"), &self.zgswjg);
    }
}

/// Registration authority + entity type (工商 企业) and the county's division code.
pub const CODE_PREFIX: &str = "91330122";

/// The full credit code of a body (the nine characters after [`CODE_PREFIX`]).
pub fn credit_code_of(body: &str) -> String {
    let first17 = format!("{CODE_PREFIX}{body}");
    let check = credit_code::check_char(&first17)
        .unwrap_or_else(|| panic!("{first17:?} is not a valid credit code body"));
    format!("{first17}{check}")
}

/// 一般纳税人.
const GENERAL: &str = "增值税一般纳税人";
/// 小规模纳税人.
const SMALL: &str = "小规模纳税人";

/// The county's tax offices.
pub const CITY: &str = "国家税务总局桐庐县税务局城区税务分局";
const HENGCUN: &str = "国家税务总局桐庐县税务局横村税务所";
const FENSHUI: &str = "国家税务总局桐庐县税务局分水税务所";
const FUCHUNJIANG: &str = "国家税务总局桐庐县税务局富春江税务所";
const ZONE: &str = "国家税务总局桐庐县税务局经济开发区税务分局";

/// 发票种类 as the records name them.
pub const E_INVOICE: &str = "数电发票（增值税普通发票）";
const SPECIAL: &str = "数电发票（增值税专用发票、增值税普通发票）";
const PAPER_SPECIAL: &str = "增值税专用发票（纸质）";

/// A seeded record: (发证日期, 发票种类, 单份最高限额, 每月数量, 有效期至, 状态).
type RecordSeed = (
    (i32, u32, u32),
    &'static str,
    &'static str,
    &'static str,
    Option<(i32, u32, u32)>,
    RecordStatus,
);

struct Seed {
    body: &'static str,
    name: &'static str,
    rep: &'static str,
    agent: &'static str,
    qualification: &'static str,
    office: &'static str,
    status: TaxpayerStatus,
    /// (发证日期, 发票种类, 单份最高限额, 每月数量, 有效期至, 状态)
    records: &'static [RecordSeed],
}

const ONLINE: &str = "网上申领，邮寄送达";
const HALL: &str = "办税服务厅领取";

fn date((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("seed dates are valid")
}

/// The taxpayers and 发票领用 records before the mock starts.
pub fn seed() -> (Vec<Taxpayer>, Vec<InvoiceRecord>) {
    use RecordStatus::{Cancelled, Lapsed, Valid};
    let seeds = [
        Seed {
            body: "704218653",
            name: "桐庐富春蜂语蜂业有限公司",
            rep: "王建国",
            agent: "王喆",
            qualification: GENERAL,
            office: HENGCUN,
            status: TaxpayerStatus::Normal,
            records: &[((2019, 7, 10), SPECIAL, "十万元", "50份", None, Valid)],
        },
        Seed {
            body: "MA28C4W1X",
            name: "杭州雅岚针织服饰有限公司",
            rep: "李秀英",
            agent: "陈珺",
            qualification: GENERAL,
            office: HENGCUN,
            status: TaxpayerStatus::Normal,
            records: &[((2021, 3, 25), SPECIAL, "十万元", "100份", None, Valid)],
        },
        Seed {
            body: "143075216",
            name: "桐庐分水恒达制笔有限公司",
            rep: "陈志强",
            agent: "陈志强",
            qualification: GENERAL,
            office: FENSHUI,
            status: TaxpayerStatus::Normal,
            records: &[
                (
                    (2016, 4, 8),
                    PAPER_SPECIAL,
                    "十万元",
                    "25份",
                    Some((2023, 11, 30)),
                    Lapsed,
                ),
                ((2023, 12, 1), SPECIAL, "一百万元", "200份", None, Valid),
            ],
        },
        Seed {
            body: "MA2AY0QN4",
            name: "杭州桐庐云绿茶业有限公司",
            rep: "俞海燕",
            agent: "俞珺",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[((2018, 4, 16), E_INVOICE, "十万元", "25份", None, Valid)],
        },
        Seed {
            body: "MA27TUJ85",
            name: "桐庐瑶溪生态农业开发有限公司",
            rep: "方卫东",
            agent: "方喆",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[],
        },
        Seed {
            body: "MA2H3G0K1",
            name: "杭州富春山水民宿管理有限公司",
            rep: "徐晓明",
            agent: "徐晓明",
            qualification: SMALL,
            office: FUCHUNJIANG,
            status: TaxpayerStatus::Normal,
            records: &[((2019, 6, 28), E_INVOICE, "一万元", "25份", None, Valid)],
        },
        Seed {
            body: "677218345",
            name: "桐庐鑫源建材有限公司",
            rep: "姚红梅",
            agent: "蒋堃",
            qualification: GENERAL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[((2023, 3, 2), SPECIAL, "十万元", "100份", None, Valid)],
        },
        Seed {
            body: "MA28K7R3B",
            name: "杭州桐江智能装备股份有限公司",
            rep: "袁国平",
            agent: "钟镕",
            qualification: GENERAL,
            office: ZONE,
            status: TaxpayerStatus::Normal,
            records: &[
                (
                    (2015, 3, 20),
                    PAPER_SPECIAL,
                    "一百万元",
                    "50份",
                    None,
                    Valid,
                ),
                ((2024, 5, 15), SPECIAL, "一千万元", "500份", None, Valid),
            ],
        },
        Seed {
            body: "MA2CD5P96",
            name: "杭州瑞镜医疗器械有限公司",
            rep: "钟丽娟",
            agent: "钟丽娟",
            qualification: GENERAL,
            office: ZONE,
            status: TaxpayerStatus::Normal,
            records: &[((2023, 6, 12), SPECIAL, "一百万元", "100份", None, Valid)],
        },
        Seed {
            body: "MA2GM8L02",
            name: "桐庐春江餐饮管理有限公司",
            rep: "何春生",
            agent: "何春生",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[],
        },
        Seed {
            body: "MA2B1X8J7",
            name: "桐庐凤川五金机械厂（普通合伙）",
            rep: "吴明辉",
            agent: "吴明辉",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[((2018, 8, 20), E_INVOICE, "一万元", "25份", None, Valid)],
        },
        Seed {
            body: "MA2J0R6F2",
            name: "杭州桐庐汇智电子商务有限公司",
            rep: "蒋丽萍",
            agent: "蒋丽萍",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[],
        },
        Seed {
            body: "MA2E5TA8L",
            name: "桐庐惠邻超市有限公司",
            rep: "邵国庆",
            agent: "邵国庆",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Normal,
            records: &[((2024, 3, 20), E_INVOICE, "十万元", "50份", None, Valid)],
        },
        Seed {
            body: "697004128",
            name: "桐庐兴旺娱乐有限公司",
            rep: "周海波",
            agent: "周海波",
            qualification: SMALL,
            office: CITY,
            status: TaxpayerStatus::Abnormal,
            records: &[(
                (2014, 7, 8),
                E_INVOICE,
                "一万元",
                "25份",
                Some((2020, 12, 31)),
                Lapsed,
            )],
        },
        Seed {
            body: "682902743",
            name: "杭州桐庐恒昌纺织有限公司",
            rep: "金小芳",
            agent: "金小芳",
            qualification: GENERAL,
            office: HENGCUN,
            status: TaxpayerStatus::Cancelled,
            records: &[((2009, 2, 3), SPECIAL, "十万元", "50份", None, Cancelled)],
        },
    ];
    let mut taxpayers = Vec::new();
    let mut records = Vec::new();
    for seed in seeds {
        let nsrsbh = credit_code_of(seed.body);
        for &(issued, fpzl, limit, quantity, until, status) in seed.records {
            let issued = date(issued);
            records.push(InvoiceRecord {
                number: record_number(issued, records.len() as u32 + 1),
                nsrsbh: nsrsbh.clone(),
                nsrmc: seed.name.to_owned(),
                fpzl: fpzl.to_owned(),
                dzzgxe: limit.to_owned(),
                myzgsl: quantity.to_owned(),
                lyfs: if fpzl == PAPER_SPECIAL { HALL } else { ONLINE }.to_owned(),
                jbr: seed.agent.to_owned(),
                zgswjg: seed.office.to_owned(),
                issued,
                valid_until: until.map(date),
                status,
            });
        }
        taxpayers.push(Taxpayer {
            nsrsbh,
            nsrmc: seed.name.to_owned(),
            fddbr: seed.rep.to_owned(),
            bsry: seed.agent.to_owned(),
            zg: seed.qualification.to_owned(),
            zgswjg: seed.office.to_owned(),
            status: seed.status,
        });
    }
    (taxpayers, records)
}

/// `FPLY` + the county's division code + the date + a four-digit serial.
pub fn record_number(issued: NaiveDate, serial: u32) -> String {
    format!("{RECORD_TYPE}330122{}{serial:04}", issued.format("%Y%m%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_taxpayers_are_valid_and_distinct() {
        let (taxpayers, records) = seed();
        assert!(taxpayers.len() >= 15);
        for t in &taxpayers {
            credit_code::validate(&t.nsrsbh).unwrap();
            assert_eq!(taxpayers.iter().filter(|o| o.nsrsbh == t.nsrsbh).count(), 1);
        }
        for r in &records {
            assert!(
                taxpayers
                    .iter()
                    .any(|t| t.nsrsbh == r.nsrsbh && t.nsrmc == r.nsrmc)
            );
            assert_eq!(records.iter().filter(|o| o.number == r.number).count(), 1);
        }
        let agents: String = taxpayers.iter().map(|t| t.bsry.as_str()).collect();
        for rare in ['镕', '喆', '堃', '珺'] {
            assert!(agents.contains(rare), "{rare}");
        }
    }
}
