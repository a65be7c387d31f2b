//! Point-to-grid routing.
//!
//! This module answers the question "which grid (网格) is responsible for the
//! place where this appeal was made?". Grids and region outlines are
//! `MultiPolygon<f64>` values whose coordinates are longitude and latitude
//! in WGS84 degrees.
//!
//! How a lookup works: every polygon of every shape is put into an rstar
//! R-tree by its bounding box. A lookup asks the R-tree for the polygons
//! whose bounding box holds the point and runs the exact point-in-polygon
//! test only on those. The exact test is the same winding-number rule with
//! robust orientation predicates that geo's `Intersects` uses for a polygon
//! and a coordinate (a point on the boundary counts as inside), but it reads
//! the ring coordinates from one flat `Vec` owned by the index instead of
//! following the pointers of `GridShape`, `MultiPolygon`, `Polygon` and
//! `LineString`. Each tie-break is turned into a precomputed rank number at
//! build time, so choosing among candidates is one integer comparison. The
//! price is that the index holds a second copy of all coordinates.
//!
//! Speed: `cargo test --release -- --ignored lookup_rate --nocapture` builds
//! an index of 100,172 grids (a 316 by 317 lattice of squares, each ring
//! with 17 positions) and times 2,000,000 lookups at pseudo-random points,
//! about 8% of them outside every grid, and prints the rate. On the 2-core
//! development machine it measured 1.24 to 1.33 million lookups per second
//! in release mode (three runs). The same lookups through geo's
//! `MultiPolygon::intersects` on the candidate shapes measured 0.64 to 0.69
//! million per second, because a random point costs several more cache
//! misses there and geo recomputes the bounding box of the whole
//! `MultiPolygon` on every call. There are no timing asserts in tests.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ops::ControlFlow;

use geo::{BoundingRect, Coord, GeoNum, Kernel, MultiPolygon, Orientation};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RStarInsertionStrategy, RTree, RTreeParams};

/// One grid (网格): a polygon of responsibility inside a village.
#[derive(Debug, Clone, PartialEq)]
pub struct GridShape {
    /// The stable identifier of the grid, for example `511824101001-01`.
    pub id: String,
    /// The identifier of the grid that contains this grid, if any.
    pub parent_id: Option<String>,
    /// The code of the region (usually the village) that the grid belongs to.
    pub region_code: String,
    /// The area of the grid, in WGS84 longitude and latitude degrees.
    pub geometry: MultiPolygon<f64>,
}

/// One administrative region outline, from province (level 1) to village
/// (level 5).
#[derive(Debug, Clone, PartialEq)]
pub struct RegionOutline {
    /// The administrative division code, for example `511824`.
    pub code: String,
    /// The administrative level: 1 province, 2 city, 3 county, 4 township,
    /// 5 village.
    pub level: u8,
    /// The outline, in WGS84 longitude and latitude degrees.
    pub geometry: MultiPolygon<f64>,
}

/// R-tree node sizes for point lookups on a tree that is bulk loaded once
/// and never changed. These are rstar's defaults; wider nodes (up to 12 or
/// 24 children) were measured and were no faster.
#[derive(Debug, Clone, Copy)]
struct IndexParams;

impl RTreeParams for IndexParams {
    const MIN_SIZE: usize = 3;
    const MAX_SIZE: usize = 6;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// Where one polygon lives in the flat coordinate store of a
/// `PolygonIndex`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PolygonSlot {
    /// The rank of the shape the polygon belongs to; a smaller rank wins the
    /// tie-break. Ranks are unique, so the rank also names the shape.
    rank: usize,
    /// The range of the exterior ring in `PolygonIndex::coords`.
    exterior_start: usize,
    exterior_end: usize,
    /// The range of the hole rings in `PolygonIndex::hole_ranges`.
    holes_start: usize,
    holes_end: usize,
}

type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, PolygonSlot>;

