//! The population register (常住人口登记) of 桐庐县, its 居民身份证 and 居民户口簿
//! pages, and the 居住证 of people registered elsewhere.

use onewindow_codes::chrono::{Datelike as _, Months, NaiveDate};
use onewindow_codes::date::to_compact;
use onewindow_codes::id_number;

use super::records::{LICENSE, Out};

/// Who issues every license here.
pub const ISSUER: &str = "桐庐县公安局";

/// The county's administrative division code, the first six digits of its ID numbers.
pub const DIVISION: &str = "330122";

/// A 居民身份证 on file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// 签发日期.
    pub issued: NaiveDate,
    /// 有效期至; `None` is 长期.
    pub valid_until: Option<NaiveDate>,
}

impl Card {
    /// A card issued on `issued` to someone born on `birth`, valid as the law says for that age.
    pub fn issue(issued: NaiveDate, birth: NaiveDate) -> Self {
        let years = match age(birth, issued) {
            ..16 => Some(5),
            16..=25 => Some(10),
            26..=45 => Some(20),
            _ => None,
        };
        Self {
            issued,
            valid_until: years.map(|y| {
                issued
                    .checked_add_months(Months::new(12 * y))
                    .unwrap_or(issued)
            }),
        }
    }
}

/// Full years between `birth` and `on`.
pub fn age(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// A registered resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// 公民身份号码.
    pub id_number: String,
    /// 姓名.
    pub name: String,
    /// 男 / 女.
    pub sex: &'static str,
    /// 民族, e.g. 汉, 畲.
    pub ethnicity: String,
    /// 出生日期.
    pub birth: NaiveDate,
    /// 住址.
    pub address: String,
    /// 户号.
    pub household: String,
    /// Page of the 居民户口簿.
    pub page: u32,
    /// 户主姓名.
    pub head: String,
    /// 与户主关系.
    pub relation: String,
    /// When the resident's 居民户口簿 page was issued.
    pub registered: NaiveDate,
    /// The 居民身份证 issued here, if any.
    pub card: Option<Card>,
    /// 迁出地 for people who moved in.
    pub moved_in_from: Option<String>,
}

impl Resident {
    /// The number of the resident's 居民户口簿 page: 户号 and two digits.
    pub fn book_number(&self) -> String {
        format!("{}{:02}", self.household, self.page)
    }

    fn license(&self, type_code: &str, type_name: &str, number: String) -> Out {
        Out::new(&LICENSE)
            .set("证照类型代码", type_code)
            .set("证照类型名称", type_name)
            .set("证照编号", number)
            .set("持证人证件号码", &self.id_number)
            .set("持证人姓名", &self.name)
            .set("发证机关", ISSUER)
            .set("性别", self.sex)
            .set("民族", &self.ethnicity)
            .set("出生日期", to_compact(self.birth))
            .set("住址", &self.address)
    }

    /// The `30` of the resident's 居民身份证, if one was issued here.
    pub fn card_record(&self, today: NaiveDate) -> Option<Out> {
        let card = self.card.as_ref()?;
        Some(
            self.license("JMSFZ", "居民身份证", self.id_number.clone())
                .set("签发日期", to_compact(card.issued))
                .set("有效期至", until(card.valid_until))
                .set("证照状态", status(card.valid_until, today)),
        )
    }

    /// The `30` of the resident's 居民户口簿 page.
    pub fn book_record(&self) -> Out {
        self.license("JMHKB", "居民户口簿", self.book_number())
            .set("签发日期", to_compact(self.registered))
            .set("有效期至", "长期")
            .set("证照状态", "1")
            .set("户号", &self.household)
            .set("户主姓名", &self.head)
            .set("与户主关系", &self.relation)
    }
}

/// A 居住证.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permit {
    /// 证照编号: 16 digits.
    pub number: String,
    /// 公民身份号码 of the holder.
    pub id_number: String,
    /// 姓名.
    pub name: String,
    /// 居住地址.
    pub address: String,
    /// 签发日期.
    pub issued: NaiveDate,
    /// 有效期至.
    pub valid_until: NaiveDate,
}

impl Permit {
    /// The `30` of the permit.
    pub fn record(&self, today: NaiveDate) -> Out {
        Out::new(&LICENSE)
            .set("证照类型代码", "JZZ")
            .set("证照类型名称", "居住证")
            .set("证照编号", &self.number)
            .set("持证人证件号码", &self.id_number)
            .set("持证人姓名", &self.name)
            .set("发证机关", ISSUER)
            .set("签发日期", to_compact(self.issued))
            .set("有效期至", to_compact(self.valid_until))
            .set("证照状态", status(Some(self.valid_until), today))
            .set("性别", sex_of(&self.id_number))
            .set("住址", &self.address)
    }
}

fn until(valid_until: Option<NaiveDate>) -> String {
    valid_until.map_or_else(|| "长期".to_owned(), to_compact)
}

