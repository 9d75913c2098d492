//! 一表申请: the fields an application's matters declare, each asked once
//! however many matters of a theme share its key, checked by kind with a clear
//! error per field, and the applicant's basic details (address, phone, legal
//! representative) kept to be offered again on their next case.

use super::*;
use crate::model::{FieldKind, FormField, Matter, PartyField};

/// A field of an application's form, shared by every matter that declares its key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AskedField {
    #[serde(flatten)]
    pub field: FormField,
    /// The codes of the matters that declare it.
    pub matters: Vec<String>,
}

/// One wrong field of an application's form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's key, as `form` names it.
    pub key: String,
    pub label: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

/// The fields of `matters`, in order, each key once: required when any of its
/// matters requires it; its label, kind and party field are the first matter's.
pub fn fields_of<'a>(matters: impl IntoIterator<Item = &'a Matter>) -> Vec<AskedField> {
    let mut out: Vec<AskedField> = Vec::new();
    for matter in matters {
        for field in &matter.form {
            match out.iter_mut().find(|a| a.field.key == field.key) {
                Some(asked) => {
                    asked.field.required |= field.required;
                    asked.matters.push(matter.code.clone());
                }
                None => out.push(AskedField {
                    field: field.clone(),
                    matters: vec![matter.code.clone()],
                }),
            }
        }
    }
    out
}

/// The values of `field` in `form`: the shared one, and in a theme those
/// qualified by one of its matters (`<matter code>/<key>`).
fn values<'a>(
    asked: &'a AskedField,
    form: &'a IndexMap<String, String>,
    theme: bool,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    form.iter()
        .filter(move |(key, _)| {
            *key == &asked.field.key
                || (theme
                    && key.split_once('/').is_some_and(|(matter, field)| {
                        field == asked.field.key && asked.matters.iter().any(|m| m == matter)
                    }))
        })
        .map(|(key, value)| (key.as_str(), value.as_str()))
}

/// What is wrong with `value` as a `kind`, in Chinese.
fn kind_problem(kind: &FieldKind, value: &str) -> Option<String> {
    let value = value.trim();
    match kind {
        FieldKind::Text | FieldKind::Address => None,
        FieldKind::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .is_err()
            .then(|| format!("应为日期，写成 YYYY-MM-DD（如 2026-12-07），而不是“{value}”")),
        FieldKind::Number => value
            .parse::<f64>()
            .map_or(true, |n| !n.is_finite())
            .then(|| format!("应为数字（如 200 或 12.5），而不是“{value}”")),
        FieldKind::Choice { options } => (!options.iter().any(|o| o == value))
            .then(|| format!("应为以下之一：{}", options.join("、"))),
        FieldKind::IdNumber => onewindow_codes::id_number::validate(value)
            .err()
            .map(|e| format!("不是有效的公民身份号码：{e}")),
        FieldKind::CreditCode => onewindow_codes::credit_code::validate(value)
            .err()
            .map(|e| format!("不是有效的统一社会信用代码：{e}")),
    }
}

/// Fills the fields that come from the applicant's name, ID number or credit
/// code when the form leaves them out, then checks every field of `asked`:
/// every wrong one at once.
pub(super) fn complete_and_check(
    asked: &[AskedField],
    form: &mut IndexMap<String, String>,
    applicant: &Party,
    theme: bool,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for a in asked {
        let field = &a.field;
        if values(a, form, theme).all(|(_, v)| v.trim().is_empty()) {
            let known = match (field.from_party, applicant) {
                (Some(PartyField::Name), party) => Some(party.name().to_owned()),
                (Some(PartyField::IdNumber), Party::Person { id_number, .. }) => {
                    Some(id_number.clone())
                }
                (Some(PartyField::CreditCode), Party::Organization { credit_code, .. }) => {
                    Some(credit_code.clone())
                }
                _ => None,
            };
            if let Some(value) = known {
                form.insert(field.key.clone(), value);
            }
        }
        let given: Vec<(&str, &str)> = values(a, form, theme)
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        if given.is_empty() {
            if field.required {
                errors.push(FieldError {
                    key: field.key.clone(),
                    label: field.label.clone(),
                    message: format!("请填写「{}」", field.label),
                });
            }
            continue;
        }
        for (key, value) in given {
            if let Some(problem) = kind_problem(&field.kind, value) {
                errors.push(FieldError {
                    key: key.to_owned(),
                    label: field.label.clone(),
                    message: format!("「{}」{problem}", field.label),
                });
            }
        }
    }
    errors
}

