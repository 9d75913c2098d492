//! The domain: matter catalogue, cases and their deadlines, license reuse,
//! evaluations and the audit chain, over the [`Store`] and the loaded adapters.

pub mod adapters;
pub mod calendar;
pub mod cases;
pub mod catalogue;
pub mod exchanges;
pub mod intake;
pub mod licenses;
pub mod lifecycle;
pub mod pushes;
pub mod showings;
pub mod sign_in;
pub mod stats;
pub mod supervision;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, FixedOffset};

use crate::adapter::{Adapter, Loader};
use crate::config::Config;
use crate::registry::package::TrustStore;
use crate::store::{Store, StoreError};
use calendar::Calendar;

/// What went wrong with a request to the platform; the HTTP layer maps each
/// kind to a status code.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// A field of the request is wrong.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Fields of the application's form are missing or wrong (all of them at once).
    #[error("{} form field(s) wrong: {}", .0.len(), .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("；"))]
    InvalidForm(Vec<cases::FieldError>),
    /// Required materials are neither attached nor covered by a license.
    #[error("{} required material(s) missing: {}", .0.len(), .0.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join("、"))]
    MissingMaterials(Vec<MissingMaterial>),
    /// What was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// A department needed for the answer did not answer; try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a caller is told of a [`PlatformError`], through the API or the
/// window alike: the HTTP status and the stable code of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// 422: a field is wrong.
    Invalid,
    /// 422: fields of the application's form are missing or wrong.
    InvalidForm,
    /// 422: required materials are missing.
    MissingMaterials,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 503: a department, or the platform's own database, is not available
    /// now; trying again later may work.
    Unavailable,
}

impl Answer {
    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            Answer::Invalid | Answer::InvalidForm | Answer::MissingMaterials => 422,
            Answer::NotFound => 404,
            Answer::Conflict => 409,
            Answer::Unavailable => 503,
        }
    }

    /// What a clerk or an applicant is told, in Chinese, when the error's own
    /// words are not: the API's messages are for developers and in English.
    pub fn reader_message(self) -> &'static str {
        match self {
            Answer::Invalid => "提交的内容有误，请检查后重新提交。",
            Answer::InvalidForm => "表单填写有误，请按提示修改后重新提交。",
            Answer::MissingMaterials => "缺少必交材料，请补齐后重新提交。",
            Answer::NotFound => "未找到所请求的内容：编号可能有误，或已不存在。",
            Answer::Conflict => "当前状态下不能进行此操作，请刷新页面查看最新状态。",
            Answer::Unavailable => "系统暂时无法办理，请稍后重试；已填写的内容未提交。",
        }
    }

    /// The stable code of the API's error body.
    pub fn code(self) -> &'static str {
        match self {
            Answer::Invalid => "invalid",
            Answer::InvalidForm => "invalid_form",
            Answer::MissingMaterials => "missing_materials",
            Answer::NotFound => "not_found",
            Answer::Conflict => "conflict",
            Answer::Unavailable => "unavailable",
        }
    }
}

impl PlatformError {
    /// How the error is answered. A database failure is logged here, once,
    /// and answered as unavailable without the database's own words.
    pub fn answer(&self) -> Answer {
        match self {
            PlatformError::Invalid { .. } => Answer::Invalid,
            PlatformError::InvalidForm(_) => Answer::InvalidForm,
            PlatformError::MissingMaterials(_) => Answer::MissingMaterials,
            PlatformError::NotFound(_) => Answer::NotFound,
            PlatformError::Conflict(_) => Answer::Conflict,
            PlatformError::Unavailable(_) => Answer::Unavailable,
            PlatformError::Store(e) => {
                tracing::error!("database: {e}");
                Answer::Unavailable
            }
        }
    }
}

impl PlatformError {
    /// The error as a clerk or an applicant reads it: its own words where they
    /// are Chinese (a department's refusal, the missing materials), otherwise
    /// the Chinese message of its code. A database's words are never shown.
    pub fn for_reader(&self) -> String {
        let answer = self.answer();
        let own = match self {
            PlatformError::Store(_) => return answer.reader_message().to_owned(),
            PlatformError::MissingMaterials(missing) => {
                let names: Vec<&str> = missing.iter().map(|m| m.name.as_str()).collect();
                return format!("缺少必交材料：{}。", names.join("、"));
            }
            PlatformError::InvalidForm(errors) => {
                let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
                return format!(
                    "表单有 {} 处填写有误：{}",
                    errors.len(),
                    messages.join("；")
                );
            }
            other => other.to_string(),
        };
        let chinese = own.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        if chinese {
            own
        } else {
            answer.reader_message().to_owned()
        }
    }
}

/// Who did something, as the audit log and the timeline name them: `role:name`,
/// whether it was done through the API or at the window.
pub fn actor(role: crate::config::Role, name: &str) -> String {
    format!("{role}:{name}")
}

/// The person's name in an [`actor`]; other actors (an adapter, the platform
/// itself) unchanged.
pub fn actor_name(actor: &str) -> &str {
    match actor.split_once(':') {
        Some((role, name)) if crate::config::Role::from_name(role).is_some() => name,
        _ => actor,
    }
}

impl From<sqlx::Error> for PlatformError {
    fn from(e: sqlx::Error) -> Self {
        PlatformError::Store(StoreError::Sql(e))
    }
}

/// A required material that is missing (一次告知: all are listed at once).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MissingMaterial {
    pub code: String,
    pub name: String,
    /// The license that could stand in for it, had the applicant consented or held one.
    pub license_type: Option<String>,
}

