//! The demo county: 石棉县 (511824) with generated grids, units, users and appeals.

pub mod grid_tiling;
pub mod programmes;
pub mod seed;
