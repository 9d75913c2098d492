//! The clerk's pages: matter search and guides, acceptance with its receipt,
//! cases with their timelines and evaluations, and license lookups.

mod acceptance;
mod cases;
mod licenses;
mod matters;

pub(crate) use acceptance::{FIELD, form_fields};
pub use acceptance::{accept, accept_form, check_id, materials, prefill};
pub use cases::{case_live, case_page, cases, rating_code, receipt, supplement, withdraw};
pub(crate) use cases::{case_materials, case_title, read_supplement};
pub use licenses::{licenses, licenses_of};
pub use matters::{Search, home, matter};

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use indexmap::IndexMap;
use onewindow_codes::CodeError;
use serde::{Deserialize, Serialize};

use super::session::{CaseReader, Clerk};
use super::{Page, User, error_page, failed, page};
use crate::config::Theme;
use crate::model::{Attachment, License, Party};
use crate::platform::cases::{
    Application, CaseQuery, Consent, FieldError, MaterialCheck, RatingCode, fields_of,
};
use crate::platform::catalogue::{CatalogueMatter, MatterQuery};
use crate::platform::lifecycle::Status;
use crate::platform::{Platform, PlatformError};

/// A `multipart/form-data` form as read: its text fields, its files (each from
/// an input named `file:<material code>`; an input left empty is skipped) and
/// its `csrf` field, taken out of the text fields.
pub(crate) async fn read_multipart(
    mut multipart: Multipart,
) -> Result<(Vec<(String, String)>, Vec<Attachment>, Option<String>), String> {
    let mut values: Vec<(String, String)> = Vec::new();
    let mut attachments = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| format!("表单未能完整上传：{e}"))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(material) = name.strip_prefix("file:") {
            let material = material.to_owned();
            let file_name = field.file_name().unwrap_or_default().to_owned();
            let media_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let content = field
                .bytes()
                .await
                .map_err(|e| format!("文件未能完整上传：{e}"))?;
            // A file input left empty still sends a part, with no file name.
            if !file_name.is_empty() {
                attachments.push(Attachment {
                    material_code: material,
                    file_name,
                    media_type,
                    content_base64: content.to_vec(),
                });
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| format!("表单未能完整上传：{e}"))?;
            values.push((name, text));
        }
    }
    let csrf = values
        .iter()
        .position(|(name, _)| name == "csrf")
        .map(|at| values.remove(at).1);
    Ok((values, attachments, csrf))
}

/// What is wrong with an ID number or credit code, in Chinese; `None` when it
/// is valid, or while it is being typed (`complete` false and not yet 18 long).
pub(crate) fn id_problem(organization: bool, id: &str, complete: bool) -> Option<String> {
    let id = id.trim();
    let what = if organization {
        "统一社会信用代码"
    } else {
        "公民身份号码"
    };
    if id.is_empty() {
        return complete.then(|| format!("请填写{what}。"));
    }
    let result = if organization {
        onewindow_codes::credit_code::validate(id)
    } else {
        onewindow_codes::id_number::validate(id)
    };
    match result {
        Ok(()) => None,
        Err(CodeError::Length { found, .. }) if found < 18 && !complete => None,
        Err(CodeError::Length { found, .. }) => {
            Some(format!("{what}应为 18 位，现为 {found} 位。"))
        }
        Err(CodeError::Char { position, ch, .. }) => {
            Some(format!("{what}第 {position} 位不能是“{ch}”。"))
        }
        Err(CodeError::Lowercase { position, .. }) => {
            Some(format!("{what}第 {position} 位的字母应大写。"))
        }
        Err(CodeError::BirthDate { .. }) => Some(format!("{what}第 7–14 位不是有效的出生日期。")),
        Err(CodeError::CheckChar { .. }) => Some(format!("{what}校验位不正确，请核对后重新输入。")),
    }
}
