//! The lifecycle: a clerk's moves, the departments' moves, and the timeline
//! each move adds to.

use super::*;

impl Platform {
    /// A clerk's status change: withdrawing a case (through its departments,
    /// see [`Platform::withdraw`]), or putting it back in review once the
    /// applicant handed in what was asked for, where the department cannot take
    /// 补正 through the platform (see [`Platform::supplement`]).
    pub async fn change_status(
        &self,
        case_no: &str,
        change: &StatusChange,
        clerk: &str,
    ) -> Result<Case, PlatformError> {
        let to = Status::parse(&change.status)
            .ok_or_else(|| invalid("status", format!("unknown status {:?}", change.status)))?;
        if !matches!(to, Status::Withdrawn | Status::InReview) {
            return Err(invalid(
                "status",
                format!(
                    "a clerk can only set withdrawn or in_review (after 补正); {to} comes from the department's system"
                ),
            ));
        }
        if to == Status::Withdrawn {
            return self.withdraw(case_no, &change.note, clerk).await;
        }
        let online = self
            .handled_parts(case_no)
            .await?
            .into_iter()
            .filter(|p| p.status == Status::SupplementRequested)
            .any(|p| self.takes_supplements(&p.adapter_id));
        if online {
            return Err(PlatformError::Conflict(format!(
                "办件 {case_no} 的补正材料须提交给部门（POST /api/v1/cases/{case_no}/supplement，或窗口的「提交补正材料」），由部门审查后恢复审查"
            )));
        }
        let note = match change.note.trim() {
            "" => "申请人已补正材料",
            given => given,
        };
        self.transition(
            case_no,
            Move {
                part: None,
                to,
                actor: clerk,
                note,
                issued: None,
                settles: None,
            },
        )
        .await?;
        self.case(case_no).await
    }

    /// Moves a case (and its part, when one is named) in one transaction:
    /// status, paused clock and deadlines, timeline, audit, a license it issued,
    /// and the outbox row the move settles.
    pub(crate) async fn transition(
        &self,
        case_no: &str,
        mv: Move<'_>,
    ) -> Result<Status, PlatformError> {
        let mut tx = self.store.begin().await?;
        let moved = self.transition_in(&mut tx, case_no, mv).await?;
        self.store
            .append_audit(&mut tx, moved.audit.clone())
            .await?;
        tx.commit().await?;
        moved.log();
        Ok(moved.from)
    }

