//! Loads the demo county 石棉县 (511824) into an empty database.
//!
//! What it writes, all through the same service and storage functions the product uses:
//! - the region tree (county, 12 townships, 61 villages and communities), the taxonomy and
//!   the county outline;
//! - grids that tile the county with no gaps or overlaps: per village one large grid
//!   (`{village}-00`, the village's band of the tiling) holding three small grids
//!   (`{village}-01..03`), imported through `service::places::import_grids`;
//! - units: the county service centre, every department of the taxonomy, one party
//!   committee per township and one party organisation per village or community;
//! - named demo users for every role (see `DemoSummary::users`) and one working account
//!   per other unit, all with the password `DEMO_PASSWORD`;
//! - about 300 appeals from the labelled corpus plus the three stories of the source
//!   material, spread over the last 60 days and driven through `service::intake::submit`
//!   and `service::actions::act` by the staff who may act, on a manual clock that walks
//!   forward, so that every timestamp and deadline is the one the workflow computed.
//!
//! Everything random comes from a fixed-seed xorshift generator, so the demo is the same
//! on every run (relative to the moment it is loaded).

use std::collections::{HashMap, HashSet};

use geo::{BoundingRect, Contains, Point};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use super::grid_tiling::{representative_point, tile_county};
use crate::domain::access::{GridRole, Role, Staff, UnitKind};
use crate::domain::appeal::{AppealStatus, Channel, Rating, Resolution, Satisfaction, Tier, Triage};
use crate::domain::calendar::WorkingCalendar;
use crate::domain::contact::Contact;
use crate::domain::geo::geojson::{feature, parse_features};
use crate::domain::geo::routing::{GridShape, RouteOutcome, route};
use crate::domain::ownership::UTILITY_CATEGORIES;
use crate::domain::region::RegionLevel;
use crate::domain::taxonomy::{Category, DEFAULT_CATEGORIES_CSV, parse_categories_csv};
use crate::domain::workflow::{Actor, Command};
use crate::service::intake::{self, NewAppeal};
use crate::service::{Clock, Hub, ServiceError, actions, auth, places};
use crate::storage::people::NewUser;

/// The county the demo describes.
pub const COUNTY_CODE: &str = "511824";
/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "minqing-demo";
/// The county service centre's unit name.
pub const SERVICE_CENTRE: &str = "石棉县群众急难愁盼事项服务中心";
/// How far back the demo appeals reach.
pub const DAYS_OF_HISTORY: i64 = 60;
/// How many appeals are taken from the corpus (the three stories come on top).
pub const CORPUS_APPEALS: usize = 300;
/// Small grids per village.
pub const GRIDS_PER_VILLAGE: usize = 3;

const REGIONS_CSV: &str = include_str!("../../data/regions/shimian-511824.csv");
const COUNTIES_GEOJSON: &str = include_str!("../../data/geo/yaan-counties.geojson");
const CORPUS_JSONL: &str = include_str!("../../data/appeals/corpus.jsonl");
const SEED: u64 = 0x4d51_4e47_2026_0511;

/// What the demo loaded.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub regions: usize,
    /// All grids: `villages × 3` small grids plus one large grid per village.
    pub grids: usize,
    /// Small grids only (`villages × 3`).
    pub small_grids: usize,
    pub units: usize,
    /// The named demo users, for the start-up banner and the README.
    pub users: Vec<DemoUser>,
    /// Every account created, the named ones included (one working account per unit).
    pub accounts: usize,
    pub appeals: usize,
    /// The three stories of the source material, by number.
    pub stories: Vec<DemoStory>,
}

/// One named demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    pub username: String,
    pub password: String,
    pub role_zh: String,
    pub unit: String,
}

/// One of the three stories, walked to closure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoStory {
    /// `mengzhong-guardrail`, `guangyuanbao-roofs` or `haier-pond`.
    pub key: &'static str,
    pub title: &'static str,
    pub number: String,
    /// The resident's follow-up secret (random on every load), to try the public view.
    pub secret: String,
}

/// Whether the database holds no units and no appeals, so the demo may be loaded.
/// A database that cannot be read counts as not empty, so nothing is loaded into it.
pub async fn is_empty(hub: &Hub) -> bool {
    let no_units = hub.db.units().await.map(|units| units.is_empty()).unwrap_or(false);
    let no_appeals = hub.db.count_appeals().await.map(|count| count == 0).unwrap_or(false);
    no_units && no_appeals
}

/// Loads the demo county into an empty database. Refuses (Conflict) and changes nothing
/// when the database already holds units or appeals.
///
/// The load is not one transaction (it goes through the service functions, which commit
/// their own); if it fails half-way, start again from an empty database.
pub async fn load_demo(hub: &Hub) -> Result<DemoSummary, ServiceError> {
    if hub.config.county_code != COUNTY_CODE {
        return Err(ServiceError::invalid(
            "county_code",
            format!("the demo describes 石棉县 ({COUNTY_CODE}); this hub serves {}", hub.config.county_code),
        ));
    }
    if !is_empty(hub).await {
        return Err(ServiceError::Conflict(
            "the database already holds units or appeals; the demo loads only into an empty database".into(),
        ));
    }
    let now = hub.clock.now();
    let start = now - SignedDuration::from_hours(24 * DAYS_OF_HISTORY);
    // Everything is written on a manual clock that starts 60 days ago and walks forward.
    let demo = Hub { clock: Clock::manual(start), ..hub.clone() };

    // 1. Places and taxonomy.
    let regions = places::parse_regions_csv(REGIONS_CSV.as_bytes())
        .map_err(|problems| ServiceError::Internal(format!("the embedded region file has {} bad rows", problems.len())))?;
    demo.db.upsert_regions(&regions).await?;
    let categories = parse_categories_csv(DEFAULT_CATEGORIES_CSV).map_err(|error| ServiceError::Internal(error.to_string()))?;
    demo.db.upsert_categories(&categories).await?;
    places::import_region_outlines(&demo, COUNTIES_GEOJSON, "code").await?;

    // 2. Grids.
    let names: HashMap<String, String> = regions.iter().map(|region| (region.code.clone(), region.name.clone())).collect();
    let mut townships: Vec<(String, Vec<String>)> = Vec::new();
    for region in &regions {
        match region.level {
            RegionLevel::Township if region.code.starts_with(COUNTY_CODE) => townships.push((region.code.clone(), Vec::new())),
            RegionLevel::Village => {
                if let Some((_, villages)) = townships.iter_mut().find(|(code, _)| Some(code) == region.parent_code.as_ref()) {
                    villages.push(region.code.clone());
                }
            }
            _ => {}
        }
    }
    let outline = county_outline()?;
    let large = tile_county(&outline, &townships, 1);
    let small = tile_county(&outline, &townships, GRIDS_PER_VILLAGE);
    let mut features = Vec::new();
    for grid in &large {
        let id = format!("{}-00", grid.region_code);
        let name = format!("{}大网格", village_short_name(&names[&grid.region_code]));
        features.push(grid_feature(&id, &name, &grid.region_code, None, grid));
    }
    for grid in &small {
        let number: usize = grid.id.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(1);
        let name = format!("{}第{number}网格", village_short_name(&names[&grid.region_code]));
        let parent = format!("{}-00", grid.region_code);
        features.push(grid_feature(&grid.id, &name, &grid.region_code, Some(&parent), grid));
    }
    let collection = serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string();
    let grid_count = places::import_grids(&demo, &collection).await?;

    // 3. Units.
    let mut world = World::default();
    let centre = demo.db.ensure_unit(SERVICE_CENTRE, UnitKind::ServiceCentre, COUNTY_CODE).await?;
    world.centre = centre.id;
    world.unit_names.insert(centre.id, centre.name.clone());
    let mut department_names: Vec<String> = Vec::new();
    for category in &categories {
        if !department_names.contains(&category.department) {
            department_names.push(category.department.clone());
        }
    }
    for name in &department_names {
        // The taxonomy names the centre `县群众急难愁盼事项服务中心`, without the county.
        let unit = if SERVICE_CENTRE.ends_with(name.as_str()) {
            centre.clone()
        } else {
            let unit = demo.db.ensure_unit(name, UnitKind::Department, COUNTY_CODE).await?;
            world.departments.push(unit.id);
            unit
        };
        world.unit_names.insert(unit.id, unit.name.clone());
        world.department_by_name.insert(name.clone(), unit.id);
    }
    for category in &categories {
        world.department_of_category.insert(category.code.clone(), world.department_by_name[&category.department]);
    }
    for (township, villages) in &townships {
        let name = township_committee_name(&names[township]);
        let unit = demo.db.ensure_unit(&name, UnitKind::TownshipCommittee, township).await?;
        world.unit_names.insert(unit.id, unit.name.clone());
        world.township_unit.insert(township.clone(), unit.id);
        for village in villages {
            let name = village_organisation_name(&names[village]);
            let unit = demo.db.ensure_unit(&name, UnitKind::VillageOrganisation, village).await?;
            world.unit_names.insert(unit.id, unit.name.clone());
            world.village_unit.insert(village.clone(), unit.id);
        }
    }
    let unit_count = world.unit_names.len();

    // 4. Users. The password is hashed once (argon2 is slow on purpose) and the hash reused.
    let password_hash = auth::hash_password(DEMO_PASSWORD)?;
    let mut users = Vec::new();
    let mut has_account: HashSet<i64> = HashSet::new();
    let unit_id = |name: &str| -> Result<i64, ServiceError> {
        world
            .unit_names
            .iter()
            .find(|(_, unit_name)| unit_name.as_str() == name)
            .map(|(id, _)| *id)
            .ok_or_else(|| ServiceError::Internal(format!("demo unit {name} is missing")))
    };
    let named: Vec<(&str, &str, String, Vec<Role>)> = vec![
        ("admin", "系统管理员", SERVICE_CENTRE.to_string(), vec![Role::Admin]),
        ("operator", "话务员小李", SERVICE_CENTRE.to_string(), vec![Role::Operator]),
        ("dispatcher", "研判交办员老周", SERVICE_CENTRE.to_string(), vec![Role::Dispatcher]),
        ("supervisor", "监督员王敏", SERVICE_CENTRE.to_string(), vec![Role::Supervisor]),
        ("leader", "县领导", SERVICE_CENTRE.to_string(), vec![Role::Leader]),
        ("zhujian", "住建局承办人", "县住房和城乡建设局".to_string(), vec![Role::Handler, Role::Dispatcher]),
        ("shuiwu", "水利局承办人", "县水利局".to_string(), vec![Role::Handler]),
        ("jiaotong", "交通运输局承办人", "县交通运输局".to_string(), vec![Role::Handler]),
        ("xinmian", "新棉街道党工委", township_committee_name("新棉街道"), vec![Role::Dispatcher, Role::Handler]),
        ("huilong", "回隆镇党委", township_committee_name("回隆镇"), vec![Role::Dispatcher, Role::Handler]),
        ("xieluo", "蟹螺藏族乡党委", township_committee_name("蟹螺藏族乡"), vec![Role::Dispatcher, Role::Handler]),
        ("xinmin", "新民藏族彝族乡党委", township_committee_name("新民藏族彝族乡"), vec![Role::Dispatcher, Role::Handler]),
        ("guangyuanbao", "广元堡社区书记", village_organisation_name("广元堡社区居委会"), vec![Role::Dispatcher, Role::Handler]),
        ("wanggeyuan", "广元堡社区网格员", village_organisation_name("广元堡社区居委会"), vec![Role::GridWorker]),
        ("dangdaibiao", "广元堡社区党代表", village_organisation_name("广元堡社区居委会"), vec![Role::PartyRep]),
        ("mengzhong", "猛种村党支部书记", village_organisation_name("猛种村村委会"), vec![Role::Dispatcher, Role::Handler]),
        ("mzdaibiao", "猛种村党代表", village_organisation_name("猛种村村委会"), vec![Role::PartyRep]),
        ("haier", "海耳村党支部书记", village_organisation_name("海耳村村委会"), vec![Role::Dispatcher, Role::Handler]),
    ];
    let mut heads: Vec<(i64, i64)> = Vec::new();
    for (username, display, unit_name, roles) in &named {
        let unit = unit_id(unit_name)?;
        let user_id = create_account(&demo, username, display, unit, roles, &password_hash).await?;
        let first_of_unit = has_account.insert(unit);
        let head = if unit == world.centre { *username == "leader" } else { first_of_unit };
        if head {
            heads.push((unit, user_id));
        }
        let acts_for_unit = roles.iter().any(|role| matches!(role, Role::Dispatcher | Role::Handler));
        if acts_for_unit && (unit != world.centre || *username == "dispatcher") {
            world.unit_actor.entry(unit).or_insert_with(|| username.to_string());
        }
        users.push(DemoUser {
            username: username.to_string(),
            password: DEMO_PASSWORD.to_string(),
            role_zh: roles.iter().map(|role| role.label_zh()).collect::<Vec<_>>().join("、"),
            unit: unit_name.clone(),
        });
    }
    world.grid_worker.insert("511824002006".into(), "wanggeyuan".into());
    world.party_rep.insert("511824002006".into(), "dangdaibiao".into());
    world.party_rep.insert("511824202205".into(), "mzdaibiao".into());
    // One working account per other unit, so that every step has a real actor.
    let mut accounts = named.len();
    let mut units_in_order: Vec<(i64, String)> = world.unit_names.iter().map(|(id, name)| (*id, name.clone())).collect();
    units_in_order.sort();
    for (unit, unit_name) in units_in_order {
        if has_account.contains(&unit) {
            continue;
        }
        let (username, roles) = if let Some(slug) = department_slug(&unit_name) {
            (slug.to_string(), vec![Role::Handler])
        } else if let Some((code, _)) = world.township_unit.iter().find(|(_, id)| **id == unit) {
            (township_slug(code), vec![Role::Dispatcher, Role::Handler])
        } else if let Some((code, _)) = world.village_unit.iter().find(|(_, id)| **id == unit) {
            (format!("v{}", &code[6..]), vec![Role::Dispatcher, Role::Handler])
        } else {
            (format!("unit{unit}"), vec![Role::Handler])
        };
        let user_id = create_account(&demo, &username, &format!("{unit_name}承办人"), unit, &roles, &password_hash).await?;
        heads.push((unit, user_id));
        has_account.insert(unit);
        world.unit_actor.insert(unit, username);
        accounts += 1;
    }
    for (unit, user) in heads {
        demo.db.set_unit_head(unit, user).await?;
    }
    for username in users.iter().map(|user| user.username.clone()).chain(world.unit_actor.values().cloned()) {
        if world.staff.contains_key(&username) {
            continue;
        }
        let record = demo.db.user_by_name(&username).await?.ok_or_else(|| ServiceError::NotFound(format!("user {username}")))?;
        world.staff.insert(username, record.staff);
    }

    // Grid members: the grid worker and the party representatives.
    for (grid, username, role) in [
        ("511824002006-01", "wanggeyuan", GridRole::GridWorker),
        ("511824002006-01", "dangdaibiao", GridRole::PartyRep),
        ("511824202205-01", "mzdaibiao", GridRole::PartyRep),
    ] {
        let user_id = world.staff[username].user_id;
        demo.db.add_grid_member(grid, user_id, role).await?;
    }

    // 5. Appeals.
    let index = demo.place_indexes();
    for grid in index.grids.grids() {
        if grid.parent_id.is_some() {
            world.grids_of_village.entry(grid.region_code.clone()).or_default().push(grid.clone());
        }
    }
    for grids in world.grids_of_village.values_mut() {
        grids.sort_by(|a, b| a.id.cmp(&b.id));
    }
    world.region_names = names;
    let mut plans = plan_corpus(&demo, &world, &categories, start, now)?;
    let story_start = plans.len();
    plans.extend(plan_stories(&demo, &world, now)?);
    let receipts = run_plans(&demo, &world, &plans).await?;
    let stories = plans[story_start..]
        .iter()
        .zip(&receipts[story_start..])
        .filter_map(|(plan, receipt)| {
            let (key, title) = plan.story?;
            let (number, secret) = receipt.clone()?;
            Some(DemoStory { key, title, number, secret })
        })
        .collect();
    let programme_users = super::programmes::load_programmes(hub, now, DAYS_OF_HISTORY).await?;
    accounts += programme_users.len();
    users.extend(programme_users);
    let appeals = usize::try_from(demo.db.count_appeals().await?).unwrap_or(0);
    tracing::info!(appeals, units = unit_count, grids = grid_count, "demo county loaded");
    Ok(DemoSummary {
        regions: regions.len(),
        grids: grid_count,
        small_grids: small.len(),
        units: unit_count,
        users,
        accounts,
        appeals,
        stories,
    })
}

