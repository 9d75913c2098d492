//! 好差评: the applicant's evaluation of a completed or denied case, given in
//! their own channel or on the window's 评价器. A low rating opens a follow-up
//! (`supervision`).

use super::*;
use crate::platform::showings;

impl Platform {
    /// Records the applicant's evaluation of a completed or denied case, once.
    /// It is the applicant's, whatever the channel: in their own channel
    /// (signed in, `Online`), or on the window's 评价器 (`Window`) with the
    /// case's one-time code, which it uses up. A clerk never gives one.
    pub async fn evaluate(
        &self,
        case_no: &str,
        request: &EvaluationRequest,
        channel: RatingChannel,
    ) -> Result<Evaluation, PlatformError> {
        if !(1..=5).contains(&request.rating) {
            return Err(invalid(
                "rating",
                format!(
                    "rating is {}; it must be 1 (非常不满意) to 5 (非常满意)",
                    request.rating
                ),
            ));
        }
        if request.comment.chars().count() > 2000 {
            return Err(invalid(
                "comment",
                "the comment is longer than 2000 characters",
            ));
        }
        let code = match (channel, &request.code) {
            (RatingChannel::Window, Some(code)) => Some(showings::normalize(code)),
            (RatingChannel::Window, None) => {
                return Err(invalid("code", "请输入窗口人员提供的评价码。"));
            }
            (RatingChannel::Online, _) => None,
        };
        let case = self.case(case_no).await?;
        rateable(&case)?;
        let actor = format!("applicant:{}", crate::mask::name(case.applicant.name()));
        let at = store::now();
        let follow_up_by = (request.rating <= 2).then(|| {
            let today = self.today();
            self.calendar
                .deadline(today, FOLLOW_UP_DAYS, &[], today)
                .date
        });
        let mut tx = self.store.begin().await?;
        if let Some(code) = code {
            let used = sqlx::query(
                "DELETE FROM rating_codes WHERE code_sha256 = $1 AND case_no = $2 AND expires_at >= $3",
            )
            .bind(showings::digest(&code))
            .bind(case_no)
            .bind(store::timestamp(chrono::Utc::now()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if used == 0 {
                metrics::counter!("onewindow_rating_codes_refused_total").increment(1);
                return Err(invalid(
                    "code",
                    "评价码不对、已用过或已过期：请窗口人员重新生成。",
                ));
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO evaluations (case_no, rating, comment, at, follow_up_by, channel) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_no) DO NOTHING",
        )
        .bind(case_no)
        .bind(request.rating)
        .bind(&request.comment)
        .bind(&at)
        .bind(follow_up_by.map(|d| d.to_string()))
        .bind(channel.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(PlatformError::Conflict(format!(
                "case {case_no} has already been evaluated; an evaluation is given once"
            )));
        }
        if let Some(due_on) = follow_up_by {
            // A 差评 goes to the department of the case's first part.
            sqlx::query(
                "INSERT INTO follow_ups (case_no, department, opened_on, due_on) \
                 SELECT case_no, department, $2, $3 FROM case_parts \
                 WHERE case_no = $1 AND part_no = (SELECT MIN(part_no) FROM case_parts WHERE case_no = $1)",
            )
            .bind(case_no)
            .bind(self.today().to_string())
            .bind(due_on.to_string())
            .execute(&mut *tx)
            .await?;
        }
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: at.clone(),
                    actor,
                    action: "case.evaluated".into(),
                    subject: case_no.to_owned(),
                    detail: serde_json::json!({"rating": request.rating, "channel": channel}),
                },
            )
            .await?;
        tx.commit().await?;
        Ok(Evaluation {
            case_no: case_no.to_owned(),
            rating: request.rating,
            rating_name: RATING_NAMES[(request.rating - 1) as usize],
            comment: request.comment.clone(),
            at,
            follow_up_by,
            channel,
        })
    }

    /// The case the 评价器's `code` is for, while it can be used.
    pub async fn rating_case(&self, code: &str) -> Result<Option<String>, PlatformError> {
        let code = showings::normalize(code);
        if !showings::well_formed(&code) {
            return Ok(None);
        }
        Ok(sqlx::query_scalar(
            "SELECT case_no FROM rating_codes WHERE code_sha256 = $1 AND expires_at >= $2",
        )
        .bind(showings::digest(&code))
        .bind(store::timestamp(chrono::Utc::now()))
        .fetch_optional(self.store.pool())
        .await?)
    }

    /// A one-time code for the window's 评价器, asked for by the clerk once the
    /// case is completed or denied: the applicant types it there and rates.
    pub async fn rating_code(&self, case_no: &str) -> Result<RatingCode, PlatformError> {
        let case = self.case(case_no).await?;
        rateable(&case)?;
        if self.evaluation(case_no).await?.is_some() {
            return Err(PlatformError::Conflict(format!(
                "case {case_no} has already been evaluated; an evaluation is given once"
            )));
        }
        let code = showings::new_code();
        let now = chrono::Utc::now();
        let expires = now + chrono::Duration::from_std(RATING_CODE_VALID_FOR).expect("minutes");
        let mut tx = self.store.begin().await?;
        sqlx::query("DELETE FROM rating_codes WHERE expires_at < $1 OR case_no = $2")
            .bind(store::timestamp(now))
            .bind(case_no)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO rating_codes (code_sha256, case_no, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(showings::digest(&code))
        .bind(case_no)
        .bind(store::timestamp(expires))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(RatingCode {
            case_no: case_no.to_owned(),
            code: showings::shown(&code),
            expires_at: store::timestamp(expires),
        })
    }

    /// The evaluation of a case, once it has been given.
    pub async fn evaluation(&self, case_no: &str) -> Result<Option<Evaluation>, PlatformError> {
        let row = sqlx::query(&format!(
            "SELECT {EVALUATION_COLUMNS} FROM evaluations WHERE case_no = $1"
        ))
        .bind(case_no)
        .fetch_optional(self.store.pool())
        .await?;
        row.as_ref().map(evaluation_from_row).transpose()
    }
}

pub(super) const EVALUATION_COLUMNS: &str = "case_no, rating, comment, at, follow_up_by, channel";

/// How long the 评价器's code of a case can be used.
pub const RATING_CODE_VALID_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Whether `case` can be rated now: once completed or denied.
fn rateable(case: &Case) -> Result<(), PlatformError> {
    if matches!(case.status, Status::Completed | Status::Denied) {
        return Ok(());
    }
    Err(PlatformError::Conflict(format!(
        "case {} is {}; it can be evaluated once it is completed or denied",
        case.case_no, case.status
    )))
}

pub(super) fn evaluation_from_row(row: &AnyRow) -> Result<Evaluation, PlatformError> {
    let rating: i64 = row.try_get("rating")?;
    let follow_up_by: Option<String> = row.try_get("follow_up_by")?;
    Ok(Evaluation {
        case_no: row.try_get("case_no")?,
        rating,
        rating_name: RATING_NAMES[(rating.clamp(1, 5) - 1) as usize],
        comment: row.try_get("comment")?,
        at: row.try_get("at")?,
        follow_up_by: follow_up_by.and_then(|d| d.parse().ok()),
        channel: match row.try_get::<String, _>("channel")?.as_str() {
            "online" => RatingChannel::Online,
            _ => RatingChannel::Window,
        },
    })
}
