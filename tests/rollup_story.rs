//! The dashboards' monthly rollup gives exactly what live aggregation gives, on both
//! databases, for every month of the demo county (appeals in every state: dispatched,
//! returned, resolved late and on time, rated, reopened).
//!
//! The dashboards switch to the rollup only for very large months (see
//! `service::rollups`), so this test compares the two paths directly: for each month,
//! the live summary and ranking of the whole county, and the same built from the rollup
//! as computed, stored and loaded back.

mod common;

use common::TestDb;
use minqing::domain::metrics::ScoreWeights;
use minqing::service::metrics::{month, ranking, scores_from_rollup, summary, summary_from_rollup};
use minqing::service::{Clock, Hub, HubConfig};

#[tokio::test]
async fn the_rollup_agrees_with_live_aggregation_month_by_month() {
    for test_db in TestDb::all().await {
        let now: jiff::Timestamp = "2026-11-20T10:00:00+08:00".parse().expect("time");
        let hub = Hub::new(test_db.db.clone(), HubConfig::default(), Clock::manual(now)).await.expect("hub");
        minqing::demo::seed::load_demo(&hub).await.expect("demo");
        let leader = hub.db.user_by_name("leader").await.expect("query").expect("leader").staff;
        let (first, _) = hub.db.received_span().await.expect("span").expect("appeals");
        let mut checked_months = 0;
        let mut label = month(None, now.as_millisecond()).expect("month").label;
        loop {
            let period = month(Some(&label), now.as_millisecond()).expect("month");
            let computed =
                hub.db.compute_month_rollup(&period.label, period.from_ms, period.to_ms, now.as_millisecond()).await.expect("rollup");
            hub.db.store_month_rollup(&computed).await.expect("store");
            let stored = hub.db.month_rollup(&period.label).await.expect("load").expect("stored");
            for weight in [1.0, 0.5] {
                let live = serde_json::to_value(summary(&hub, &leader, &period, weight).await.expect("summary")).expect("json");
                let rolled = serde_json::to_value(summary_from_rollup(&hub, &stored, &period, weight)).expect("json");
                assert_eq!(live, rolled, "{} summary, {} (weight {weight})", test_db.label, period.label);
                let live_units = serde_json::to_value(ranking(&hub, &leader, &period, weight).await.expect("ranking").units).expect("json");
                let rolled_scores = scores_from_rollup(&stored, &ScoreWeights::default(), weight);
                let live_scores: Vec<serde_json::Value> = live_units
                    .as_array()
                    .expect("array")
                    .iter()
                    .map(|line| {
                        let mut line = line.clone();
                        let object = line.as_object_mut().expect("object");
                        object.remove("unit_name");
                        object.remove("unit_kind");
                        line
                    })
                    .collect();
                assert_eq!(
                    serde_json::Value::Array(live_scores),
                    serde_json::to_value(&rolled_scores).expect("json"),
                    "{} ranking, {}",
                    test_db.label,
                    period.label
                );
            }
            if computed.received() > 0 {
                checked_months += 1;
            }
            if period.from_ms <= first {
                break;
            }
            let before = jiff::Timestamp::from_millisecond(period.from_ms - 1)
                .expect("instant")
                .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)))
                .date();
            label = format!("{:04}-{:02}", before.year(), before.month());
        }
        assert!(checked_months >= 1, "{}: the demo has appeals in at least one month", test_db.label);
        test_db.cleanup().await;
    }
}