/// The spatial part shared by `GridIndex` and `RegionOutlineIndex`.
#[derive(Debug, Clone)]
struct PolygonIndex {
    tree: RTree<BoxEntry, IndexParams>,
    /// The ring coordinates of all polygons, one ring after another.
    coords: Vec<Coord<f64>>,
    /// The coordinate ranges of all hole rings.
    hole_ranges: Vec<(usize, usize)>,
    /// The position of each shape in the owning `Vec`, by rank.
    position_by_rank: Vec<usize>,
}

impl PolygonIndex {
    /// Builds the index. `positions_in_rank_order` lists the positions of
    /// the shapes, best first.
    ///
    /// Polygons without a finite bounding box (empty polygons, or polygons
    /// with non-finite coordinates) are left out, so they can never be found.
    fn build(geometries: &[&MultiPolygon<f64>], positions_in_rank_order: Vec<usize>) -> PolygonIndex {
        let mut coords = Vec::new();
        let mut hole_ranges = Vec::new();
        let mut entries = Vec::new();
        for (rank, position) in positions_in_rank_order.iter().enumerate() {
            for polygon in &geometries[*position].0 {
                let Some(bounds) = polygon.bounding_rect() else {
                    continue;
                };
                let (min, max) = (bounds.min(), bounds.max());
                if ![min.x, min.y, max.x, max.y].iter().all(|value| value.is_finite()) {
                    continue;
                }
                let exterior_start = coords.len();
                coords.extend(polygon.exterior().coords().copied());
                let exterior_end = coords.len();
                let holes_start = hole_ranges.len();
                for hole in polygon.interiors() {
                    let hole_start = coords.len();
                    coords.extend(hole.coords().copied());
                    hole_ranges.push((hole_start, coords.len()));
                }
                let slot = PolygonSlot { rank, exterior_start, exterior_end, holes_start, holes_end: hole_ranges.len() };
                let rectangle = Rectangle::from_corners([min.x, min.y], [max.x, max.y]);
                entries.push(GeomWithData::new(rectangle, slot));
            }
        }
        PolygonIndex { tree: RTree::bulk_load_with_params(entries), coords, hole_ranges, position_by_rank: positions_in_rank_order }
    }

    /// Returns the position of the best-ranked shape whose closed polygon
    /// contains the point, or `None`. The coordinates must be finite.
    fn best_containing(&self, lng: f64, lat: f64) -> Option<usize> {
        let point = Coord { x: lng, y: lat };
        let mut best_rank: Option<usize> = None;
        let _ = self.tree.locate_in_envelope_intersecting_int(&AABB::from_point([lng, lat]), |entry| {
            let slot = entry.data;
            let could_win = best_rank.is_none_or(|rank| slot.rank < rank);
            if could_win && self.polygon_touches(&slot, point) {
                best_rank = Some(slot.rank);
            }
            ControlFlow::<()>::Continue(())
        });
        best_rank.and_then(|rank| self.position_by_rank.get(rank).copied())
    }

    /// Returns true when the point is inside the polygon or on its boundary,
    /// with the same rule as geo's `Intersects` for a polygon and a
    /// coordinate.
    fn polygon_touches(&self, slot: &PolygonSlot, point: Coord<f64>) -> bool {
        let Some(exterior) = self.coords.get(slot.exterior_start..slot.exterior_end) else {
            return false;
        };
        match ring_position(point, exterior) {
            RingPosition::Outside => false,
            RingPosition::OnBoundary => true,
            RingPosition::Inside => {
                let holes = self.hole_ranges.get(slot.holes_start..slot.holes_end).unwrap_or(&[]);
                for (start, end) in holes {
                    let hole = self.coords.get(*start..*end).unwrap_or(&[]);
                    match ring_position(point, hole) {
                        RingPosition::Outside => {}
                        RingPosition::OnBoundary => return true,
                        RingPosition::Inside => return false,
                    }
                }
                true
            }
        }
    }
}

/// Where a point lies relative to a closed ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingPosition {
    Inside,
    OnBoundary,
    Outside,
}

