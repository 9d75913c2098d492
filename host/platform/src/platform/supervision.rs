//! Supervision (seed items 24, 28, 29): each 差评 followed up by its department
//! (回访 and 整改, closed within 15 working days), and complaints and enquiries
//! (投诉、咨询) routed to a department, replied to within a limit in working
//! days, pressed by a supervisor once overdue (督办), and rated by the
//! applicant. Every step is audited; a department sees only its own.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;
use utoipa::ToSchema;

use super::cases::RatingChannel;
use super::{Platform, PlatformError, licenses};
use crate::audit::NewEntry;
use crate::model::Party;
use crate::store::{self, Tx};

/// Who is looking: what they may see of follow-ups and complaints.
#[derive(Debug, Clone, Copy)]
pub enum Viewer<'a> {
    /// A supervisor (督查): every department's.
    All,
    /// A department's staff: that department's only.
    Department(&'a str),
    /// An applicant: their own complaints, and the follow-ups of their cases.
    Applicant(&'a str),
}

/// Where a follow-up or a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Within its limit, not yet done.
    Open,
    /// Past its limit, not yet done.
    Overdue,
    /// Done within its limit.
    Done,
    /// Done after its limit.
    DoneLate,
}

impl Standing {
    fn of(done_on: Option<NaiveDate>, due_on: NaiveDate, today: NaiveDate) -> Standing {
        match done_on {
            Some(d) if d <= due_on => Standing::Done,
            Some(_) => Standing::DoneLate,
            None if today > due_on => Standing::Overdue,
            None => Standing::Open,
        }
    }

    /// 办理中 … 逾期办结.
    pub fn label(self) -> &'static str {
        match self {
            Standing::Open => "办理中",
            Standing::Overdue => "已逾期",
            Standing::Done => "按期办结",
            Standing::DoneLate => "逾期办结",
        }
    }
}

/// One recorded step of a follow-up: who, when, and their note.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Recorded {
    pub at: String,
    pub by: String,
    pub note: String,
}

/// The follow-up of a 差评 (a rating of 1 or 2).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUp {
    pub case_no: String,
    /// The department it is assigned to: that of the case's first part.
    pub department: String,
    pub rating: i64,
    /// What the applicant wrote with the rating.
    pub comment: String,
    pub opened_on: NaiveDate,
    /// 15 working days after `opened_on`.
    pub due_on: NaiveDate,
    /// 回访: the call back to the applicant.
    pub callback: Option<Recorded>,
    /// 整改: what the department changed.
    pub rectification: Option<Recorded>,
    pub closed: Option<Recorded>,
    pub standing: Standing,
    /// Working days left to `due_on` while it is open; negative once overdue.
    pub working_days_left: Option<i64>,
}

/// A step of a follow-up: `POST /api/v1/follow-ups/{case_no}/{step}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpStep {
    /// 回访.
    Callback,
    /// 整改.
    Rectification,
    /// 办结, once both are recorded.
    Close,
}

impl FollowUpStep {
    fn label(self) -> &'static str {
        match self {
            FollowUpStep::Callback => "回访",
            FollowUpStep::Rectification => "整改",
            FollowUpStep::Close => "办结",
        }
    }
}

/// 投诉 or 咨询.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintKind {
    Complaint,
    Enquiry,
}

impl ComplaintKind {
    pub fn label(self) -> &'static str {
        match self {
            ComplaintKind::Complaint => "投诉",
            ComplaintKind::Enquiry => "咨询",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ComplaintKind::Complaint => "complaint",
            ComplaintKind::Enquiry => "enquiry",
        }
    }
}

/// `POST /api/v1/complaints`: a complaint or enquiry, taken at the window or
/// in the applicant channel. It goes to `department` when one is chosen, else
/// to the department of `matter_code`, else to that of `case_no`'s first part.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    pub kind: ComplaintKind,
    pub applicant: Party,
    #[serde(default)]
    pub matter_code: Option<String>,
    /// A case of the applicant's that it concerns.
    #[serde(default)]
    pub case_no: Option<String>,
    /// The department, as the catalogue names it, when the clerk chooses.
    #[serde(default)]
    pub department: Option<String>,
    pub content: String,
}

/// A step on a complaint's timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintStep {
    pub at: String,
    pub actor: String,
    /// 受理, 答复, 督办 or 评价.
    pub action: String,
    pub note: String,
}

