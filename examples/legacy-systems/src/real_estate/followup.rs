//! Reading the files that follow a case file: 补正 (`bzcl/BZ_<平台办件编号>_<批次>.csv`,
//! the supplementary materials of a case waiting at 需补正) and 撤回
//! (`chsq/CH_<平台办件编号>.csv`, the applicant's withdrawal). Both are GBK CSV in
//! sections, like the case file.

use serde::Serialize;

use super::case_file::{self, ATTACHMENT_COLUMNS, Attachment, Sections};

/// 补正材料: where the platform puts supplement files.
pub const SUPPLEMENTS: &str = "bzcl";
/// 撤回申请: where the platform puts withdrawal files.
pub const WITHDRAWALS: &str = "chsq";

const SUPPLEMENT_SECTIONS: Sections<'static> = &[
    ("补正", &["平台办件编号", "交换编号", "补正说明"]),
    ("附件", ATTACHMENT_COLUMNS),
];

const WITHDRAWAL_SECTIONS: Sections<'static> =
    &[("撤回", &["平台办件编号", "交换编号", "撤回原因"])];

/// A supplement file the batch job could read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Supplement {
    /// 平台办件编号.
    pub case_no: String,
    /// 补正说明: what the clerk wrote with the files; may be empty.
    pub note: String,
    /// 附件.
    pub attachments: Vec<Attachment>,
}

/// A withdrawal file the batch job could read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawal {
    /// 平台办件编号.
    pub case_no: String,
    /// 撤回原因.
    pub reason: String,
}

/// The 平台办件编号 a supplement file's name carries (`BZ_<n>_<批次>.csv`).
pub fn supplement_case_no(file_name: &str) -> Option<&str> {
    let stem = file_name.strip_prefix("BZ_")?.strip_suffix(".csv")?;
    let (case_no, batch) = stem.rsplit_once('_')?;
    (!case_no.is_empty() && !batch.is_empty()).then_some(case_no)
}

/// The 平台办件编号 a withdrawal file's name carries (`CH_<n>.csv`).
pub fn withdrawal_case_no(file_name: &str) -> Option<&str> {
    let case_no = file_name.strip_prefix("CH_")?.strip_suffix(".csv")?;
    (!case_no.is_empty()).then_some(case_no)
}

/// The one row of the first section, checked against the file name: 平台办件编号
/// as the name says, 交换编号 `SQ_<平台办件编号>`.
fn head<'a>(
    section: &case_file::Section<'a>,
    name: &str,
    file_name: &str,
    from_name: Option<&str>,
) -> Result<(&'a [String], String), String> {
    let [row] = section.rows.as_slice() else {
        return Err(format!(
            "[{name}]段应有且仅有一行，实际{}行",
            section.rows.len()
        ));
    };
    let case_no = section.value(row, "平台办件编号");
    if case_no.is_empty() {
        return Err("缺少平台办件编号".to_owned());
    }
    if from_name != Some(case_no) {
        return Err(format!("文件名{file_name}与平台办件编号{case_no}不一致"));
    }
    let exchange = section.value(row, "交换编号");
    if exchange != format!("SQ_{case_no}") {
        return Err(format!(
            "交换编号{exchange}与平台办件编号{case_no}不一致（应为SQ_{case_no}）"
        ));
    }
    Ok((row, case_no.to_owned()))
}

/// Reads the supplement file `file_name` with `bytes`; the error says why not, in
/// Chinese.
pub fn parse_supplement(file_name: &str, bytes: &[u8]) -> Result<Supplement, String> {
    let records = case_file::records("补正文件", bytes)?;
    let sections = case_file::split(&records, SUPPLEMENT_SECTIONS)?;
    let (row, case_no) = head(
        &sections[0],
        "补正",
        file_name,
        supplement_case_no(file_name),
    )?;
    let note = sections[0].value(row, "补正说明").to_owned();
    let attachments = case_file::attachments(&sections[1])?;
    if attachments.is_empty() && note.is_empty() {
        return Err("补正文件既没有附件，也没有补正说明".to_owned());
    }
    if let Some(nameless) = attachments
        .iter()
        .find(|a| a.material.is_empty() || a.file_name.is_empty())
    {
        return Err(format!(
            "附件行缺少材料编码或文件名（{}）",
            if nameless.file_name.is_empty() {
                &nameless.material
            } else {
                &nameless.file_name
            }
        ));
    }
    Ok(Supplement {
        case_no,
        note,
        attachments,
    })
}