/// Classifies a point against a closed ring with the winding-number rule,
/// short-cutting on the boundary. This follows
/// `geo::coordinate_position::coord_pos_relative_to_ring` of geo 0.33 step
/// by step, including its robust orientation predicate, so it gives the
/// same answers as geo's `Intersects`; a test checks this.
fn ring_position(point: Coord<f64>, ring: &[Coord<f64>]) -> RingPosition {
    match ring {
        [] => return RingPosition::Outside,
        [only] => {
            return if *only == point { RingPosition::OnBoundary } else { RingPosition::Outside };
        }
        _ => {}
    }
    let between = |value: f64, bound_1: f64, bound_2: f64| {
        if bound_1 < bound_2 { value >= bound_1 && value <= bound_2 } else { value >= bound_2 && value <= bound_1 }
    };
    let mut winding_number = 0i64;
    for edge in ring.windows(2) {
        let (start, end) = (edge[0], edge[1]);
        if start.y <= point.y {
            if end.y >= point.y {
                let orientation = <f64 as GeoNum>::Ker::orient2d(start, end, point);
                if orientation == Orientation::CounterClockwise && end.y != point.y {
                    winding_number += 1;
                } else if orientation == Orientation::Collinear && between(point.x, start.x, end.x) {
                    return RingPosition::OnBoundary;
                }
            }
        } else if end.y <= point.y {
            let orientation = <f64 as GeoNum>::Ker::orient2d(start, end, point);
            if orientation == Orientation::Clockwise {
                winding_number -= 1;
            } else if orientation == Orientation::Collinear && between(point.x, start.x, end.x) {
                return RingPosition::OnBoundary;
            }
        }
    }
    if winding_number == 0 { RingPosition::Outside } else { RingPosition::Inside }
}

/// An index of grids that finds the grid responsible for a point.
#[derive(Debug, Clone)]
pub struct GridIndex {
    grids: Vec<GridShape>,
    positions_by_id: HashMap<String, usize>,
    polygons: PolygonIndex,
}

impl GridIndex {
    /// Builds the index.
    ///
    /// The nesting depth of each grid is computed here by following the
    /// `parent_id` chain. A `parent_id` that names no grid in the list ends
    /// the chain, and a chain that loops back on itself is cut after visiting
    /// every grid once, so bad parent data never makes this loop forever.
    /// If two grids share an id, `get` returns the one that came first.
    pub fn build(grids: Vec<GridShape>) -> GridIndex {
        let mut positions_by_id: HashMap<String, usize> = HashMap::with_capacity(grids.len());
        for (position, grid) in grids.iter().enumerate() {
            positions_by_id.entry(grid.id.clone()).or_insert(position);
        }
        let depths: Vec<usize> = grids.iter().map(|grid| nesting_depth(grid, &grids, &positions_by_id)).collect();
        // The tie-break order: deeper first, then smaller id, then earlier.
        let mut positions_in_rank_order: Vec<usize> = (0..grids.len()).collect();
        positions_in_rank_order
            .sort_by(|a, b| (Reverse(depths[*a]), grids[*a].id.as_bytes(), *a).cmp(&(Reverse(depths[*b]), grids[*b].id.as_bytes(), *b)));
        let geometries: Vec<&MultiPolygon<f64>> = grids.iter().map(|grid| &grid.geometry).collect();
        let polygons = PolygonIndex::build(&geometries, positions_in_rank_order);
        GridIndex { grids, positions_by_id, polygons }
    }

    /// Returns the number of grids in the index.
    pub fn len(&self) -> usize {
        self.grids.len()
    }