async fn create_account(hub: &Hub, username: &str, display: &str, unit: i64, roles: &[Role], hash: &str) -> Result<i64, ServiceError> {
    let user = NewUser { username, display_name: display, unit_id: unit, roles, password_hash: hash };
    hub.db.create_user(user, hub.clock.now_ms()).await.map_err(|error| {
        if error.is_unique_violation() { ServiceError::Conflict(format!("a user named {username} already exists")) } else { error.into() }
    })
}

fn county_outline() -> Result<geo::MultiPolygon<f64>, ServiceError> {
    let features = parse_features(COUNTIES_GEOJSON).map_err(|error| ServiceError::Internal(error.to_string()))?;
    features
        .into_iter()
        .find(|feature| feature.properties.get("code").and_then(Value::as_str) == Some(COUNTY_CODE))
        .map(|feature| feature.geometry)
        .ok_or_else(|| ServiceError::Internal(format!("county {COUNTY_CODE} is not in yaan-counties.geojson")))
}

fn grid_feature(id: &str, name: &str, region: &str, parent: Option<&str>, grid: &GridShape) -> Value {
    let mut properties = Map::new();
    properties.insert("id".into(), id.into());
    properties.insert("name".into(), name.into());
    properties.insert("region_code".into(), region.into());
    if let Some(parent) = parent {
        properties.insert("parent_id".into(), parent.into());
    }
    feature(id, properties, &grid.geometry)
}

/// `广元堡社区居委会` → `广元堡社区`, `猛种村村委会` → `猛种村`.
pub fn village_short_name(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("社区居委会") {
        return format!("{stem}社区");
    }
    if let Some(stem) = name.strip_suffix("村委会") {
        return stem.to_string();
    }
    if let Some(stem) = name.strip_suffix("居委会") {
        return format!("{stem}社区");
    }
    name.to_string()
}

/// `广元堡社区党委`, `猛种村党支部`.
pub fn village_organisation_name(name: &str) -> String {
    let short = village_short_name(name);
    if short.ends_with("社区") { format!("{short}党委") } else { format!("{short}党支部") }
}

/// `新棉街道党工委`, `回隆镇党委`.
pub fn township_committee_name(name: &str) -> String {
    if name.ends_with("街道") { format!("{name}党工委") } else { format!("{name}党委") }
}

const DEPARTMENT_SLUGS: &[(&str, &str)] = &[
    ("县住房和城乡建设局", "zhujian"),
    ("县综合行政执法局", "zhifa"),
    ("县交通运输局", "jiaotong"),
    ("县自来水公司", "zilaishui"),
    ("县供电公司", "gongdian"),
    ("县燃气公司", "ranqi"),
    ("县生态环境局", "shengtai"),
    ("县公安局", "gongan"),
    ("县司法局", "sifa"),
    ("县自然资源局", "ziran"),
    ("县人力资源和社会保障局", "renshe"),
    ("县农业农村局", "nongye"),
    ("县水利局", "shuiwu"),
    ("县医疗保障局", "yibao"),
    ("县民政局", "minzheng"),
    ("县残疾人联合会", "canlian"),
    ("县退役军人事务局", "tuiyi"),
    ("县卫生健康局", "weijian"),
    ("县教育局", "jiaoyu"),
    ("县文化广播电视和旅游局", "wenlv"),
    ("县应急管理局", "yingji"),
    ("县林业局", "linye"),
    ("县消防救援大队", "xiaofang"),
    ("县市场监督管理局", "shijian"),
];

fn department_slug(name: &str) -> Option<&'static str> {
    DEPARTMENT_SLUGS.iter().find(|(department, _)| *department == name).map(|(_, slug)| *slug)
}

const TOWNSHIP_SLUGS: &[(&str, &str)] = &[
    ("511824002", "xinmian"),
    ("511824101", "huilong"),
    ("511824102", "meiluo"),
    ("511824106", "anshunchang"),
    ("511824202", "xieluo"),
    ("511824203", "yonghe"),
    ("511824206", "liziping"),
    ("511824208", "yingzheng"),
    ("511824210", "fengle"),
    ("511824211", "xinmin"),
    ("511824214", "caoke"),
    ("511824216", "wanggangping"),
];

fn township_slug(code: &str) -> String {
    TOWNSHIP_SLUGS.iter().find(|(township, _)| *township == code).map_or_else(|| format!("t{}", &code[6..]), |(_, slug)| slug.to_string())
}

// ---------------------------------------------------------------------------------------
// The world the plans act in.

#[derive(Default)]
struct World {
    centre: i64,
    departments: Vec<i64>,
    department_by_name: HashMap<String, i64>,
    department_of_category: HashMap<String, i64>,
    township_unit: HashMap<String, i64>,
    village_unit: HashMap<String, i64>,
    unit_names: HashMap<i64, String>,
    /// The account that acts for a unit (dispatches, signs, resolves).
    unit_actor: HashMap<i64, String>,
    grid_worker: HashMap<String, String>,
    party_rep: HashMap<String, String>,
    staff: HashMap<String, Staff>,
    grids_of_village: HashMap<String, Vec<GridShape>>,
    region_names: HashMap<String, String>,
}

impl World {
    fn township_of(&self, region: &str) -> Option<i64> {
        region.get(..9).and_then(|code| self.township_unit.get(code)).copied()
    }

