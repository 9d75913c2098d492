//! The case state machine: accepted → delivered → in review ⇄ supplement
//! requested or special procedure → approved / denied → completed; withdrawn;
//! returned to the clerk; delivery failed (for operators to retry).

use serde::{Deserialize, Serialize};

use crate::model::CaseStatus as DepartmentStatus;

/// Where a case stands on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已受理: accepted at the window, waiting for delivery.
    Accepted,
    /// 已推送: the department's system has the case.
    Delivered,
    /// 审查中.
    InReview,
    /// 补正中: waiting for the applicant; the deadline clock stops.
    SupplementRequested,
    /// 特别程序中 (专家评审, 听证, 检验检测; 行政许可法 art. 45): the deadline
    /// clock stops.
    SpecialProcedure,
    /// 准予.
    Approved,
    /// 不予.
    Denied,
    /// 办结.
    Completed,
    /// 已撤回 by the applicant.
    Withdrawn,
    /// 退回: the department's system refused the case as delivered; the reason
    /// is on the timeline.
    Returned,
    /// 推送失败: delivery kept failing past the retry horizon; an operator retries.
    DeliveryFailed,
}

impl Status {
    /// Every status, for error messages and filters.
    pub const ALL: [Status; 11] = [
        Status::Accepted,
        Status::Delivered,
        Status::InReview,
        Status::SupplementRequested,
        Status::SpecialProcedure,
        Status::Approved,
        Status::Denied,
        Status::Completed,
        Status::Withdrawn,
        Status::Returned,
        Status::DeliveryFailed,
    ];