/// A complaint or enquiry, with its timeline.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Complaint {
    pub id: i64,
    pub kind: ComplaintKind,
    pub applicant: Party,
    /// Where it was taken.
    pub channel: RatingChannel,
    pub matter_code: Option<String>,
    pub case_no: Option<String>,
    pub department: String,
    pub content: String,
    pub opened_at: String,
    /// The working-day limit for the reply (`complaint-days`).
    pub due_on: NaiveDate,
    pub reply: Option<Recorded>,
    /// The applicant's rating of the reply, 1–5.
    pub rating: Option<i64>,
    pub rating_comment: Option<String>,
    /// How many times a supervisor pressed it (督办).
    pub supervised: i64,
    /// Against `due_on`, by the reply.
    pub standing: Standing,
    pub working_days_left: Option<i64>,
    /// Empty in lists.
    pub steps: Vec<ComplaintStep>,
}

const NOTE_LIMIT: usize = 2000;

/// The complaint number in an address: anything but a number names none.
pub fn complaint_id(text: &str) -> Result<i64, PlatformError> {
    text.parse()
        .map_err(|_| PlatformError::NotFound(format!("没有编号为 {text} 的投诉或咨询。")))
}

fn invalid(field: &str, message: impl Into<String>) -> PlatformError {
    PlatformError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A note a person must write: not blank, at most 2000 characters.
fn note(field: &str, text: &str, what: &str) -> Result<String, PlatformError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid(field, format!("请填写{what}。")));
    }
    if text.chars().count() > NOTE_LIMIT {
        return Err(invalid(
            field,
            format!("{what}不能超过 {NOTE_LIMIT} 个字。"),
        ));
    }
    Ok(text.to_owned())
}

fn date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| t.get(..10).and_then(|d| d.parse().ok()))
}

/// The step recorded in columns `at`, `by` and (when it has one) `note`, if it is.
fn recorded(
    row: &AnyRow,
    at: &str,
    by: &str,
    note: Option<&str>,
) -> Result<Option<Recorded>, sqlx::Error> {
    let at: Option<String> = row.try_get(at)?;
    Ok(match at {
        Some(at) => Some(Recorded {
            at,
            by: row.try_get::<Option<String>, _>(by)?.unwrap_or_default(),
            note: match note {
                Some(column) => row
                    .try_get::<Option<String>, _>(column)?
                    .unwrap_or_default(),
                None => String::new(),
            },
        }),
        None => None,
    })
}

const FOLLOW_UP_COLUMNS: &str = "f.case_no, f.department, f.opened_on, f.due_on, \
     f.called_back_at, f.called_back_by, f.callback_note, \
     f.rectified_at, f.rectified_by, f.rectification_note, \
     f.closed_at, f.closed_on, f.closed_by, e.rating, e.comment";

const COMPLAINT_COLUMNS: &str = "id, kind, applicant, channel, matter_code, case_no, department, \
     content, opened_at, due_on, reply, replied_at, replied_on, replied_by, rating, \
     rating_comment, supervised";

impl Platform {
    /// The follow-ups `viewer` may see, the most urgent first.
    pub async fn follow_ups(&self, viewer: Viewer<'_>) -> Result<Vec<FollowUp>, PlatformError> {
        let (filter, value) = match viewer {
            Viewer::All => ("", None),
            Viewer::Department(d) => ("WHERE f.department = $1", Some(d)),
            Viewer::Applicant(id) => ("WHERE c.applicant_id = $1", Some(id)),
        };
        let sql = format!(
            "SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups f \
             JOIN evaluations e ON e.case_no = f.case_no \
             JOIN cases c ON c.case_no = f.case_no {filter} \
             ORDER BY f.closed_at IS NOT NULL, f.due_on, f.case_no"
        );
        let mut query = sqlx::query(&sql);
        if let Some(value) = value {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.store.pool()).await?;
        rows.iter().map(|r| self.follow_up_from_row(r)).collect()
    }

