//! The insured persons (参保人员) and their 社会保障卡, as the 金保 system holds them.

use onewindow_codes::chrono::{Datelike as _, NaiveDate};
use onewindow_codes::date::to_compact;
use onewindow_codes::id_number;
use rand::Rng as _;
use serde::Serialize;
use serde_json::{Value, json};

use self::CardStatus::{Cancelled, Expired, Lost, Normal, TemporaryLoss};
use self::insurance::{
    EMPLOYEE_MEDICAL, EMPLOYEE_PENSION, PUBLIC_PENSION, RESIDENT_MEDICAL, RESIDENT_PENSION,
    UNEMPLOYMENT, WORK_INJURY,
};

/// aaz502 卡状态 of a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CardStatus {
    /// 1 正常.
    Normal,
    /// 2 临时挂失.
    TemporaryLoss,
    /// 3 正式挂失.
    Lost,
    /// 4 注销.
    Cancelled,
    /// 5 有效期满.
    Expired,
}

impl CardStatus {
    /// The aaz502 code.
    pub fn code(self) -> u8 {
        match self {
            Self::Normal => 1,
            Self::TemporaryLoss => 2,
            Self::Lost => 3,
            Self::Cancelled => 4,
            Self::Expired => 5,
        }
    }

    /// The Chinese name of the status.
    pub fn name(self) -> &'static str {
        match self {
            Self::Normal => "正常",
            Self::TemporaryLoss => "临时挂失",
            Self::Lost => "正式挂失",
            Self::Cancelled => "注销",
            Self::Expired => "有效期满",
        }
    }

    /// Whether the card can still be used (or merely waits to be found again).
    pub fn usable(self) -> bool {
        matches!(self, Self::Normal | Self::TemporaryLoss)
    }
}

/// One 社会保障卡.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    /// aaz500 社会保障卡卡号.
    pub number: String,
    /// aac002 社会保障号码 (the holder's 公民身份号码).
    pub id_number: String,
    /// aac003 姓名.
    pub name: String,
    /// aae008 开户银行.
    pub bank: String,
    /// aae030 发卡日期.
    pub issued: NaiveDate,
    /// aae031 有效期至.
    pub valid_until: NaiveDate,
    /// aaz502 卡状态.
    pub status: CardStatus,
}

impl Card {
    /// The card record of 社会保障卡查询/验证 (and of a 60 办结 status change).
    pub fn record(&self) -> Value {
        json!({
            "aaz500": self.number,
            "aac002": self.id_number,
            "aac003": self.name,
            "aae008": self.bank,
            "aae030": to_compact(self.issued),
            "aae031": to_compact(self.valid_until),
            "aaz502": self.status.code(),
            "aae017": super::DEPARTMENT,
        })
    }
}

/// 险种类型 codes of the 金保 system.
pub mod insurance {
    /// 企业职工基本养老保险.
    pub const EMPLOYEE_PENSION: u16 = 110;
    /// 机关事业单位养老保险.
    pub const PUBLIC_PENSION: u16 = 120;
    /// 城乡居民基本养老保险.
    pub const RESIDENT_PENSION: u16 = 170;
    /// 失业保险.
    pub const UNEMPLOYMENT: u16 = 210;
    /// 职工基本医疗保险.
    pub const EMPLOYEE_MEDICAL: u16 = 310;
    /// 城乡居民基本医疗保险.
    pub const RESIDENT_MEDICAL: u16 = 390;
    /// 工伤保险.
    pub const WORK_INJURY: u16 = 410;
}

/// An insured person (参保人员).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// aac002 公民身份号码.
    pub aac002: String,
    /// aac003 姓名.
    pub aac003: String,
    /// aae140 险种类型 the person is insured in.
    pub aae140: Vec<u16>,
}

impl Person {
    /// Whether the person is insured in `kind`.
    pub fn insured_in(&self, kind: u16) -> bool {
        self.aae140.contains(&kind)
    }
}

/// The banks that issue 社会保障卡 with a financial account in the county.
pub const BANKS: &[&str] = &[
    "中国农业银行桐庐县支行",
    "中国工商银行桐庐支行",
    "中国建设银行桐庐支行",
    "浙江桐庐农村商业银行",
    "中国邮政储蓄银行桐庐县支行",
    "中国银行桐庐县支行",
];

