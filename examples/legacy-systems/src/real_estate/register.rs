//! The 不动产权证书 register (`zsqd.csv`): seeded certificates of 桐庐县 and the
//! numbers of new ones.

use onewindow_codes::chrono::NaiveDate;
use onewindow_codes::{credit_code, id_number};
use serde::Serialize;

use super::export::Sheet;

/// 证书类型代码 of a 不动产权证书.
pub const TYPE_CODE: &str = "BDCQZ";

/// The columns of a certificate, in `zsqd.csv` and at the end of result rows.
pub const COLUMNS: [&str; 18] = [
    "证书类型代码",
    "不动产权证号",
    "权利人",
    "权利人类型",
    "证件种类",
    "证件号码",
    "共有情况",
    "坐落",
    "不动产单元号",
    "权利类型",
    "权利性质",
    "用途",
    "面积",
    "使用期限",
    "权利限制",
    "登记机构",
    "发证日期",
    "证书状态",
];

/// 证书状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    /// `1` 现势.
    #[serde(rename = "现势")]
    Current,
    /// `2` 注销.
    #[serde(rename = "注销")]
    Cancelled,
}

impl Status {
    /// The code in the register.
    pub fn code(self) -> &'static str {
        match self {
            Status::Current => "1",
            Status::Cancelled => "2",
        }
    }
}

/// One 不动产权证书.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// 不动产权证号.
    pub number: String,
    /// 权利人.
    pub holder: String,
    /// Whether the holder is an organization (权利人类型 2).
    pub organization: bool,
    /// 证件号码: resident ID number or unified social credit code.
    pub holder_id: String,
    /// 共有情况.
    pub co_ownership: String,
    /// 坐落.
    pub location: String,
    /// 不动产单元号.
    pub unit: String,
    /// 权利类型.
    pub right_type: String,
    /// 权利性质.
    pub right_nature: String,
    /// 用途.
    pub usage: String,
    /// 面积, square metres with two decimals.
    pub area: String,
    /// 使用期限.
    pub term: String,
    /// 抵押 and/or 查封 on it.
    pub restrictions: Vec<String>,
    /// 发证日期.
    #[serde(serialize_with = "serialize_date")]
    pub issued: NaiveDate,
    /// 证书状态.
    pub status: Status,
}

fn serialize_date<S: serde::Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&date.format("%Y%m%d"))
}

impl Certificate {
    /// 权利限制 as the register writes it.
    pub fn restriction(&self) -> String {
        if self.restrictions.is_empty() {
            "无".to_owned()
        } else {
            self.restrictions.join("、")
        }
    }

    /// Whether `what` (抵押, 查封) is on it.
    pub fn restricted_by(&self, what: &str) -> bool {
        self.restrictions.iter().any(|r| r == what)
    }

    /// Adds a restriction, keeping 抵押 before 查封.
    pub fn restrict(&mut self, what: &str) {
        if !self.restricted_by(what) {
            self.restrictions.push(what.to_owned());
            self.restrictions.sort_by_key(|r| r != "抵押");
        }
    }

    /// The certificate's columns, in [`COLUMNS`] order.
    pub fn row(&self) -> Vec<String> {
        vec![
            TYPE_CODE.to_owned(),
            self.number.clone(),
            self.holder.clone(),
            if self.organization { "2" } else { "1" }.to_owned(),
            if self.organization { "8" } else { "1" }.to_owned(),
            self.holder_id.clone(),
            self.co_ownership.clone(),
            self.location.clone(),
            self.unit.clone(),
            self.right_type.clone(),
            self.right_nature.clone(),
            self.usage.clone(),
            self.area.clone(),
            self.term.clone(),
            self.restriction(),
            super::DEPARTMENT.to_owned(),
            self.issued.format("%Y%m%d").to_string(),
            self.status.code().to_owned(),
        ]
    }