    /// The unit that handles a category's appeals; the service centre's own categories
    /// (policy questions, suggestions) go to the township.
    fn department_for(&self, category: &str, region: &str) -> i64 {
        let department = self.department_of_category.get(category).copied().unwrap_or(self.centre);
        if department == self.centre { self.township_of(region).unwrap_or(self.centre) } else { department }
    }

    fn place_name(&self, region: &str) -> String {
        let township = region.get(..9).and_then(|code| self.region_names.get(code)).cloned().unwrap_or_default();
        if region.len() == 12 {
            let village = self.region_names.get(region).map(|name| village_short_name(name)).unwrap_or_default();
            format!("{township}{village}")
        } else {
            township
        }
    }
}

/// A tiny deterministic generator (xorshift64*), so the demo is the same on every run.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        for _ in 0..4 {
            rng.next();
        }
        rng
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low { low } else { low + (self.next() % (high - low + 1) as u64) as i64 }
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------
// Plans: what happens to each appeal, and when.

#[derive(Debug, Clone)]
enum Who {
    /// The account of the unit that owns the appeal now (the grid worker for green ones).
    Owner,
    /// The account of the lead unit.
    Lead,
    /// The account of the first co-handling unit; the step is skipped when there is none.
    Co,
    User(&'static str),
    System,
}

#[derive(Debug, Clone)]
enum Target {
    Owner,
    Department,
    Township,
    Unit(i64),
}

#[derive(Debug, Clone)]
enum Step {
    Submit,
    Act(Who, Command),
    Dispatch { who: Who, lead: Target, co: Vec<Target>, note: String },
    Merge { primary: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnteredBy {
    Resident,
    Operator,
    GridWorker,
    PartyRep,
    User(&'static str),
}

struct Plan {
    label: String,
    text: String,
    region: String,
    category: String,
    channel: Channel,
    entered_by: EnteredBy,
    with_point: bool,
    contact: Contact,
    give_category: bool,
    grid_choice: usize,
    jitter_seed: u64,
    steps: Vec<(Timestamp, Step)>,
    story: Option<(&'static str, &'static str)>,
    /// The triage class and tier the staff member entering the appeal judged at intake.
    judged: Option<(Triage, Tier)>,
}

#[derive(Debug, Clone, serde::Deserialize)]
struct CorpusEntry {
    id: String,
    text: String,
    category: String,
    region: String,
    triage: Triage,
    tier: Tier,
    #[allow(dead_code)]
    urgent: bool,
    channel: Channel,
    #[serde(default)]
    same_as: Option<String>,
}

/// Where time goes: office steps count business minutes, the others wall-clock minutes.
struct Timeline<'a> {
    calendar: &'a WorkingCalendar,
    at: Timestamp,
    steps: Vec<(Timestamp, Step)>,
}

impl<'a> Timeline<'a> {
    fn new(calendar: &'a WorkingCalendar, at: Timestamp) -> Timeline<'a> {
        Timeline { calendar, at, steps: Vec::new() }
    }

    /// Waits some business minutes (lands in office hours).
    fn office(&mut self, rng: &mut Rng, low: i64, high: i64) -> &mut Self {
        let minutes = rng.between(low.max(1), high.max(1));
        self.at = self.calendar.add_working_hours(self.at, SignedDuration::from_mins(minutes));
        self
    }

    /// Waits some wall-clock minutes.
    fn wall(&mut self, rng: &mut Rng, low: i64, high: i64) -> &mut Self {
        let minutes = rng.between(low.max(1), high.max(1));
        self.at = self.at.checked_add(SignedDuration::from_mins(minutes)).unwrap_or(self.at);
        self
    }

    /// Waits in office time, or around the clock when the appeal is urgent.
    fn wait(&mut self, rng: &mut Rng, urgent: bool, low: i64, high: i64) -> &mut Self {
        if urgent { self.wall(rng, (low / 4).max(2), (high / 4).max(5)) } else { self.office(rng, low, high) }
    }

    fn push(&mut self, step: Step) {
        self.steps.push((self.at, step));
    }

    fn act(&mut self, who: Who, command: Command) {
        self.push(Step::Act(who, command));
    }
}

/// What the planner knows about a corpus appeal before it runs.
#[derive(Debug, Clone)]
struct Profile {
    triage: Triage,
    tier: Tier,
    urgent: bool,
    reclassify: bool,
    /// The category is given at intake (otherwise the hub guesses from the text).
    give_category: bool,
    /// The guess is wrong or missing, so triage sets the category.
    fix_category: bool,
    /// The appeal lands in the county's triage queue.
    needs_triage: bool,
    category: String,
    category_name: String,
    region: String,
    /// The working days the category allows (0 for clock-hour limits).
    working_days: i64,
    utility: bool,
}

const FATES: &[(AppealStatus, u32)] = &[
    (AppealStatus::Closed, 46),
    (AppealStatus::Rated, 5),
    (AppealStatus::FollowedUp, 4),
    (AppealStatus::Resolved, 6),
    (AppealStatus::InProgress, 11),
    (AppealStatus::SignedFor, 5),
    (AppealStatus::Dispatched, 6),
    (AppealStatus::Accepted, 3),
    (AppealStatus::Received, 5),
    (AppealStatus::Returned, 3),
    (AppealStatus::Rejected, 3),
];

/// Fates a private matter (answered with guidance, never dispatched) can have.
fn private_fate(fate: AppealStatus) -> AppealStatus {
    use AppealStatus as S;
    match fate {
        S::Dispatched | S::SignedFor | S::Returned => S::Resolved,
        S::InProgress => S::Accepted,
        other => other,
    }
}

fn plan_corpus(hub: &Hub, world: &World, categories: &[Category], start: Timestamp, now: Timestamp) -> Result<Vec<Plan>, ServiceError> {
    let entries: Vec<CorpusEntry> = CORPUS_JSONL
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .map_err(|error| ServiceError::Internal(format!("the embedded corpus: {error}")))?;
    let known: HashSet<&str> = entries.iter().map(|entry| entry.id.as_str()).collect();
    // Every duplicate pair is kept, so that merges can be shown; the rest is sampled.
    let mut in_pairs: HashSet<&str> = HashSet::new();
    for entry in &entries {
        if let Some(primary) = entry.same_as.as_deref().filter(|primary| known.contains(primary)) {
            in_pairs.insert(primary);
            in_pairs.insert(entry.id.as_str());
        }
    }
    let mut rng = Rng::new(SEED);
    let mut others: Vec<&CorpusEntry> = entries.iter().filter(|entry| !in_pairs.contains(entry.id.as_str())).collect();
    for index in (1..others.len()).rev() {
        let other = rng.below(index + 1);
        others.swap(index, other);
    }
    others.truncate(CORPUS_APPEALS.saturating_sub(in_pairs.len()));
    let primaries: Vec<&CorpusEntry> =
        entries.iter().filter(|entry| in_pairs.contains(entry.id.as_str()) && entry.same_as.is_none()).collect();
    let duplicates: Vec<&CorpusEntry> =
        entries.iter().filter(|entry| entry.same_as.is_some() && in_pairs.contains(entry.id.as_str())).collect();

    let profile = |entry: &CorpusEntry| -> Profile {
        let category = categories.iter().find(|category| category.code == entry.category);
        // Residents on the web form and the mini-program leave the category to the hub
        // half of the time; the keyword rules then guess, or the appeal waits for triage.
        let resident = matches!(entry.channel, Channel::Web | Channel::MiniProgram);
        let give_category = !(resident && entry.id.bytes().map(u32::from).sum::<u32>() % 2 == 0);
        let suggestion =
            crate::service::understanding::suggest(hub, &entry.text, entry.channel, category.filter(|_| give_category), categories);
        let tier = if suggestion.urgent { Tier::Red } else { entry.tier };
        let triage = if suggestion.urgent && entry.triage == Triage::Private { Triage::Big } else { entry.triage };
        let fix_category = suggestion.category_code.as_deref() != Some(entry.category.as_str());
        Profile {
            triage,
            tier,
            urgent: suggestion.urgent,
            give_category,
            needs_triage: !suggestion.urgent && suggestion.confidence < hub.config.triage_threshold,
            fix_category,
            reclassify: fix_category || tier != suggestion.tier || triage != suggestion.triage,
            category: entry.category.clone(),
            category_name: category.map(|category| category.name.clone()).unwrap_or_default(),
            region: entry.region.clone(),
            working_days: i64::from(category.map_or(7, |category| category.default_working_days)),
            utility: UTILITY_CATEGORIES.contains(&entry.category.as_str()),
        }
    };

    // Fates: each status gets its share of the appeals, in shuffled order; a private
    // matter (never dispatched) takes the nearest fate it can have.
    let profiles: Vec<Profile> = others.iter().map(|entry| profile(entry)).collect();
    let total: u32 = FATES.iter().map(|(_, weight)| weight).sum();
    let mut fates: Vec<AppealStatus> = Vec::new();
    for (fate, weight) in FATES {
        let share = (profiles.len() as u64 * u64::from(*weight) + u64::from(total) / 2) / u64::from(total);
        fates.extend(std::iter::repeat_n(*fate, share as usize));
    }
    fates.resize(profiles.len(), AppealStatus::Closed);
    for index in (1..fates.len()).rev() {
        let other = rng.below(index + 1);
        fates.swap(index, other);
    }
    for (fate, profile) in fates.iter_mut().zip(&profiles) {
        if profile.triage == Triage::Private {
            *fate = private_fate(*fate);
        }
        // A return needs a county department to dispatch to first.
        if *fate == AppealStatus::Returned && world.department_for(&profile.category, &profile.region) == world.centre {
            *fate = AppealStatus::Dispatched;
        }
    }

    let mut plans = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut sequence: u64 = 0;
    let ordinary = others.iter().zip(profiles.iter().cloned()).zip(fates.iter().copied());
    let paired = primaries.iter().map(|entry| ((entry, profile(entry)), AppealStatus::Closed));
    for ((entry, profile), fate) in ordinary.chain(paired) {
        sequence += 1;
        let mut own = Rng::new(SEED ^ sequence.wrapping_mul(0x1000_0000_01b3));
        let steps = schedule(hub, world, &profile, fate, start, now, &mut own);
        by_id.insert(entry.id.clone(), plans.len());
        plans.push(corpus_plan(entry, &profile, steps, &mut own));
    }
    for entry in duplicates {
        sequence += 1;
        let mut own = Rng::new(SEED ^ sequence.wrapping_mul(0x1000_0000_01b3));
        let profile = profile(entry);
        let primary = entry.same_as.as_deref().and_then(|id| by_id.get(id)).copied();
        let merged = primary.and_then(|primary| {
            let submitted = plans[primary].steps.first()?.0;
            let resolved = plans[primary].steps.iter().find_map(|(at, step)| match step {
                Step::Act(_, Command::Resolve { .. }) => Some(*at),
                _ => None,
            })?;
            let window_hours = resolved.duration_since(submitted).as_hours() - 6;
            if window_hours < 2 {
                return None;
            }
            let at = submitted + SignedDuration::from_hours(1 + own.between(0, window_hours.min(72)));
            let merge_at = hub.calendar.add_working_hours(at, SignedDuration::from_mins(own.between(20, 90)));
            (merge_at < resolved && merge_at < now).then(|| vec![(at, Step::Submit), (merge_at, Step::Merge { primary })])
        });
        let steps = match merged {
            Some(steps) => steps,
            None => schedule(hub, world, &profile, AppealStatus::Closed, start, now, &mut own),
        };
        plans.push(corpus_plan(entry, &profile, steps, &mut own));
    }
    Ok(plans)
}

fn corpus_plan(entry: &CorpusEntry, profile: &Profile, steps: Vec<(Timestamp, Step)>, rng: &mut Rng) -> Plan {
    let entered_by = match entry.channel {
        Channel::Hotline | Channel::Meeting | Channel::Open311 => EnteredBy::Operator,
        Channel::GridVisit => EnteredBy::GridWorker,
        Channel::PartyRep => EnteredBy::PartyRep,
        Channel::Web | Channel::MiniProgram => EnteredBy::Resident,
    };
    let anonymous = matches!(entry.channel, Channel::Web | Channel::MiniProgram) && rng.chance(0.3);
    let contact = if anonymous { Contact::default() } else { resident_contact(rng) };
    // Hotline callers give a place name more often than a point.
    let with_point = profile.region.len() == 12 && !(entry.channel == Channel::Hotline && rng.chance(0.3));
    Plan {
        label: entry.id.clone(),
        text: entry.text.clone(),
        region: profile.region.clone(),
        category: profile.category.clone(),
        channel: entry.channel,
        entered_by,
        with_point,
        contact,
        give_category: profile.give_category,
        grid_choice: rng.below(GRIDS_PER_VILLAGE),
        jitter_seed: rng.next(),
        steps,
        story: None,
        judged: None,
    }
}

const FAMILY_NAMES: &[&str] =
    &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡", "罗", "何", "高", "郑", "谢", "余"];
const GIVEN_NAMES: &[&str] = &[
    "建华", "秀英", "明", "丽", "志强", "桂兰", "永福", "海燕", "国平", "玉梅", "德明", "春花", "文军", "小红", "光荣", "翠芳", "学文",
    "淑芬",
];

fn resident_contact(rng: &mut Rng) -> Contact {
    let name = format!("{}{}", rng.pick(FAMILY_NAMES), rng.pick(GIVEN_NAMES));
    let phone = format!("1{}{:09}", rng.pick(&[3, 5, 8, 9]), rng.next() % 1_000_000_000);
    Contact::parse(Some(&name), Some(&phone)).unwrap_or_default()
}

/// Plans an appeal's steps so that it ends in `fate` at a plausible moment before `now`.
fn schedule(
    hub: &Hub,
    world: &World,
    profile: &Profile,
    fate: AppealStatus,
    start: Timestamp,
    now: Timestamp,
    rng: &mut Rng,
) -> Vec<(Timestamp, Step)> {
    use AppealStatus as S;
    let open = matches!(fate, S::Received | S::Accepted | S::Dispatched | S::SignedFor | S::InProgress | S::Returned);
    let stuck = open && rng.chance(0.15);
    let calendar = &*hub.calendar;
    // Lags are counted in business minutes back from now, so an appeal waiting over a
    // weekend or a holiday is not late for that alone.
    let business = |rng: &mut Rng, low: i64, high: i64| business_before(calendar, now, rng.between(low, high));
    const DAY: i64 = 7 * 60;
    // When the last step should happen (for appeals still under way), or when it starts.
    let target_end = match fate {
        S::Received | S::Accepted | S::Dispatched | S::Returned if stuck => Some(business(rng, DAY, 5 * DAY)),
        S::Received | S::Accepted | S::Dispatched | S::Returned => Some(business(rng, 15, 150)),
        S::SignedFor if stuck => Some(business(rng, 2 * DAY, 6 * DAY)),
        S::SignedFor => Some(business(rng, 30, 400)),
        S::InProgress if stuck => Some(business(rng, 5 * DAY, 15 * DAY)),
        S::InProgress => Some(business(rng, 60, 2 * DAY)),
        S::Resolved => Some(business(rng, 30, DAY)),
        S::FollowedUp => Some(business(rng, 60, 3 * DAY)),
        S::Rated => Some(business(rng, 60, 5 * DAY)),
        _ => None,
    };
    // Urgent appeals are worked around the clock: one still open was raised just now.
    let target_end = match target_end {
        Some(_) if profile.urgent && open && !stuck => Some(now - SignedDuration::from_mins(rng.between(10, 50))),
        other => other,
    };
    let mut first = match target_end {
        Some(target) => target - SignedDuration::from_hours(24 * 3),
        None => {
            let span = now.duration_since(start).as_mins() - 60 * 24 * 6;
            start + SignedDuration::from_mins(rng.between(0, span.max(1)))
        }
    };
    let latest = now - SignedDuration::from_mins(5);
    let seed = rng.clone();
    // Replans with the same random choices from an earlier or later start until the
    // appeal ends near its target; keeps the closest attempt that ends before now.
    let mut best: Option<(SignedDuration, Vec<(Timestamp, Step)>)> = None;
    let mut steps = Vec::new();
    for round in 0..12 {
        let mut attempt = seed.clone();
        steps = walk(hub, world, profile, fate, stuck, first, &mut attempt);
        let end = steps.last().map_or(first, |(at, _)| *at);
        let wanted = match target_end {
            Some(target) => target,
            None if end > latest => latest - SignedDuration::from_hours(24),
            None => end,
        };
        let miss = wanted.duration_since(end);
        if end <= latest && best.as_ref().is_none_or(|(best_miss, _)| miss.abs() < best_miss.abs()) {
            best = Some((miss, steps.clone()));
        }
        if miss.abs() < SignedDuration::from_mins(30) && end <= latest {
            break;
        }
        // Overshooting now pushes the start further back each round, so it settles.
        let back_off = if end > latest { SignedDuration::from_hours(2 * round) } else { SignedDuration::ZERO };
        first = (first + miss - back_off).max(start);
    }
    *rng = seed;
    if let Some((_, kept)) = best {
        steps = kept;
    }
    steps.retain(|(at, _)| *at <= latest);
    steps
}

/// The instant `minutes` of business time before `now` (bisection on
/// `WorkingCalendar::working_time_between`, which grows as the start moves back).
fn business_before(calendar: &WorkingCalendar, now: Timestamp, minutes: i64) -> Timestamp {
    let wanted = SignedDuration::from_mins(minutes);
    let mut early = now - SignedDuration::from_hours(24 * 40);
    let mut late = now;
    if calendar.working_time_between(early, now) < wanted {
        return early;
    }
    while late.duration_since(early) > SignedDuration::from_mins(1) {
        let middle = early + SignedDuration::from_millis(late.duration_since(early).as_millis() as i64 / 2);
        if calendar.working_time_between(middle, now) >= wanted {
            early = middle;
        } else {
            late = middle;
        }
    }
    // Whole minutes, as a person would note them.
    Timestamp::from_millisecond(early.as_millisecond() / 60_000 * 60_000).unwrap_or(early)
}

/// The steps of one appeal from `first` on, ending in `fate`.
fn walk(hub: &Hub, world: &World, p: &Profile, fate: AppealStatus, stuck: bool, first: Timestamp, rng: &mut Rng) -> Vec<(Timestamp, Step)> {
    use AppealStatus as S;
    let calendar = &*hub.calendar;
    let mut t = Timeline::new(calendar, first);
    let urgent = p.urgent;
    let quick = p.tier == Tier::Green;
    t.push(Step::Submit);
    let left_in_queue = fate == S::Received && p.needs_triage;
    if p.reclassify && !left_in_queue {
        t.wait(rng, urgent, 5, 60).act(
            Who::Owner,
            Command::Reclassify {
                category_code: p.fix_category.then(|| p.category.clone()),
                triage: Some(p.triage),
                tier: Some(p.tier),
                reason: if p.fix_category {
                    format!("人工研判：归入{}，属{}，按{}色诉求办理", category_name(p), triage_zh(p.triage), p.tier.label_zh())
                } else {
                    format!("人工研判：属{}，按{}色诉求办理", triage_zh(p.triage), p.tier.label_zh())
                },
            },
        );
    }
    match fate {
        S::Received => {
            if stuck {
                escalate_or_urge(&mut t, rng, p);
            }
            return t.steps;
        }
        S::Rejected => {
            t.office(rng, 20, 240).act(Who::Owner, Command::Reject { reason: rng.pick(REJECT_REASONS).to_string() });
            return t.steps;
        }
        _ => {}
    }
    let accept_note = if quick { "已受理，安排网格员当场核实" } else { *rng.pick(ACCEPT_NOTES) };
    t.wait(rng, urgent, 5, if quick { 40 } else { 120 }).act(Who::Owner, Command::Accept { note: Some(accept_note.into()) });
    if fate == S::Accepted {
        if stuck {
            escalate_or_urge(&mut t, rng, p);
        }
        return t.steps;
    }

    if p.triage == Triage::Private {
        t.office(rng, 30, 300).act(Who::Owner, Command::Resolve { reply: rng.pick(GUIDANCE_REPLIES).to_string() });
        after_resolve(&mut t, rng, fate, false);
        return t.steps;
    }

    // Who handles it.
    let department = world.department_for(&p.category, &p.region);
    let true_department = department != world.centre && world.departments.contains(&department);
    let (lead, co): (Target, Vec<Target>) = match p.tier {
        Tier::Green => (Target::Owner, Vec::new()),
        Tier::Blue if true_department && rng.chance(0.25) => (Target::Owner, vec![Target::Department]),
        Tier::Blue => (Target::Owner, Vec::new()),
        Tier::Yellow if true_department && rng.chance(0.5) => (Target::Department, vec![Target::Township]),
        Tier::Yellow if true_department => (Target::Owner, vec![Target::Department]),
        Tier::Yellow => (Target::Owner, Vec::new()),
        Tier::Red if rng.chance(0.4) => (Target::Department, vec![Target::Township]),
        Tier::Red => (Target::Department, Vec::new()),
    };
    // A return needs a county department that bounces the dispatch.
    let (lead, co) = if fate == S::Returned && true_department && !matches!(lead, Target::Department) {
        (Target::Department, Vec::new())
    } else {
        (lead, co)
    };
    let to_department = matches!(lead, Target::Department) && true_department;
    let wrong_first = to_department && (fate == S::Returned || (fate == S::Closed && rng.chance(0.08)));
    let dispatch_note = match (&lead, co.is_empty()) {
        (Target::Owner, true) => "本级自办".to_string(),
        (Target::Owner, false) => "本级牵头办理，请协办单位配合".to_string(),
        (_, true) => format!("请{}牵头办理", world.unit_names.get(&department).cloned().unwrap_or_default()),
        (_, false) => format!("请{}牵头办理，属地乡镇配合", world.unit_names.get(&department).cloned().unwrap_or_default()),
    };
    if wrong_first {
        let others: Vec<i64> = world.departments.iter().copied().filter(|unit| *unit != department).collect();
        let wrong = *rng.pick(&others);
        t.wait(rng, urgent, 10, 180).push(Step::Dispatch {
            who: Who::Owner,
            lead: Target::Unit(wrong),
            co: Vec::new(),
            note: format!("请{}办理", world.unit_names.get(&wrong).cloned().unwrap_or_default()),
        });
        if rng.chance(0.5) {
            t.office(rng, 20, 200).act(Who::Lead, Command::SignFor);
        }
        let reason =
            format!("经核实，该事项不属于本单位职责范围，建议改派{}", world.unit_names.get(&department).cloned().unwrap_or_default());
        t.office(rng, 30, 300).act(Who::Lead, Command::Return { reason });
        if fate == S::Returned {
            return t.steps;
        }
        t.office(rng, 20, 240).push(Step::Dispatch { who: Who::Owner, lead: lead.clone(), co: co.clone(), note: dispatch_note.clone() });
    } else {
        t.wait(rng, urgent, 5, if quick { 30 } else { 180 }).push(Step::Dispatch {
            who: Who::Owner,
            lead: lead.clone(),
            co: co.clone(),
            note: dispatch_note.clone(),
        });
    }
    if fate == S::Dispatched {
        if stuck {
            t.office(rng, 420, 840).act(Who::User("supervisor"), Command::Urge { note: URGE_NOTE.into() });
        }
        return t.steps;
    }
    let slow_sign = !urgent && rng.chance(0.06);
    if slow_sign {
        t.office(rng, 300, 900);
    } else {
        t.wait(rng, urgent, 5, if quick { 20 } else { 150 });
    }
    t.act(Who::Lead, Command::SignFor);
    if fate == S::SignedFor {
        return t.steps;
    }
    let first_note = if urgent { URGENT_PROGRESS_NOTE } else { *rng.pick(PROGRESS_NOTES) };
    t.wait(rng, urgent, 10, if quick { 30 } else { 240 }).act(Who::Lead, Command::RecordProgress { note: first_note.into() });
    if !co.is_empty() && rng.chance(0.6) {
        t.office(rng, 60, 600).act(Who::Co, Command::RecordProgress { note: rng.pick(CO_NOTES).to_string() });
    }
    // How long the work takes: business minutes (7 business hours a working day).
    let limit_minutes = if urgent {
        120
    } else if p.utility {
        24 * 60
    } else {
        p.working_days.max(1) * 7 * 60
    };
    let late = rng.chance(0.1);
    let long_job = !urgent && !p.utility && p.working_days >= 5;
    if long_job && rng.chance(0.06) {
        t.office(rng, 60, 600).act(Who::Lead, Command::Pause { reason: PAUSE_REASON.into() });
        t.office(rng, 420, 1260).act(Who::Lead, Command::Resume { note: Some(RESUME_NOTE.into()) });
    }
    let extension = long_job && (rng.chance(0.08) || (fate == S::InProgress && rng.chance(0.25)));
    if extension {
        let days = rng.between(3, 10) as u32;
        t.office(rng, limit_minutes / 4, limit_minutes / 2)
            .act(Who::Lead, Command::RequestExtension { working_days: days, reason: rng.pick(EXTENSION_REASONS).to_string() });
        let leave_pending = fate == S::InProgress && rng.chance(0.4);
        if !leave_pending {
            if rng.chance(0.8) {
                t.office(rng, 30, 420).act(Who::User("supervisor"), Command::GrantExtension { note: Some(GRANT_NOTE.into()) });
            } else {
                t.office(rng, 30, 420).act(Who::User("supervisor"), Command::RefuseExtension { reason: REFUSE_REASON.into() });
            }
        }
    }
    if fate == S::InProgress {
        if stuck || late {
            t.office(rng, 420, 1400).act(Who::User("supervisor"), Command::Urge { note: URGE_NOTE.into() });
        } else if rng.chance(0.5) {
            t.office(rng, 120, 900).act(Who::Lead, Command::RecordProgress { note: rng.pick(PROGRESS_NOTES).to_string() });
        }
        return t.steps;
    }
    let resolve_at = if urgent {
        if late { (150, 300) } else { (40, 110) }
    } else if p.utility {
        if late { (26 * 60, 40 * 60) } else { (3 * 60, 20 * 60) }
    } else if late {
        (limit_minutes + 60, limit_minutes * 3 / 2 + 60)
    } else if quick {
        (20, 240)
    } else {
        (limit_minutes / 6, limit_minutes * 4 / 5)
    };
    if urgent || p.utility {
        t.wall(rng, resolve_at.0, resolve_at.1);
    } else {
        t.office(rng, resolve_at.0, resolve_at.1);
    }
    let reply = if urgent { URGENT_REPLY.to_string() } else { resolution_reply(rng, &p.category) };
    t.act(Who::Lead, Command::Resolve { reply });
    after_resolve(&mut t, rng, fate, p.triage != Triage::Private);
    t.steps
}

fn escalate_or_urge(t: &mut Timeline<'_>, rng: &mut Rng, p: &Profile) {
    if p.tier != Tier::Red && rng.chance(0.5) {
        t.office(rng, 250, 320).act(Who::System, Command::Escalate { reason: "超过办理时限未处理，自动升级".into() });
    } else {
        t.office(rng, 300, 900).act(Who::User("leader"), Command::Urge { note: URGE_NOTE.into() });
    }
}

/// Follow-up, rating and closure after a resolution, as far as `fate` goes.
fn after_resolve(t: &mut Timeline<'_>, rng: &mut Rng, fate: AppealStatus, may_reopen: bool) {
    use AppealStatus as S;
    if fate == S::Resolved {
        return;
    }
    if rng.chance(0.12) {
        t.office(rng, 60, 420)
            .act(Who::User("operator"), Command::FollowUp { note: "电话回访未接通，改日再次回访".into(), reached: false });
    }
    t.office(rng, 60, 900).act(Who::User("operator"), Command::FollowUp { note: rng.pick(FOLLOW_UP_NOTES).to_string(), reached: true });
    if fate == S::FollowedUp {
        return;
    }
    let reopen = may_reopen && fate == S::Closed && rng.chance(0.05);
    let rating =
        if reopen { Rating { resolution: Resolution::Partly, satisfaction: Satisfaction::Dissatisfied } } else { pick_rating(rng) };
    t.wall(rng, 2, 20).act(Who::User("operator"), Command::Rate { rating, comment: Some(rating_comment(rating).into()) });
    if reopen {
        t.office(rng, 60, 420).act(Who::Owner, Command::Reopen { reason: "群众对办理结果不满意，重新交办".into() });
        t.office(rng, 10, 120).act(Who::Lead, Command::SignFor);
        t.office(rng, 60, 420)
            .act(Who::Lead, Command::RecordProgress { note: "重新上门核实，针对群众不满意的问题重新制定处理方案".into() });
        t.office(rng, 420, 2100).act(Who::Lead, Command::Resolve { reply: "按群众意见重新办理完毕，已当面向群众说明处理结果".into() });
        t.office(rng, 60, 600).act(Who::User("operator"), Command::FollowUp { note: "再次回访，群众表示问题已解决".into(), reached: true });
        let rating = Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied };
        t.wall(rng, 2, 20).act(Who::User("operator"), Command::Rate { rating, comment: Some(rating_comment(rating).into()) });
    }
    if fate == S::Rated {
        return;
    }
    let dissatisfied = t.steps.iter().rev().find_map(|(_, step)| match step {
        Step::Act(_, Command::Rate { rating, .. }) => Some(rating.allows_reopen()),
        _ => None,
    });
    let note = if dissatisfied == Some(true) {
        "经核实已按政策规定办理并向群众解释说明，群众仍有意见，经研究予以结案"
    } else {
        *rng.pick(CLOSE_NOTES)
    };
    t.office(rng, 60, 1200).act(Who::Owner, Command::Close { note: Some(note.into()) });
}

fn pick_rating(rng: &mut Rng) -> Rating {
    let roll = rng.below(100);
    let (resolution, satisfaction) = match roll {
        0..=71 => (Resolution::Resolved, Satisfaction::Satisfied),
        72..=86 => (Resolution::Resolved, Satisfaction::Basically),
        87..=93 => (Resolution::Partly, Satisfaction::Basically),
        94..=97 => (Resolution::Partly, Satisfaction::Dissatisfied),
        _ => (Resolution::NotResolved, Satisfaction::Dissatisfied),
    };
    Rating { resolution, satisfaction }
}

fn rating_comment(rating: Rating) -> &'static str {
    match (rating.resolution, rating.satisfaction) {
        (Resolution::Resolved, Satisfaction::Satisfied) => "处理及时，问题解决了，很满意",
        (Resolution::Resolved, _) => "问题解决了，基本满意",
        (Resolution::Partly, Satisfaction::Dissatisfied) => "只解决了一部分，还是不满意",
        (Resolution::Partly, _) => "解决了一部分，希望后续继续关注",
        (Resolution::NotResolved, _) => "问题没有解决",
    }
}

fn category_name(profile: &Profile) -> &str {
    &profile.category_name
}

fn triage_zh(triage: Triage) -> &'static str {
    match triage {
        Triage::Private => "私事",
        Triage::Small => "小事",
        Triage::Big => "大事",
    }
}

const ACCEPT_NOTES: &[&str] = &["已受理，正在研判", "已受理，安排专人跟进", "情况已了解，予以受理", "已受理，转相关单位办理"];
const REJECT_REASONS: &[&str] = &[
    "该事项已进入司法诉讼程序，不属于受理范围，已告知反映人通过法律途径解决",
    "反映内容不属于本县管辖范围，已告知反映人向有关部门反映",
    "反映人提供的信息不完整，多次联系未果，无法核实，不予受理",
    "该事项已按信访程序办理终结，已向反映人解释说明",
];
const PROGRESS_NOTES: &[&str] = &[
    "已电话联系反映人，了解具体情况，约定时间到现场查看",
    "工作人员已到现场核实，情况属实，正在制定处理方案",
    "已与反映人见面沟通，说明办理流程和预计完成时间",
    "已协调相关人员到场，正在组织处理",
    "已现场查看并拍照留存，处理方案已报单位负责人审定",
];
const URGENT_PROGRESS_NOTE: &str = "接单后第一时间联系反映人，已安排人员赶赴现场处置";
const URGENT_REPLY: &str = "已第一时间到场处置，险情已排除、人员已妥善安置，后续情况持续跟进";
const CO_NOTES: &[&str] =
    &["协办单位已派人到现场配合核查，提供了技术意见", "协办单位已配合做好群众解释工作", "协办单位已提供相关政策依据和资料"];
const GUIDANCE_REPLIES: &[&str] = &[
    "已电话向反映人详细解答相关政策和办理流程，并告知所需材料和办理地点",
    "该事项属个人事务，已告知反映人可到县政务服务中心相应窗口咨询办理",
    "已向反映人解释相关规定，并提供了有关单位的联系电话",
];
const FOLLOW_UP_NOTES: &[&str] = &[
    "电话回访反映人，对方表示问题已处理",
    "电话回访，反映人确认了处理结果",
    "电话回访，反映人对处理过程表示认可",
    "短信回访，反映人回复已解决",
];
const CLOSE_NOTES: &[&str] = &["已回访评价，按程序结案", "群众认可办理结果，结案", "诉求已办结并回访，予以结案"];
const EXTENSION_REASONS: &[&str] =
    &["需要申请专项资金并履行采购程序，申请延期", "施工受天气影响无法按期完成，申请延期", "涉及多个部门协调，方案需会商确定，申请延期"];
const GRANT_NOTE: &str = "情况属实，同意延期，请按新的时限办结";
const REFUSE_REASON: &str = "该事项不复杂，请按原时限办结";
const URGE_NOTE: &str = "该诉求临近或已超过办理时限，请承办单位抓紧办理并及时反馈";
const PAUSE_REASON: &str = "反映人外出务工，电话暂时联系不上，暂停计时";
const RESUME_NOTE: &str = "已联系上反映人，恢复办理";

fn resolution_reply(rng: &mut Rng, category: &str) -> String {
    let replies: &[&str] = match category.get(..2).unwrap_or("") {
        "01" => &["已安排人员上门查看，按规定处理完毕，结果已告知反映人", "已会同物业和相关住户协商，问题已处理"],
        "02" => &["已安排维修人员现场处理，设施已恢复正常", "已协调供应单位处理，现已恢复正常"],
        "03" => &["执法人员已到现场检查，责令整改并复查到位", "已组织清理整治，周边环境已改善"],
        "04" => &["已现场查看并落实交通安全措施", "已协调相关单位调整安排，方便群众出行"],
        "05" => &["派出所已核实处理，并向反映人说明情况", "已按规定协助办理相关手续"],
        "06" => &["已组织双方调解，达成一致意见", "已依法协调处理，结果已告知当事人"],
        "07" => &["已组织技术人员现场查看并指导处理", "已落实整改措施，群众生产生活用水得到保障"],
        "08" => &["已向反映人解释政策并协助办理相关手续", "已核实情况，按规定落实"],
        "09" => &["已按程序审核，符合条件的已落实帮扶", "已安排工作人员上门服务"],
        "10" => &["已协调医疗卫生机构答复并妥善处理", "已向反映人说明相关服务安排"],
        "11" => &["已协调学校和相关单位妥善解决，并向家长说明情况", "已对相关设施进行维修，恢复使用"],
        "12" => &["已组织人员现场排查，落实防范措施", "隐患点已设置警示并完成处置"],
        "13" => &["市场监管人员已现场检查，依法处理", "已组织双方协商，消费者权益得到保障"],
        "14" => &["已向反映人答复相关政策", "意见建议已转有关单位研究采纳，并向反映人反馈"],
        _ => &["已按群众诉求办理完毕，并向反映人反馈结果"],
    };
    rng.pick(replies).to_string()
}

// ---------------------------------------------------------------------------------------
// The three stories.

fn plan_stories(hub: &Hub, world: &World, now: Timestamp) -> Result<Vec<Plan>, ServiceError> {
    let calendar = &*hub.calendar;
    let mut rng = Rng::new(SEED ^ 0x0570_71e5);
    let mut plans = Vec::new();
    let morning =
        |days_ago: i64| calendar.add_working_hours(now - SignedDuration::from_hours(24 * days_ago), SignedDuration::from_mins(40));
    let township = world.township_unit.get("511824202").copied().ok_or_else(|| ServiceError::Internal("蟹螺藏族乡 is missing".into()))?;
    let village_haier =
        world.village_unit.get("511824211200").copied().ok_or_else(|| ServiceError::Internal("海耳村 is missing".into()))?;
    let zhujian =
        world.department_by_name.get("县住房和城乡建设局").copied().ok_or_else(|| ServiceError::Internal("住建局 is missing".into()))?;
    let jiaotong =
        world.department_by_name.get("县交通运输局").copied().ok_or_else(|| ServiceError::Internal("交通运输局 is missing".into()))?;
    let shuiwu = world.department_by_name.get("县水利局").copied().ok_or_else(|| ServiceError::Internal("水利局 is missing".into()))?;

    // (a) 猛种村: a retaining wall without a guardrail.
    let mut t = Timeline::new(calendar, morning(40));
    t.push(Step::Submit);
    t.office(&mut rng, 30, 90).act(
        Who::User("mengzhong"),
        Command::Reclassify {
            category_code: None,
            triage: Some(Triage::Big),
            tier: Some(Tier::Yellow),
            reason: "挡墙加装护栏需要交通部门立项和资金，村级无法解决，按大事提级由乡党委研判".into(),
        },
    );
    t.office(&mut rng, 30, 120).act(Who::User("xieluo"), Command::Accept { note: Some("乡党委受理，已安排包村干部到现场查看".into()) });
    t.office(&mut rng, 60, 180).push(Step::Dispatch {
        who: Who::User("xieluo"),
        lead: Target::Unit(jiaotong),
        co: vec![Target::Unit(township)],
        note: "请县交通运输局牵头在挡墙段加装护栏，乡党委配合做好现场协调和群众工作".into(),
    });
    t.office(&mut rng, 20, 90).act(Who::User("jiaotong"), Command::SignFor);
    t.office(&mut rng, 240, 600).act(
        Who::User("jiaotong"),
        Command::RecordProgress {
            note: "已会同乡党委到现场勘察，挡墙段长约80米、高约4米，需安装波形钢护栏，已列入农村公路安全生命防护工程".into(),
        },
    );
    t.office(&mut rng, 60, 300).act(
        Who::User("xieluo"),
        Command::RecordProgress {
            note: "乡里已在挡墙边设置临时警示桩和警示牌，安排网格员和党代表早晚提醒学生靠内侧通行".into()
        },
    );
    t.office(&mut rng, 1800, 2400).act(
        Who::User("jiaotong"),
        Command::Resolve {
            reply: "已在猛种村村道挡墙段安装波形钢护栏约80米，增设警示标志和反光道钉，经交通运输局和乡党委联合验收合格".into(),
        },
    );
    t.office(&mut rng, 120, 600).act(
        Who::User("operator"),
        Command::FollowUp {
            note: "电话回访反映群众和党代表，护栏已经装好，娃娃上学、骑摩托车都放心了".into(), reached: true
        },
    );
    t.wall(&mut rng, 3, 10).act(
        Who::User("operator"),
        Command::Rate {
            rating: Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied },
            comment: Some("护栏装得结实，感谢党代表和交通局".into()),
        },
    );
    t.office(&mut rng, 60, 420).act(Who::User("xieluo"), Command::Close { note: Some("护栏已安装验收，群众满意，结案".into()) });
    plans.push(Plan {
        label: "story-mengzhong".into(),
        text: "党代表在猛种村院坝板凳会上收集到群众反映：村道三组段旁边有一段高约四米的挡墙，墙顶紧挨路面却没有护栏，晚上也看不清路边。村里娃娃上学放学都从这里走，骑摩托车的村民也多，去年就有人连车带人差点翻下去，大家担心出事，希望尽快在挡墙边加装护栏。".into(),
        region: "511824202205".into(),
        category: "0403".into(),
        channel: Channel::PartyRep,
        entered_by: EnteredBy::User("mzdaibiao"),
        with_point: true,
        contact: Contact::parse(Some("杨桂兰"), Some("13908351276")).unwrap_or_default(),
        give_category: true,
        grid_choice: 0,
        jitter_seed: 11,
        steps: t.steps,
        story: Some(("mengzhong-guardrail", "猛种村挡墙护栏")),
        judged: Some((Triage::Small, Tier::Blue)),
    });