/// Whether `text` has the shape of a card number: one capital letter and 8 digits.
pub fn is_card_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 9 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit)
}

/// A new card number that none of `taken` uses.
pub fn fresh_card_number(taken: impl Fn(&str) -> bool) -> String {
    let mut rng = rand::rng();
    loop {
        let number = format!("D{:08}", rng.random_range(0..100_000_000u32));
        if !taken(&number) {
            return number;
        }
    }
}

/// Ten years after `issued`, the validity of a card (29 February becomes 28 February).
pub fn ten_years_after(issued: NaiveDate) -> NaiveDate {
    let year = issued.year() + 10;
    issued
        .with_year(year)
        .or_else(|| NaiveDate::from_ymd_opt(year, issued.month(), 28))
        .expect("the 28th exists in every month")
}

/// Completes 17 digits with their GB 11643 check character.
pub fn with_check(first17: &str) -> String {
    let check =
        id_number::check_char(first17).unwrap_or_else(|| panic!("{first17:?} is not 17 digits"));
    format!("{first17}{check}")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("seed dates are valid")
}

/// A seeded card: (number, bank index, issued, status).
type SeedCard = (&'static str, usize, (i32, u32, u32), CardStatus);

struct Seed {
    /// The first 17 digits of the ID number (the check character is computed), or
    /// a whole ID number from another county.
    id: &'static str,
    name: &'static str,
    insured: &'static [u16],
    cards: &'static [SeedCard],
}

const WORKER: &[u16] = &[
    EMPLOYEE_PENSION,
    UNEMPLOYMENT,
    EMPLOYEE_MEDICAL,
    WORK_INJURY,
];
const RESIDENT: &[u16] = &[RESIDENT_PENSION, RESIDENT_MEDICAL];

/// The insured persons and cards on file before the mock starts.
pub fn seed() -> (Vec<Person>, Vec<Card>) {
    let seeds = [
        Seed {
            id: "33012219850312011",
            name: "王镕",
            insured: WORKER,
            cards: &[("D33011201", 0, (2019, 3, 20), Normal)],
        },
        Seed {
            id: "33012219900721013",
            name: "李喆",
            insured: WORKER,
            cards: &[("D33011202", 1, (2020, 8, 5), Normal)],
        },
        Seed {
            id: "33012219781105035",
            name: "陈堃",
            insured: &[EMPLOYEE_PENSION, UNEMPLOYMENT, EMPLOYEE_MEDICAL],
            cards: &[
                ("A10293847", 2, (2012, 6, 1), Cancelled),
                ("D33011203", 2, (2022, 4, 12), Normal),
            ],
        },
        Seed {
            id: "33012219920228026",
            name: "周珺",
            insured: WORKER,
            cards: &[
                ("D33011204", 3, (2018, 11, 25), Lost),
                ("D33011298", 3, (2023, 1, 9), Normal),
            ],
        },
        Seed {
            id: "33012219960909048",
            name: "钱珺瑶",
            insured: &[EMPLOYEE_PENSION, UNEMPLOYMENT],
            cards: &[("D33011205", 4, (2021, 9, 30), TemporaryLoss)],
        },
        Seed {
            id: "33012220080416057",
            name: "吴镕轩",
            insured: &[RESIDENT_MEDICAL],
            cards: &[],
        },
        Seed {
            id: "33012219630130071",
            name: "俞喆明",
            insured: RESIDENT,
            cards: &[("B20140618", 0, (2014, 6, 18), Expired)],
        },
        Seed {
            id: "33012219580808092",
            name: "方堃",
            insured: RESIDENT,
            cards: &[("D33011207", 5, (2017, 5, 22), Normal)],
        },
        Seed {
            id: "33012219550501024",
            name: "叶秀英",
            insured: RESIDENT,
            cards: &[("D33011208", 3, (2016, 12, 8), Normal)],
        },
        Seed {
            id: "33012219701010013",
            name: "申屠建平",
            insured: WORKER,
            cards: &[("D33011209", 0, (2019, 10, 10), Normal)],
        },
        Seed {
            id: "33012219831224046",
            name: "袁海燕",
            insured: &[EMPLOYEE_PENSION, UNEMPLOYMENT, EMPLOYEE_MEDICAL],
            cards: &[("D33011210", 1, (2020, 1, 15), Normal)],
        },
        Seed {
            id: "33012219880606031",
            name: "蒋伟",
            insured: &[EMPLOYEE_PENSION, EMPLOYEE_MEDICAL],
            cards: &[("D33011211", 2, (2021, 7, 1), Normal)],
        },
        Seed {
            id: "33012219750303062",
            name: "章丽娟",
            insured: RESIDENT,
            cards: &[("D33011212", 3, (2018, 3, 3), Normal)],
        },
        Seed {
            id: "33012219660919015",
            name: "姚志刚",
            insured: &[EMPLOYEE_PENSION, UNEMPLOYMENT, EMPLOYEE_MEDICAL],
            cards: &[("D33011213", 4, (2019, 9, 19), Normal)],
        },
        Seed {
            id: "33012219941111088",
            name: "何晓燕",
            insured: WORKER,
            cards: &[],
        },
        Seed {
            id: "33012219610214037",
            name: "钟国平",
            insured: &[PUBLIC_PENSION, EMPLOYEE_MEDICAL],
            cards: &[("D33011215", 5, (2017, 2, 14), Normal)],
        },
        Seed {
            id: "33012219800404040",
            name: "邵红梅",
            insured: &[],
            cards: &[],
        },
        Seed {
            id: "33012219991231019",
            name: "皇甫明辉",
            insured: &[EMPLOYEE_PENSION, UNEMPLOYMENT],
            cards: &[("D33011217", 0, (2022, 12, 30), Normal)],
        },
        Seed {
            id: "33012219720707053",
            name: "徐建华",
            insured: &[EMPLOYEE_PENSION, UNEMPLOYMENT, EMPLOYEE_MEDICAL],
            cards: &[("D33011218", 1, (2020, 6, 18), Normal)],
        },
        Seed {
            // Born in Beijing, insured in the county since moving to live with family.
            id: "11010519491231002X",
            name: "陈晓东",
            insured: RESIDENT,
            cards: &[],
        },
    ];
    let mut persons = Vec::new();
    let mut cards = Vec::new();
    for s in seeds {
        let id = if s.id.len() == 18 {
            s.id.to_owned()
        } else {
            with_check(s.id)
        };
        for &(number, bank, (y, m, d), status) in s.cards {
            let issued = date(y, m, d);
            cards.push(Card {
                number: number.to_owned(),
                id_number: id.clone(),
                name: s.name.to_owned(),
                bank: BANKS[bank].to_owned(),
                issued,
                valid_until: ten_years_after(issued),
                status,
            });
        }
        persons.push(Person {
            aac002: id,
            aac003: s.name.to_owned(),
            aae140: s.insured.to_vec(),
        });
    }
    (persons, cards)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_persons_and_cards_are_valid() {
        let (persons, cards) = seed();
        assert!(persons.len() >= 20);
        for p in &persons {
            id_number::validate(&p.aac002).unwrap();
            assert_eq!(persons.iter().filter(|o| o.aac002 == p.aac002).count(), 1);
        }
        for c in &cards {
            assert!(is_card_number(&c.number), "{}", c.number);
            assert!(persons.iter().any(|p| p.aac002 == c.id_number));
            assert_eq!(cards.iter().filter(|o| o.number == c.number).count(), 1);
        }
        for rare in ['镕', '喆', '堃', '珺'] {
            assert!(persons.iter().any(|p| p.aac003.contains(rare)), "{rare}");
        }
        let chen = persons.iter().find(|p| p.aac003 == "陈晓东").unwrap();
        assert_eq!(chen.aac002, "11010519491231002X");
        assert!(cards.iter().all(|c| c.id_number != chen.aac002));
        for status in [Normal, TemporaryLoss, Lost, Cancelled, Expired] {
            assert!(cards.iter().any(|c| c.status == status), "{status:?}");
        }
    }

    #[test]
    fn fresh_numbers_and_validity() {
        for _ in 0..50 {
            assert!(is_card_number(&fresh_card_number(|_| false)));
        }
        assert_eq!(ten_years_after(date(2024, 2, 29)), date(2034, 2, 28));
        assert_eq!(ten_years_after(date(2026, 11, 28)), date(2036, 11, 28));
    }
}