/// The platform: store, calendar, configuration and the loaded adapters.
#[derive(Clone)]
pub struct Platform {
    pub store: Store,
    pub calendar: Arc<Calendar>,
    pub config: Arc<Config>,
    /// What time it is for acceptance dates, case numbers and deadlines.
    pub clock: Clock,
    /// Group commit of accepted cases.
    intake: Arc<intake::Intake>,
    /// Turns packages into adapters (the sandbox, in production).
    pub loader: Arc<dyn Loader>,
    /// The keys whose signatures on adapter packages are trusted.
    trust: Arc<TrustStore>,
    /// One catalogue sync at a time, so an older adapter's matters never
    /// overwrite those of a version activated meanwhile.
    syncing: Arc<tokio::sync::Mutex<()>>,
    adapters: Arc<RwLock<BTreeMap<String, Arc<dyn Adapter>>>>,
    /// Recent failed sign-ins, for the limits on guessing.
    failures: Arc<sign_in::Failures>,
}

impl Platform {
    /// A platform over `store` with no adapters loaded yet.
    pub fn new(
        store: Store,
        calendar: Calendar,
        config: Config,
        loader: Arc<dyn Loader>,
        trust: TrustStore,
    ) -> Self {
        Self {
            loader,
            trust: Arc::new(trust),
            syncing: Arc::default(),
            store,
            calendar: Arc::new(calendar),
            config: Arc::new(config),
            clock: Clock::System,
            intake: Arc::default(),
            adapters: Arc::default(),
            failures: Arc::default(),
        }
    }

    /// Makes `adapter` the one serving its id.
    pub fn install(&self, adapter: Arc<dyn Adapter>) {
        self.adapters
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(adapter.id().to_owned(), adapter);
    }

    /// Stops serving `id` (calls in flight finish).
    pub fn uninstall(&self, id: &str) {
        self.adapters
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// The adapter serving `id`.
    pub fn adapter(&self, id: &str) -> Option<Arc<dyn Adapter>> {
        self.adapters
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }

    /// Every loaded adapter, by id.
    pub fn adapters(&self) -> Vec<Arc<dyn Adapter>> {
        self.adapters
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// The keys whose signatures on adapter packages are trusted, with their scopes.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Today in China.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }
}

/// The platform's clock: China's time, or a time set by hand, so that tests can
/// accept a case before a Spring Festival and watch its deadline weeks later.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// [`china_now`].
    #[default]
    System,
    /// A time that moves only when set.
    Set(Arc<Mutex<DateTime<FixedOffset>>>),
}

impl Clock {
    /// A clock standing at `at` until it is set again.
    pub fn set_at(at: DateTime<FixedOffset>) -> Self {
        Clock::Set(Arc::new(Mutex::new(at)))
    }

    /// Moves a set clock to `at`; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<FixedOffset>) {
        match self {
            Clock::System => panic!("the system clock cannot be set"),
            Clock::Set(time) => *time.lock().unwrap_or_else(|e| e.into_inner()) = at,
        }
    }

    /// Now, in China's offset.
    pub fn now(&self) -> DateTime<FixedOffset> {
        match self {
            Clock::System => china_now(),
            Clock::Set(time) => *time.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }
}

/// Now in China (UTC+8, no daylight saving), which decides dates and case numbers.
pub fn china_now() -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    chrono::Utc::now().with_timezone(&offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_is_named_by_role_and_shown_by_name() {
        let actor = actor(crate::config::Role::Clerk, "窗口一号");
        assert_eq!(actor, "clerk:窗口一号");
        assert_eq!(actor_name(&actor), "窗口一号");
        assert_eq!(actor_name("adapter:tax"), "adapter:tax");
        assert_eq!(actor_name("platform"), "platform");
    }

    #[test]
    fn a_reader_is_told_in_chinese_whatever_the_error_said() {
        // English words meant for developers give way to their code's message.
        let missing = PlatformError::NotFound("no matter with code \"X\" in the catalogue".into());
        assert_eq!(missing.for_reader(), Answer::NotFound.reader_message());
        let database = PlatformError::Store(StoreError::Corrupt("relation cases".into()));
        assert_eq!(database.for_reader(), Answer::Unavailable.reader_message());
        // Words already written for the reader are kept.
        let refused = PlatformError::Conflict("县税务局不同意撤回：已办结".into());
        assert_eq!(refused.for_reader(), "县税务局不同意撤回：已办结");
        let materials = PlatformError::MissingMaterials(vec![MissingMaterial {
            code: "001".into(),
            name: "公司登记申请书".into(),
            license_type: None,
        }]);
        assert_eq!(materials.for_reader(), "缺少必交材料：公司登记申请书。");
        for answer in [
            Answer::Invalid,
            Answer::InvalidForm,
            Answer::MissingMaterials,
            Answer::NotFound,
            Answer::Conflict,
            Answer::Unavailable,
        ] {
            assert!(
                answer
                    .reader_message()
                    .chars()
                    .all(|c| !c.is_ascii_alphabetic())
            );
        }
    }

    #[test]
    fn the_api_and_the_window_answer_a_database_failure_alike() {
        let failed = PlatformError::Store(StoreError::Corrupt("x".into()));
        assert_eq!(failed.answer(), Answer::Unavailable);
        assert_eq!(
            (failed.answer().status(), failed.answer().code()),
            (503, "unavailable")
        );
        let missing = PlatformError::MissingMaterials(Vec::new());
        assert_eq!(missing.answer().status(), 422);
    }
}