    // (b) 广元堡社区: leaking roofs, reopened once.
    let mut t = Timeline::new(calendar, morning(32));
    t.push(Step::Submit);
    t.office(&mut rng, 20, 60)
        .act(Who::User("guangyuanbao"), Command::Accept { note: Some("社区已受理，组织网格员逐户摸排漏雨户数".into()) });
    t.office(&mut rng, 30, 120).push(Step::Dispatch {
        who: Who::User("guangyuanbao"),
        lead: Target::Owner,
        co: vec![Target::Unit(zhujian)],
        note: "社区牵头办理，请县住房和城乡建设局协助查勘并提供维修技术指导".into(),
    });
    t.office(&mut rng, 5, 30).act(Who::User("guangyuanbao"), Command::SignFor);
    t.office(&mut rng, 120, 360)
        .act(Who::User("guangyuanbao"), Command::RecordProgress { note: "摸排确认3栋楼共7户顶层住户漏雨，已联系维修队上门查看".into() });
    t.office(&mut rng, 300, 700).act(
        Who::User("zhujian"),
        Command::RecordProgress {
            note: "住建局派技术人员现场查勘：屋面防水层老化开裂，排水口堵塞，建议清理排水口并修补防水".into()
        },
    );
    t.office(&mut rng, 900, 1500)
        .act(Who::User("guangyuanbao"), Command::Resolve { reply: "已清理屋面排水口，对7户漏雨部位进行防水修补".into() });
    t.office(&mut rng, 200, 700).act(
        Who::User("operator"),
        Command::FollowUp {
            note: "回访住户，6户表示已不漏雨，3栋6楼一户反映下大雨时卧室仍有渗水".into(), reached: true
        },
    );
    t.wall(&mut rng, 3, 10).act(
        Who::User("operator"),
        Command::Rate {
            rating: Rating { resolution: Resolution::Partly, satisfaction: Satisfaction::Dissatisfied },
            comment: Some("我家卧室下大雨还是渗水，只是补了补，没有根本解决".into()),
        },
    );
    t.office(&mut rng, 60, 240)
        .act(Who::User("guangyuanbao"), Command::Reopen { reason: "住户反映修补后仍渗水，重新办理，对该栋屋面整体重做防水".into() });
    t.office(&mut rng, 10, 60).act(Who::User("guangyuanbao"), Command::SignFor);
    t.office(&mut rng, 200, 600).act(
        Who::User("zhujian"),
        Command::RecordProgress {
            note: "住建局复查：该栋屋面防水层大面积空鼓，局部修补无效，建议整体铲除重做".into()
        },
    );
    t.office(&mut rng, 600, 1200)
        .act(Who::User("guangyuanbao"), Command::RecordProgress { note: "维修队已对该栋屋面整体铲除旧防水层，重新铺设SBS防水卷材".into() });
    t.office(&mut rng, 900, 1400)
        .act(Who::User("guangyuanbao"), Command::Resolve { reply: "已对该栋屋面整体重做防水，经两次降雨检验无渗漏，住户现场确认".into() });
    t.office(&mut rng, 120, 500)
        .act(Who::User("operator"), Command::FollowUp { note: "再次回访3栋6楼住户，下雨后卧室已不渗水".into(), reached: true });
    t.wall(&mut rng, 3, 10).act(
        Who::User("operator"),
        Command::Rate {
            rating: Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied },
            comment: Some("这次彻底修好了，谢谢社区和住建局".into()),
        },
    );
    t.office(&mut rng, 60, 300).act(Who::User("guangyuanbao"), Command::Close { note: Some("重办后群众满意，结案".into()) });
    plans.push(Plan {
        label: "story-guangyuanbao".into(),
        text: "网格员走访时，广元堡社区老旧小区几栋楼的顶层住户反映：一下雨屋顶就漏，房屋漏雨已经好几年，天花板发霉、墙皮脱落，几户人家自己找人补过都不管用，希望社区和住建部门帮忙彻底维修。".into(),
        region: "511824002006".into(),
        category: "0101".into(),
        channel: Channel::GridVisit,
        entered_by: EnteredBy::User("wanggeyuan"),
        with_point: true,
        contact: Contact::parse(Some("刘淑芬"), Some("13541207788")).unwrap_or_default(),
        give_category: true,
        grid_choice: 0,
        jitter_seed: 22,
        steps: t.steps,
        story: Some(("guangyuanbao-roofs", "广元堡社区房屋漏雨")),
        judged: Some((Triage::Small, Tier::Blue)),
    });

    // (c) 海耳村: the irrigation pond leaks; an extension is granted.
    let mut t = Timeline::new(calendar, morning(52));
    t.push(Step::Submit);
    t.office(&mut rng, 30, 120).act(Who::User("xinmin"), Command::Accept { note: Some("乡党委受理，已安排驻村干部到现场查看".into()) });
    t.office(&mut rng, 60, 240).push(Step::Dispatch {
        who: Who::User("xinmin"),
        lead: Target::Unit(shuiwu),
        co: vec![Target::Unit(village_haier)],
        note: "请县水利局牵头制定山坪塘整治方案，海耳村党支部配合组织群众投工投劳".into(),
    });
    t.office(&mut rng, 20, 120).act(Who::User("shuiwu"), Command::SignFor);
    t.office(&mut rng, 420, 900).act(
        Who::User("shuiwu"),
        Command::RecordProgress {
            note: "已到现场勘察：塘底和堤埂多处渗漏，放水设施损坏，需清淤和防渗处理，整治方案已报局里审定".into()
        },
    );
    t.office(&mut rng, 1400, 2100).act(
        Who::User("shuiwu"),
        Command::RequestExtension {
            working_days: 10,
            reason: "山坪塘整治需申请小型水利工程维修资金，并须待塘内存水放空后施工，申请延期10个工作日".into(),
        },
    );
    t.office(&mut rng, 60, 300).act(
        Who::User("supervisor"),
        Command::GrantExtension {
            note: Some("情况属实，同意延期10个工作日；请抓紧施工，并做好临时抗旱供水".into())
        },
    );
    t.office(&mut rng, 600, 1200).act(
        Who::User("haier"),
        Command::RecordProgress {
            note: "村党支部组织群众投工投劳清理塘内淤泥，并用抽水机从河沟临时提水保苗".into()
        },
    );
    t.office(&mut rng, 3600, 4600).act(
        Who::User("shuiwu"),
        Command::Resolve {
            reply: "已完成山坪塘清淤、塘底和堤埂防渗处理，更换放水设施，塘内已恢复蓄水，可满足下游田地灌溉".into()
        },
    );
    t.office(&mut rng, 300, 900).act(
        Who::User("operator"),
        Command::FollowUp {
            note: "回访海耳村村民和村党支部，山坪塘已蓄满水，田里用上了水".into(), reached: true
        },
    );
    t.wall(&mut rng, 3, 10).act(
        Who::User("operator"),
        Command::Rate {
            rating: Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied },
            comment: Some("塘修好了，今年不愁水了".into()),
        },
    );
    t.office(&mut rng, 60, 420).act(Who::User("xinmin"), Command::Close { note: Some("已回访，群众满意，结案".into()) });
    plans.push(Plan {
        label: "story-haier".into(),
        text: "海耳村的灌溉山坪塘塘底和堤埂渗漏严重，蓄不住水，下游几十亩田地缺水，玉米和烤烟都快干死了。村里自己用泥巴补过两次都没用，希望上级帮忙把山坪塘彻底整治好。".into(),
        region: "511824211200".into(),
        category: "0701".into(),
        channel: Channel::Hotline,
        entered_by: EnteredBy::Operator,
        with_point: true,
        contact: Contact::parse(Some("马永福"), Some("18990356624")).unwrap_or_default(),
        give_category: true,
        grid_choice: 1,
        jitter_seed: 33,
        steps: t.steps,
        story: Some(("haier-pond", "海耳村灌溉山坪塘渗漏")),
        judged: Some((Triage::Big, Tier::Yellow)),
    });
    for plan in &plans {
        if let Some((at, _)) = plan.steps.last()
            && *at > now
        {
            return Err(ServiceError::Internal(format!("demo story {} would end in the future", plan.label)));
        }
    }
    Ok(plans)
}

