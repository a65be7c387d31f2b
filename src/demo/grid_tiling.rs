//! Demo grids that tile a county outline with no gaps and no overlaps.
//!
//! The county outline is cut into vertical strips, one per township; each
//! strip into horizontal bands, one per village; and each band into vertical
//! pieces, one per grid. Every cut position is found by bisection so that
//! the area on each side matches the wanted share, and every piece is the
//! intersection of an axis-aligned rectangle with the piece being cut
//! (geo's `BooleanOps`), so the pieces partition the outline.
//!
//! Areas are planar areas in square degrees of longitude and latitude. That
//! is fine for demo data: shares are only meant to be roughly fair.

use geo::{Area, BooleanOps, BoundingRect, Contains, Coord, InteriorPoint, LineString, MultiPolygon, Point, Polygon, Rect};

use crate::domain::geo::routing::GridShape;

/// The direction in which a cut position is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CutAxis {
    /// Cuts are vertical lines `x = c` (longitude), giving west-to-east
    /// strips.
    Longitude,
    /// Cuts are horizontal lines `y = c` (latitude), giving south-to-north
    /// bands.
    Latitude,
}

impl CutAxis {
    fn value_of(self, coord: Coord<f64>) -> f64 {
        match self {
            CutAxis::Longitude => coord.x,
            CutAxis::Latitude => coord.y,
        }
    }
}

/// Generates demo grids that tile `outline` exactly.
///
/// `townships` lists each township's code with the codes of its villages.
/// Townships become west-to-east strips whose areas are proportional to
/// their number of villages, in the order given. Each strip is cut into
/// south-to-north bands of equal area, one per village, in the order given.
/// Each band is cut into `grids_per_village` west-to-east pieces of equal
/// area (a value of 0 is treated as 1). Grid ids are
/// `{village_code}-{n:02}` with `n` counting from 1, `region_code` is the
/// village code and `parent_id` is `None`.
///
/// Townships without villages get no strip. Pieces that come out empty
/// (which only happens for degenerate outlines) are left out, and the
/// numbering skips nothing: the grids of a village are always numbered
/// 1, 2, 3 and so on. An outline with no area gives no grids. The output
/// depends only on the input, so it is the same on every run.
pub fn tile_county(outline: &MultiPolygon<f64>, townships: &[(String, Vec<String>)], grids_per_village: usize) -> Vec<GridShape> {
    let grids_per_village = grids_per_village.max(1);
    // Union with nothing turns a possibly self-overlapping outline into a
    // clean one, so the areas measured while cutting match the pieces that
    // the boolean operations produce.
    let clean_outline = outline.union(&MultiPolygon::new(vec![]));
    if clean_outline.unsigned_area() <= 0.0 {
        return Vec::new();
    }
    let townships_with_villages: Vec<&(String, Vec<String>)> = townships.iter().filter(|(_, villages)| !villages.is_empty()).collect();
    let township_weights: Vec<f64> = townships_with_villages.iter().map(|(_, villages)| villages.len() as f64).collect();
    let strips = split_by_area(&clean_outline, &township_weights, CutAxis::Longitude);

    let mut grids = Vec::new();
    for ((_, villages), strip) in townships_with_villages.iter().zip(strips) {
        let bands = split_by_area(&strip, &vec![1.0; villages.len()], CutAxis::Latitude);
        for (village_code, band) in villages.iter().zip(bands) {
            let pieces = split_by_area(&band, &vec![1.0; grids_per_village], CutAxis::Longitude);
            let non_empty = pieces.into_iter().filter(|piece| piece.unsigned_area() > 0.0);
            for (position, piece) in non_empty.enumerate() {
                grids.push(GridShape {
                    id: format!("{village_code}-{:02}", position + 1),
                    parent_id: None,
                    region_code: village_code.clone(),
                    geometry: piece,
                });
            }
        }
    }
    grids
}