    /// Moves several cases in one transaction, as [`Platform::transition`]
    /// moves one, with one append to the audit log and one commit: a group of
    /// deliveries is recorded at the cost of one. Should one move be refused
    /// (the case moved meanwhile), the group is rolled back and each move made
    /// on its own, so the others are recorded all the same and the refused one
    /// answers its own error.
    pub(crate) async fn transitions(
        &self,
        moves: &[(&str, Move<'_>)],
    ) -> Vec<Result<Status, PlatformError>> {
        if moves.len() > 1 {
            let together = async {
                let mut tx = self.store.begin().await?;
                let mut all = Vec::with_capacity(moves.len());
                for (case_no, mv) in moves {
                    all.push(self.transition_in(&mut tx, case_no, *mv).await?);
                }
                let audit = all.iter().map(|m| m.audit.clone()).collect();
                self.store.append_audit_many(&mut tx, audit).await?;
                tx.commit().await?;
                Ok::<_, PlatformError>(all)
            };
            match together.await {
                Ok(all) => {
                    return all
                        .into_iter()
                        .map(|m| {
                            m.log();
                            Ok(m.from)
                        })
                        .collect();
                }
                Err(e) => {
                    tracing::debug!("recording {} moves together: {e}; one by one", moves.len())
                }
            }
        }
        let mut from = Vec::with_capacity(moves.len());
        for (case_no, mv) in moves {
            from.push(self.transition(case_no, *mv).await);
        }
        from
    }

    /// The writes of one move in `tx`, but its audit entry, which it answers.
    async fn transition_in(
        &self,
        tx: &mut Tx,
        case_no: &str,
        mv: Move<'_>,
    ) -> Result<Moved, PlatformError> {
        let Move {
            part,
            to,
            actor,
            note,
            issued,
            settles,
        } = mv;
        let stamp = store::now();
        // Writing first takes SQLite's write lock at once (and the row lock on
        // PostgreSQL); the same statement answers what the move needs.
        let row = sqlx::query(
            "UPDATE cases SET updated_at = $2 WHERE case_no = $1 \
             RETURNING status, paused, special, accepted_on, promised_days, legal_days",
        )
        .bind(case_no)
        .bind(&stamp)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| PlatformError::NotFound(format!("no case with number {case_no:?}")))?;
        let from: String = row.try_get("status")?;
        let from = Status::parse(&from)
            .ok_or_else(|| store::StoreError::Corrupt(format!("unknown case status {from:?}")))?;
        let mut parts = case_parts(tx, case_no).await?;
        let joint = parts.len() > 1;
        // The parts that move: the one named, or (a clerk's or operator's move of
        // the whole case) every part the move concerns.
        let moving: Vec<usize> = match part {
            Some((part_no, _)) => {
                let i = parts
                    .iter()
                    .position(|p| p.part_no == part_no)
                    .ok_or_else(|| {
                        PlatformError::NotFound(format!("case {case_no} has no part {part_no}"))
                    })?;
                vec![i]
            }
            None => {
                let concerned: Vec<usize> = (0..parts.len())
                    .filter(|&i| match to {
                        Status::Withdrawn => !parts[i].status.is_final(),
                        Status::InReview => parts[i].status.clock_stopped(),
                        Status::Accepted => parts[i].status == Status::DeliveryFailed,
                        _ => true,
                    })
                    .collect();
                if concerned.is_empty() {
                    from.check(to)
                        .map_err(|e| PlatformError::Conflict(e.to_string()))?;
                    return Err(PlatformError::Conflict(format!(
                        "case {case_no} is {from}; none of its parts can move to {to}"
                    )));
                }
                concerned
            }
        };
        for &i in &moving {
            let p = &parts[i];
            p.status.check(to).map_err(|e| {
                PlatformError::Conflict(if joint {
                    format!("part {} ({}): {e}", p.part_no, p.label())
                } else {
                    e.to_string()
                })
            })?;
        }
        for &i in &moving {
            parts[i].status = to;
        }
        if let Some((license, source)) = issued {
            licenses::keep(tx, license, source, case_no).await?;
        }
        // 一件事 in order: parts this move lets go, or leaves with nothing to wait for.
        let releases = order::releases(tx, case_no, &parts).await?;
        for release in &releases {
            if let order::Release::Return { part_no, .. } = release {
                parts
                    .iter_mut()
                    .filter(|p| p.part_no == *part_no)
                    .for_each(|p| p.status = Status::Returned);
            }
        }
        let statuses: Vec<Status> = parts.iter().map(|p| p.status).collect();
        let case_to = Status::of_parts(&statuses);

        let today = self.today();
        let mut paused: Pauses = json_column(&row, "paused")?;
        if case_to.clock_stopped() && !from.clock_stopped() {
            paused.push((today, None));
        } else if from.clock_stopped()
            && !case_to.clock_stopped()
            && let Some(open) = paused.last_mut()
        {
            open.1 = Some(today);
        }
        // The special procedures on their own, to flag a long one.
        let mut special: Pauses = json_column(&row, "special")?;
        let in_special = |s: Status| s == Status::SpecialProcedure;
        if in_special(case_to) && !in_special(from) {
            special.push((today, None));
        } else if in_special(from)
            && !in_special(case_to)
            && let Some(open) = special.last_mut()
        {
            open.1 = Some(today);
        }
        let (promised, legal) = deadlines(self, &row, &paused, today)?;
        let part_reason = matches!(to, Status::Returned | Status::Denied).then_some(note);
        // On a joint case the reason says which part it concerns.
        let case_reason = part_reason.map(|note| match (joint, moving.as_slice()) {
            (true, [i]) => format!("{}：{note}", parts[*i].label()),
            _ => note.to_owned(),
        });
        sqlx::query(
            "UPDATE cases SET status = $2, paused = $3, promised_by = $4, legal_by = $5, \
             provisional = $6, reason = COALESCE($7, reason), special = $8, \
             finished_on = COALESCE(finished_on, $9) WHERE case_no = $1",
        )
        .bind(case_no)
        .bind(case_to.as_str())
        .bind(serde_json::to_string(&paused).expect("pauses serialize"))
        .bind(promised.date.to_string())
        .bind(legal.date.to_string())
        .bind(i64::from(promised.provisional || legal.provisional))
        .bind(case_reason)
        .bind(serde_json::to_string(&special).expect("pauses serialize"))
        // The day it became final, for the statistics.
        .bind((case_to.is_final() || case_to == Status::Denied).then(|| today.to_string()))
        .execute(&mut **tx)
        .await?;
        let department_ref = part.and_then(|(_, r)| r);
        for &i in &moving {
            sqlx::query(
                "UPDATE case_parts SET status = $3, department_ref = COALESCE($4, department_ref), \
                 reason = COALESCE($5, reason) WHERE case_no = $1 AND part_no = $2",
            )
            .bind(case_no)
            .bind(parts[i].part_no)
            .bind(to.as_str())
            .bind(department_ref)
            .bind(part_reason)
            .execute(&mut **tx)
            .await?;
        }
        if let Some(id) = settles {
            sqlx::query("DELETE FROM outbox WHERE id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
        }
        if matches!(case_to, Status::Withdrawn) {
            // Nothing is delivered for a withdrawn case.
            sqlx::query("DELETE FROM outbox WHERE case_no = $1")
                .bind(case_no)
                .execute(&mut **tx)
                .await?;
        } else if to == Status::Withdrawn {
            // Nor for a withdrawn part.
            for &i in &moving {
                sqlx::query("DELETE FROM outbox WHERE case_no = $1 AND part_no = $2")
                    .bind(case_no)
                    .bind(parts[i].part_no)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        let part_no = part.map(|(n, _)| n);
        add_step(tx, case_no, part_no, to, actor, note).await?;
        order::apply(tx, case_no, releases).await?;
        if joint && part_no.is_some() && case_to != from && case_to.is_final() {
            add_step(tx, case_no, None, case_to, actor, "一件事各部分均已办结").await?;
        }
        Ok(Moved {
            from,
            to: case_to,
            part: part_no,
            audit: NewEntry {
                at: stamp,
                actor: actor.to_owned(),
                action: "case.status".into(),
                subject: case_no.to_owned(),
                detail: serde_json::json!({
                    "from": from.as_str(),
                    "to": case_to.as_str(),
                    "part": part_no,
                    "part_to": to.as_str(),
                    "note": note,
                    "issued": issued.map(|(l, _)| format!("{} {}", l.type_name, l.number)),
                }),
            },
        })
    }
}

/// A move written in a transaction: the status the case had and has, the
/// part that moved, and its audit entry.
struct Moved {
    from: Status,
    to: Status,
    part: Option<i64>,
    audit: NewEntry,
}

impl Moved {
    /// Logs the move, once it is committed.
    fn log(&self) {
        let Moved {
            from,
            to,
            part,
            audit,
        } = self;
        let (case_no, actor) = (&audit.subject, &audit.actor);
        tracing::info!(case_no, %from, %to, part, actor, "case status changed");
    }
}

/// One move of a case, see [`Platform::transition`].
#[derive(Clone, Copy)]
pub(crate) struct Move<'a> {
    /// The part that moved, and the department's reference when it became known.
    pub part: Option<(i64, Option<&'a str>)>,
    pub to: Status,
    pub actor: &'a str,
    pub note: &'a str,
    /// A license the case issued, with the adapter it came from.
    pub issued: Option<(&'a License, &'a str)>,
    /// The outbox row this move settles.
    pub settles: Option<i64>,
}

/// A part's number, matter and status, as a move needs them.
pub(super) struct PartState {
    pub(super) part_no: i64,
    matter_code: String,
    matter_name: Option<String>,
    pub(super) status: Status,
    /// The parts it waits for (一件事 in order), until it is released.
    pub(super) waits_for: Option<Vec<i64>>,
    /// The materials (JSON) their licenses are to cover.
    pub(super) deferred: Option<String>,
}

impl PartState {
    /// `企业设立登记` (or the matter code once the matter left the catalogue).
    pub(super) fn label(&self) -> &str {
        self.matter_name.as_deref().unwrap_or(&self.matter_code)
    }
}

pub(super) async fn case_parts(
    tx: &mut Tx,
    case_no: &str,
) -> Result<Vec<PartState>, PlatformError> {
    let rows = sqlx::query(
        "SELECT p.part_no, p.matter_code, p.status, p.waits_for, p.deferred, m.name AS matter_name \
         FROM case_parts p \
         LEFT JOIN matters m ON m.code = p.matter_code WHERE p.case_no = $1 ORDER BY p.part_no",
    )
    .bind(case_no)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|row| {
            let status: String = row.try_get("status")?;
            let waits_for: Option<String> = row.try_get("waits_for")?;
            Ok(PartState {
                waits_for: waits_for
                    .map(|json| serde_json::from_str(&json))
                    .transpose()
                    .map_err(|e| {
                        store::StoreError::Corrupt(format!("case_parts.waits_for: {e}"))
                    })?,
                deferred: row.try_get("deferred")?,
                part_no: row.try_get("part_no")?,
                matter_code: row.try_get("matter_code")?,
                matter_name: row.try_get("matter_name")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown part status {status:?}"))
                })?,
            })
        })
        .collect()
}

pub(crate) async fn add_step(
    tx: &mut Tx,
    case_no: &str,
    part_no: Option<i64>,
    status: Status,
    actor: &str,
    note: &str,
) -> Result<(), PlatformError> {
    sqlx::query(
        "INSERT INTO timeline (case_no, part_no, at, status, actor, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(case_no)
    .bind(part_no)
    .bind(store::now())
    .bind(status.as_str())
    .bind(actor)
    .bind(note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