fn status(valid_until: Option<NaiveDate>, today: NaiveDate) -> &'static str {
    if valid_until.is_some_and(|d| d < today) {
        "3"
    } else {
        "1"
    }
}

/// 男 or 女 by the parity of the 17th digit.
pub fn sex_of(id_number: &str) -> &'static str {
    match id_number.as_bytes().get(16) {
        Some(d) if (d - b'0') % 2 == 1 => "男",
        _ => "女",
    }
}

/// The birth date in positions 7–14 of an ID number.
pub fn birth_of(id_number: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(id_number.get(6..14)?, "%Y%m%d").ok()
}

/// An ID number of the county for someone born on `birth` with sequence `seq` (000–999).
pub fn id_for(birth: NaiveDate, seq: u32) -> String {
    let body = format!("{DIVISION}{}{seq:03}", to_compact(birth));
    let check = id_number::check_char(&body).expect("17 digits");
    format!("{body}{check}")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("seed dates are valid")
}

/// A seeded resident: 姓名, 出生日期, sequence number, 民族, 户号, 与户主关系, 住址 and
/// the day the card was issued.
type Seed = (
    &'static str,
    (i32, u32, u32),
    u32,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Option<(i32, u32, u32)>,
);

// Sequence numbers: odd for men, even for women (GB 11643).
const SEEDS: &[Seed] = &[
    (
        "王镕",
        (1982, 3, 15),
        1,
        "汉",
        "122000102",
        "户主",
        "浙江省桐庐县城南街道白云源路18号",
        Some((2015, 6, 10)),
    ),
    (
        "刘芳",
        (1983, 9, 2),
        22,
        "汉",
        "122000102",
        "妻",
        "浙江省桐庐县城南街道白云源路18号",
        Some((2012, 4, 20)),
    ),
    (
        "王欣怡",
        (2016, 5, 8),
        42,
        "汉",
        "122000102",
        "女",
        "浙江省桐庐县城南街道白云源路18号",
        None,
    ),
    (
        "李喆",
        (1990, 11, 23),
        17,
        "汉",
        "122000103",
        "户主",
        "浙江省桐庐县桐君街道学圣路66号3幢502室",
        Some((2018, 1, 9)),
    ),
    (
        "孙晓燕",
        (1988, 7, 14),
        28,
        "汉",
        "122000103",
        "妻",
        "浙江省桐庐县桐君街道学圣路66号3幢502室",
        Some((2019, 3, 30)),
    ),
    (
        "赵堃",
        (1975, 2, 27),
        35,
        "汉",
        "122000104",
        "户主",
        "浙江省桐庐县凤川街道凤联村凤川大道2号",
        Some((2013, 8, 1)),
    ),
    (
        "钟珺",
        (1996, 7, 23),
        2,
        "畲",
        "122000105",
        "户主",
        "浙江省桐庐县莪山畲族乡新丰村沈家32号",
        Some((2016, 8, 1)),
    ),
    (
        "雷建华",
        (1965, 10, 5),
        11,
        "畲",
        "122000106",
        "户主",
        "浙江省桐庐县莪山畲族乡中门村戴家山18号",
        Some((2012, 12, 3)),
    ),
    (
        "蓝月英",
        (1968, 4, 19),
        26,
        "畲",
        "122000106",
        "妻",
        "浙江省桐庐县莪山畲族乡中门村戴家山18号",
        Some((2014, 5, 16)),
    ),
    (
        "方志强",
        (1958, 1, 30),
        53,
        "汉",
        "122000107",
        "户主",
        "浙江省桐庐县分水镇儒桥村儒桥街45号",
        Some((2010, 9, 28)),
    ),
    (
        "俞美娟",
        (1961, 12, 8),
        64,
        "汉",
        "122000107",
        "妻",
        "浙江省桐庐县分水镇儒桥村儒桥街45号",
        Some((2011, 2, 17)),
    ),
    (
        "方晨",
        (2009, 6, 12),
        71,
        "汉",
        "122000107",
        "孙子",
        "浙江省桐庐县分水镇儒桥村儒桥街45号",
        Some((2019, 7, 1)),
    ),
    (
        "申屠国平",
        (1970, 8, 21),
        97,
        "汉",
        "122000108",
        "户主",
        "浙江省桐庐县江南镇环溪村环溪路9号",
        Some((2016, 10, 12)),
    ),
    (
        "袁丽萍",
        (1985, 3, 3),
        84,
        "汉",
        "122000109",
        "户主",
        "浙江省桐庐县旧县街道母岭村母岭路27号",
        Some((2017, 6, 6)),
    ),
    (
        "姚俊杰",
        (2001, 9, 17),
        19,
        "汉",
        "122000110",
        "户主",
        "浙江省桐庐县凤川街道三鑫村三鑫路8号",
        Some((2019, 10, 8)),
    ),
    (
        "徐佳怡",
        (1999, 1, 26),
        46,
        "汉",
        "122000111",
        "户主",
        "浙江省桐庐县横村镇横村街道口35号",
        Some((2020, 1, 15)),
    ),
    (
        "何建国",
        (1953, 5, 1),
        15,
        "汉",
        "122000112",
        "户主",
        "浙江省桐庐县瑶琳镇瑶琳村琳溪路12号",
        Some((2009, 3, 3)),
    ),
    (
        "皇甫明",
        (1979, 12, 24),
        39,
        "汉",
        "122000113",
        "户主",
        "浙江省桐庐县百江镇百江村百江路56号",
        Some((2021, 11, 11)),
    ),
    (
        "周海涛",
        (1992, 4, 6),
        57,
        "汉",
        "122000114",
        "户主",
        "浙江省桐庐县富春江镇七里泷村泷江路3号",
        Some((2014, 7, 25)),
    ),
];