    /// Returns true when the index holds no grid.
    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
    }

    /// Returns the grid with the given id, if there is one.
    pub fn get(&self, id: &str) -> Option<&GridShape> {
        self.positions_by_id.get(id).and_then(|position| self.grids.get(*position))
    }

    /// Returns all grids, in the order they were given to `build`.
    pub fn grids(&self) -> &[GridShape] {
        &self.grids
    }

    /// Finds the one grid responsible for the point at longitude `lng` and
    /// latitude `lat` (WGS84 degrees).
    ///
    /// Tie-break rule: The candidates are the grids whose closed polygon
    /// contains the point, which means that a point on the boundary of a grid
    /// counts as inside that grid (the `Intersects` predicate). Among the
    /// candidates, the most deeply nested grid wins, so a small grid lying
    /// inside a large grid takes the points it covers; the depth of a grid is
    /// the number of steps in its `parent_id` chain. Among candidates of
    /// equal depth, which happens for a point on an edge or a vertex shared by
    /// neighbouring grids, the grid whose `id` is smallest in byte-wise string
    /// order wins. The result therefore depends only on the grids themselves
    /// and never on the order in which they were given to `build`. If
    /// several grids share the same id and depth, the one given first wins.
    /// A longitude or latitude that is NaN or infinite gives `None`, and so
    /// does a point outside every grid.
    pub fn locate(&self, lng: f64, lat: f64) -> Option<&GridShape> {
        if !lng.is_finite() || !lat.is_finite() {
            return None;
        }
        self.polygons.best_containing(lng, lat).and_then(|position| self.grids.get(position))
    }
}

/// Counts the steps in the `parent_id` chain of `grid`, stopping at an
/// unknown parent and never taking more steps than there are grids.
fn nesting_depth(grid: &GridShape, grids: &[GridShape], positions_by_id: &HashMap<String, usize>) -> usize {
    let mut depth = 0;
    let mut parent_id = grid.parent_id.as_deref();
    while let Some(id) = parent_id {
        let Some(position) = positions_by_id.get(id) else {
            break;
        };
        depth += 1;
        if depth >= grids.len() {
            break;
        }
        parent_id = grids[*position].parent_id.as_deref();
    }
    depth
}

/// An index of region outlines that finds the most specific region that
/// contains a point.
#[derive(Debug, Clone)]
pub struct RegionOutlineIndex {
    regions: Vec<RegionOutline>,
    polygons: PolygonIndex,
}

impl RegionOutlineIndex {
    /// Builds the index.
    pub fn build(regions: Vec<RegionOutline>) -> RegionOutlineIndex {
        // The tie-break order: higher level first, then smaller code, then
        // earlier.
        let mut positions_in_rank_order: Vec<usize> = (0..regions.len()).collect();
        positions_in_rank_order.sort_by(|a, b| {
            (Reverse(regions[*a].level), regions[*a].code.as_bytes(), *a).cmp(&(
                Reverse(regions[*b].level),
                regions[*b].code.as_bytes(),
                *b,
            ))
        });
        let geometries: Vec<&MultiPolygon<f64>> = regions.iter().map(|region| &region.geometry).collect();
        let polygons = PolygonIndex::build(&geometries, positions_in_rank_order);
        RegionOutlineIndex { regions, polygons }
    }

    /// Returns the number of region outlines in the index.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// Returns true when the index holds no region outline.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// Finds the most specific region that contains the point.
    ///
    /// Tie-break rule: The candidates are the regions whose closed outline
    /// contains the point (boundary included). Among them the region with the
    /// highest level wins (a village, level 5, beats its township, level 4).
    /// Among candidates of equal level, the region whose `code` is smallest
    /// in byte-wise string order wins, and if codes are equal too, the region
    /// given first to `build` wins. Non-finite coordinates give `None`.
    pub fn locate(&self, lng: f64, lat: f64) -> Option<&RegionOutline> {
        if !lng.is_finite() || !lat.is_finite() {
            return None;
        }
        self.polygons.best_containing(lng, lat).and_then(|position| self.regions.get(position))
    }
}

/// Where an appeal made at a point should go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteOutcome {
    /// The point lies in a grid: the grid's staff handle the appeal.
    Grid { grid_id: String, region_code: String },
    /// The point lies in no grid but inside a known region outline: the
    /// appeal goes to that region's office.
    Region { region_code: String },
    /// The point lies nowhere known (or the coordinates are not finite): a
    /// person must triage the appeal by hand.
    TriageQueue,
}

