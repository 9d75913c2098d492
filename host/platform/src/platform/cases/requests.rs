//! What a clerk asks of the departments on a case's behalf: supplementary
//! materials (补正) and withdrawal (撤回). Each reaches the department of every
//! part it concerns through `cases.supplement` / `cases.withdraw` (contract
//! 0.2.0) before anything changes here; a department that refuses keeps its
//! part where it is, with its reason.

use super::*;
use crate::adapter::CallError;
use crate::model::AdapterError;

/// A part of a case, and the adapter that handles it.
pub(super) struct Handled {
    pub(super) part_no: i64,
    pub(super) adapter_id: String,
    pub(super) status: Status,
}

/// What is asked of a department.
enum Request<'a> {
    Supplement {
        case_no: &'a str,
        attachments: &'a [Attachment],
        note: &'a str,
    },
    Withdraw {
        case_no: &'a str,
        reason: &'a str,
    },
}

impl Request<'_> {
    /// The request as the clerk's messages name it.
    fn name(&self) -> &'static str {
        match self {
            Request::Supplement { .. } => "补正材料",
            Request::Withdraw { .. } => "撤回申请",
        }
    }
}

/// How the department of one part answered a request.
enum Answered {
    /// It has the request.
    Taken,
    /// Its adapter is built on contract 0.1.0, which cannot carry the request.
    NotCarried,
}

