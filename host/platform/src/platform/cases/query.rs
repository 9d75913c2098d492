//! Reading cases: one with its parts and timeline, or a filtered list, with
//! their deadlines as of today.

use super::*;
use crate::store::rows;

impl Platform {
    /// One case with its parts and timeline.
    pub async fn case(&self, case_no: &str) -> Result<Case, PlatformError> {
        let mut tx = self.store.snapshot().await?;
        let row = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE case_no = $1"
        ))
        .bind(case_no)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no case with number {case_no:?}")))?;
        let mut case = self.case_from_row(&row)?;
        fill_details(&mut tx, std::slice::from_mut(&mut case)).await?;
        tx.commit().await?;
        Ok(case)
    }

    /// Cases matching the filters, newest first.
    pub async fn cases(&self, query: &CaseQuery) -> Result<Vec<Case>, PlatformError> {
        let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
            Some(name) => Some(Status::parse(name).ok_or_else(|| {
                invalid(
                    "status",
                    format!(
                        "unknown status {name:?}; use one of {}",
                        Status::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?),
            None => None,
        };
        let mut tx = self.store.snapshot().await?;
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases \
             WHERE ($1 = '' OR status = $1) AND ($2 = '' OR applicant_id = $2) \
             ORDER BY case_no DESC LIMIT {LIST_LIMIT}"
        ))
        .bind(status.map(Status::as_str).unwrap_or_default())
        .bind(query.applicant.as_deref().unwrap_or_default().trim())
        .fetch_all(&mut *tx)
        .await?;
        let mut cases = Vec::new();
        for row in &rows {
            let case = self.case_from_row(row)?;
            let overdue = case.due == Some(DueStatus::Overdue);
            let due_soon = case.due == Some(DueStatus::DueSoon);
            if query.overdue.is_some_and(|want| want != overdue)
                || query.due_soon.is_some_and(|want| want != due_soon)
            {
                continue;
            }
            cases.push(case);
        }
        fill_details(&mut tx, &mut cases).await?;
        if let Some(department) = query.department.as_deref().filter(|d| !d.is_empty()) {
            cases.retain(|case| {
                case.parts
                    .iter()
                    .any(|p| p.department.as_deref() == Some(department))
            });
        }
        tx.commit().await?;
        Ok(cases)
    }

    /// Where a case in `status` stands against `promised_by` today, and the
    /// working days left; nothing once the department has decided.
    pub(super) fn due(
        &self,
        status: Status,
        promised_by: NaiveDate,
        today: NaiveDate,
    ) -> (Option<DueStatus>, Option<i64>) {
        if status.is_final() || matches!(status, Status::Approved | Status::Denied) {
            (None, None)
        } else {
            (
                Some(self.calendar.status(promised_by, today)),
                Some(self.calendar.working_days_left(promised_by, today)),
            )
        }
    }

    pub(super) fn case_from_row(&self, row: &AnyRow) -> Result<Case, PlatformError> {
        let status: String = row.try_get("status")?;
        let status = Status::parse(&status)
            .ok_or_else(|| store::StoreError::Corrupt(format!("unknown case status {status:?}")))?;
        let date = |column: &str| -> Result<NaiveDate, PlatformError> {
            let text: String = row.try_get(column)?;
            text.parse()
                .map_err(|_| store::StoreError::Corrupt(format!("{column} is {text:?}")).into())
        };
        let mut promised_by = date("promised_by")?;
        let mut legal_by = date("legal_by")?;
        let mut provisional = row.try_get::<i64, _>("provisional")? != 0;
        let today = self.today();
        if status.clock_stopped() {
            // The clock is stopped: the deadlines move on with every day of waiting.
            let paused: Pauses = json_column(row, "paused")?;
            let (promised, legal) = deadlines(self, row, &paused, today)?;
            promised_by = promised.date;
            legal_by = legal.date;
            provisional = promised.provisional || legal.provisional;
        }
        let (due, left) = self.due(status, promised_by, today);
        // Working days in special procedures; an open one counts until today.
        let special: Pauses = json_column(row, "special")?;
        let special_days: i64 = special
            .iter()
            .map(|(from, until)| {
                self.calendar
                    .working_days_between(*from, until.unwrap_or(today))
                    .unwrap_or_default()
                    .max(0)
            })
            .sum();
        let promised_days: i64 = row.try_get("promised_days")?;
        let covered: Vec<LicenseRef> = json_column(row, "covered")?;
        let consent: Option<String> = row.try_get("consent")?;
        Ok(Case {
            case_no: row.try_get("case_no")?,
            matter_code: row.try_get("matter_code")?,
            theme_code: row.try_get("theme_code")?,
            status,
            applicant: json_column(row, "applicant")?,
            accepted_at: row.try_get("accepted_at")?,
            promised_by,
            legal_by,
            provisional,
            due,
            working_days_left: left,
            covered_by_license: covered.into_iter().map(|c| c.material_code).collect(),
            consent: consent
                .map(|c| serde_json::from_str(&c))
                .transpose()
                .map_err(|e| store::StoreError::Corrupt(format!("consent: {e}")))?,
            form: json_column(row, "form")?,
            reason: row.try_get("reason")?,
            special_procedure_days: special_days,
            special_procedure_long: special_days * 2 > promised_days,
            parts: Vec::new(),
            timeline: Vec::new(),
        })
    }
}