    /// The serial of its number (`…第0012345号`) and its year, if it has that shape.
    pub fn serial(&self) -> Option<(i32, u32)> {
        let year = self.number.strip_prefix("浙(")?.get(..4)?.parse().ok()?;
        let serial = self
            .number
            .split('第')
            .nth(1)?
            .strip_suffix('号')?
            .parse()
            .ok()?;
        Some((year, serial))
    }
}

/// `zsqd.csv` of `certificates`.
pub fn sheet(certificates: &[Certificate]) -> Sheet {
    Sheet::new(
        &COLUMNS,
        certificates.iter().map(Certificate::row).collect(),
    )
}

/// A certificate number: `浙(2026)桐庐县不动产权第0013001号`.
pub fn number(year: i32, serial: u32) -> String {
    format!("浙({year})桐庐县不动产权第{serial:07}号")
}

/// A resident ID number of 桐庐县 from its first 17 digits.
pub fn person_id(first17: &str) -> String {
    let check = id_number::check_char(first17).expect("17 digits");
    format!("{first17}{check}")
}

/// A unified social credit code from its first 17 characters.
pub fn organization_id(first17: &str) -> String {
    let check = credit_code::check_char(first17).expect("17 code characters");
    format!("{first17}{check}")
}

/// One seeded certificate: holder (name, first 17 characters, organization?), number,
/// 坐落, 单元号, 权利类型, 权利性质, 用途, 面积, 使用期限, 发证日期, restrictions, 注销?
type Seed = (
    (&'static str, &'static str, bool),
    (i32, u32),
    &'static str,
    &'static str,
    Use,
    &'static str,
    &'static str,
    (i32, u32, u32),
    &'static [&'static str],
    bool,
);

/// 权利类型, 权利性质 and 用途 of the usual kinds of property.
#[derive(Debug, Clone, Copy)]
enum Use {
    Home,
    HomeOnCollectiveLand,
    Shop,
    Office,
    Land,
}

impl Use {
    fn columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Use::Home => (
                "国有建设用地使用权/房屋所有权",
                "出让/市场化商品房",
                "城镇住宅用地/住宅",
            ),
            Use::HomeOnCollectiveLand => {
                ("宅基地使用权/房屋所有权", "集体土地/自建房", "宅基地/住宅")
            }
            Use::Shop => (
                "国有建设用地使用权/房屋所有权",
                "出让/市场化商品房",
                "商服用地/商业",
            ),
            Use::Office => (
                "国有建设用地使用权/房屋所有权",
                "出让/自建房",
                "商务金融用地/办公",
            ),
            Use::Land => ("国有建设用地使用权", "出让", "城镇住宅用地"),
        }
    }
}