    /// The Chinese name clerks see.
    pub fn label(self) -> &'static str {
        match self {
            Status::Accepted => "已受理",
            Status::Delivered => "已推送",
            Status::InReview => "审查中",
            Status::SupplementRequested => "补正中",
            Status::SpecialProcedure => "特别程序中",
            Status::Approved => "准予",
            Status::Denied => "不予",
            Status::Completed => "办结",
            Status::Withdrawn => "已撤回",
            Status::Returned => "退回",
            Status::DeliveryFailed => "推送失败",
        }
    }

    /// The snake_case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "accepted",
            Status::Delivered => "delivered",
            Status::InReview => "in_review",
            Status::SupplementRequested => "supplement_requested",
            Status::SpecialProcedure => "special_procedure",
            Status::Approved => "approved",
            Status::Denied => "denied",
            Status::Completed => "completed",
            Status::Withdrawn => "withdrawn",
            Status::Returned => "returned",
            Status::DeliveryFailed => "delivery_failed",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether nothing can happen to the case any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Completed | Status::Withdrawn | Status::Returned
        )
    }

    /// Whether the deadline clock is stopped in this status: waiting for the
    /// applicant (补正) or for a special procedure.
    pub fn clock_stopped(self) -> bool {
        matches!(self, Status::SupplementRequested | Status::SpecialProcedure)
    }

    /// Whether the deadline clock runs in this status.
    pub fn clock_runs(self) -> bool {
        !self.is_final() && !self.clock_stopped()
    }

    /// The statuses a case may move to from this one.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Accepted => &[Delivered, Returned, DeliveryFailed, Withdrawn],
            DeliveryFailed => &[Accepted, Delivered, Returned, Withdrawn],
            // A department may decide without reporting a separate review step.
            Delivered => &[
                InReview,
                SupplementRequested,
                SpecialProcedure,
                Approved,
                Denied,
                Withdrawn,
            ],
            InReview => &[
                SupplementRequested,
                SpecialProcedure,
                Approved,
                Denied,
                Withdrawn,
            ],
            SupplementRequested => &[InReview, Withdrawn],
            // The expert's, hearing's or test's result may be the decision.
            SpecialProcedure => &[InReview, Approved, Denied, Withdrawn],
            Approved | Denied => &[Completed],
            Completed | Withdrawn | Returned => &[],
        }
    }

    /// How far along the way a status is: 0 not at the department yet, 1 delivered,
    /// 2 under review, 3 decided, 4 final.
    pub fn rank(self) -> u8 {
        use Status::*;
        match self {
            Accepted | DeliveryFailed => 0,
            Delivered => 1,
            InReview | SupplementRequested | SpecialProcedure => 2,
            Approved | Denied => 3,
            Completed | Withdrawn | Returned => 4,
        }
    }

    /// The status of a case made of parts with these statuses: the least
    /// advanced of the parts still open, waiting (补正) when any part waits, and
    /// final once every part is. A single part's status is the case's.
    pub fn of_parts(parts: &[Status]) -> Status {
        use Status::*;
        let open: Vec<Status> = parts.iter().copied().filter(|s| !s.is_final()).collect();
        let any = |set: &[Status], s: Status| set.contains(&s);
        if open.is_empty() {
            return if any(parts, Completed) {
                Completed
            } else if any(parts, Returned) {
                Returned
            } else {
                Withdrawn
            };
        }
        if any(&open, SupplementRequested) {
            return SupplementRequested;
        }
        if any(&open, SpecialProcedure) {
            return SpecialProcedure;
        }
        match open.iter().map(|s| s.rank()).min() {
            Some(0) if any(&open, DeliveryFailed) => DeliveryFailed,
            Some(0) => Accepted,
            Some(1) => Delivered,
            Some(2) => InReview,
            _ if any(&open, Denied) => Denied,
            _ => Approved,
        }
    }

    /// Checks a move, with a message a clerk can act on.
    pub fn check(self, to: Status) -> Result<(), IllegalTransition> {
        if self.next().contains(&to) {
            Ok(())
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<DepartmentStatus> for Status {
    fn from(s: DepartmentStatus) -> Self {
        match s {
            DepartmentStatus::InReview => Status::InReview,
            DepartmentStatus::SupplementRequested => Status::SupplementRequested,
            DepartmentStatus::SpecialProcedure => Status::SpecialProcedure,
            DepartmentStatus::Approved => Status::Approved,
            DepartmentStatus::Denied => Status::Denied,
            DepartmentStatus::Completed => Status::Completed,
        }
    }
}

/// A move the state machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case that is {from} cannot become {to}; from {from} it can become {allowed}", allowed = allowed(*from))]
pub struct IllegalTransition {
    pub from: Status,
    pub to: Status,
}

fn allowed(from: Status) -> String {
    let next = from.next();
    if next.is_empty() {
        "nothing else (it is final)".into()
    } else {
        next.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_path_is_allowed() {
        let path = [
            Status::Accepted,
            Status::Delivered,
            Status::InReview,
            Status::SupplementRequested,
            Status::InReview,
            Status::Approved,
            Status::Completed,
        ];
        for pair in path.windows(2) {
            pair[0].check(pair[1]).unwrap();
        }
    }

    #[test]
    fn a_case_of_parts_stands_where_its_slowest_open_part_stands() {
        use Status::*;
        for single in Status::ALL {
            assert_eq!(Status::of_parts(&[single]), single);
        }
        assert_eq!(
            Status::of_parts(&[Completed, InReview, Delivered]),
            Delivered
        );
        assert_eq!(Status::of_parts(&[Completed, Returned, Approved]), Approved);
        assert_eq!(Status::of_parts(&[Approved, Denied]), Denied);
        assert_eq!(
            Status::of_parts(&[InReview, SupplementRequested, Approved]),
            SupplementRequested
        );
        assert_eq!(
            Status::of_parts(&[Accepted, DeliveryFailed, Delivered]),
            DeliveryFailed
        );
        assert_eq!(
            Status::of_parts(&[Completed, Returned, Completed]),
            Completed
        );
        assert_eq!(Status::of_parts(&[Returned, Withdrawn]), Returned);
        assert_eq!(Status::of_parts(&[Withdrawn, Withdrawn]), Withdrawn);
    }

    #[test]
    fn illegal_moves_say_what_is_possible() {
        let err = Status::Completed.check(Status::InReview).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a case that is completed cannot become in_review; from completed it can become nothing else (it is final)"
        );
        let err = Status::Accepted.check(Status::Approved).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a case that is accepted cannot become approved; from accepted it can become delivered, returned, delivery_failed, withdrawn"
        );
    }

    #[test]
    fn names_round_trip_and_the_clock_stops_for_supplements() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert!(!Status::SupplementRequested.clock_runs());
        assert!(!Status::SpecialProcedure.clock_runs());
        assert!(Status::InReview.clock_runs());
        assert!(!Status::Completed.clock_runs());
    }
}