/// Cuts `shape` along `axis` into one piece per weight, in increasing
/// coordinate order, each piece's area proportional to its weight.
fn split_by_area(shape: &MultiPolygon<f64>, weights: &[f64], axis: CutAxis) -> Vec<MultiPolygon<f64>> {
    let Some(bounds) = shape.bounding_rect() else {
        return weights.iter().map(|_| MultiPolygon::new(vec![])).collect();
    };
    if weights.len() <= 1 {
        return weights.iter().map(|_| shape.clone()).collect();
    }
    let low_end = axis.value_of(bounds.min());
    let high_end = axis.value_of(bounds.max());
    let total_weight: f64 = weights.iter().sum();
    let total_area = area_below(shape, axis, high_end);

    // The cut positions: low_end, then one cut between each pair of pieces,
    // then high_end.
    let mut cuts = Vec::with_capacity(weights.len() + 1);
    cuts.push(low_end);
    let mut weight_so_far = 0.0;
    for weight in &weights[..weights.len() - 1] {
        weight_so_far += weight;
        let target = total_area * weight_so_far / total_weight;
        let previous_cut = cuts.last().copied().unwrap_or(low_end);
        cuts.push(bisect_cut(shape, axis, target, previous_cut, high_end));
    }
    cuts.push(high_end);

    cuts.windows(2)
        .map(|pair| {
            let slab = slab_rect(bounds, axis, pair[0], pair[1]);
            shape.intersection(&MultiPolygon::new(vec![slab.to_polygon()]))
        })
        .collect()
}

/// Finds the cut position in `[low, high]` where the area of `shape` below
/// the cut equals `target`, by bisection.
fn bisect_cut(shape: &MultiPolygon<f64>, axis: CutAxis, target: f64, low: f64, high: f64) -> f64 {
    let (mut low, mut high) = (low, high);
    // 200 rounds is far more than needed: the loop stops as soon as the
    // interval can no longer shrink in f64.
    for _ in 0..200 {
        let middle = low + (high - low) / 2.0;
        if middle <= low || middle >= high {
            break;
        }
        if area_below(shape, axis, middle) < target {
            low = middle;
        } else {
            high = middle;
        }
    }
    low + (high - low) / 2.0
}

/// Returns the rectangle that spans `bounds` across `axis` and runs from
/// `from` to `to` along it.
fn slab_rect(bounds: Rect<f64>, axis: CutAxis, from: f64, to: f64) -> Rect<f64> {
    match axis {
        CutAxis::Longitude => Rect::new(Coord { x: from, y: bounds.min().y }, Coord { x: to, y: bounds.max().y }),
        CutAxis::Latitude => Rect::new(Coord { x: bounds.min().x, y: from }, Coord { x: bounds.max().x, y: to }),
    }
}

/// Returns the area of the part of `shape` whose coordinate along `axis` is
/// at most `cut`.
///
/// Each ring is clipped to the half-plane with the Sutherland-Hodgman rule.
/// For a non-convex ring the clipped ring may run along the cut line twice,
/// but its signed area still equals the area of the ring inside the
/// half-plane, which is all that is needed here. This is much cheaper than
/// a boolean operation, so bisection can afford many rounds.
fn area_below(shape: &MultiPolygon<f64>, axis: CutAxis, cut: f64) -> f64 {
    let mut clipped = Vec::new();
    let mut total = 0.0;
    for polygon in &shape.0 {
        total += clipped_ring_area(polygon.exterior(), axis, cut, &mut clipped);
        for hole in polygon.interiors() {
            total -= clipped_ring_area(hole, axis, cut, &mut clipped);
        }
    }
    total
}