/// Reads the withdrawal file `file_name` with `bytes`; the error says why not, in
/// Chinese.
pub fn parse_withdrawal(file_name: &str, bytes: &[u8]) -> Result<Withdrawal, String> {
    let records = case_file::records("撤回文件", bytes)?;
    let sections = case_file::split(&records, WITHDRAWAL_SECTIONS)?;
    let (row, case_no) = head(
        &sections[0],
        "撤回",
        file_name,
        withdrawal_case_no(file_name),
    )?;
    let reason = sections[0].value(row, "撤回原因").to_owned();
    if reason.is_empty() {
        return Err("缺少撤回原因".to_owned());
    }
    Ok(Withdrawal { case_no, reason })
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_codes::gbk;

    fn gbk_file(text: &str) -> Vec<u8> {
        gbk::encode(&text.replace('\n', "\r\n")).unwrap()
    }

    #[test]
    fn reads_a_supplement_and_a_withdrawal() {
        let bytes = gbk_file(
            "#补正,平台办件编号,交换编号,补正说明\n补正,20261127-000042,SQ_20261127-000042,已补交契税完税凭证\n#附件,材料编码,文件名,文件类型,文件内容\n附件,005,契税完税凭证.pdf,application/pdf,JVBERi0xLjQK\n",
        );
        let supplement =
            parse_supplement("BZ_20261127-000042_0123456789abcdef.csv", &bytes).unwrap();
        assert_eq!(supplement.case_no, "20261127-000042");
        assert_eq!(supplement.note, "已补交契税完税凭证");
        assert_eq!(supplement.attachments[0].material, "005");
        assert_eq!(supplement.attachments[0].size, 9);
        assert_eq!(
            parse_supplement("BZ_20261127-000043_01.csv", &bytes).unwrap_err(),
            "文件名BZ_20261127-000043_01.csv与平台办件编号20261127-000042不一致"
        );

        let bytes = gbk_file(
            "#撤回,平台办件编号,交换编号,撤回原因\n撤回,20261127-000042,SQ_20261127-000042,申请人不再办理\n",
        );
        let withdrawal = parse_withdrawal("CH_20261127-000042.csv", &bytes).unwrap();
        assert_eq!(withdrawal.reason, "申请人不再办理");
        assert_eq!(
            supplement_case_no("BZ_2026_11_27_ab.csv"),
            Some("2026_11_27")
        );
        assert_eq!(withdrawal_case_no("CH_.csv"), None);
    }

    #[test]
    fn files_it_cannot_read_say_why() {
        let empty = gbk_file("#撤回,平台办件编号,交换编号,撤回原因\n撤回,X1,SQ_X1,\n");
        assert_eq!(
            parse_withdrawal("CH_X1.csv", &empty).unwrap_err(),
            "缺少撤回原因"
        );
        let wrong = gbk_file("#撤回,平台办件编号,交换编号,撤回原因\n撤回,X1,SQ_X2,不办了\n");
        assert!(
            parse_withdrawal("CH_X1.csv", &wrong)
                .unwrap_err()
                .starts_with("交换编号SQ_X2与平台办件编号X1不一致")
        );
        let utf8 = "#撤回,平台办件编号,交换编号,撤回原因\r\n撤回,X1,SQ_X1,不办了\r\n";
        assert_eq!(
            parse_withdrawal("CH_X1.csv", utf8.as_bytes()).unwrap_err(),
            "撤回文件是UTF-8编码，应为GBK编码"
        );
        let nothing = gbk_file(
            "#补正,平台办件编号,交换编号,补正说明\n补正,X1,SQ_X1,\n#附件,材料编码,文件名,文件类型,文件内容\n",
        );
        assert_eq!(
            parse_supplement("BZ_X1_1.csv", &nothing).unwrap_err(),
            "补正文件既没有附件，也没有补正说明"
        );
        let missing = gbk_file("#补正,平台办件编号,交换编号,补正说明\n补正,X1,SQ_X1,说明\n");
        assert_eq!(
            parse_supplement("BZ_X1_1.csv", &missing).unwrap_err(),
            "缺少[附件]段"
        );
    }
}
