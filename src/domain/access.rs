//! Who may see and do what: roles, unit kinds and the scope of a signed-in user.
//!
//! Scoping is decided here as data (`Scope`); storage turns a scope into a WHERE clause.

text_enum! {
    /// The kind of a unit (单位). A unit sits on one region; its kind decides what it owns.
    pub enum UnitKind as "unit kind" {
        /// 县群众急难愁盼事项服务中心: assesses and assigns red appeals; runs the key supervision list.
        ServiceCentre = "service_centre",
        /// 县级部门: handles what is dispatched to it.
        Department = "department",
        /// 乡镇街道党(工)委: handles yellow appeals in its township.
        TownshipCommittee = "township_committee",
        /// 村(社区)党组织: handles blue appeals in its village or community.
        VillageOrganisation = "village_organisation",
        /// 服务队 or property company: takes service orders (later programmes).
        ServiceTeam = "service_team",
    }
}

impl UnitKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            UnitKind::ServiceCentre => "县群众急难愁盼事项服务中心",
            UnitKind::Department => "县级部门",
            UnitKind::TownshipCommittee => "乡镇街道党(工)委",
            UnitKind::VillageOrganisation => "村(社区)党组织",
            UnitKind::ServiceTeam => "服务队",
        }
    }

    /// Territorial units see everything in their region subtree; the others see only
    /// what was dispatched to them.
    pub fn is_territorial(self) -> bool {
        matches!(self, UnitKind::ServiceCentre | UnitKind::TownshipCommittee | UnitKind::VillageOrganisation)
    }
}

text_enum! {
    /// A role a user holds inside their unit. A user may hold several.
    pub enum Role as "role" {
        /// 系统管理员: manages places, units, users and policies.
        Admin = "admin",
        /// 话务员: enters hotline calls and meeting minutes; records follow-ups and ratings.
        Operator = "operator",
        /// 研判交办: accepts, rejects, dispatches and merges appeals in the unit's scope.
        Dispatcher = "dispatcher",
        /// 承办人: signs for, handles, returns and resolves what is dispatched to the unit.
        Handler = "handler",
        /// 网格员: owns grids; logs appeals from visits; solves green appeals on the spot.
        GridWorker = "grid_worker",
        /// 党代表: embedded in a grid; collects and solves green appeals, co-handles blue ones.
        PartyRep = "party_rep",
        /// 监督员: grants or refuses extensions, urges and supervises.
        Supervisor = "supervisor",
        /// 领导: reads dashboards; may urge.
        Leader = "leader",
    }
}

impl Role {
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Admin => "系统管理员",
            Role::Operator => "话务员",
            Role::Dispatcher => "研判交办员",
            Role::Handler => "承办人",
            Role::GridWorker => "网格员",
            Role::PartyRep => "党代表",
            Role::Supervisor => "监督员",
            Role::Leader => "领导",
        }
    }
}

text_enum! {
    /// A person's role on a grid (定人、定格、定职责).
    pub enum GridRole as "grid role" {
        GridWorker = "grid_worker",
        PartyRep = "party_rep",
    }
}

/// The unit a staff member acts for, as the workflow and scoping need to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: i64,
    pub kind: UnitKind,
    pub region_code: String,
}

/// A signed-in staff member, as far as rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub user_id: i64,
    pub username: String,
    pub unit: UnitRef,
    pub roles: Vec<Role>,
}

impl Staff {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|role| self.has(*role))
    }

    /// The rows this user may read, as data for the storage layer.
    pub fn scope(&self) -> Scope {
        if self.unit.kind.is_territorial() {
            Scope::RegionSubtreeOrHandledBy { region_prefix: self.unit.region_code.clone(), unit_id: self.unit.id }
        } else {
            Scope::HandledBy { unit_id: self.unit.id }
        }
    }

    /// Whether contact details (name, phone) may be shown unmasked to this user.
    /// Operators take calls and make follow-ups; the service centre's dispatchers assess
    /// and assign; handlers of the lead unit must be able to reach the resident.
    /// Everyone else (other units, leaders, supervisors) sees masked values.
    pub fn sees_contact_of(&self, lead_unit_id: Option<i64>) -> bool {
        self.has(Role::Operator)
            || (self.has(Role::Dispatcher) && self.unit.kind == UnitKind::ServiceCentre)
            || (self.has_any(&[Role::Handler, Role::GridWorker, Role::PartyRep]) && lead_unit_id == Some(self.unit.id))
    }
}

/// What part of the appeals a user may read.
///
/// Region codes are hierarchical (GB/T 2260 plus the statistical codes): a village's code
/// starts with its township's, which starts with its county's. A region subtree is
/// therefore a prefix, which both databases answer from an ordinary index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything whose region is in the subtree, and anything dispatched to the unit.
    RegionSubtreeOrHandledBy { region_prefix: String, unit_id: i64 },
    /// Only appeals the unit leads or co-handles.
    HandledBy { unit_id: i64 },
}

impl Scope {
    /// The pure form of the scoping rule, used by tests and by single-row checks.
    pub fn admits(&self, region_code: &str, handler_unit_ids: &[i64]) -> bool {
        match self {
            Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id } => {
                region_code.starts_with(region_prefix.as_str()) || handler_unit_ids.contains(unit_id)
            }
            Scope::HandledBy { unit_id } => handler_unit_ids.contains(unit_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(kind: UnitKind, region: &str, roles: &[Role]) -> Staff {
        Staff { user_id: 1, username: "someone".into(), unit: UnitRef { id: 7, kind, region_code: region.into() }, roles: roles.to_vec() }
    }

    #[test]
    fn townships_see_their_villages_and_not_the_next_township() {
        let township = staff(UnitKind::TownshipCommittee, "511824101", &[Role::Dispatcher]);
        let scope = township.scope();
        assert!(scope.admits("511824101203", &[]));
        assert!(scope.admits("511824101", &[]));
        assert!(!scope.admits("511824102200", &[]));
        assert!(scope.admits("511824102200", &[7]), "dispatched to it");
    }

    #[test]
    fn departments_see_only_what_they_handle() {
        let department = staff(UnitKind::Department, "511824", &[Role::Handler]);
        let scope = department.scope();
        assert!(!scope.admits("511824101203", &[3]));
        assert!(scope.admits("511824101203", &[3, 7]));
    }

    #[test]
    fn contact_is_unmasked_only_for_those_who_need_it() {
        assert!(staff(UnitKind::ServiceCentre, "511824", &[Role::Operator]).sees_contact_of(None));
        assert!(staff(UnitKind::Department, "511824", &[Role::Handler]).sees_contact_of(Some(7)));
        assert!(!staff(UnitKind::Department, "511824", &[Role::Handler]).sees_contact_of(Some(8)));
        assert!(!staff(UnitKind::ServiceCentre, "511824", &[Role::Leader]).sees_contact_of(None));
        assert!(!staff(UnitKind::VillageOrganisation, "511824101203", &[Role::Dispatcher]).sees_contact_of(Some(3)));
    }
}