/// The applicant's basic details a form gave: the values of its fields that
/// come from the applicant's address, phone or legal representative.
pub(super) fn details(
    asked: &[AskedField],
    form: &IndexMap<String, String>,
) -> IndexMap<PartyField, String> {
    let mut out = IndexMap::new();
    for a in asked {
        let Some(party_field) = a.field.from_party else {
            continue;
        };
        if !matches!(
            party_field,
            PartyField::Address | PartyField::Phone | PartyField::LegalRepresentative
        ) {
            continue;
        }
        if let Some(value) = form.get(&a.field.key).filter(|v| !v.trim().is_empty()) {
            out.insert(party_field, value.trim().to_owned());
        }
    }
    out
}

impl Platform {
    /// The applicant's details as kept after this case: those `given` now over
    /// those kept from earlier cases, as JSON; none when nothing was given.
    pub(super) async fn remembered(
        &self,
        applicant_id: &str,
        given: IndexMap<PartyField, String>,
    ) -> Result<Option<String>, PlatformError> {
        if given.is_empty() {
            return Ok(None);
        }
        let row = sqlx::query("SELECT details FROM applicant_details WHERE applicant_id = $1")
            .bind(applicant_id)
            .fetch_optional(self.store.pool())
            .await?;
        let mut known: IndexMap<PartyField, String> = match row {
            Some(row) => json_column(&row, "details")?,
            None => IndexMap::new(),
        };
        known.extend(given);
        Ok(Some(
            serde_json::to_string(&known).expect("details serialize"),
        ))
    }