impl Platform {
    pub(super) async fn handled_parts(&self, case_no: &str) -> Result<Vec<Handled>, PlatformError> {
        let rows = sqlx::query(
            "SELECT part_no, adapter_id, status FROM case_parts WHERE case_no = $1 ORDER BY part_no",
        )
        .bind(case_no)
        .fetch_all(self.store.pool())
        .await?;
        if rows.is_empty() {
            return Err(PlatformError::NotFound(format!(
                "no case with number {case_no:?}"
            )));
        }
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(Handled {
                    part_no: row.try_get("part_no")?,
                    adapter_id: row.try_get("adapter_id")?,
                    status: Status::parse(&status).ok_or_else(|| {
                        store::StoreError::Corrupt(format!("unknown part status {status:?}"))
                    })?,
                })
            })
            .collect()
    }

    /// Asks the department of `part`; its refusal or failure is the clerk's
    /// error, in Chinese, with what the department said.
    async fn ask(&self, part: &Handled, request: Request<'_>) -> Result<Answered, PlatformError> {
        let what = request.name();
        let adapter = self.adapter(&part.adapter_id).ok_or_else(|| {
            PlatformError::Unavailable(format!(
                "办理该事项的部门适配器 {} 未加载，{what}无法送达，请稍后重试",
                part.adapter_id
            ))
        })?;
        let department = adapter.manifest().department.clone();
        let answer = match request {
            Request::Supplement {
                case_no,
                attachments,
                note,
            } => adapter.supplement_case(case_no, attachments, note).await,
            Request::Withdraw { case_no, reason } => adapter.withdraw_case(case_no, reason).await,
        };
        match answer {
            Ok(()) => Ok(Answered::Taken),
            Err(CallError::OlderContract { .. }) => Ok(Answered::NotCarried),
            Err(CallError::Adapter { error, .. }) => Err(match error {
                AdapterError::Refused(reason) => {
                    PlatformError::Conflict(format!("{department}不同意{what}：{reason}"))
                }
                AdapterError::Invalid(reason) => PlatformError::Invalid {
                    field: "attachments".into(),
                    message: format!("{department}不接受该{what}：{reason}"),
                },
                AdapterError::NotFound(reason) => PlatformError::Conflict(format!(
                    "{department}的系统中没有该办件，{what}未送达：{reason}"
                )),
                AdapterError::Unavailable(reason) => PlatformError::Unavailable(format!(
                    "{department}的系统暂不可用，{what}未送达，请稍后重试：{reason}"
                )),
            }),
            Err(e) => Err(PlatformError::Unavailable(format!(
                "{department}的系统暂不可用，{what}未送达，请稍后重试：{e}"
            ))),
        }
    }

    /// 补正: hands the applicant's supplementary materials to the department of
    /// every part waiting for them. The files are kept with the case and the
    /// timeline says they went; the department's answer moves the case on. A
    /// part whose adapter is on contract 0.1.0 cannot receive them: the clerk
    /// sends them as before, and the part goes back to review here.
    pub async fn supplement(
        &self,
        case_no: &str,
        attachments: &[Attachment],
        note: &str,
        clerk: &str,
    ) -> Result<Case, PlatformError> {
        if attachments.is_empty() {
            return Err(invalid("attachments", "请上传补正材料（至少一个文件）"));
        }
        if let Some(empty) = attachments.iter().find(|a| a.content_base64.is_empty()) {
            return Err(invalid(
                "attachments",
                format!("补正材料「{}」是空文件", empty.file_name),
            ));
        }
        let waiting: Vec<Handled> = self
            .handled_parts(case_no)
            .await?
            .into_iter()
            .filter(|p| p.status == Status::SupplementRequested)
            .collect();
        if waiting.is_empty() {
            let case = self.case(case_no).await?;
            return Err(PlatformError::Conflict(format!(
                "办件 {case_no} 当前为「{}」，没有等待补正的部门",
                case.status.label()
            )));
        }
        let note = note.trim();
        let mut offline = Vec::new();
        for part in &waiting {
            let answered = self
                .ask(
                    part,
                    Request::Supplement {
                        case_no,
                        attachments,
                        note,
                    },
                )
                .await?;
            if let Answered::NotCarried = answered {
                offline.push(part.part_no);
            }
        }
        let mut tx = self.store.begin().await?;
        for a in attachments {
            sqlx::query(
                "INSERT INTO attachments (case_no, material_code, file_name, media_type, content) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(case_no)
            .bind(&a.material_code)
            .bind(&a.file_name)
            .bind(&a.media_type)
            .bind(&a.content_base64)
            .execute(&mut *tx)
            .await?;
        }
        let files: Vec<&str> = attachments.iter().map(|a| a.file_name.as_str()).collect();
        for part in waiting.iter().filter(|p| !offline.contains(&p.part_no)) {
            let step = format!(
                "已向部门提交补正材料：{}{}；待部门审查",
                files.join("、"),
                if note.is_empty() {
                    String::new()
                } else {
                    format!("（{note}）")
                }
            );
            add_step(
                &mut tx,
                case_no,
                (waiting.len() > 1).then_some(part.part_no),
                part.status,
                clerk,
                &step,
            )
            .await?;
        }
        tx.commit().await?;
        for part_no in offline {
            self.transition(
                case_no,
                Move {
                    part: Some((part_no, None)),
                    to: Status::InReview,
                    actor: clerk,
                    note: "申请人已补正材料（该部门系统不接收网上补正，材料由窗口线下转交）",
                    issued: None,
                    settles: None,
                },
            )
            .await?;
        }
        self.case(case_no).await
    }

    /// 撤回: asks the department of every part it already has to withdraw it,
    /// then withdraws the case here. A department that has decided refuses
    /// with its reason: the case keeps its status (parts whose departments
    /// withdrew before are withdrawn, and the answer says which refused).
    pub async fn withdraw(
        &self,
        case_no: &str,
        reason: &str,
        clerk: &str,
    ) -> Result<Case, PlatformError> {
        let reason = match reason.trim() {
            "" => "申请人撤回",
            given => given,
        };
        let parts = self.handled_parts(case_no).await?;
        let open: Vec<&Handled> = parts.iter().filter(|p| !p.status.is_final()).collect();
        if open.is_empty() {
            let case = self.case(case_no).await?;
            return Err(PlatformError::Conflict(format!(
                "办件 {case_no} 已是「{}」，不能撤回",
                case.status.label()
            )));
        }
        if let Some(decided) = open.iter().find(|p| p.status.rank() >= 3) {
            return Err(PlatformError::Conflict(format!(
                "办件 {case_no} 已有部门作出决定（{}），不能撤回",
                decided.status.label()
            )));
        }
        let mut refusals = Vec::new();
        for part in &open {
            // A part the department does not have yet is withdrawn here only:
            // its delivery is cancelled with the move.
            let delivered = part.status.rank() >= 1;
            let note = if !delivered {
                reason.to_owned()
            } else {
                match self.ask(part, Request::Withdraw { case_no, reason }).await {
                    Ok(Answered::Taken) => format!("{reason}（部门已撤回）"),
                    Ok(Answered::NotCarried) => {
                        format!("{reason}（该部门系统不接收网上撤回，请线下通知部门）")
                    }
                    Err(PlatformError::Conflict(refused)) if open.len() > 1 => {
                        refusals.push(refused);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            };
            self.transition(
                case_no,
                Move {
                    part: (open.len() > 1).then_some((part.part_no, None)),
                    to: Status::Withdrawn,
                    actor: clerk,
                    note: &note,
                    issued: None,
                    settles: None,
                },
            )
            .await?;
        }
        if !refusals.is_empty() {
            return Err(PlatformError::Conflict(format!(
                "办件 {case_no} 未能全部撤回：{}",
                refusals.join("；")
            )));
        }
        self.case(case_no).await
    }

    /// Whether `part`'s department takes 补正 through the platform (its adapter
    /// is on contract 0.2.0 or later).
    pub(super) fn takes_supplements(&self, adapter_id: &str) -> bool {
        self.adapter(adapter_id)
            .is_some_and(|a| a.contract() != "0.1.0")
    }
}
