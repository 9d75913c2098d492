//! 好差评: the applicant's evaluation of a completed case, and the follow-ups
//! its low ratings call for.

use super::*;

impl Platform {
    /// Records the applicant's evaluation of a completed case, once.
    pub async fn evaluate(
        &self,
        case_no: &str,
        request: &EvaluationRequest,
        clerk: &str,
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
        let case = self.case(case_no).await?;
        if case.status != Status::Completed {
            return Err(PlatformError::Conflict(format!(
                "case {case_no} is {}; it can be evaluated once it is completed",
                case.status
            )));
        }
        let at = store::now();
        let follow_up_by = (request.rating <= 2).then(|| {
            let today = self.today();
            self.calendar
                .deadline(today, FOLLOW_UP_DAYS, &[], today)
                .date
        });
        let mut tx = self.store.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO evaluations (case_no, rating, comment, at, follow_up_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (case_no) DO NOTHING",
        )
        .bind(case_no)
        .bind(request.rating)
        .bind(&request.comment)
        .bind(&at)
        .bind(follow_up_by.map(|d| d.to_string()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Err(PlatformError::Conflict(format!(
                "case {case_no} has already been evaluated; an evaluation is given once"
            )));
        }
        self.store
            .append_audit(
                &mut tx,
                NewEntry {
                    at: at.clone(),
                    actor: clerk.to_owned(),
                    action: "case.evaluated".into(),
                    subject: case_no.to_owned(),
                    detail: serde_json::json!({"rating": request.rating}),
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
        })
    }

    /// Ratings of 1–2 waiting for rectification, oldest deadline first.
    pub async fn follow_ups(&self) -> Result<Vec<Evaluation>, PlatformError> {
        let rows = sqlx::query(&format!(
            "SELECT {EVALUATION_COLUMNS} FROM evaluations \
             WHERE follow_up_by IS NOT NULL ORDER BY follow_up_by, case_no"
        ))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(evaluation_from_row).collect()
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

pub(super) const EVALUATION_COLUMNS: &str = "case_no, rating, comment, at, follow_up_by";

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
    })
}
