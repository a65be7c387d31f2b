//! The vocabulary of an appeal (诉求): channels, triage classes, tiers, states and ratings.
//!
//! These types are shared by the workflow, storage and the HTTP layer. They carry no
//! behaviour beyond naming; the rules live in `workflow.rs`.

text_enum! {
    /// How an appeal reached the hub. Every channel goes through the same intake path.
    pub enum Channel as "channel" {
        Hotline = "hotline",
        Web = "web",
        MiniProgram = "mini_program",
        GridVisit = "grid_visit",
        Meeting = "meeting",
        PartyRep = "party_rep",
        Open311 = "open311",
    }
}

impl Channel {
    /// The Chinese label shown in the interface.
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Hotline => "12345热线",
            Channel::Web => "网站",
            Channel::MiniProgram => "小程序/App",
            Channel::GridVisit => "民情家访",
            Channel::Meeting => "议事会议",
            Channel::PartyRep => "党代表",
            Channel::Open311 => "Open311",
        }
    }
}

text_enum! {
    /// Triage (三事分流): whose matter it is.
    pub enum Triage as "triage class" {
        /// 私事: a personal or market matter, answered with guidance and a referral.
        Private = "private",
        /// 小事: a village or community affair.
        Small = "small",
        /// 大事: needs the township or county, money, or several departments.
        Big = "big",
    }
}

text_enum! {
    /// The four-colour tier (四色), which decides who owns the appeal.
    pub enum Tier as "tier" {
        Green = "green",
        Blue = "blue",
        Yellow = "yellow",
        Red = "red",
    }
}

impl Tier {
    /// The next tier up the ladder; red is the top and stays red.
    pub fn escalated(self) -> Tier {
        match self {
            Tier::Green => Tier::Blue,
            Tier::Blue => Tier::Yellow,
            Tier::Yellow | Tier::Red => Tier::Red,
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Tier::Green => "绿",
            Tier::Blue => "蓝",
            Tier::Yellow => "黄",
            Tier::Red => "红",
        }
    }
}

text_enum! {
    /// Where an appeal stands in its closed loop.
    pub enum AppealStatus as "appeal status" {
        /// 待受理: taken in, waiting for the owner to accept or reject it.
        Received = "received",
        /// 已受理: accepted, waiting to be dispatched.
        Accepted = "accepted",
        /// 不予受理: rejected as out of scope. Terminal.
        Rejected = "rejected",
        /// 已派单: dispatched to a lead unit, waiting for it to sign.
        Dispatched = "dispatched",
        /// 已签收: the lead unit signed for it.
        SignedFor = "signed_for",
        /// 办理中: the lead unit contacted the resident and is working on it.
        InProgress = "in_progress",
        /// 已退单: the lead unit returned the dispatch; it waits to be dispatched again.
        Returned = "returned",
        /// 已办结: resolved, with a reply to the resident.
        Resolved = "resolved",
        /// 已回访: the follow-up call or message was made.
        FollowedUp = "followed_up",
        /// 已评价: the resident rated the outcome.
        Rated = "rated",
        /// 已结案: closed. Terminal.
        Closed = "closed",
        /// 已合并: merged into a primary appeal as a duplicate. Terminal.
        Merged = "merged",
    }
}

impl AppealStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, AppealStatus::Rejected | AppealStatus::Closed | AppealStatus::Merged)
    }

    /// Open means someone still owes work on it before the resident gets an answer.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            AppealStatus::Received
                | AppealStatus::Accepted
                | AppealStatus::Dispatched
                | AppealStatus::SignedFor
                | AppealStatus::InProgress
                | AppealStatus::Returned
        )
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            AppealStatus::Received => "待受理",
            AppealStatus::Accepted => "已受理",
            AppealStatus::Rejected => "不予受理",
            AppealStatus::Dispatched => "已派单",
            AppealStatus::SignedFor => "已签收",
            AppealStatus::InProgress => "办理中",
            AppealStatus::Returned => "已退单",
            AppealStatus::Resolved => "已办结",
            AppealStatus::FollowedUp => "已回访",
            AppealStatus::Rated => "已评价",
            AppealStatus::Closed => "已结案",
            AppealStatus::Merged => "已合并",
        }
    }
}

text_enum! {
    /// The resident's judgement of whether the problem was solved.
    pub enum Resolution as "resolution" {
        Resolved = "resolved",
        Partly = "partly",
        NotResolved = "not_resolved",
    }
}

text_enum! {
    /// The resident's satisfaction with the handling.
    pub enum Satisfaction as "satisfaction" {
        Satisfied = "satisfied",
        Basically = "basically_satisfied",
        Dissatisfied = "dissatisfied",
    }
}

/// A rating given at follow-up (回访评价).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Rating {
    pub resolution: Resolution,
    pub satisfaction: Satisfaction,
}

impl Rating {
    /// A rating that allows the appeal to be reopened (重办).
    pub fn allows_reopen(self) -> bool {
        self.satisfaction == Satisfaction::Dissatisfied || self.resolution == Resolution::NotResolved
    }
}

/// An appeal's human-readable number, e.g. `MQ-20261121-000123`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppealNumber(String);

impl AppealNumber {
    /// Formats the number from the local (Asia/Shanghai) date and the day's sequence.
    pub fn new(local_date: jiff::civil::Date, sequence: i64) -> AppealNumber {
        AppealNumber(format!("MQ-{:04}{:02}{:02}-{:06}", local_date.year(), local_date.month(), local_date.day(), sequence))
    }

    /// Parses a number typed by a person: case and surrounding spaces are forgiven.
    pub fn parse(text: &str) -> Option<AppealNumber> {
        let text = text.trim().to_ascii_uppercase();
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() >= 18
            && text.starts_with("MQ-")
            && bytes[11] == b'-'
            && bytes[3..11].iter().all(u8::is_ascii_digit)
            && bytes[12..].iter().all(u8::is_ascii_digit)
            && bytes.len() <= 20;
        shape_ok.then_some(AppealNumber(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for AppealNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats_and_parses() {
        let date = jiff::civil::date(2026, 11, 21);
        let number = AppealNumber::new(date, 123);
        assert_eq!(number.as_str(), "MQ-20261121-000123");
        assert_eq!(AppealNumber::parse(" mq-20261121-000123 "), Some(number));
        for bad in ["", "MQ-2026112-000123", "XX-20261121-000123", "MQ-20261121-00012a", "MQ-20261121_000123"] {
            assert_eq!(AppealNumber::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn text_enums_round_trip_and_explain_errors() {
        for status in AppealStatus::ALL {
            assert_eq!(status.as_str().parse::<AppealStatus>().unwrap(), *status);
        }
        let error = "teleport".parse::<Channel>().unwrap_err();
        assert!(error.to_string().contains("hotline"), "{error}");
    }

    #[test]
    fn tier_ladder_climbs_and_stops_at_red() {
        assert_eq!(Tier::Green.escalated(), Tier::Blue);
        assert_eq!(Tier::Blue.escalated(), Tier::Yellow);
        assert_eq!(Tier::Yellow.escalated(), Tier::Red);
        assert_eq!(Tier::Red.escalated(), Tier::Red);
    }
}