    /// The follow-up of `case_no`, if `viewer` may see it.
    pub async fn follow_up(
        &self,
        case_no: &str,
        viewer: Viewer<'_>,
    ) -> Result<Option<FollowUp>, PlatformError> {
        let row = sqlx::query(&format!(
            "SELECT {FOLLOW_UP_COLUMNS}, c.applicant_id FROM follow_ups f \
             JOIN evaluations e ON e.case_no = f.case_no \
             JOIN cases c ON c.case_no = f.case_no WHERE f.case_no = $1"
        ))
        .bind(case_no)
        .fetch_optional(self.store.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let follow_up = self.follow_up_from_row(&row)?;
        let applicant: String = row.try_get("applicant_id")?;
        let visible = match viewer {
            Viewer::All => true,
            Viewer::Department(d) => follow_up.department == d,
            Viewer::Applicant(id) => applicant == id,
        };
        Ok(visible.then_some(follow_up))
    }

    /// Records a step of the follow-up of `case_no` by its department's staff
    /// (`department`): the 回访 or the 整改 (each once, with a note), or the
    /// close, which needs both.
    pub async fn follow_up_step(
        &self,
        case_no: &str,
        department: &str,
        step: FollowUpStep,
        text: &str,
        actor: &str,
    ) -> Result<FollowUp, PlatformError> {
        let text = match step {
            FollowUpStep::Callback => note("note", text, "回访情况")?,
            FollowUpStep::Rectification => note("note", text, "整改情况")?,
            FollowUpStep::Close => text.trim().chars().take(NOTE_LIMIT).collect(),
        };
        let not_found =
            || PlatformError::NotFound(format!("本部门没有办件 {case_no} 的差评回访整改。"));
        let current = self
            .follow_up(case_no, Viewer::Department(department))
            .await?
            .ok_or_else(not_found)?;
        if current.closed.is_some() {
            return Err(PlatformError::Conflict(format!(
                "办件 {case_no} 的差评回访整改已办结，不能再{}。",
                step.label()
            )));
        }
        let now = store::now();
        let today = self.today().to_string();
        let (sql, action, value) = match step {
            FollowUpStep::Callback => (
                "UPDATE follow_ups SET called_back_at = $2, called_back_by = $3, callback_note = $4 \
                 WHERE case_no = $1 AND called_back_at IS NULL AND closed_at IS NULL",
                "follow_up.called_back",
                &text,
            ),
            FollowUpStep::Rectification => (
                "UPDATE follow_ups SET rectified_at = $2, rectified_by = $3, rectification_note = $4 \
                 WHERE case_no = $1 AND rectified_at IS NULL AND closed_at IS NULL",
                "follow_up.rectified",
                &text,
            ),
            // Only with both the 回访 and the 整改 on record.
            FollowUpStep::Close => (
                "UPDATE follow_ups SET closed_at = $2, closed_by = $3, closed_on = $4 \
                 WHERE case_no = $1 AND closed_at IS NULL \
                 AND called_back_at IS NOT NULL AND rectified_at IS NOT NULL",
                "follow_up.closed",
                &today,
            ),
        };
        let mut tx = self.store.begin().await?;
        let changed = sqlx::query(sql)
            .bind(case_no)
            .bind(&now)
            .bind(actor)
            .bind(value)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed == 0 {
            let missing: Vec<&str> = [
                (current.callback.is_none(), "回访"),
                (current.rectification.is_none(), "整改"),
            ]
            .into_iter()
            .filter_map(|(missing, what)| missing.then_some(what))
            .collect();
            return Err(PlatformError::Conflict(match step {
                FollowUpStep::Close => format!(
                    "办件 {case_no} 的差评还没有{}记录：回访和整改都记录后才能办结。",
                    missing.join("和")
                ),
                _ => format!("办件 {case_no} 的{}已经记录过了。", step.label()),
            }));
        }
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: now,
                    actor: actor.to_owned(),
                    action: action.into(),
                    subject: case_no.to_owned(),
                    detail: serde_json::json!({
                        "department": department,
                        "note": crate::mask::text(&text),
                    }),
                },
            )
            .await?;
        tx.commit().await?;
        self.follow_up(case_no, Viewer::All)
            .await?
            .ok_or_else(not_found)
    }

    fn follow_up_from_row(&self, row: &AnyRow) -> Result<FollowUp, PlatformError> {
        let due_on: NaiveDate = date(row.try_get("due_on")?).unwrap_or(NaiveDate::MAX);
        let closed_on = date(row.try_get("closed_on")?);
        let today = self.today();
        Ok(FollowUp {
            case_no: row.try_get("case_no")?,
            department: row.try_get("department")?,
            rating: row.try_get("rating")?,
            comment: row.try_get("comment")?,
            opened_on: date(row.try_get("opened_on")?).unwrap_or(NaiveDate::MIN),
            due_on,
            callback: recorded(
                row,
                "called_back_at",
                "called_back_by",
                Some("callback_note"),
            )?,
            rectification: recorded(
                row,
                "rectified_at",
                "rectified_by",
                Some("rectification_note"),
            )?,
            closed: recorded(row, "closed_at", "closed_by", None)?,
            standing: Standing::of(closed_on, due_on, today),
            working_days_left: closed_on
                .is_none()
                .then(|| self.calendar.working_days_left(due_on, today)),
        })
    }

    /// Takes a complaint or enquiry: at the window (`Window`, by a clerk) or in
    /// the applicant's own channel (`Online`). It is routed to a department and
    /// given its limit of `complaint-days` working days.
    pub async fn take_complaint(
        &self,
        new: &NewComplaint,
        channel: RatingChannel,
        actor: &str,
    ) -> Result<Complaint, PlatformError> {
        let content = note("content", &new.content, "投诉或咨询的内容")?;
        let applicant_id = new.applicant.id().trim();
        if applicant_id.is_empty() || new.applicant.name().trim().is_empty() {
            return Err(invalid("applicant", "请填写申请人的姓名和证件号码。"));
        }
        let blank = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (matter_code, case_no, chosen) = (
            blank(&new.matter_code),
            blank(&new.case_no),
            blank(&new.department),
        );
        let matter = match &matter_code {
            Some(code) => Some(self.matter(code).await.map_err(|_| {
                invalid(
                    "matter_code",
                    format!("事项目录中没有编码为 {code} 的事项。"),
                )
            })?),
            None => None,
        };
        let case = match &case_no {
            Some(no) => {
                // Only a case of this applicant's: another's is as good as none.
                let case = match self.case(no).await {
                    Ok(case) => Some(case),
                    Err(PlatformError::NotFound(_)) => None,
                    Err(e) => return Err(e),
                }
                .filter(|c| c.applicant.id() == applicant_id);
                Some(case.ok_or_else(|| invalid("case_no", format!("申请人名下没有办件 {no}。")))?)
            }
            None => None,
        };
        let department = match (chosen, &matter, &case) {
            (Some(d), _, _) => {
                if !self.departments().await?.contains(&d) {
                    return Err(invalid(
                        "department",
                        format!("事项目录中没有部门“{d}”；请从列表中选择。"),
                    ));
                }
                d
            }
            (None, Some(m), _) => m.matter.department.clone(),
            (None, None, Some(c)) => c
                .parts
                .first()
                .and_then(|p| p.department.clone())
                .ok_or_else(|| invalid("department", "请选择承办部门。"))?,
            (None, None, None) => {
                return Err(invalid(
                    "department",
                    "请选择承办部门，或选择所涉及的事项或办件。",
                ));
            }
        };
        let today = self.today();
        let due_on = self
            .calendar
            .deadline(today, self.config.complaint_days, &[], today)
            .date;
        let now = store::now();
        let mut tx = self.store.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO complaints (kind, applicant, applicant_id, channel, taken_by, matter_code, \
             case_no, department, content, opened_at, opened_on, due_on) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(new.kind.as_str())
        .bind(serde_json::to_string(&new.applicant).expect("parties serialize"))
        .bind(applicant_id)
        .bind(channel.as_str())
        .bind(actor)
        .bind(&matter_code)
        .bind(&case_no)
        .bind(&department)
        .bind(&content)
        .bind(&now)
        .bind(today.to_string())
        .bind(due_on.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let step_note = format!("转{department}办理，{due_on} 前答复");
        complaint_step(&mut tx, id, &now, actor, "受理", &step_note).await?;
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: now,
                    actor: actor.to_owned(),
                    action: "complaint.taken".into(),
                    subject: format!("complaint:{id}"),
                    detail: serde_json::json!({
                        "kind": new.kind,
                        "channel": channel,
                        "applicant": licenses::mask_holder(&new.applicant),
                        "department": department,
                        "matter_code": matter_code,
                        "case_no": case_no,
                        "due_on": due_on,
                    }),
                },
            )
            .await?;
        tx.commit().await?;
        self.complaint(id, Viewer::All).await
    }

    /// The complaints `viewer` may see, the most urgent first, without their timelines.
    pub async fn complaints(&self, viewer: Viewer<'_>) -> Result<Vec<Complaint>, PlatformError> {
        let (filter, value) = match viewer {
            Viewer::All => ("", None),
            Viewer::Department(d) => ("WHERE department = $1", Some(d)),
            Viewer::Applicant(id) => ("WHERE applicant_id = $1", Some(id)),
        };
        let sql = format!(
            "SELECT {COMPLAINT_COLUMNS} FROM complaints {filter} \
             ORDER BY replied_at IS NOT NULL, due_on, id"
        );
        let mut query = sqlx::query(&sql);
        if let Some(value) = value {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.store.pool()).await?;
        rows.iter().map(|r| self.complaint_from_row(r)).collect()
    }

    /// Complaint `id` with its timeline, if `viewer` may see it.
    pub async fn complaint(&self, id: i64, viewer: Viewer<'_>) -> Result<Complaint, PlatformError> {
        let not_found = || PlatformError::NotFound(format!("没有编号为 {id} 的投诉或咨询。"));
        let row = sqlx::query(&format!(
            "SELECT {COMPLAINT_COLUMNS}, applicant_id FROM complaints WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(not_found)?;
        let mut complaint = self.complaint_from_row(&row)?;
        let applicant: String = row.try_get("applicant_id")?;
        let visible = match viewer {
            Viewer::All => true,
            Viewer::Department(d) => complaint.department == d,
            Viewer::Applicant(a) => applicant == a,
        };
        if !visible {
            return Err(not_found());
        }
        let steps = sqlx::query(
            "SELECT at, actor, action, note FROM complaint_steps WHERE complaint_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        complaint.steps = steps
            .iter()
            .map(|r| {
                Ok(ComplaintStep {
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    note: r.try_get("note")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(complaint)
    }

    /// The department's reply to complaint `id`, once.
    pub async fn reply_complaint(
        &self,
        id: i64,
        department: &str,
        reply: &str,
        actor: &str,
    ) -> Result<Complaint, PlatformError> {
        let reply = note("reply", reply, "答复内容")?;
        self.complaint(id, Viewer::Department(department)).await?;
        let now = store::now();
        let mut tx = self.store.begin().await?;
        let changed = sqlx::query(
            "UPDATE complaints SET reply = $2, replied_at = $3, replied_on = $4, replied_by = $5 \
             WHERE id = $1 AND replied_at IS NULL",
        )
        .bind(id)
        .bind(&reply)
        .bind(&now)
        .bind(self.today().to_string())
        .bind(actor)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(PlatformError::Conflict(format!(
                "投诉或咨询 {id} 已经答复过了。"
            )));
        }
        self.stepped(tx, id, (&now, actor), ("答复", &reply), "complaint.replied")
            .await
    }

    /// A supervisor presses an overdue complaint (督办), with what they asked.
    pub async fn supervise_complaint(
        &self,
        id: i64,
        text: &str,
        actor: &str,
    ) -> Result<Complaint, PlatformError> {
        let text = note("note", text, "督办意见")?;
        let complaint = self.complaint(id, Viewer::All).await?;
        if complaint.standing != Standing::Overdue {
            return Err(PlatformError::Conflict(format!(
                "投诉或咨询 {id} {}，只有逾期未答复的才能督办。",
                complaint.standing.label()
            )));
        }
        let now = store::now();
        let mut tx = self.store.begin().await?;
        sqlx::query("UPDATE complaints SET supervised = supervised + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.stepped(
            tx,
            id,
            (&now, actor),
            ("督办", &text),
            "complaint.supervised",
        )
        .await
    }

    /// The applicant's rating of the reply to their complaint `id`, once.
    pub async fn rate_complaint_reply(
        &self,
        id: i64,
        applicant_id: &str,
        rating: i64,
        comment: &str,
        actor: &str,
    ) -> Result<Complaint, PlatformError> {
        if !(1..=5).contains(&rating) {
            return Err(invalid(
                "rating",
                "请选择 1（非常不满意）到 5（非常满意）。",
            ));
        }
        let comment: String = comment.trim().to_owned();
        if comment.chars().count() > NOTE_LIMIT {
            return Err(invalid(
                "comment",
                format!("评价不能超过 {NOTE_LIMIT} 个字。"),
            ));
        }
        let complaint = self.complaint(id, Viewer::Applicant(applicant_id)).await?;
        if complaint.reply.is_none() {
            return Err(PlatformError::Conflict(format!(
                "投诉或咨询 {id} 还没有答复，答复后才能评价。"
            )));
        }
        let now = store::now();
        let mut tx = self.store.begin().await?;
        let changed = sqlx::query(
            "UPDATE complaints SET rating = $2, rating_comment = $3, rated_at = $4 \
             WHERE id = $1 AND rating IS NULL",
        )
        .bind(id)
        .bind(rating)
        .bind(&comment)
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(PlatformError::Conflict(format!(
                "投诉或咨询 {id} 的答复已经评价过了。"
            )));
        }
        let note = match comment.as_str() {
            "" => format!("{rating} 分"),
            said => format!("{rating} 分：{said}"),
        };
        self.stepped(tx, id, (&now, actor), ("评价", &note), "complaint.rated")
            .await
    }

    /// How many follow-ups and complaints are past their limit and not done.
    pub async fn overdue(&self) -> Result<(i64, i64), PlatformError> {
        let today = self.today().to_string();
        let follow_ups: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM follow_ups WHERE closed_at IS NULL AND due_on < $1",
        )
        .bind(&today)
        .fetch_one(self.store.pool())
        .await?;
        let complaints: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM complaints WHERE replied_at IS NULL AND due_on < $1",
        )
        .bind(&today)
        .fetch_one(self.store.pool())
        .await?;
        Ok((follow_ups, complaints))
    }

    /// Ends a step of complaint `id` in `tx`: on its timeline (`step` with its
    /// note) and in the audit log (`action`), committed; then the complaint as
    /// it now is.
    async fn stepped(
        &self,
        mut tx: Tx,
        id: i64,
        (at, actor): (&str, &str),
        (step, note): (&str, &str),
        action: &str,
    ) -> Result<Complaint, PlatformError> {
        complaint_step(&mut tx, id, at, actor, step, note).await?;
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: at.to_owned(),
                    actor: actor.to_owned(),
                    action: action.into(),
                    subject: format!("complaint:{id}"),
                    detail: serde_json::json!({}),
                },
            )
            .await?;
        tx.commit().await?;
        self.complaint(id, Viewer::All).await
    }

    fn complaint_from_row(&self, row: &AnyRow) -> Result<Complaint, PlatformError> {
        let due_on = date(row.try_get("due_on")?).unwrap_or(NaiveDate::MAX);
        let replied_on = date(row.try_get("replied_on")?);
        let today = self.today();
        let applicant: String = row.try_get("applicant")?;
        let kind: String = row.try_get("kind")?;
        let channel: String = row.try_get("channel")?;
        Ok(Complaint {
            id: row.try_get("id")?,
            kind: if kind == "enquiry" {
                ComplaintKind::Enquiry
            } else {
                ComplaintKind::Complaint
            },
            applicant: serde_json::from_str(&applicant)
                .map_err(|e| store::StoreError::Corrupt(format!("a complaint's applicant: {e}")))?,
            channel: if channel == "online" {
                RatingChannel::Online
            } else {
                RatingChannel::Window
            },
            matter_code: row.try_get("matter_code")?,
            case_no: row.try_get("case_no")?,
            department: row.try_get("department")?,
            content: row.try_get("content")?,
            opened_at: row.try_get("opened_at")?,
            due_on,
            reply: recorded(row, "replied_at", "replied_by", Some("reply"))?,
            rating: row.try_get("rating")?,
            rating_comment: row.try_get("rating_comment")?,
            supervised: row.try_get("supervised")?,
            standing: Standing::of(replied_on, due_on, today),
            working_days_left: replied_on
                .is_none()
                .then(|| self.calendar.working_days_left(due_on, today)),
            steps: Vec::new(),
        })
    }
}

async fn complaint_step(
    tx: &mut Tx,
    id: i64,
    at: &str,
    actor: &str,
    action: &str,
    note: &str,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO complaint_steps (complaint_id, at, actor, action, note) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(actor)
    .bind(action)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