// ---------------------------------------------------------------------------------------
// Running the plans in time order.

/// Runs every step in time order; returns each appeal's number and follow-up secret.
async fn run_plans(hub: &Hub, world: &World, plans: &[Plan]) -> Result<Vec<Option<(String, String)>>, ServiceError> {
    let mut queue: Vec<(Timestamp, usize, usize)> = Vec::new();
    for (plan_index, plan) in plans.iter().enumerate() {
        for (step_index, (at, _)) in plan.steps.iter().enumerate() {
            queue.push((*at, plan_index, step_index));
        }
    }
    queue.sort();
    let mut numbers: Vec<Option<String>> = vec![None; plans.len()];
    let mut secrets: Vec<Option<String>> = vec![None; plans.len()];
    for (at, plan_index, step_index) in queue {
        let wait = at.as_millisecond() - hub.clock.now_ms();
        if wait > 0 {
            hub.clock.advance(SignedDuration::from_millis(wait));
        }
        let plan = &plans[plan_index];
        let step = &plan.steps[step_index].1;
        let outcome = run_step(hub, world, plan, step, numbers[plan_index].as_deref(), &numbers).await;
        match outcome {
            Ok(Some((number, secret))) => {
                numbers[plan_index] = Some(number);
                secrets[plan_index] = Some(secret);
            }
            Ok(None) => {}
            Err(error) => {
                return Err(ServiceError::Internal(format!("demo appeal {} step {step_index} ({step:?}): {error}", plan.label)));
            }
        }
    }
    Ok(numbers.into_iter().zip(secrets).map(|(number, secret)| number.zip(secret)).collect())
}