pub(super) const CASE_COLUMNS: &str = "case_no, matter_code, theme_code, status, applicant, form, consent, covered, accepted_at, \
     promised_by, legal_by, provisional, reason, paused, special, accepted_on, promised_days, legal_days";

/// The promised and legal deadlines of a case from its row (`paused`,
/// `accepted_on`, `promised_days`, `legal_days`) with `paused` in place of the
/// stored pauses; an open pause runs until `today`.
pub(super) fn deadlines(
    platform: &Platform,
    row: &AnyRow,
    paused: &Pauses,
    today: NaiveDate,
) -> Result<(Deadline, Deadline), PlatformError> {
    let accepted_on: String = row.try_get("accepted_on")?;
    let accepted_on: NaiveDate = accepted_on
        .parse()
        .map_err(|_| store::StoreError::Corrupt(format!("accepted_on is {accepted_on:?}")))?;
    let days = |column: &str| -> Result<u32, PlatformError> {
        let value: i64 = row.try_get(column)?;
        Ok(u32::try_from(value).unwrap_or(u32::MAX))
    };
    let calendar = &platform.calendar;
    Ok((
        calendar.deadline(accepted_on, days("promised_days")?, paused, today),
        calendar.deadline(accepted_on, days("legal_days")?, paused, today),
    ))
}

/// The parts a part waits for (一件事 in order), until it is released.
pub(super) fn waits_for(row: &AnyRow) -> Result<Option<Vec<i64>>, PlatformError> {
    let json: Option<String> = row.try_get("waits_for")?;
    json.map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| store::StoreError::Corrupt(format!("case_parts.waits_for: {e}")).into())
}

/// Reads the parts and timelines of `cases`: two queries, however many cases.
pub(super) async fn fill_details(tx: &mut Tx, cases: &mut [Case]) -> Result<(), PlatformError> {
    if cases.is_empty() {
        return Ok(());
    }
    let placeholders = rows::tuples(1, cases.len());
    let parts_sql = format!(
        "SELECT p.case_no, p.part_no, p.matter_code, p.status, p.department_ref, p.reason, \
         p.waits_for, m.name AS matter_name, m.department FROM case_parts p \
         LEFT JOIN matters m ON m.code = p.matter_code WHERE p.case_no IN {placeholders} \
         ORDER BY p.case_no, p.part_no"
    );
    let mut query = sqlx::query(&parts_sql);
    for case in cases.iter() {
        query = query.bind(&case.case_no);
    }
    let mut parts: HashMap<String, Vec<(Part, Vec<i64>)>> = HashMap::new();
    for row in query.fetch_all(&mut **tx).await? {
        let status: String = row.try_get("status")?;
        let waits_for = waits_for(&row)?.unwrap_or_default();
        parts.entry(row.try_get("case_no")?).or_default().push((
            Part {
                part_no: row.try_get("part_no")?,
                matter_code: row.try_get("matter_code")?,
                matter_name: row.try_get("matter_name")?,
                department: row.try_get("department")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown part status {status:?}"))
                })?,
                department_ref: row.try_get("department_ref")?,
                reason: row.try_get("reason")?,
                waiting_for: Vec::new(),
            },
            waits_for,
        ));
    }
    let steps_sql = format!(
        "SELECT case_no, at, part_no, status, actor, note FROM timeline \
         WHERE case_no IN {placeholders} ORDER BY id"
    );
    let mut query = sqlx::query(&steps_sql);
    for case in cases.iter() {
        query = query.bind(&case.case_no);
    }
    let mut steps: HashMap<String, Vec<Step>> = HashMap::new();
    for row in query.fetch_all(&mut **tx).await? {
        let status: String = row.try_get("status")?;
        steps
            .entry(row.try_get("case_no")?)
            .or_default()
            .push(Step {
                at: row.try_get("at")?,
                part_no: row.try_get("part_no")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown timeline status {status:?}"))
                })?,
                actor: row.try_get("actor")?,
                note: row.try_get("note")?,
            });
    }
    for case in cases.iter_mut() {
        let of_case = parts.remove(&case.case_no).unwrap_or_default();
        let label = |part_no: i64| {
            of_case
                .iter()
                .find(|(p, _)| p.part_no == part_no)
                .map(|(p, _)| {
                    p.matter_name
                        .clone()
                        .unwrap_or_else(|| p.matter_code.clone())
                })
                .unwrap_or_default()
        };
        case.parts = of_case
            .iter()
            .map(|(part, waits_for)| Part {
                waiting_for: waits_for.iter().map(|&n| label(n)).collect(),
                ..part.clone()
            })
            .collect();
        case.timeline = steps.remove(&case.case_no).unwrap_or_default();
    }
    Ok(())
}