/// 陈晓东, who moved in from 北京市朝阳区; the repository's example requests use this ID number.
pub const CHEN_XIAODONG: &str = "11010519491231002X";

/// The seeded register.
pub fn seed_residents() -> Vec<Resident> {
    let mut residents: Vec<Resident> = SEEDS
        .iter()
        .map(
            |&(name, (y, m, d), seq, ethnicity, household, relation, address, card_issued)| {
                let birth = date(y, m, d);
                let id_number = id_for(birth, seq);
                let head = SEEDS
                    .iter()
                    .find(|h| h.4 == household && h.5 == "户主")
                    .map_or(name, |h| h.0);
                let page = SEEDS
                    .iter()
                    .filter(|o| o.4 == household)
                    .position(|o| o.0 == name)
                    .unwrap_or(0) as u32
                    + 1;
                Resident {
                    sex: sex_of(&id_number),
                    id_number,
                    name: name.to_owned(),
                    ethnicity: ethnicity.to_owned(),
                    birth,
                    address: address.to_owned(),
                    household: household.to_owned(),
                    page,
                    head: head.to_owned(),
                    relation: relation.to_owned(),
                    // The register went digital in 2008; later newborns were registered at birth.
                    registered: birth.max(date(2008, 1, 1)),
                    card: card_issued.map(|(y, m, d)| Card::issue(date(y, m, d), birth)),
                    moved_in_from: None,
                }
            },
        )
        .collect();
    let birth = date(1949, 12, 31);
    residents.insert(
        0,
        Resident {
            id_number: CHEN_XIAODONG.to_owned(),
            name: "陈晓东".to_owned(),
            sex: sex_of(CHEN_XIAODONG),
            ethnicity: "汉".to_owned(),
            birth,
            address: "浙江省桐庐县桐君街道迎春南路277号".to_owned(),
            household: "122000101".to_owned(),
            page: 1,
            head: "陈晓东".to_owned(),
            relation: "户主".to_owned(),
            registered: date(2021, 3, 1),
            card: Some(Card::issue(date(2021, 3, 15), birth)),
            moved_in_from: Some("北京市朝阳区".to_owned()),
        },
    );
    residents
}

/// The seeded 居住证: 张伟 from 河南省, working in the county.
pub fn seed_permits() -> Vec<Permit> {
    vec![Permit {
        number: "3301222026000017".to_owned(),
        id_number: "41052319910508321X".to_owned(),
        name: "张伟".to_owned(),
        address: "浙江省桐庐县城南街道金东路99号东方名城5幢1201室".to_owned(),
        issued: date(2026, 3, 2),
        valid_until: date(2027, 3, 2),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_are_valid_and_agree_with_the_register() {
        let residents = seed_residents();
        assert_eq!(residents.len(), 20);
        for r in &residents {
            id_number::validate(&r.id_number).unwrap();
            assert_eq!(birth_of(&r.id_number), Some(r.birth), "{}", r.name);
            assert_eq!(r.sex, sex_of(&r.id_number));
        }
        let women: Vec<&str> = residents
            .iter()
            .filter(|r| r.sex == "女")
            .map(|r| r.name.as_str())
            .collect();
        assert!(
            women.contains(&"钟珺") && women.contains(&"刘芳"),
            "{women:?}"
        );
        for p in seed_permits() {
            id_number::validate(&p.id_number).unwrap();
        }
    }

    #[test]
    fn card_validity_follows_age() {
        let birth = date(2000, 6, 1);
        assert_eq!(
            Card::issue(date(2010, 6, 1), birth).valid_until,
            Some(date(2015, 6, 1))
        );
        assert_eq!(
            Card::issue(date(2016, 6, 1), birth).valid_until,
            Some(date(2026, 6, 1))
        );
        assert_eq!(
            Card::issue(date(2026, 6, 1), birth).valid_until,
            Some(date(2046, 6, 1))
        );
        assert_eq!(Card::issue(date(2046, 6, 1), birth).valid_until, None);
    }
}
