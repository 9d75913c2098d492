//! The registered enterprises (企业登记信息) and their 营业执照.

use onewindow_codes::chrono::NaiveDate;
use onewindow_codes::credit_code;
use rand::Rng as _;

use crate::common::xml::Element;

/// 证照状态 (ZZZT) of a license.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseStatus {
    /// 1 有效.
    Valid,
    /// 2 吊销.
    Revoked,
    /// 3 注销.
    Deregistered,
    /// 4 过期.
    Expired,
}

impl LicenseStatus {
    /// The ZZZT code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Valid => "1",
            Self::Revoked => "2",
            Self::Deregistered => "3",
            Self::Expired => "4",
        }
    }

    /// The Chinese name of the status.
    pub fn name(self) -> &'static str {
        match self {
            Self::Valid => "有效",
            Self::Revoked => "吊销",
            Self::Deregistered => "注销",
            Self::Expired => "过期",
        }
    }
}

/// A registered enterprise, which is also its 营业执照.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    /// 统一社会信用代码 (also the license number).
    pub credit_code: String,
    /// 企业名称.
    pub name: String,
    /// 企业类型 (QYLX).
    pub kind: String,
    /// 法定代表人 (or 投资人 / 执行事务合伙人).
    pub legal_rep: String,
    /// 注册资本 / 出资额.
    pub capital: String,
    /// 成立日期.
    pub established: NaiveDate,
    /// 发证日期 of the current license.
    pub issued: NaiveDate,
    /// 营业期限至; `None` is 长期.
    pub valid_until: Option<NaiveDate>,
    /// 证照状态.
    pub status: LicenseStatus,
    /// 住所.
    pub address: String,
    /// 经营范围.
    pub scope: String,
}

impl Enterprise {
    /// The `<ZZ>` element of `CXZZ`/`YZZZ` (and of a 办结 status change).
    pub fn license_element(&self) -> Element {
        Element::new("ZZ")
            .field("ZZLXDM", "YYZZ")
            .field("ZZLXMC", "营业执照")
            .field("ZZBH", &self.credit_code)
            .field("TYSHXYDM", &self.credit_code)
            .field("QYMC", &self.name)
            .field("FZJG", super::DEPARTMENT)
            .field("FZRQ", onewindow_codes::date::to_chinese(self.issued))
            .field(
                "YXQZ",
                self.valid_until
                    .map_or_else(|| "长期".to_owned(), onewindow_codes::date::to_chinese),
            )
            .field("ZZZT", self.status.code())
            .field("QYLX", &self.kind)
            .field("FDDBR", &self.legal_rep)
            .field("ZCZB", &self.capital)
            .field("CLRQ", onewindow_codes::date::to_chinese(self.established))
            .field("ZS", &self.address)
            .field("JYFW", &self.scope)
    }
}

/// Registration authority + entity type (工商 企业) and the county's division code.
pub const CODE_PREFIX: &str = "91330122";

/// The characters GB 32100 allows in a credit code (no I, O, S, V, Z).
const CODE_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Completes 17 characters with their GB 32100 check character.
pub fn with_check(first17: &str) -> String {
    let check = credit_code::check_char(first17)
        .unwrap_or_else(|| panic!("{first17:?} is not a valid credit code body"));
    format!("{first17}{check}")
}