/// Returns the unsigned area of `ring` inside the half-plane, using
/// `clipped` as scratch space.
fn clipped_ring_area(ring: &LineString<f64>, axis: CutAxis, cut: f64, clipped: &mut Vec<Coord<f64>>) -> f64 {
    let coords = &ring.0;
    let Some(origin) = coords.first().copied() else {
        return 0.0;
    };
    clipped.clear();
    let inside = |coord: Coord<f64>| axis.value_of(coord) <= cut;
    for pair in coords.windows(2) {
        let (start, end) = (pair[0], pair[1]);
        if inside(start) {
            clipped.push(start);
        }
        if inside(start) != inside(end) {
            let start_value = axis.value_of(start);
            let end_value = axis.value_of(end);
            let fraction = (cut - start_value) / (end_value - start_value);
            let crossing = match axis {
                CutAxis::Longitude => Coord { x: cut, y: start.y + fraction * (end.y - start.y) },
                CutAxis::Latitude => Coord { x: start.x + fraction * (end.x - start.x), y: cut },
            };
            clipped.push(crossing);
        }
    }
    // The shoelace formula, relative to the first vertex of the ring for
    // precision. The sign of the ring's full area tells its orientation.
    let shoelace = |points: &[Coord<f64>]| -> f64 {
        let count = points.len();
        let mut twice_area = 0.0;
        for index in 0..count {
            let a = points[index] - origin;
            let b = points[(index + 1) % count] - origin;
            twice_area += a.x * b.y - b.x * a.y;
        }
        twice_area / 2.0
    };
    let orientation = shoelace(coords).signum();
    shoelace(clipped) * orientation
}