    /// What the applicant (`applicant_id`: an ID number or credit code) gave
    /// on earlier cases for the fields that come from their address, phone or
    /// legal representative, to offer pre-filled: the key of each of `asked`
    /// with the value known for it. Reading them is audited, as `clerk`'s.
    pub async fn prefill(
        &self,
        applicant_id: &str,
        asked: &[AskedField],
        clerk: &str,
    ) -> Result<IndexMap<String, String>, PlatformError> {
        let row = sqlx::query("SELECT details FROM applicant_details WHERE applicant_id = $1")
            .bind(applicant_id)
            .fetch_optional(self.store.pool())
            .await?;
        let Some(row) = row else {
            return Ok(IndexMap::new());
        };
        let known: IndexMap<PartyField, String> = json_column(&row, "details")?;
        let found: IndexMap<String, String> = asked
            .iter()
            .filter_map(|a| {
                let value = known.get(&a.field.from_party?)?;
                Some((a.field.key.clone(), value.clone()))
            })
            .collect();
        if !found.is_empty() {
            self.store
                .audit(NewEntry {
                    at: store::now(),
                    actor: clerk.to_owned(),
                    action: "applicant.details".into(),
                    subject: crate::mask::text(applicant_id),
                    detail: serde_json::json!({ "fields": found.keys().collect::<Vec<_>>() }),
                })
                .await?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{MatterKind, PartyField};

    fn field(key: &str, kind: FieldKind, required: bool, from: Option<PartyField>) -> FormField {
        FormField {
            key: key.into(),
            label: format!("{key}标签"),
            kind,
            required,
            from_party: from,
        }
    }

    fn matter(code: &str, form: Vec<FormField>) -> Matter {
        Matter {
            code: code.into(),
            name: code.into(),
            department: "县局".into(),
            kind: MatterKind::AdministrativeLicense,
            legal_days: 20,
            promised_days: 5,
            visits: 0,
            online: true,
            fee: String::new(),
            conditions: String::new(),
            materials: Vec::new(),
            form,
        }
    }

    fn company() -> Party {
        Party::Organization {
            credit_code: "91330122MA2H1234XM".into(),
            name: "桐庐蜂语新创科技有限公司".into(),
        }
    }

    #[test]
    fn a_key_two_matters_share_is_asked_once_and_required_if_either_requires_it() {
        let a = matter(
            "A",
            vec![
                field("名称", FieldKind::Text, false, Some(PartyField::Name)),
                field("住所", FieldKind::Address, false, None),
            ],
        );
        let b = matter("B", vec![field("住所", FieldKind::Address, true, None)]);
        let asked = fields_of([&a, &b]);
        let keys: Vec<(&str, bool, Vec<String>)> = asked
            .iter()
            .map(|a| (a.field.key.as_str(), a.field.required, a.matters.clone()))
            .collect();
        assert_eq!(
            keys,
            [
                ("名称", false, vec!["A".to_owned()]),
                ("住所", true, vec!["A".to_owned(), "B".to_owned()])
            ]
        );
    }

    #[test]
    fn every_wrong_field_is_named_at_once_and_party_fields_are_filled() {
        let m = matter(
            "A",
            vec![
                field("名称", FieldKind::Text, true, Some(PartyField::Name)),
                field(
                    "代码",
                    FieldKind::CreditCode,
                    true,
                    Some(PartyField::CreditCode),
                ),
                field("成立日期", FieldKind::Date, true, None),
                field("资本", FieldKind::Number, false, None),
                field(
                    "类型",
                    FieldKind::Choice {
                        options: vec!["甲".into(), "乙".into()],
                    },
                    false,
                    None,
                ),
                field("负责人身份证", FieldKind::IdNumber, false, None),
                field("住所", FieldKind::Address, true, Some(PartyField::Address)),
            ],
        );
        let asked = fields_of([&m]);
        let mut form: IndexMap<String, String> = [
            ("成立日期", "2026/12/07"),
            ("资本", "二百万"),
            ("类型", "丙"),
            ("负责人身份证", "110105194912310021"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let errors = complete_and_check(&asked, &mut form, &company(), false);
        let named: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.key.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(named.len(), 5, "{named:?}");
        assert!(named[0].0 == "成立日期" && named[0].1.contains("YYYY-MM-DD"));
        assert!(named[1].0 == "资本" && named[1].1.contains("应为数字"));
        assert!(named[2].0 == "类型" && named[2].1.contains("甲、乙"));
        assert!(named[3].0 == "负责人身份证" && named[3].1.contains("公民身份号码"));
        assert_eq!(named[4], ("住所", "请填写「住所标签」"));
        // The applicant's own name and credit code need not be typed again.
        assert_eq!(form["名称"], "桐庐蜂语新创科技有限公司");
        assert_eq!(form["代码"], "91330122MA2H1234XM");

        form.insert("成立日期".into(), "2026-12-07".into());
        form.insert("资本".into(), "200".into());
        form.insert("类型".into(), "乙".into());
        form.insert("负责人身份证".into(), "11010519491231002X".into());
        form.insert("住所".into(), "桐庐县横村镇".into());
        assert_eq!(complete_and_check(&asked, &mut form, &company(), false), []);
        let details = details(&asked, &form);
        assert_eq!(
            details.into_iter().collect::<Vec<_>>(),
            [(PartyField::Address, "桐庐县横村镇".to_owned())]
        );
    }

    #[test]
    fn in_a_theme_a_value_for_one_matter_counts_and_is_checked() {
        let a = matter("A", vec![field("日期", FieldKind::Date, true, None)]);
        let asked = fields_of([&a]);
        let mut form: IndexMap<String, String> = [("A/日期", "明天")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let errors = complete_and_check(&asked, &mut form, &company(), true);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].key, "A/日期");
        form.insert("A/日期".into(), "2026-12-31".into());
        assert!(complete_and_check(&asked, &mut form, &company(), true).is_empty());
        // Outside a theme, `A/日期` is just another key.
        assert_eq!(
            complete_and_check(&asked, &mut form, &company(), false).len(),
            1
        );
    }
}