fn staff_of(world: &World, username: &str) -> Result<Staff, ServiceError> {
    world.staff.get(username).cloned().ok_or_else(|| ServiceError::Internal(format!("demo user {username} is missing")))
}

/// The account that acts for a unit on an appeal: the village's grid worker for green
/// appeals, otherwise the unit's account.
fn actor_for_unit(world: &World, unit: i64, appeal: &crate::storage::appeals::AppealRecord) -> Result<Staff, ServiceError> {
    if appeal.tier == Tier::Green
        && world.village_unit.get(&appeal.region_code) == Some(&unit)
        && let Some(worker) = world.grid_worker.get(&appeal.region_code)
    {
        return staff_of(world, worker);
    }
    let username = world.unit_actor.get(&unit).ok_or_else(|| ServiceError::Internal(format!("unit {unit} has no demo account")))?;
    staff_of(world, username)
}

async fn run_step(
    hub: &Hub,
    world: &World,
    plan: &Plan,
    step: &Step,
    own: Option<&str>,
    numbers: &[Option<String>],
) -> Result<Option<(String, String)>, ServiceError> {
    if let Step::Submit = step {
        let receipt = intake::submit(hub, new_appeal(hub, world, plan)?, entered_by(world, plan)?.as_ref()).await?;
        return Ok(Some((receipt.appeal.number, receipt.secret)));
    }
    let number = own.ok_or_else(|| ServiceError::Internal("the appeal was not submitted".into()))?;
    let appeal = hub.db.appeal_by_number(number).await?.ok_or_else(|| ServiceError::NotFound(format!("appeal {number}")))?;
    let actor_of = |who: &Who| -> Result<Option<Actor>, ServiceError> {
        Ok(Some(match who {
            Who::System => Actor::System,
            Who::User(username) => Actor::Staff(staff_of(world, username)?),
            Who::Owner => {
                let unit = appeal.owner_unit_id.ok_or_else(|| ServiceError::Internal(format!("{number} has no owner")))?;
                Actor::Staff(actor_for_unit(world, unit, &appeal)?)
            }
            Who::Lead => {
                let unit = appeal.lead_unit_id.ok_or_else(|| ServiceError::Internal(format!("{number} has no lead unit")))?;
                Actor::Staff(actor_for_unit(world, unit, &appeal)?)
            }
            Who::Co => match appeal.co_unit_ids.first() {
                Some(unit) => Actor::Staff(actor_for_unit(world, *unit, &appeal)?),
                None => return Ok(None),
            },
        }))
    };
    let (who, command) = match step {
        Step::Submit => unreachable!("handled above"),
        Step::Act(who, command) => (who, command.clone()),
        Step::Dispatch { who, lead, co, note } => {
            let resolve = |target: &Target| -> Option<i64> {
                match target {
                    Target::Owner => appeal.owner_unit_id,
                    Target::Department => Some(world.department_for(&plan.category, &plan.region)),
                    Target::Township => world.township_of(&plan.region),
                    Target::Unit(unit) => Some(*unit),
                }
            };
            let lead_unit_id = resolve(lead).ok_or_else(|| ServiceError::Internal(format!("{number}: no lead unit for {lead:?}")))?;
            let mut co_unit_ids: Vec<i64> = co.iter().filter_map(resolve).filter(|unit| *unit != lead_unit_id).collect();
            co_unit_ids.dedup();
            (who, Command::Dispatch { lead_unit_id, co_unit_ids, note: Some(note.clone()) })
        }
        Step::Merge { primary } => {
            let primary_number = numbers[*primary].clone().ok_or_else(|| ServiceError::Internal("the primary was not submitted".into()))?;
            let primary_record = hub.db.appeal_by_number(&primary_number).await?;
            if primary_record.is_none_or(|record| record.status.is_terminal()) {
                return Ok(None);
            }
            let reason = Some(format!("与 {primary_number} 反映的是同一问题，并入主诉求办理，办理结果一并告知"));
            (&Who::User("dispatcher"), Command::MergeInto { primary_number, reason })
        }
    };
    let Some(actor) = actor_of(who)? else {
        return Ok(None);
    };
    actions::act(hub, number, &actor, command).await?;
    Ok(None)
}