const SEEDS: &[Seed] = &[
    (
        ("王镕", "33012219880315051", false),
        (2021, 8_317),
        "桐庐县桐君街道迎春南路277号金色蓝庭3幢2单元1502室",
        "330122001001GB00101F00030215",
        Use::Home,
        "118.36",
        "2011年05月20日起2081年05月19日止",
        (2021, 6, 18),
        &["抵押"],
        false,
    ),
    (
        ("李喆", "33012219910722003", false),
        (2022, 4_126),
        "桐庐县城南街道学圣路88号富春人家7幢1单元601室",
        "330122002001GB00217F00070106",
        Use::Home,
        "96.42",
        "2015年03月01日起2085年02月28日止",
        (2022, 3, 9),
        &[],
        false,
    ),
    (
        ("张堃", "33012219760108081", false),
        (2018, 2_231),
        "桐庐县桐君街道白云源路1008号阳光城翡丽湾12幢1单元2101室",
        "330122001003GB00320F00120211",
        Use::Home,
        "139.80",
        "2016年08月10日起2086年08月09日止",
        (2018, 11, 26),
        &[],
        false,
    ),
    (
        ("陈珺", "33012219930519002", false),
        (2023, 12_345),
        "桐庐县城南街道金东路520号金东府5幢2单元902室",
        "330122002002GB00412F00050209",
        Use::Home,
        "89.50",
        "2019年04月12日起2089年04月11日止",
        (2023, 5, 12),
        &[],
        false,
    ),
    (
        ("申屠建华", "33012219650211041", false),
        (2019, 3_128),
        "桐庐县桐君街道春江路168号春江花月5幢1201室",
        "330122001002GB00155F00050120",
        Use::Home,
        "127.66",
        "2004年06月30日起2074年06月29日止",
        (2019, 6, 12),
        &[],
        false,
    ),
    (
        ("俞国强", "33012219700904013", false),
        (2017, 1_502),
        "桐庐县富春江镇芦茨村芦茨湾18号",
        "330122106203JC00018F00010001",
        Use::HomeOnCollectiveLand,
        "236.40",
        "长期",
        (2017, 9, 4),
        &[],
        false,
    ),
    (
        ("方丽华", "33012219720316024", false),
        (2020, 6_610),
        "桐庐县凤川街道凤川大道459号翠苑小区2幢301室",
        "330122004001GB00063F00020301",
        Use::Home,
        "78.12",
        "2002年01月15日起2072年01月14日止",
        (2020, 10, 21),
        &[],
        false,
    ),
    (
        ("叶建平", "33012219680627035", false),
        (2019, 7_724),
        "桐庐县分水镇新龙路188号",
        "330122110001GB00046F00010001",
        Use::Shop,
        "165.30",
        "2008年03月01日起2048年02月29日止",
        (2019, 12, 3),
        &[],
        false,
    ),
    (
        ("钟晓燕", "33012219850812046", false),
        (2021, 2_089),
        "桐庐县横村镇横村大道55号锦绣江南3幢1单元502室",
        "330122105001GB00088F00030105",
        Use::Home,
        "102.75",
        "2013年07月01日起2083年06月30日止",
        (2021, 3, 15),
        &[],
        false,
    ),
    (
        ("袁志刚", "33012219790130057", false),
        (2022, 9_901),
        "桐庐县桐君街道瑶琳路99号商铺1-105",
        "330122001004GB00230F00010105",
        Use::Shop,
        "58.90",
        "2012年09月20日起2052年09月19日止",
        (2022, 11, 30),
        &[],
        false,
    ),
    (
        ("皇甫静", "33012219880221068", false),
        (2024, 1_077),
        "桐庐县城南街道江滨东路36号江滨花园9幢2单元1101室",
        "330122002003GB00175F00090211",
        Use::Home,
        "112.08",
        "2018年02月01日起2088年01月31日止",
        (2024, 1, 26),
        &[],
        false,
    ),
    (
        ("吴桂芳", "33012219560405026", false),
        (2017, 5_236),
        "桐庐县江南镇环溪村环溪路12号",
        "330122107204JC00112F00010001",
        Use::HomeOnCollectiveLand,
        "188.00",
        "长期",
        (2017, 11, 8),
        &[],
        false,
    ),
    (
        ("徐海涛", "33012219821119031", false),
        (2020, 3_318),
        "桐庐县桐君街道迎春南路300号君悦华府2幢1单元1801室",
        "330122001001GB00109F00020118",
        Use::Home,
        "143.25",
        "2014年10月10日起2084年10月09日止",
        (2020, 7, 2),
        &["查封"],
        false,
    ),
    (
        ("蒋雨桐", "33012219990601042", false),
        (2024, 4_410),
        "桐庐县旧县街道凤翔路36号凤翔苑4幢703室",
        "330122003001GB00051F00040703",
        Use::Home,
        "86.60",
        "2020年06月01日起2090年05月31日止",
        (2024, 8, 19),
        &[],
        false,
    ),
    (
        ("郑伟", "33012219870928019", false),
        (2023, 6_052),
        "桐庐县城南街道学圣路200号金色家园11幢1单元301室",
        "330122002001GB00233F00110103",
        Use::Home,
        "99.99",
        "2010年12月01日起2080年11月30日止",
        (2023, 9, 7),
        &[],
        false,
    ),
    (
        ("何秀英", "33012219630714028", false),
        (2018, 8_846),
        "桐庐县桐君街道梅林路15号梅林新村8幢402室",
        "330122001002GB00077F00080402",
        Use::Home,
        "64.30",
        "1999年05月01日起2069年04月30日止",
        (2018, 4, 16),
        &[],
        false,
    ),
    (
        ("周杰", "33012220000303015", false),
        (2022, 5_503),
        "桐庐县城南街道金东路188号东方名城3幢1单元1203室",
        "330122002002GB00390F00030112",
        Use::Home,
        "91.18",
        "2017年03月01日起2087年02月28日止",
        (2022, 6, 6),
        &[],
        true,
    ),
    (
        ("姚欣怡", "33012219960817024", false),
        (2024, 5_518),
        "桐庐县城南街道金东路188号东方名城3幢1单元1203室",
        "330122002002GB00390F00030112",
        Use::Home,
        "91.18",
        "2017年03月01日起2087年02月28日止",
        (2024, 10, 11),
        &[],
        false,
    ),
    (
        ("杭州桐庐富春江置业有限公司", "91330122MA28C5R1X", true),
        (2023, 2_208),
        "桐庐县城南街道学圣路北侧、金东路西侧地块",
        "330122002004GB00521W00000000",
        Use::Land,
        "28560.00",
        "2023年02月15日起2093年02月14日止",
        (2023, 3, 1),
        &[],
        false,
    ),
    (
        ("桐庐县城市建设发展有限公司", "91330122143720518", true),
        (2019, 9_410),
        "桐庐县桐君街道迎春南路366号",
        "330122001001GB00140F00010001",
        Use::Office,
        "4820.55",
        "2006年08月01日起2056年07月31日止",
        (2019, 10, 28),
        &[],
        false,
    ),
    (
        (
            "浙江桐庐农村商业银行股份有限公司",
            "91330122146038291",
            true,
        ),
        (2020, 1_021),
        "桐庐县桐君街道学圣路111号",
        "330122001003GB00012F00010001",
        Use::Office,
        "9630.00",
        "2003年11月20日起2053年11月19日止",
        (2020, 2, 24),
        &[],
        false,
    ),
    (
        ("桐庐瑶琳旅游开发有限公司", "91330122MA2B0K4Q5", true),
        (2021, 7_735),
        "桐庐县瑶琳镇瑶琳村瑶琳仙境景区游客中心",
        "330122109201GB00008F00010001",
        Use::Shop,
        "1250.40",
        "2009年04月01日起2049年03月31日止",
        (2021, 11, 2),
        &[],
        false,
    ),
];

/// The register the department starts with.
pub fn seed() -> Vec<Certificate> {
    SEEDS
        .iter()
        .map(
            |&(
                (holder, first17, organization),
                (year, serial),
                location,
                unit,
                usage,
                area,
                term,
                (y, m, d),
                restrictions,
                cancelled,
            )| {
                let (right_type, right_nature, usage) = usage.columns();
                Certificate {
                    number: number(year, serial),
                    holder: holder.to_owned(),
                    organization,
                    holder_id: if organization {
                        organization_id(first17)
                    } else {
                        person_id(first17)
                    },
                    co_ownership: "单独所有".to_owned(),
                    location: location.to_owned(),
                    unit: unit.to_owned(),
                    right_type: right_type.to_owned(),
                    right_nature: right_nature.to_owned(),
                    usage: usage.to_owned(),
                    area: area.to_owned(),
                    term: term.to_owned(),
                    restrictions: restrictions.iter().map(|&r| r.to_owned()).collect(),
                    issued: NaiveDate::from_ymd_opt(y, m, d).expect("a real seed date"),
                    status: if cancelled {
                        Status::Cancelled
                    } else {
                        Status::Current
                    },
                }
            },
        )
        .collect()
}
