//! Points (积分, 幸福币): a double-entry, append-only ledger.
//!
//! Every movement of points is a journal of two or more postings that sum to zero: points
//! earned move from a community's pool (which may go negative: it is the points the
//! community has issued) to a person's account; points spent move from the person to the
//! community's redemption account. Nothing is edited or deleted: a mistake is corrected by
//! a new journal that reverses the old one. A person's balance never goes negative unless
//! the account allows it; the storage layer enforces that with a guarded update, so two
//! concurrent spends of the same points cannot both succeed.
//!
//! Pure code: the rules of a journal and of a monthly statement.

text_enum! {
    /// The kind of a points account.
    pub enum AccountKind as "account kind" {
        /// A resident's or volunteer's points.
        Person = "person",
        /// A community's pool, from which earned points are issued (its balance is minus
        /// what it has issued).
        Pool = "pool",
        /// A community's redemption account, into which spent points go.
        Redemption = "redemption",
    }
}

text_enum! {
    /// Why a journal was written.
    pub enum JournalKind as "journal kind" {
        /// Points earned under a rule (volunteering, patrols, mediation, a meeting, an order).
        Earn = "earn",
        /// Points spent on an item of the catalogue.
        Spend = "spend",
        /// A reversal of an earlier journal.
        Correction = "correction",
    }
}

text_enum! {
    /// Whether a rule grants points or prices a catalogue item.
    pub enum RuleDirection as "rule direction" {
        Earn = "earn",
        Spend = "spend",
    }
}

/// One line of a journal: an amount to an account (positive credits it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Posting {
    pub account_id: i64,
    pub amount: i64,
}

/// Why a journal is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a journal moves points between at least two accounts")]
    TooFewPostings,
    #[error("a journal must balance: its postings sum to {0}, not 0")]
    Unbalanced(i64),
    #[error("a posting of 0 points records nothing")]
    ZeroPosting,
    #[error("points must be a positive whole number no larger than 100000")]
    BadAmount,
}

/// The largest number of points one journal may move (a guard against typing errors).
pub const MAX_POINTS: i64 = 100_000;

/// Checks that postings form a balanced journal.
pub fn check_journal(postings: &[Posting]) -> Result<(), LedgerError> {
    if postings.len() < 2 {
        return Err(LedgerError::TooFewPostings);
    }
    if postings.iter().any(|posting| posting.amount == 0) {
        return Err(LedgerError::ZeroPosting);
    }
    let sum: i64 = postings.iter().map(|posting| posting.amount).sum();
    if sum != 0 {
        return Err(LedgerError::Unbalanced(sum));
    }
    Ok(())
}

/// The postings that move `points` from one account to another.
pub fn transfer(from_account: i64, to_account: i64, points: i64) -> Result<Vec<Posting>, LedgerError> {
    if points <= 0 || points > MAX_POINTS {
        return Err(LedgerError::BadAmount);
    }
    Ok(vec![Posting { account_id: from_account, amount: -points }, Posting { account_id: to_account, amount: points }])
}

/// The postings that reverse a journal.
pub fn reversal(postings: &[Posting]) -> Vec<Posting> {
    postings.iter().map(|posting| Posting { account_id: posting.account_id, amount: -posting.amount }).collect()
}

/// Whether an account may end at `balance`.
pub fn balance_allowed(kind: AccountKind, allow_negative: bool, balance: i64) -> bool {
    balance >= 0 || allow_negative || kind == AccountKind::Pool
}

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub journal_id: i64,
    pub at_ms: i64,
    pub kind: String,
    pub rule_code: Option<String>,
    pub reason: String,
    pub granted_by: Option<String>,
    pub amount: i64,
    pub balance_after: i64,
}

/// A monthly statement for one account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub month: String,
    pub opening_balance: i64,
    pub earned: i64,
    pub spent: i64,
    pub closing_balance: i64,
    pub lines: Vec<StatementLine>,
}

/// Builds a statement from the opening balance and the month's lines (in order).
pub fn statement(month: &str, opening_balance: i64, lines: Vec<StatementLine>) -> Statement {
    let earned = lines.iter().filter(|line| line.amount > 0).map(|line| line.amount).sum();
    let spent = -lines.iter().filter(|line| line.amount < 0).map(|line| line.amount).sum::<i64>();
    let closing_balance = opening_balance + earned - spent;
    Statement { month: month.to_string(), opening_balance, earned, spent, closing_balance, lines }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journals_must_balance() {
        assert!(check_journal(&transfer(1, 2, 10).expect("transfer")).is_ok());
        assert_eq!(check_journal(&[Posting { account_id: 1, amount: -10 }]), Err(LedgerError::TooFewPostings));
        assert_eq!(
            check_journal(&[Posting { account_id: 1, amount: -10 }, Posting { account_id: 2, amount: 9 }]),
            Err(LedgerError::Unbalanced(-1))
        );
        assert_eq!(
            check_journal(&[Posting { account_id: 1, amount: 0 }, Posting { account_id: 2, amount: 0 }]),
            Err(LedgerError::ZeroPosting)
        );
        for bad in [0, -5, MAX_POINTS + 1] {
            assert_eq!(transfer(1, 2, bad), Err(LedgerError::BadAmount));
        }
    }

    #[test]
    fn a_reversal_balances_and_undoes() {
        let original = transfer(1, 2, 30).expect("transfer");
        let undone = reversal(&original);
        assert!(check_journal(&undone).is_ok());
        let net: i64 = original.iter().chain(&undone).filter(|posting| posting.account_id == 2).map(|posting| posting.amount).sum();
        assert_eq!(net, 0);
    }

    #[test]
    fn only_pools_and_permitted_accounts_go_negative() {
        assert!(!balance_allowed(AccountKind::Person, false, -1));
        assert!(balance_allowed(AccountKind::Person, true, -1));
        assert!(balance_allowed(AccountKind::Pool, false, -500));
        assert!(!balance_allowed(AccountKind::Redemption, false, -1));
    }

    #[test]
    fn a_statement_adds_up() {
        let line = |amount, balance_after| StatementLine {
            journal_id: 1,
            at_ms: 0,
            kind: "earn".into(),
            rule_code: None,
            reason: "x".into(),
            granted_by: None,
            amount,
            balance_after,
        };
        let month = statement("2026-11", 20, vec![line(10, 30), line(-25, 5), line(3, 8)]);
        assert_eq!((month.earned, month.spent, month.closing_balance), (13, 25, 8));
    }
}