fn entered_by(world: &World, plan: &Plan) -> Result<Option<Staff>, ServiceError> {
    let village_account = || -> Result<Option<Staff>, ServiceError> {
        let unit = world.village_unit.get(&plan.region).or_else(|| plan.region.get(..9).and_then(|code| world.township_unit.get(code)));
        match unit.and_then(|unit| world.unit_actor.get(unit)) {
            Some(username) => Ok(Some(staff_of(world, username)?)),
            None => Ok(Some(staff_of(world, "operator")?)),
        }
    };
    match plan.entered_by {
        EnteredBy::Resident => Ok(None),
        EnteredBy::Operator => Ok(Some(staff_of(world, "operator")?)),
        EnteredBy::User(username) => Ok(Some(staff_of(world, username)?)),
        EnteredBy::GridWorker => match world.grid_worker.get(&plan.region) {
            Some(worker) => Ok(Some(staff_of(world, worker)?)),
            None => village_account(),
        },
        EnteredBy::PartyRep => match world.party_rep.get(&plan.region) {
            Some(rep) => Ok(Some(staff_of(world, rep)?)),
            None => village_account(),
        },
    }
}

fn new_appeal(hub: &Hub, world: &World, plan: &Plan) -> Result<NewAppeal, ServiceError> {
    let mut rng = Rng::new(plan.jitter_seed);
    let place = world.place_name(&plan.region);
    let mut point = None;
    let mut address = None;
    if plan.with_point
        && let Some(grids) = world.grids_of_village.get(&plan.region)
    {
        let grid = &grids[plan.grid_choice % grids.len()];
        point = point_inside(hub, grid, &mut rng);
    }
    if point.is_none() {
        let detail = if plan.region.len() == 12 {
            if place.ends_with("社区") { format!("{}栋", rng.between(1, 12)) } else { format!("{}组", rng.between(1, 8)) }
        } else {
            "辖区".to_string()
        };
        address = Some(format!("石棉县{place}{detail}"));
    }
    Ok(NewAppeal {
        text: plan.text.clone(),
        point,
        region_code: if point.is_none() { Some(plan.region.clone()) } else { None },
        address,
        channel: plan.channel,
        contact: plan.contact.clone(),
        category_code: plan.give_category.then(|| plan.category.clone()),
        meeting_id: None,
        judgement: plan.judged.map(|(triage, tier)| crate::service::intake::StaffJudgement {
            urgent: None,
            triage: Some(triage),
            tier: Some(tier),
        }),
    })
}

