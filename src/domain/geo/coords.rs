//! Conversions between the coordinate systems used by Chinese map services.
//!
//! WGS84 is what GPS receivers report and what the rest of Minqing stores.
//! GCJ-02 (used by Amap/Gaode, Tencent and Google China) is WGS84 with a
//! published obfuscating offset. BD-09 (used by Baidu) is GCJ-02 with a
//! further offset. The formulas here are the standard published ones (the
//! same as the widely used `coordtransform` and `eviltransform` libraries).
//! Outside mainland China, GCJ-02 equals WGS84, so points outside the
//! rough China bounding box are returned unchanged.
//!
//! All functions take and return `(longitude, latitude)` in degrees.

use std::f64::consts::PI;

/// The semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02.
const KRASOVSKY_SEMI_MAJOR_AXIS: f64 = 6_378_245.0;
/// The eccentricity squared of the Krasovsky 1940 ellipsoid.
const KRASOVSKY_ECCENTRICITY_SQUARED: f64 = 0.006_693_421_622_965_943;
/// The constant used by the BD-09 offset.
const BAIDU_X_PI: f64 = PI * 3000.0 / 180.0;

/// Returns true when the point is outside the rough bounding box of China
/// that the published formulas use, where no offset is applied.
pub fn is_outside_china(lng: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lng) || !(0.8293..=55.8271).contains(&lat)
}

fn latitude_offset(x: f64, y: f64) -> f64 {
    let mut offset = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    offset += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    offset += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    offset += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    offset
}

fn longitude_offset(x: f64, y: f64) -> f64 {
    let mut offset = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    offset += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    offset += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    offset += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    offset
}