/// Returns a point strictly inside `geometry`, or `None` when the geometry
/// has no interior (it is empty or has no area).
///
/// It uses geo's `InteriorPoint` on the whole geometry, and if that point is
/// on a boundary (possible for odd shapes), it tries each polygon from the
/// largest to the smallest.
pub fn representative_point(geometry: &MultiPolygon<f64>) -> Option<Point<f64>> {
    if let Some(point) = geometry.interior_point()
        && geometry.contains(&point)
    {
        return Some(point);
    }
    let mut polygons: Vec<&Polygon<f64>> = geometry.0.iter().collect();
    polygons.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
    polygons.into_iter().filter_map(|polygon| polygon.interior_point()).find(|point| geometry.contains(point))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo::geojson::parse_features;
    use crate::domain::geo::routing::GridIndex;
    use geo::Intersects;
    use rstar::RTree;
    use rstar::primitives::{GeomWithData, Rectangle};
    use std::collections::BTreeMap;

    const COUNTY_CODE: &str = "511824";

    fn shimian_outline() -> MultiPolygon<f64> {
        let text = include_str!("../../data/geo/yaan-counties.geojson");
        let features = parse_features(text).unwrap_or_else(|error| panic!("{error}"));
        let county =
            features.into_iter().find(|feature| feature.properties.get("code").and_then(|code| code.as_str()) == Some(COUNTY_CODE));
        match county {
            Some(feature) => feature.geometry,
            None => panic!("county {COUNTY_CODE} is not in yaan-counties.geojson"),
        }
    }

    /// Reads the townships of the county and their villages, in file order.
    fn shimian_townships() -> Vec<(String, Vec<String>)> {
        let text = include_str!("../../data/regions/shimian-511824.csv");
        let rows: Vec<Vec<&str>> = text
            .lines()
            .skip(1)
            .map(|line| line.trim_end_matches('\r').split(',').collect())
            .filter(|fields: &Vec<&str>| fields.len() == 4)
            .collect();
        let mut townships: Vec<(String, Vec<String>)> = rows
            .iter()
            .filter(|fields| fields[3] == "township" && fields[2] == COUNTY_CODE)
            .map(|fields| (fields[0].to_string(), Vec::new()))
            .collect();
        for fields in rows.iter().filter(|fields| fields[3] == "village") {
            if let Some((_, villages)) = townships.iter_mut().find(|(code, _)| code == fields[2]) {
                villages.push(fields[0].to_string());
            }
        }
        townships
    }

    #[test]
    fn shimian_tiling_partitions_the_county() {
        let outline = shimian_outline();
        let townships = shimian_townships();
        assert_eq!(townships.len(), 12, "the CSV lists 12 townships");
        let village_count: usize = townships.iter().map(|(_, villages)| villages.len()).sum();
        assert!(village_count >= 50, "the CSV lists {village_count} villages");

        for grids_per_village in [1usize, 3] {
            let grids = tile_county(&outline, &townships, grids_per_village);
            let county_area = outline.unsigned_area();

            // The areas add up to the county's area.
            let grid_area_sum: f64 = grids.iter().map(|grid| grid.geometry.unsigned_area()).sum();
            let relative_error = (grid_area_sum - county_area).abs() / county_area;
            assert!(relative_error < 1e-6, "relative area error {relative_error:e}");

            // No two grids overlap: candidate pairs come from an R-tree of
            // the grids' bounding boxes.
            let entries: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = grids
                .iter()
                .enumerate()
                .filter_map(|(position, grid)| {
                    let bounds = grid.geometry.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([bounds.min().x, bounds.min().y], [bounds.max().x, bounds.max().y]),
                        position,
                    ))
                })
                .collect();
            let tree = RTree::bulk_load(entries);
            let mut overlap_total = 0.0;
            let mut largest_overlap: f64 = 0.0;
            let mut pair_count = 0usize;
            for (first, second) in tree.intersection_candidates_with_other_tree(&tree) {
                if first.data >= second.data {
                    continue;
                }
                pair_count += 1;
                let overlap = grids[first.data].geometry.intersection(&grids[second.data].geometry).unsigned_area();
                assert!(
                    overlap <= county_area * 1e-9,
                    "grids {} and {} overlap by {overlap:e} square degrees",
                    grids[first.data].id,
                    grids[second.data].id
                );
                overlap_total += overlap;
                largest_overlap = largest_overlap.max(overlap);
            }

            // Every village has at least one grid with positive area, the
            // ids are numbered from 01, and the ids are unique.
            let mut grids_by_village: BTreeMap<&str, Vec<&GridShape>> = BTreeMap::new();
            for grid in &grids {
                grids_by_village.entry(grid.region_code.as_str()).or_default().push(grid);
            }
            for (_, villages) in &townships {
                for village in villages {
                    let village_grids = grids_by_village.get(village.as_str()).cloned().unwrap_or_default();
                    assert!(!village_grids.is_empty(), "village {village} has no grid");
                    assert!(village_grids.len() <= grids_per_village);
                    for (position, grid) in village_grids.iter().enumerate() {
                        assert!(grid.geometry.unsigned_area() > 0.0, "grid {} is empty", grid.id);
                        assert_eq!(grid.id, format!("{village}-{:02}", position + 1));
                    }
                }
            }
            let mut ids: Vec<&str> = grids.iter().map(|grid| grid.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), grids.len(), "grid ids are unique");

            // Points on a lattice inside the county each lie in exactly one
            // grid's interior and are located to a grid that contains them.
            let index = GridIndex::build(grids.clone());
            let bounds = match outline.bounding_rect() {
                Some(bounds) => bounds,
                None => panic!("the county outline is empty"),
            };
            let steps = 60;
            let mut sampled = 0usize;
            for column in 0..steps {
                for row in 0..steps {
                    let lng = bounds.min().x + bounds.width() * (f64::from(column) + 0.5) / f64::from(steps);
                    let lat = bounds.min().y + bounds.height() * (f64::from(row) + 0.5) / f64::from(steps);
                    let point = Point::new(lng, lat);
                    if !outline.contains(&point) {
                        continue;
                    }
                    sampled += 1;
                    let located = index.locate(lng, lat);
                    let Some(found) = located else {
                        panic!("point ({lng}, {lat}) inside the county is in no grid");
                    };
                    assert!(found.geometry.intersects(&point));
                    let containing = grids.iter().filter(|grid| grid.geometry.contains(&point)).count();
                    assert!(containing <= 1, "point ({lng}, {lat}) is inside {containing} grids");
                }
            }
            assert!(sampled >= 2_000, "only {sampled} lattice points fell inside the county");

            // The same input gives the same output.
            assert_eq!(tile_county(&outline, &townships, grids_per_village), grids);

            println!(
                "grids_per_village {grids_per_village}: {} grids, area relative error {relative_error:e}, \
                 {pair_count} candidate pairs, total overlap {overlap_total:e} and largest overlap \
                 {largest_overlap:e} of county area {county_area}, {sampled} points located",
                grids.len()
            );
        }
    }

    #[test]
    fn small_cases() {
        let square = MultiPolygon::new(vec![Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 4.0, y: 4.0 }).to_polygon()]);
        let townships = vec![
            ("t1".to_string(), vec!["v1".to_string(), "v2".to_string(), "v3".to_string()]),
            ("t-empty".to_string(), vec![]),
            ("t2".to_string(), vec!["v4".to_string()]),
        ];
        let grids = tile_county(&square, &townships, 2);
        let ids: Vec<&str> = grids.iter().map(|grid| grid.id.as_str()).collect();
        assert_eq!(ids, ["v1-01", "v1-02", "v2-01", "v2-02", "v3-01", "v3-02", "v4-01", "v4-02"]);
        // Township t1 has 3 of the 4 villages, so its strip is x in [0, 3];
        // each village band is then 3 by 4/3 and each grid half of that.
        // geo's boolean operations snap coordinates to a 32-bit integer
        // lattice over the bounding box, so areas are exact only to about
        // 1e-9 relative error.
        for grid in &grids {
            assert!((grid.geometry.unsigned_area() - 2.0).abs() < 2.0 * 1e-7, "grid {} area {}", grid.id, grid.geometry.unsigned_area());
        }
        let empty_outline = MultiPolygon::new(vec![]);
        assert!(tile_county(&empty_outline, &townships, 2).is_empty());
        // A count of 0 grids per village still gives each village one grid.
        assert_eq!(tile_county(&square, &townships, 0).len(), 4);
    }

    #[test]
    fn area_below_handles_non_convex_rings_and_holes() {
        // A U shape: the square [0,3]x[0,3] without [1,2]x[1,3], with a hole
        // [0.25,0.75]x[0.25,0.75].
        let u_shape = Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (3.0, 0.0),
                (3.0, 3.0),
                (2.0, 3.0),
                (2.0, 1.0),
                (1.0, 1.0),
                (1.0, 3.0),
                (0.0, 3.0),
                (0.0, 0.0),
            ]),
            vec![LineString::from(vec![(0.25, 0.25), (0.25, 0.75), (0.75, 0.75), (0.75, 0.25), (0.25, 0.25)])],
        );
        let shape = MultiPolygon::new(vec![u_shape]);
        // Each case is (axis, cut, expected area below the cut).
        let cases = [
            (CutAxis::Latitude, 2.0, 5.0 - 0.25),
            (CutAxis::Latitude, 0.5, 1.5 - 0.125),
            (CutAxis::Longitude, 1.5, 3.0 + 0.5 - 0.25),
            (CutAxis::Longitude, 3.0, 7.0 - 0.25),
            (CutAxis::Longitude, -1.0, 0.0),
        ];
        for (axis, cut, expected) in cases {
            let area = area_below(&shape, axis, cut);
            assert!((area - expected).abs() < 1e-12, "{axis:?} {cut}: {area} != {expected}");
            let rect = slab_rect(Rect::new(Coord { x: -10.0, y: -10.0 }, Coord { x: 10.0, y: 10.0 }), axis, -10.0, cut);
            let by_boolean_op = shape.intersection(&MultiPolygon::new(vec![rect.to_polygon()])).unsigned_area();
            assert!((by_boolean_op - expected).abs() < 1e-9, "{axis:?} {cut}: boolean op gives {by_boolean_op}");
        }
    }

    #[test]
    fn representative_point_is_strictly_inside() {
        let u_shape = MultiPolygon::new(vec![Polygon::new(
            LineString::from(vec![
                (0.0, 0.0),
                (3.0, 0.0),
                (3.0, 3.0),
                (2.0, 3.0),
                (2.0, 1.0),
                (1.0, 1.0),
                (1.0, 3.0),
                (0.0, 3.0),
                (0.0, 0.0),
            ]),
            vec![],
        )]);
        let cases = [("U shape", u_shape, true), ("county", shimian_outline(), true), ("empty", MultiPolygon::new(vec![]), false)];
        for (description, geometry, expect_point) in cases {
            match representative_point(&geometry) {
                Some(point) => {
                    assert!(expect_point, "{description}: expected no point");
                    assert!(geometry.contains(&point), "{description}: {point:?} is not strictly inside");
                }
                None => assert!(!expect_point, "{description}: expected a point"),
            }
        }
        for grid in tile_county(&shimian_outline(), &shimian_townships(), 2) {
            let point = representative_point(&grid.geometry);
            assert!(point.is_some_and(|point| grid.geometry.contains(&point)), "grid {} has no interior point", grid.id);
        }
    }
}
