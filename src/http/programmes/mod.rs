//! The programmes' JSON API: the shared work-item endpoints (one lifecycle for every kind
//! of programme work), each programme's creation and views, points, and the dashboard.

pub mod points;
pub mod views;
pub mod work_items;