/// A point strictly inside the grid, jittered around its representative point, that the
/// hub's routing sends to this very grid.
fn point_inside(hub: &Hub, grid: &GridShape, rng: &mut Rng) -> Option<(f64, f64)> {
    let indexes = hub.place_indexes();
    let routes_here = |lng: f64, lat: f64| {
        grid.geometry.contains(&Point::new(lng, lat))
            && matches!(route(&indexes.grids, &indexes.regions, lng, lat), RouteOutcome::Grid { ref grid_id, .. } if *grid_id == grid.id)
    };
    let centre = representative_point(&grid.geometry)?;
    let bounds = grid.geometry.bounding_rect()?;
    for _ in 0..12 {
        let dx = (rng.below(2001) as f64 / 1000.0 - 1.0) * bounds.width() * 0.2;
        let dy = (rng.below(2001) as f64 / 1000.0 - 1.0) * bounds.height() * 0.2;
        let (lng, lat) = (round6(centre.x() + dx), round6(centre.y() + dy));
        if routes_here(lng, lat) {
            return Some((lng, lat));
        }
    }
    routes_here(centre.x(), centre.y()).then_some((centre.x(), centre.y()))
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::HubConfig;
    use crate::storage::Db;
    use crate::storage::appeals::{AppealFilter, AppealOrder, AppealRecord};
    use std::collections::BTreeMap;

    async fn fresh_hub(path: &std::path::Path, now: Timestamp) -> Hub {
        let db = Db::open_sqlite_file(path).await.unwrap();
        db.migrate().await.unwrap();
        Hub::new(db, HubConfig::default(), Clock::manual(now)).await.unwrap()
    }

    async fn all_appeals(hub: &Hub) -> Vec<AppealRecord> {
        hub.db.list_appeals(None, &AppealFilter::default(), AppealOrder::Newest, None, 10_000).await.unwrap()
    }

    /// Checks what every load must give, whatever the moment it runs.
    async fn check_demo(hub: &Hub, summary: &DemoSummary, now: Timestamp) {
        let villages =
            hub.db.region_subtree(COUNTY_CODE).await.unwrap().iter().filter(|region| region.level == RegionLevel::Village).count();
        assert_eq!(villages, 61);
        assert_eq!(summary.small_grids, villages * GRIDS_PER_VILLAGE);
        assert_eq!(summary.grids, villages * (GRIDS_PER_VILLAGE + 1));
        assert_eq!(hub.place_indexes().grids.len(), summary.grids);
        assert!(summary.appeals >= CORPUS_APPEALS, "{} appeals", summary.appeals);

        let appeals = all_appeals(hub).await;
        assert_eq!(appeals.len(), summary.appeals);
        let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
        for appeal in &appeals {
            *by_status.entry(appeal.status.as_str()).or_default() += 1;
            assert!(appeal.received_ms <= now.as_millisecond() && appeal.updated_ms <= now.as_millisecond(), "{}", appeal.number);
            assert!(appeal.received_ms >= (now - SignedDuration::from_hours(24 * DAYS_OF_HISTORY)).as_millisecond());
        }
        println!("by status: {by_status:?}");
        for status in AppealStatus::ALL {
            assert!(appeals.iter().any(|appeal| appeal.status == *status), "no appeal is {status}");
        }
        for tier in Tier::ALL {
            assert!(appeals.iter().any(|appeal| appeal.tier == *tier), "no appeal is {tier}");
        }
        for triage in Triage::ALL {
            assert!(appeals.iter().any(|appeal| appeal.triage == *triage), "no appeal is {triage}");
        }
        for channel in Channel::ALL.iter().filter(|channel| **channel != Channel::Open311) {
            assert!(appeals.iter().any(|appeal| appeal.channel == *channel), "no appeal came by {channel}");
        }
        let with_grid = appeals.iter().filter(|appeal| appeal.grid_id.is_some()).count();
        assert!(with_grid * 2 > appeals.len(), "only {with_grid} appeals were routed to a grid");
        let open = appeals.iter().filter(|appeal| appeal.status.is_open()).count();
        let overdue = appeals.iter().filter(|appeal| appeal.status.is_open() && appeal.next_deadline_ms < now.as_millisecond()).count();
        println!("{overdue} of {open} open appeals are overdue");
        assert!(overdue > 0 && overdue * 2 < open, "{overdue} of {open} open appeals are overdue");

        assert_eq!(summary.stories.len(), 3);
        for story in &summary.stories {
            let appeal = hub.db.appeal_by_number(&story.number).await.unwrap().unwrap();
            assert_eq!(appeal.status, AppealStatus::Closed, "{}", story.key);
            assert!(crate::service::intake::secret_matches(&appeal, &story.secret), "{}", story.key);
            let events = hub.db.events_of(appeal.id).await.unwrap();
            let kinds: Vec<&str> = events.iter().map(|event| event.kind.as_str()).collect();
            let lead = hub.db.unit(appeal.lead_unit_id.unwrap()).await.unwrap().unwrap().name;
            println!("{} {} ({lead}): {kinds:?}", story.key, story.number);
            match story.key {
                "mengzhong-guardrail" => {
                    assert_eq!(appeal.tier, Tier::Yellow);
                    assert_eq!(lead, "县交通运输局");
                    assert_eq!(appeal.region_code, "511824202205");
                }
                "guangyuanbao-roofs" => {
                    assert_eq!(appeal.tier, Tier::Blue);
                    assert_eq!(lead, "广元堡社区党委");
                    assert_eq!(appeal.reopen_count, 1);
                }
                "haier-pond" => {
                    assert_eq!(appeal.tier, Tier::Yellow);
                    assert_eq!(lead, "县水利局");
                    assert!(kinds.contains(&"extension_granted"));
                    assert!(kinds.contains(&"followed_up"));
                }
                other => panic!("unknown story {other}"),
            }
        }
        for user in &summary.users {
            let record = hub.db.user_by_name(&user.username).await.unwrap().unwrap_or_else(|| panic!("{}", user.username));
            assert!(crate::service::auth::verify_password(&record.password_hash, &user.password));
        }
        let members = hub.db.grid_members("511824002006-01").await.unwrap();
        assert_eq!(members.len(), 2);
    }

    #[tokio::test]
    async fn the_demo_county_loads_once_with_every_state_and_the_three_stories() {
        let dir = tempfile::tempdir().unwrap();
        // A Wednesday morning in Asia/Shanghai.
        let now: Timestamp = "2026-05-20T03:00:00Z".parse().unwrap();
        let hub = fresh_hub(&dir.path().join("demo.db"), now).await;
        assert!(is_empty(&hub).await);

        let started = std::time::Instant::now();
        let summary = load_demo(&hub).await.unwrap_or_else(|error| panic!("{error}"));
        println!("demo loaded in {:?}: {} appeals, {} accounts", started.elapsed(), summary.appeals, summary.accounts);
        assert!(!is_empty(&hub).await);
        check_demo(&hub, &summary, now).await;

        let again = load_demo(&hub).await;
        assert!(matches!(again, Err(ServiceError::Conflict(_))), "{again:?}");
        assert_eq!(hub.db.count_appeals().await.unwrap() as usize, summary.appeals);
        assert_eq!(hub.db.count_users().await.unwrap() as usize, summary.accounts);
    }

    /// Loads at awkward moments (a holiday, a weekend night, a make-up working day) and
    /// twice at the same moment, which must give the same appeals. Slow: run with
    /// `cargo test --lib demo::seed -- --ignored`.
    #[tokio::test]
    #[ignore]
    async fn the_demo_loads_at_any_moment_and_is_the_same_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let moments =
            ["2026-02-17T04:00:00Z", "2026-10-03T14:30:00Z", "2026-06-13T15:10:00Z", "2026-05-09T09:00:00Z", "2025-01-02T01:00:00Z"];
        for (index, moment) in moments.iter().enumerate() {
            let now: Timestamp = moment.parse().unwrap();
            let hub = fresh_hub(&dir.path().join(format!("demo-{index}.db")), now).await;
            let summary = load_demo(&hub).await.unwrap_or_else(|error| panic!("{moment}: {error}"));
            println!("{moment}");
            check_demo(&hub, &summary, now).await;
        }
        let now: Timestamp = moments[0].parse().unwrap();
        let first = fresh_hub(&dir.path().join("first.db"), now).await;
        let second = fresh_hub(&dir.path().join("second.db"), now).await;
        load_demo(&first).await.unwrap();
        load_demo(&second).await.unwrap();
        let shape = |appeals: Vec<AppealRecord>| -> Vec<String> {
            appeals
                .into_iter()
                .map(|a| {
                    format!(
                        "{} {} {} {:?} {} {:?} {}",
                        a.number, a.status, a.tier, a.grid_id, a.received_ms, a.resolve_due_ms, a.event_count
                    )
                })
                .collect()
        };
        assert_eq!(shape(all_appeals(&first).await), shape(all_appeals(&second).await));
    }
}
