//! The lifecycle: a clerk's moves, the departments' moves, and the timeline
//! each move adds to.

use std::collections::HashSet;

use super::*;
use crate::store::rows::{self, Value};

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
        let mut moved = self.record(&[(case_no, mv)]).await?;
        Ok(moved.remove(0))
    }

    /// Moves several cases in one transaction, as [`Platform::transition`]
    /// moves one, with one multi-row statement per table, one append to the
    /// audit log and one commit: a group of deliveries is recorded at about
    /// the cost of one. Should one move be refused (the case moved meanwhile),
    /// the group is rolled back and each move made on its own, so the others
    /// are recorded all the same and the refused one answers its own error.
    pub(crate) async fn transitions(
        &self,
        moves: &[(&str, Move<'_>)],
    ) -> Vec<Result<Status, PlatformError>> {
        if moves.len() > 1 {
            match self.record(moves).await {
                Ok(from) => return from.into_iter().map(Ok).collect(),
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

    /// Records `moves` in one transaction; answers the status each case had.
    async fn record(&self, moves: &[(&str, Move<'_>)]) -> Result<Vec<Status>, PlatformError> {
        let mut tx = self.store.begin().await?;
        let mut moved = Vec::with_capacity(moves.len());
        // A case moved twice reads what its first move wrote: the moves are
        // written in rounds in which each case moves once.
        let mut rest = moves;
        while !rest.is_empty() {
            let mut seen = HashSet::new();
            let n = rest
                .iter()
                .take_while(|(case_no, _)| seen.insert(*case_no))
                .count();
            let (round, next) = rest.split_at(n);
            moved.extend(self.round_in(&mut tx, round).await?);
            rest = next;
        }
        let audit = moved.iter().map(|m| m.audit.clone()).collect();
        self.store.append_audit_many(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(moved
            .into_iter()
            .map(|m| {
                m.log();
                m.from
            })
            .collect())
    }

    /// The writes of `moves` (of distinct cases) in `tx`, but their audit
    /// entries, which it answers. Reads and writes are one statement per
    /// table for the whole round; what is rare (a license issued, 一件事 in
    /// order, a withdrawal) is written move by move.
    async fn round_in(
        &self,
        tx: &mut Tx,
        moves: &[(&str, Move<'_>)],
    ) -> Result<Vec<Moved>, PlatformError> {
        let stamp = store::now();
        let keys = rows::tuples(1, moves.len());
        // Writing first takes SQLite's write lock at once (and the row locks on
        // PostgreSQL); the same statement answers what the moves need.
        let sql = format!(
            "UPDATE cases SET updated_at = ${} WHERE case_no IN {keys} \
             RETURNING case_no, status, paused, special, accepted_on, promised_days, legal_days",
            moves.len() + 1
        );
        let mut query = sqlx::query(&sql);
        for (case_no, _) in moves {
            query = query.bind(*case_no);
        }
        let mut cases: HashMap<String, AnyRow> = HashMap::new();
        for row in query.bind(&stamp).fetch_all(&mut **tx).await? {
            cases.insert(row.try_get("case_no")?, row);
        }
        let case_nos: Vec<&str> = moves.iter().map(|(case_no, _)| *case_no).collect();
        let mut parts_of = case_parts(tx, &case_nos).await?;

        let today = self.today();
        let mut moved = Vec::with_capacity(moves.len());
        let (mut case_rows, mut part_rows, mut settled, mut steps) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut after = Vec::new();
        for &(case_no, mv) in moves {
            let Move {
                part,
                to,
                actor,
                note,
                issued,
                settles,
            } = mv;
            let row = cases.get(case_no).ok_or_else(|| {
                PlatformError::NotFound(format!("no case with number {case_no:?}"))
            })?;
            let from: String = row.try_get("status")?;
            let from = Status::parse(&from).ok_or_else(|| {
                store::StoreError::Corrupt(format!("unknown case status {from:?}"))
            })?;
            let mut parts = parts_of.remove(case_no).unwrap_or_default();
            let joint = parts.len() > 1;
            // The parts that move: the one named, or (a clerk's or operator's
            // move of the whole case) every part the move concerns.
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

            let mut paused: Pauses = json_column(row, "paused")?;
            if case_to.clock_stopped() && !from.clock_stopped() {
                paused.push((today, None));
            } else if from.clock_stopped()
                && !case_to.clock_stopped()
                && let Some(open) = paused.last_mut()
            {
                open.1 = Some(today);
            }
            // The special procedures on their own, to flag a long one.
            let mut special: Pauses = json_column(row, "special")?;
            let in_special = |s: Status| s == Status::SpecialProcedure;
            if in_special(case_to) && !in_special(from) {
                special.push((today, None));
            } else if in_special(from)
                && !in_special(case_to)
                && let Some(open) = special.last_mut()
            {
                open.1 = Some(today);
            }
            let (promised, legal) = deadlines(self, row, &paused, today)?;
            let part_reason = matches!(to, Status::Returned | Status::Denied).then_some(note);
            // On a joint case the reason says which part it concerns.
            let case_reason = part_reason.map(|note| match (joint, moving.as_slice()) {
                (true, [i]) => format!("{}：{note}", parts[*i].label()),
                _ => note.to_owned(),
            });
            let text = |v: &str| Value::Text(v.to_owned());
            let json =
                |p: &Pauses| Value::Text(serde_json::to_string(p).expect("pauses serialize"));
            case_rows.push(vec![
                text(case_no),
                text(case_to.as_str()),
                json(&paused),
                Value::Text(promised.date.to_string()),
                Value::Text(legal.date.to_string()),
                Value::Int(i64::from(promised.provisional || legal.provisional)),
                Value::MaybeText(case_reason),
                json(&special),
                // The day it became final, for the statistics.
                Value::MaybeText(
                    (case_to.is_final() || case_to == Status::Denied).then(|| today.to_string()),
                ),
            ]);
            let department_ref = part.and_then(|(_, r)| r);
            for &i in &moving {
                part_rows.push(vec![
                    text(case_no),
                    Value::Int(parts[i].part_no),
                    text(to.as_str()),
                    Value::MaybeText(department_ref.map(str::to_owned)),
                    Value::MaybeText(part_reason.map(str::to_owned)),
                ]);
            }
            settled.extend(settles);
            // Nothing is delivered for a withdrawn case, nor for a withdrawn part.
            let undelivered: Vec<Option<i64>> = if case_to == Status::Withdrawn {
                vec![None]
            } else if to == Status::Withdrawn {
                moving.iter().map(|&i| Some(parts[i].part_no)).collect()
            } else {
                Vec::new()
            };
            let part_no = part.map(|(n, _)| n);
            steps.push(step(case_no, part_no, to, actor, note));
            let ended = (joint && part_no.is_some() && case_to != from && case_to.is_final())
                .then(|| step(case_no, None, case_to, actor, "一件事各部分均已办结"));
            after.push((case_no, undelivered, releases, ended));
            moved.push(Moved {
                from,
                to: case_to,
                part: part_no,
                audit: NewEntry {
                    at: stamp.clone(),
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
            });
        }

        rows::execute(tx, case_rows, |values| {
            format!(
                "UPDATE cases SET status = v.column2, paused = v.column3, promised_by = v.column4, \
                 legal_by = v.column5, provisional = v.column6, reason = COALESCE(v.column7, reason), \
                 special = v.column8, finished_on = COALESCE(finished_on, v.column9) \
                 FROM (VALUES {values}) AS v WHERE case_no = v.column1"
            )
        })
        .await?;
        rows::execute(tx, part_rows, |values| {
            format!(
                "UPDATE case_parts SET status = v.column3, \
                 department_ref = COALESCE(v.column4, department_ref), \
                 reason = COALESCE(v.column5, reason) \
                 FROM (VALUES {values}) AS v WHERE case_no = v.column1 AND part_no = v.column2"
            )
        })
        .await?;
        let settled: Vec<Vec<Value>> = settled.into_iter().map(|id| vec![Value::Int(id)]).collect();
        rows::execute(tx, settled, |ids| {
            // `($1), ($2)` is a list of ids as much as a list of rows.
            format!("DELETE FROM outbox WHERE id IN (SELECT column1 FROM (VALUES {ids}) AS v)")
        })
        .await?;
        let mut ended_steps = Vec::new();
        for (case_no, undelivered, _, _) in &after {
            for part_no in undelivered {
                let delete = match part_no {
                    None => sqlx::query("DELETE FROM outbox WHERE case_no = $1").bind(*case_no),
                    Some(part_no) => {
                        sqlx::query("DELETE FROM outbox WHERE case_no = $1 AND part_no = $2")
                            .bind(*case_no)
                            .bind(*part_no)
                    }
                };
                delete.execute(&mut **tx).await?;
            }
        }
        rows::insert(tx, "timeline", TIMELINE, steps).await?;
        for (case_no, _, releases, ended) in after {
            order::apply(tx, case_no, releases).await?;
            ended_steps.extend(ended);
        }
        rows::insert(tx, "timeline", TIMELINE, ended_steps).await?;
        Ok(moved)
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

/// The parts of `case_nos`, in part order, by case: one query.
pub(super) async fn case_parts(
    tx: &mut Tx,
    case_nos: &[&str],
) -> Result<HashMap<String, Vec<PartState>>, PlatformError> {
    let sql = format!(
        "SELECT p.case_no, p.part_no, p.matter_code, p.status, p.waits_for, p.deferred, \
         m.name AS matter_name FROM case_parts p LEFT JOIN matters m ON m.code = p.matter_code \
         WHERE p.case_no IN {} ORDER BY p.case_no, p.part_no",
        rows::tuples(1, case_nos.len())
    );
    let mut query = sqlx::query(&sql);
    for case_no in case_nos {
        query = query.bind(*case_no);
    }
    let mut parts: HashMap<String, Vec<PartState>> = HashMap::new();
    for row in query.fetch_all(&mut **tx).await? {
        let status: String = row.try_get("status")?;
        parts
            .entry(row.try_get("case_no")?)
            .or_default()
            .push(PartState {
                waits_for: waits_for(&row)?,
                deferred: row.try_get("deferred")?,
                part_no: row.try_get("part_no")?,
                matter_code: row.try_get("matter_code")?,
                matter_name: row.try_get("matter_name")?,
                status: Status::parse(&status).ok_or_else(|| {
                    store::StoreError::Corrupt(format!("unknown part status {status:?}"))
                })?,
            });
    }
    Ok(parts)
}

/// The timeline's columns, as [`step`] gives them.
const TIMELINE: &[&str] = &["case_no", "part_no", "at", "status", "actor", "note"];

/// A timeline row of [`TIMELINE`].
fn step(
    case_no: &str,
    part_no: Option<i64>,
    status: Status,
    actor: &str,
    note: &str,
) -> Vec<Value> {
    vec![
        Value::Text(case_no.to_owned()),
        Value::MaybeInt(part_no),
        Value::Text(store::now()),
        Value::Text(status.as_str().to_owned()),
        Value::Text(actor.to_owned()),
        Value::Text(note.to_owned()),
    ]
}

pub(crate) async fn add_step(
    tx: &mut Tx,
    case_no: &str,
    part_no: Option<i64>,
    status: Status,
    actor: &str,
    note: &str,
) -> Result<(), PlatformError> {
    let row = step(case_no, part_no, status, actor, note);
    rows::insert(tx, "timeline", TIMELINE, vec![row]).await?;
    Ok(())
}