/// A new valid credit code in the county that none of `taken` uses.
pub fn fresh_credit_code(taken: impl Fn(&str) -> bool) -> String {
    let mut rng = rand::rng();
    loop {
        // Codes assigned since 2015 carry "MA" where the old organisation code was.
        let body: String = (0..6)
            .map(|_| char::from(CODE_CHARS[rng.random_range(0..CODE_CHARS.len())]))
            .collect();
        let code = with_check(&format!("{CODE_PREFIX}MA2{body}"));
        if !taken(&code) {
            return code;
        }
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("seed dates are valid")
}

struct Seed {
    body: &'static str,
    name: &'static str,
    kind: &'static str,
    legal_rep: &'static str,
    capital: &'static str,
    established: (i32, u32, u32),
    issued: (i32, u32, u32),
    valid_until: Option<(i32, u32, u32)>,
    status: LicenseStatus,
    address: &'static str,
    scope: &'static str,
}

const LLC: &str = "有限责任公司（自然人投资或控股）";
const LLC_SOLE: &str = "有限责任公司（自然人独资）";
const GENERAL: &str = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。";

/// The enterprises registered before the mock starts.
pub fn seed() -> Vec<Enterprise> {
    let seeds = [
        Seed {
            body: "704218653",
            name: "桐庐富春蜂语蜂业有限公司",
            kind: LLC,
            legal_rep: "王建国",
            capital: "500万元人民币",
            established: (2006, 3, 15),
            issued: (2019, 7, 2),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县横村镇横村大道288号",
            scope: "许可项目：食品生产；食品销售。一般项目：食用农产品初加工；农副产品销售；蜜蜂饲养",
        },
        Seed {
            body: "MA28C4W1X",
            name: "杭州雅岚针织服饰有限公司",
            kind: LLC,
            legal_rep: "李秀英",
            capital: "300万元人民币",
            established: (2017, 5, 9),
            issued: (2021, 3, 18),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县横村镇孝门路66号2幢",
            scope: "一般项目：针纺织品及原料销售；服装制造；服饰制造；货物进出口",
        },
        Seed {
            body: "143075216",
            name: "桐庐分水恒达制笔有限公司",
            kind: LLC,
            legal_rep: "陈志强",
            capital: "1200万元人民币",
            established: (1998, 10, 21),
            issued: (2020, 11, 5),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县分水镇工业功能区笔业路18号",
            scope: "一般项目：笔的制造；文具制造；塑料制品制造；文具用品批发；货物进出口",
        },
        Seed {
            body: "MA2AY0QN4",
            name: "杭州桐庐云绿茶业有限公司",
            kind: LLC_SOLE,
            legal_rep: "俞海燕",
            capital: "100万元人民币",
            established: (2018, 4, 2),
            issued: (2018, 4, 2),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县新合乡新合村柳岩坞12号",
            scope: "许可项目：茶叶制品生产；食品销售。一般项目：茶叶种植；初级农产品收购",
        },
        Seed {
            body: "MA27TUJ85",
            name: "桐庐瑶溪生态农业开发有限公司",
            kind: LLC,
            legal_rep: "方卫东",
            capital: "200万元人民币",
            established: (2016, 8, 30),
            issued: (2022, 1, 12),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县瑶琳镇瑶溪村溪口路9号",
            scope: "一般项目：水果种植；蔬菜种植；休闲观光活动；农业专业及辅助性活动",
        },
        Seed {
            body: "MA2H3G0K1",
            name: "杭州富春山水民宿管理有限公司",
            kind: LLC_SOLE,
            legal_rep: "徐晓明",
            capital: "50万元人民币",
            established: (2019, 6, 17),
            issued: (2019, 6, 17),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县富春江镇芦茨村芦茨湾35号",
            scope: "许可项目：住宿服务；餐饮服务。一般项目：酒店管理；会议及展览服务",
        },
        Seed {
            body: "677218345",
            name: "桐庐鑫源建材有限公司",
            kind: LLC,
            legal_rep: "姚红梅",
            capital: "800万元人民币",
            established: (2008, 7, 14),
            issued: (2023, 2, 20),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县城南街道白云源路1008号",
            scope: "一般项目：建筑材料销售；轻质建筑材料制造；水泥制品销售；五金产品批发",
        },
        Seed {
            body: "MA28K7R3B",
            name: "杭州桐江智能装备股份有限公司",
            kind: "股份有限公司（非上市、自然人投资或控股）",
            legal_rep: "袁国平",
            capital: "6000万元人民币",
            established: (2015, 3, 11),
            issued: (2024, 5, 8),
            valid_until: Some((2045, 3, 10)),
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县桐庐经济开发区洋洲南路199号",
            scope: "一般项目：智能基础制造装备制造；通用设备制造；工业自动控制系统装置制造；技术服务、技术开发",
        },
        Seed {
            body: "143062219",
            name: "桐庐县江南水利工程建设有限公司",
            kind: "有限责任公司（国有独资）",
            legal_rep: "胡建华",
            capital: "5000万元人民币",
            established: (1996, 12, 3),
            issued: (2021, 9, 27),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县江南镇环溪路2号",
            scope: "许可项目：水利工程建设监理；建设工程施工。一般项目：水污染治理；园林绿化工程施工",
        },
        Seed {
            body: "MA2CD5P96",
            name: "杭州瑞镜医疗器械有限公司",
            kind: LLC,
            legal_rep: "钟丽娟",
            capital: "1000万元人民币",
            established: (2018, 11, 25),
            issued: (2023, 6, 1),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县桐庐经济开发区金潇路308号3号楼",
            scope: "许可项目：第二类医疗器械生产；第三类医疗器械生产。一般项目：第一类医疗器械生产；医用内窥镜研发",
        },
        Seed {
            body: "MA27W1E4T",
            name: "杭州桐邮快递服务有限公司",
            kind: LLC,
            legal_rep: "赵伟",
            capital: "300万元人民币",
            established: (2017, 9, 6),
            issued: (2020, 4, 16),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县凤川街道快递物流园区A区6号",
            scope: "许可项目：快递服务；道路货物运输（不含危险货物）。一般项目：装卸搬运；仓储服务",
        },
        Seed {
            body: "MA2GM8L02",
            name: "桐庐春江餐饮管理有限公司",
            kind: LLC_SOLE,
            legal_rep: "何春生",
            capital: "30万元人民币",
            established: (2020, 10, 19),
            issued: (2020, 10, 19),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县桐君街道学圣路125号",
            scope: "许可项目：餐饮服务；食品销售。一般项目：餐饮管理；外卖递送服务",
        },
        Seed {
            body: "MA2B1X8J7",
            name: "桐庐凤川五金机械厂（普通合伙）",
            kind: "普通合伙企业",
            legal_rep: "吴明辉",
            capital: "60万元人民币",
            established: (2012, 2, 28),
            issued: (2018, 8, 9),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县凤川街道翙岗村工业区8号",
            scope: "一般项目：五金产品制造；通用零部件制造；机械零件、零部件加工",
        },
        Seed {
            body: "MA2HQ2N5Y",
            name: "桐庐合村竹木制品厂",
            kind: "个人独资企业",
            legal_rep: "叶晓燕",
            capital: "10万元人民币",
            established: (2013, 5, 20),
            issued: (2013, 5, 20),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县合村乡合村村竹园路3号",
            scope: "一般项目：竹制品制造；木制品制造；竹制品销售",
        },
        Seed {
            body: "MA2GP1C3U",
            name: "杭州钓台文旅发展有限公司",
            kind: "有限责任公司（非自然人投资或控股的法人独资）",
            legal_rep: "章建林",
            capital: "2000万元人民币",
            established: (2019, 1, 8),
            issued: (2022, 7, 21),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县富春江镇七里泷大道26号",
            scope: "一般项目：游览景区管理；旅游开发项目策划咨询；会议及展览服务；文化场馆管理服务",
        },
        Seed {
            body: "MA2J0R6F2",
            name: "杭州桐庐汇智电子商务有限公司",
            kind: LLC,
            legal_rep: "蒋丽萍",
            capital: "100万元人民币",
            established: (2021, 4, 13),
            issued: (2021, 4, 13),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县旧县街道母岭村电商产业园3楼301室",
            scope: "一般项目：互联网销售（除销售需要许可的商品）；农副产品销售；日用百货销售",
        },
        Seed {
            body: "MA2E5TA8L",
            name: "桐庐惠邻超市有限公司",
            kind: LLC_SOLE,
            legal_rep: "邵国庆",
            capital: "20万元人民币",
            established: (2019, 12, 2),
            issued: (2024, 3, 14),
            valid_until: None,
            status: LicenseStatus::Valid,
            address: "浙江省杭州市桐庐县城南街道迎春南路326号",
            scope: "许可项目：食品销售；烟草制品零售。一般项目：日用百货销售；家用电器销售",
        },
        Seed {
            body: "697004128",
            name: "桐庐兴旺娱乐有限公司",
            kind: LLC,
            legal_rep: "周海波",
            capital: "50万元人民币",
            established: (2009, 9, 1),
            issued: (2014, 6, 30),
            valid_until: None,
            status: LicenseStatus::Revoked,
            address: "浙江省杭州市桐庐县桐君街道富春路55号",
            scope: "歌舞娱乐服务；棋牌服务",
        },
        Seed {
            body: "682902743",
            name: "杭州桐庐恒昌纺织有限公司",
            kind: LLC,
            legal_rep: "金小芳",
            capital: "150万元人民币",
            established: (2009, 1, 16),
            issued: (2022, 12, 29),
            valid_until: None,
            status: LicenseStatus::Deregistered,
            address: "浙江省杭州市桐庐县横村镇工业园区纬一路12号",
            scope: "一般项目：面料纺织加工；针纺织品销售",
        },
        Seed {
            body: "MA27M3Y9D",
            name: "桐庐春晖建筑劳务有限公司",
            kind: LLC,
            legal_rep: "申利群",
            capital: "200万元人民币",
            established: (2004, 7, 1),
            issued: (2014, 7, 1),
            valid_until: Some((2024, 6, 30)),
            status: LicenseStatus::Expired,
            address: "浙江省杭州市桐庐县百江镇百江村百江街88号",
            scope: "建筑劳务分包；建筑材料销售",
        },
    ];
    seeds
        .into_iter()
        .map(|s| Enterprise {
            credit_code: with_check(&format!("{CODE_PREFIX}{}", s.body)),
            name: s.name.to_owned(),
            kind: s.kind.to_owned(),
            legal_rep: s.legal_rep.to_owned(),
            capital: s.capital.to_owned(),
            established: date(s.established.0, s.established.1, s.established.2),
            issued: date(s.issued.0, s.issued.1, s.issued.2),
            valid_until: s.valid_until.map(|(y, m, d)| date(y, m, d)),
            status: s.status,
            address: s.address.to_owned(),
            // Scopes in the 2021 standard wording end with the general clause.
            scope: if s.scope.contains("一般项目") {
                format!("{}{GENERAL}", s.scope)
            } else {
                s.scope.to_owned()
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_codes_are_valid_and_distinct() {
        let all = seed();
        assert!(all.len() >= 20);
        for e in &all {
            credit_code::validate(&e.credit_code).unwrap();
            assert!(e.issued >= e.established, "{}", e.name);
            assert_eq!(
                all.iter()
                    .filter(|o| o.credit_code == e.credit_code)
                    .count(),
                1
            );
        }
        let count = |s| all.iter().filter(|e| e.status == s).count();
        assert_eq!(count(LicenseStatus::Revoked), 1);
        assert_eq!(count(LicenseStatus::Deregistered), 1);
    }

    #[test]
    fn fresh_codes_are_valid() {
        for _ in 0..50 {
            let code = fresh_credit_code(|_| false);
            assert!(code.starts_with("91330122MA2"));
            credit_code::validate(&code).unwrap();
        }
    }
}