/// Routes a point: first to a grid (see `GridIndex::locate`), else to the
/// most specific region outline (see `RegionOutlineIndex::locate`), else to
/// the triage queue.
pub fn route(grids: &GridIndex, regions: &RegionOutlineIndex, lng: f64, lat: f64) -> RouteOutcome {
    if let Some(grid) = grids.locate(lng, lat) {
        return RouteOutcome::Grid { grid_id: grid.id.clone(), region_code: grid.region_code.clone() };
    }
    if let Some(region) = regions.locate(lng, lat) {
        return RouteOutcome::Region { region_code: region.code.clone() };
    }
    RouteOutcome::TriageQueue
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, LineString, Polygon};
    use proptest::prelude::*;

    /// Makes an axis-aligned square polygon with its lower-left corner at
    /// (`x`, `y`) and the given side length.
    fn square(x: f64, y: f64, side: f64) -> Polygon<f64> {
        Polygon::new(LineString::from(vec![(x, y), (x + side, y), (x + side, y + side), (x, y + side), (x, y)]), vec![])
    }

    fn grid(id: &str, parent_id: Option<&str>, geometry: Polygon<f64>) -> GridShape {
        GridShape {
            id: id.to_string(),
            parent_id: parent_id.map(str::to_string),
            region_code: format!("region-of-{id}"),
            geometry: MultiPolygon::new(vec![geometry]),
        }
    }

    /// Four unit squares meeting at (1, 1), named so that the lowest id is
    /// not the first one inserted.
    fn four_squares(order: &[usize]) -> GridIndex {
        let all = [
            grid("d", None, square(0.0, 0.0, 1.0)),
            grid("c", None, square(1.0, 0.0, 1.0)),
            grid("b", None, square(0.0, 1.0, 1.0)),
            grid("a", None, square(1.0, 1.0, 1.0)),
        ];
        GridIndex::build(order.iter().map(|position| all[*position].clone()).collect())
    }

    const INSERTION_ORDERS: [[usize; 4]; 4] = [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]];

    #[test]
    fn locate_cases_on_four_squares() {
        // Each case is (description, lng, lat, expected grid id).
        let cases: &[(&str, f64, f64, Option<&str>)] = &[
            ("interior of d", 0.5, 0.5, Some("d")),
            ("interior of c", 1.5, 0.5, Some("c")),
            ("interior of b", 0.5, 1.5, Some("b")),
            ("interior of a", 1.5, 1.5, Some("a")),
            ("edge shared by d and c", 1.0, 0.5, Some("c")),
            ("edge shared by d and b", 0.5, 1.0, Some("b")),
            ("edge shared by c and a", 1.5, 1.0, Some("a")),
            ("vertex shared by all four", 1.0, 1.0, Some("a")),
            ("outer corner of d", 0.0, 0.0, Some("d")),
            ("outer edge of c", 2.0, 0.5, Some("c")),
            ("outside to the left", -0.1, 0.5, None),
            ("outside above", 1.0, 2.5, None),
            ("NaN longitude", f64::NAN, 0.5, None),
            ("NaN latitude", 0.5, f64::NAN, None),
            ("infinite longitude", f64::INFINITY, 0.5, None),
            ("negative infinite latitude", 0.5, f64::NEG_INFINITY, None),
        ];
        for order in INSERTION_ORDERS {
            let index = four_squares(&order);
            for (description, lng, lat, expected) in cases {
                let found = index.locate(*lng, *lat).map(|grid| grid.id.as_str());
                assert_eq!(found, *expected, "{description} with insertion order {order:?}");
            }
        }
    }

    #[test]
    fn hole_in_polygon_is_not_part_of_the_grid() {
        let exterior = LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0), (0.0, 0.0)]);
        let hole = LineString::from(vec![(1.0, 1.0), (3.0, 1.0), (3.0, 3.0), (1.0, 3.0), (1.0, 1.0)]);
        let ring_grid = grid("ring", None, Polygon::new(exterior, vec![hole]));
        let index = GridIndex::build(vec![ring_grid]);
        let cases: &[(&str, f64, f64, Option<&str>)] = &[
            ("inside the ring", 0.5, 0.5, Some("ring")),
            ("inside the hole", 2.0, 2.0, None),
            ("on the hole boundary", 1.0, 2.0, Some("ring")),
        ];
        for (description, lng, lat, expected) in cases {
            let found = index.locate(*lng, *lat).map(|grid| grid.id.as_str());
            assert_eq!(found, *expected, "{description}");
        }
    }

    #[test]
    fn nested_small_grid_wins_over_large_grid() {
        // The large grid's id sorts before the small grid's id, so only the
        // depth rule can make the small grid win.
        let grids = vec![
            grid("z-small", Some("a-large"), square(4.0, 4.0, 2.0)),
            grid("a-large", None, square(0.0, 0.0, 10.0)),
            grid("zz-tiny", Some("z-small"), square(4.5, 4.5, 0.5)),
        ];
        let cases: &[(&str, f64, f64, Option<&str>)] = &[
            ("only in the large grid", 1.0, 1.0, Some("a-large")),
            ("in the small grid", 5.5, 5.5, Some("z-small")),
            ("on the small grid's edge", 4.0, 5.0, Some("z-small")),
            ("in the tiny grid inside the small grid", 4.75, 4.75, Some("zz-tiny")),
            ("outside everything", 11.0, 1.0, None),
        ];
        for reverse in [false, true] {
            let mut ordered = grids.clone();
            if reverse {
                ordered.reverse();
            }
            let index = GridIndex::build(ordered);
            for (description, lng, lat, expected) in cases {
                let found = index.locate(*lng, *lat).map(|grid| grid.id.as_str());
                assert_eq!(found, *expected, "{description}, reversed insertion: {reverse}");
            }
        }
    }

    #[test]
    fn parent_cycle_and_unknown_parent_do_not_hang() {
        let index = GridIndex::build(vec![
            grid("a", Some("b"), square(0.0, 0.0, 1.0)),
            grid("b", Some("a"), square(0.0, 0.0, 1.0)),
            grid("c", Some("missing"), square(5.0, 5.0, 1.0)),
        ]);
        assert!(index.locate(0.5, 0.5).is_some());
        assert_eq!(index.locate(5.5, 5.5).map(|grid| grid.id.as_str()), Some("c"));
        assert_eq!(index.len(), 3);
        assert_eq!(index.get("b").map(|grid| grid.id.as_str()), Some("b"));
        assert!(index.get("missing").is_none());
    }

    #[test]
    fn region_outline_prefers_deepest_level_then_smaller_code() {
        let regions = vec![
            RegionOutline { code: "511824".to_string(), level: 3, geometry: MultiPolygon::new(vec![square(0.0, 0.0, 10.0)]) },
            RegionOutline { code: "511824102".to_string(), level: 4, geometry: MultiPolygon::new(vec![square(0.0, 0.0, 5.0)]) },
            RegionOutline { code: "511824101".to_string(), level: 4, geometry: MultiPolygon::new(vec![square(5.0, 0.0, 5.0)]) },
            RegionOutline { code: "511824101001".to_string(), level: 5, geometry: MultiPolygon::new(vec![square(6.0, 1.0, 1.0)]) },
        ];
        let index = RegionOutlineIndex::build(regions);
        let cases: &[(&str, f64, f64, Option<&str>)] = &[
            ("county only", 2.0, 8.0, Some("511824")),
            ("township 102", 2.0, 2.0, Some("511824102")),
            ("shared township edge", 5.0, 2.0, Some("511824101")),
            ("village", 6.5, 1.5, Some("511824101001")),
            ("outside", 20.0, 2.0, None),
            ("NaN", f64::NAN, 2.0, None),
        ];
        for (description, lng, lat, expected) in cases {
            let found = index.locate(*lng, *lat).map(|region| region.code.as_str());
            assert_eq!(found, *expected, "{description}");
        }
    }

    #[test]
    fn route_prefers_grid_then_region_then_triage() {
        let grids = GridIndex::build(vec![GridShape {
            id: "v1-01".to_string(),
            parent_id: None,
            region_code: "v1".to_string(),
            geometry: MultiPolygon::new(vec![square(0.0, 0.0, 1.0)]),
        }]);
        let regions = RegionOutlineIndex::build(vec![
            RegionOutline { code: "county".to_string(), level: 3, geometry: MultiPolygon::new(vec![square(0.0, 0.0, 10.0)]) },
            RegionOutline { code: "v2".to_string(), level: 5, geometry: MultiPolygon::new(vec![square(5.0, 5.0, 1.0)]) },
        ]);
        let cases: &[(f64, f64, RouteOutcome)] = &[
            (0.5, 0.5, RouteOutcome::Grid { grid_id: "v1-01".to_string(), region_code: "v1".to_string() }),
            (5.5, 5.5, RouteOutcome::Region { region_code: "v2".to_string() }),
            (8.0, 8.0, RouteOutcome::Region { region_code: "county".to_string() }),
            (20.0, 20.0, RouteOutcome::TriageQueue),
            (f64::NAN, 0.5, RouteOutcome::TriageQueue),
        ];
        for (lng, lat, expected) in cases {
            assert_eq!(route(&grids, &regions, *lng, *lat), *expected, "point ({lng}, {lat})");
        }
    }

    /// Tiles the square [0, 4] x [0, 4] with sixteen unit squares.
    fn tiled_square() -> GridIndex {
        let mut grids = Vec::new();
        for column in 0..4 {
            for row in 0..4 {
                grids.push(grid(&format!("g{column}{row}"), None, square(f64::from(column), f64::from(row), 1.0)));
            }
        }
        GridIndex::build(grids)
    }

    proptest! {
        #[test]
        fn every_point_of_a_tiled_square_is_located_in_one_intersecting_grid(
            // Half of the points are snapped to a quarter lattice so that
            // edges and vertices are hit often.
            x in 0.0f64..=4.0,
            y in 0.0f64..=4.0,
            snap in any::<bool>(),
        ) {
            let (lng, lat) = if snap { ((x * 4.0).round() / 4.0, (y * 4.0).round() / 4.0) } else { (x, y) };
            let index = tiled_square();
            let point = Coord { x: lng, y: lat };
            let intersecting: Vec<&str> = index
                .grids()
                .iter()
                .filter(|grid| grid.geometry.intersects(&point))
                .map(|grid| grid.id.as_str())
                .collect();
            let located = index.locate(lng, lat);
            prop_assert!(located.is_some(), "point ({}, {}) was not located", lng, lat);
            if let Some(found) = located {
                prop_assert!(intersecting.contains(&found.id.as_str()));
                // The winner is the smallest id among the intersecting grids.
                prop_assert_eq!(intersecting.iter().min().copied(), Some(found.id.as_str()));
            }
        }
    }

    /// Builds a star-shaped polygon around (100.5, 29.5) from radii at evenly
    /// spaced angles, with a small square hole around the center.
    fn star_with_hole(radii: &[f64]) -> Polygon<f64> {
        let center = (100.5, 29.5);
        let mut ring: Vec<(f64, f64)> = radii
            .iter()
            .enumerate()
            .map(|(step, radius)| {
                let angle = std::f64::consts::TAU * step as f64 / radii.len() as f64;
                (center.0 + radius * angle.cos(), center.1 + radius * angle.sin())
            })
            .collect();
        ring.push(ring[0]);
        let hole = vec![
            (center.0 - 0.01, center.1 - 0.01),
            (center.0 + 0.01, center.1 - 0.01),
            (center.0 + 0.01, center.1 + 0.01),
            (center.0 - 0.01, center.1 + 0.01),
            (center.0 - 0.01, center.1 - 0.01),
        ];
        Polygon::new(LineString::from(ring), vec![LineString::from(hole)])
    }

    proptest! {
        #[test]
        fn exact_test_agrees_with_geo_intersects(
            radii in proptest::collection::vec(0.05f64..0.5, 3..24),
            offsets in proptest::collection::vec((-0.6f64..0.6, -0.6f64..0.6), 1..40),
        ) {
            let polygon = star_with_hole(&radii);
            let geometry = MultiPolygon::new(vec![polygon.clone()]);
            let index = GridIndex::build(vec![GridShape {
                id: "star".to_string(),
                parent_id: None,
                region_code: "star".to_string(),
                geometry: geometry.clone(),
            }]);
            // Random points, every vertex of both rings, and every edge
            // midpoint, so the boundary rule is exercised too.
            let mut points: Vec<Coord<f64>> = offsets
                .iter()
                .map(|(dx, dy)| Coord { x: 100.5 + dx, y: 29.5 + dy })
                .collect();
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                points.extend(ring.coords().copied());
                points.extend(ring.lines().map(|line| (line.start + line.end) / 2.0));
            }
            for point in points {
                let expected = geometry.intersects(&point);
                let located = index.locate(point.x, point.y).is_some();
                prop_assert_eq!(located, expected, "point {:?}", point);
            }
        }
    }

    /// Measures the lookup rate with 100,000 grids. Run it with
    /// `cargo test --release -- --ignored lookup_rate --nocapture`.
    #[test]
    #[ignore = "speed measurement; run in release mode by hand"]
    fn lookup_rate() {
        let columns = 316usize;
        let rows = 317usize;
        let side = 0.001f64;
        let mut grids = Vec::with_capacity(columns * rows);
        for column in 0..columns {
            for row in 0..rows {
                let x = 100.0 + column as f64 * side;
                let y = 29.0 + row as f64 * side;
                // Each square has extra vertices on its edges, so the exact
                // test walks a ring of 17 positions like a simple real grid.
                let mut ring = Vec::new();
                for step in 0..4 {
                    ring.push((x + side * f64::from(step) / 4.0, y));
                }
                for step in 0..4 {
                    ring.push((x + side, y + side * f64::from(step) / 4.0));
                }
                for step in 0..4 {
                    ring.push((x + side - side * f64::from(step) / 4.0, y + side));
                }
                for step in 0..4 {
                    ring.push((x, y + side - side * f64::from(step) / 4.0));
                }
                ring.push((x, y));
                grids.push(GridShape {
                    id: format!("grid-{column:04}-{row:04}"),
                    parent_id: None,
                    region_code: "village".to_string(),
                    geometry: MultiPolygon::new(vec![Polygon::new(LineString::from(ring), vec![])]),
                });
            }
        }
        let index = GridIndex::build(grids);
        assert!(index.len() >= 100_000);
        // A deterministic pseudo-random sequence of points (a simple linear
        // congruential generator), some of which fall outside all grids.
        let lookups = 2_000_000usize;
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut points = Vec::with_capacity(lookups);
        for _ in 0..lookups {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let a = (state >> 11) as f64 / (1u64 << 53) as f64;
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let b = (state >> 11) as f64 / (1u64 << 53) as f64;
            points.push((100.0 + a * 0.33, 29.0 + b * 0.33));
        }
        let started = std::time::Instant::now();
        let mut found = 0usize;
        for (lng, lat) in &points {
            if index.locate(*lng, *lat).is_some() {
                found += 1;
            }
        }
        let elapsed = started.elapsed().as_secs_f64();
        let rate = lookups as f64 / elapsed;
        // For comparison: the same lookups with geo's own predicate on the
        // shapes of the candidates that the R-tree returns.
        let plain_started = std::time::Instant::now();
        let mut plain_found = 0usize;
        for (lng, lat) in &points {
            let point = Coord { x: *lng, y: *lat };
            let hit = index
                .polygons
                .tree
                .locate_in_envelope_intersecting(&AABB::from_point([*lng, *lat]))
                .filter_map(|entry| index.polygons.position_by_rank.get(entry.data.rank))
                .any(|position| index.grids[*position].geometry.intersects(&point));
            if hit {
                plain_found += 1;
            }
        }
        let plain_rate = lookups as f64 / plain_started.elapsed().as_secs_f64();
        assert_eq!(plain_found, found);
        println!("with geo's MultiPolygon::intersects instead: {plain_rate:.0} lookups per second");
        println!("{lookups} lookups over {} grids in {elapsed:.3} s: {rate:.0} lookups per second ({found} found)", index.len());
    }
}