/// Converts WGS84 to GCJ-02. Points outside China and non-finite input are
/// returned unchanged.
pub fn wgs84_to_gcj02(lng: f64, lat: f64) -> (f64, f64) {
    if !lng.is_finite() || !lat.is_finite() || is_outside_china(lng, lat) {
        return (lng, lat);
    }
    let mut delta_lat = latitude_offset(lng - 105.0, lat - 35.0);
    let mut delta_lng = longitude_offset(lng - 105.0, lat - 35.0);
    let radian_lat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_ECCENTRICITY_SQUARED * radian_lat.sin() * radian_lat.sin();
    let sqrt_magic = magic.sqrt();
    delta_lat = (delta_lat * 180.0) / ((KRASOVSKY_SEMI_MAJOR_AXIS * (1.0 - KRASOVSKY_ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * PI);
    delta_lng = (delta_lng * 180.0) / (KRASOVSKY_SEMI_MAJOR_AXIS / sqrt_magic * radian_lat.cos() * PI);
    (lng + delta_lng, lat + delta_lat)
}

/// Converts GCJ-02 to WGS84. Points outside China and non-finite input are
/// returned unchanged.
///
/// The published one-step inverse (`2 * gcj - wgs84_to_gcj02(gcj)`) is off
/// by up to about a metre, so this function refines it by fixed-point
/// iteration until `wgs84_to_gcj02` of the result matches the input to
/// about 1e-10 degrees (at most 10 rounds; it converges in 3 or 4).
pub fn gcj02_to_wgs84(lng: f64, lat: f64) -> (f64, f64) {
    if !lng.is_finite() || !lat.is_finite() || is_outside_china(lng, lat) {
        return (lng, lat);
    }
    let (mut wgs_lng, mut wgs_lat) = (lng, lat);
    for _ in 0..10 {
        let (forward_lng, forward_lat) = wgs84_to_gcj02(wgs_lng, wgs_lat);
        let (error_lng, error_lat) = (forward_lng - lng, forward_lat - lat);
        wgs_lng -= error_lng;
        wgs_lat -= error_lat;
        if error_lng.abs() < 1e-10 && error_lat.abs() < 1e-10 {
            break;
        }
    }
    (wgs_lng, wgs_lat)
}

/// Converts GCJ-02 to BD-09. Non-finite input is returned unchanged.
pub fn gcj02_to_bd09(lng: f64, lat: f64) -> (f64, f64) {
    if !lng.is_finite() || !lat.is_finite() || is_outside_china(lng, lat) {
        return (lng, lat);
    }
    let radius = (lng * lng + lat * lat).sqrt() + 0.00002 * (lat * BAIDU_X_PI).sin();
    let angle = lat.atan2(lng) + 0.000003 * (lng * BAIDU_X_PI).cos();
    (radius * angle.cos() + 0.0065, radius * angle.sin() + 0.006)
}

/// Converts BD-09 to GCJ-02 (the published approximate inverse).
pub fn bd09_to_gcj02(lng: f64, lat: f64) -> (f64, f64) {
    if !lng.is_finite() || !lat.is_finite() || is_outside_china(lng, lat) {
        return (lng, lat);
    }
    let x = lng - 0.0065;
    let y = lat - 0.006;
    let radius = (x * x + y * y).sqrt() - 0.00002 * (y * BAIDU_X_PI).sin();
    let angle = y.atan2(x) - 0.000003 * (x * BAIDU_X_PI).cos();
    (radius * angle.cos(), radius * angle.sin())
}

/// Converts WGS84 to BD-09.
pub fn wgs84_to_bd09(lng: f64, lat: f64) -> (f64, f64) {
    let (gcj_lng, gcj_lat) = wgs84_to_gcj02(lng, lat);
    gcj02_to_bd09(gcj_lng, gcj_lat)
}

/// Converts BD-09 to WGS84. Points outside China and non-finite input are
/// returned unchanged.
pub fn bd09_to_wgs84(lng: f64, lat: f64) -> (f64, f64) {
    let (gcj_lng, gcj_lat) = bd09_to_gcj02(lng, lat);
    gcj02_to_wgs84(gcj_lng, gcj_lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that two coordinate pairs agree within `tolerance` degrees.
    fn assert_close(description: &str, actual: (f64, f64), expected: (f64, f64), tolerance: f64) {
        let lng_error = (actual.0 - expected.0).abs();
        let lat_error = (actual.1 - expected.1).abs();
        assert!(
            lng_error <= tolerance && lat_error <= tolerance,
            "{description}: got {actual:?}, expected {expected:?} (tolerance {tolerance})"
        );
    }

    /// A conversion function taking and returning `(longitude, latitude)`.
    type Conversion = fn(f64, f64) -> (f64, f64);

    #[test]
    fn published_reference_vectors() {
        // The reference vectors published with the coordtransform libraries,
        // for the input (116.404, 39.915) near Tiananmen, Beijing.
        let cases: &[(&str, Conversion, (f64, f64), f64)] = &[
            ("wgs84_to_gcj02", wgs84_to_gcj02, (116.41024449916938, 39.91640428150164), 1e-12),
            ("gcj02_to_bd09", gcj02_to_bd09, (116.41036949371029, 39.92133699351021), 1e-12),
            ("bd09_to_gcj02", bd09_to_gcj02, (116.39762729119315, 39.90865673957631), 1e-12),
            ("wgs84_to_bd09", wgs84_to_bd09, (116.41662724378733, 39.922699552216216), 1e-12),
            // The published one-step inverse gives this value; the iterative
            // inverse differs from it by well under 1e-5 degrees.
            ("gcj02_to_wgs84", gcj02_to_wgs84, (116.39775550083061, 39.91359571849836), 1e-5),
        ];
        for (name, convert, expected, tolerance) in cases {
            assert_close(name, convert(116.404, 39.915), *expected, *tolerance);
        }
    }

    #[test]
    fn known_pair_converts_back() {
        let wgs = (116.404, 39.915);
        let gcj = (116.41024449916938, 39.91640428150164);
        assert_close("gcj02_to_wgs84 of the known pair", gcj02_to_wgs84(gcj.0, gcj.1), wgs, 1e-9);
        let bd = (116.41662724378733, 39.922699552216216);
        assert_close("bd09_to_wgs84 of the known pair", bd09_to_wgs84(bd.0, bd.1), wgs, 1e-5);
    }

    #[test]
    fn round_trips_inside_china() {
        // Points across China, including 石棉县 in Sichuan.
        let points = [(102.36, 29.23), (116.404, 39.915), (121.4998, 31.2397), (87.6, 43.8), (126.6, 45.75), (110.3, 20.0), (91.1, 29.65)];
        for (lng, lat) in points {
            let (gcj_lng, gcj_lat) = wgs84_to_gcj02(lng, lat);
            assert!((gcj_lng - lng).abs() > 1e-4 || (gcj_lat - lat).abs() > 1e-4, "an offset is applied at ({lng}, {lat})");
            assert_close("wgs84 -> gcj02 -> wgs84", gcj02_to_wgs84(gcj_lng, gcj_lat), (lng, lat), 1e-5);
            let (bd_lng, bd_lat) = wgs84_to_bd09(lng, lat);
            assert_close("wgs84 -> bd09 -> wgs84", bd09_to_wgs84(bd_lng, bd_lat), (lng, lat), 1e-5);
        }
    }

    #[test]
    fn outside_china_and_non_finite_are_unchanged() {
        let points = [(-0.1276, 51.5072), (139.69, 35.69), (151.2, -33.87), (2.35, 48.85)];
        for (lng, lat) in points {
            assert_eq!(wgs84_to_gcj02(lng, lat), (lng, lat));
            assert_eq!(gcj02_to_wgs84(lng, lat), (lng, lat));
            assert_eq!(bd09_to_wgs84(lng, lat), (lng, lat));
        }
        let (nan_lng, nan_lat) = gcj02_to_wgs84(f64::NAN, 30.0);
        assert!(nan_lng.is_nan() && nan_lat == 30.0);
        assert_eq!(bd09_to_wgs84(f64::INFINITY, 30.0).1, 30.0);
    }
}
