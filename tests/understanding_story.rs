//! Reading appeals on SQLite and PostgreSQL: classification at intake, rules, training
//! from confirmed appeals, duplicate suggestions, scoped search, hot spots and 每月一题.

mod common;

use common::{County, TestDb, county};
use minqing::domain::appeal::{Channel, Tier};
use minqing::domain::classify::rules::ClassifierRule;
use minqing::domain::contact::Contact;
use minqing::domain::workflow::{Actor, Command};
use minqing::service::actions::act;
use minqing::service::intake::{NewAppeal, submit};
use minqing::service::understanding;

fn appeal_at(text: &str, lng: f64, lat: f64) -> NewAppeal {
    NewAppeal {
        text: text.to_string(),
        point: Some((lng, lat)),
        region_code: None,
        address: Some("石棉县测试地址".to_string()),
        channel: Channel::Hotline,
        contact: Contact::parse(Some("王大爷"), Some("13812345678")).expect("contact"),
        category_code: None,
        meeting_id: None,
        judgement: None,
    }
}

async fn submit_at(county: &County, text: &str, lng: f64, lat: f64) -> String {
    submit(&county.hub, appeal_at(text, lng, lat), None).await.expect("submit").appeal.number
}

#[tokio::test]
async fn reading_appeals_on_every_database() {
    for test_db in TestDb::all().await {
        let label = test_db.label;
        let county = county(test_db.db.clone()).await;
        classification_at_intake(&county, label).await;
        rules_are_seeded_and_editable(&county, label).await;
        duplicates_are_suggested_with_reasons(&county, label).await;
        search_is_scoped(&county, label).await;
        hot_spots_and_monthly_topics(&county, label).await;
        training_from_confirmed_appeals(&county, label).await;
        test_db.cleanup().await;
    }
}

async fn classification_at_intake(county: &County, label: &str) {
    let hub = &county.hub;
    let gas = submit(hub, appeal_at("晏如村有人家里燃气泄漏，味道很大", 102.05, 29.05), None).await.unwrap().appeal;
    assert!(gas.urgent, "{label}");
    assert_eq!(gas.tier, Tier::Red, "{label}");
    assert_eq!(gas.category_code.as_deref(), Some("0206"), "{label}: {:?}", gas.triage_reasons);
    assert!(gas.triage_reasons.iter().any(|reason| reason.contains("燃气泄漏")), "{label}: {:?}", gas.triage_reasons);
    let lamp = submit(hub, appeal_at("晏如村村口的路灯坏了一个月，晚上出行不便", 102.05, 29.05), None).await.unwrap().appeal;
    assert_eq!(lamp.category_code.as_deref(), Some("0201"), "{label}: {:?}", lamp.triage_reasons);
    assert!(!lamp.urgent, "{label}");
    assert!(lamp.triage_reasons[0].starts_with("建议分类 0201"), "{label}: {:?}", lamp.triage_reasons);
    let vague = submit(hub, appeal_at("你好", 102.05, 29.05), None).await.unwrap().appeal;
    assert!(vague.needs_triage, "{label}: a text that says nothing goes to a person: {:?}", vague.triage_reasons);
}

async fn rules_are_seeded_and_editable(county: &County, label: &str) {
    let hub = &county.hub;
    let rules = hub.db.classifier_rules().await.unwrap();
    assert!(rules.iter().any(|rule| rule.name == "燃气泄漏" && rule.urgent), "{label}");
    let admin_free = county.staff("dispatcher").await;
    let rule = ClassifierRule {
        id: 0,
        name: "养蜂".into(),
        category_code: Some("0702".into()),
        all_of: vec!["蜜蜂".into()],
        any_of: Vec::new(),
        none_of: Vec::new(),
        urgent: false,
        weight: 10.0,
        active: true,
    };
    assert!(understanding::create_rule(hub, &admin_free, rule.clone()).await.is_err(), "{label}: only administrators edit rules");
    let id = hub.db.insert_classifier_rule(&rule, 0).await.unwrap();
    understanding::reload_rules(hub).await.unwrap();
    let bees = submit_at(county, "隔壁养的蜜蜂老是飞到我家院子里", 102.05, 29.05).await;
    let bees = hub.db.appeal_by_number(&bees).await.unwrap().unwrap();
    assert_eq!(bees.category_code.as_deref(), Some("0702"), "{label}: {:?}", bees.triage_reasons);
    assert!(bees.triage_reasons.iter().any(|reason| reason.contains("养蜂")), "{label}");
    hub.db.delete_classifier_rule(id).await.unwrap();
    understanding::reload_rules(hub).await.unwrap();
    // Seeding happens once: reloading the hub does not bring deleted rules back.
    let before = hub.db.classifier_rules().await.unwrap().len();
    assert!(!hub.db.seed_classifier_rules_once(&[rule], 0).await.unwrap(), "{label}");
    assert_eq!(hub.db.classifier_rules().await.unwrap().len(), before, "{label}");
}

async fn duplicates_are_suggested_with_reasons(county: &County, label: &str) {
    let hub = &county.hub;
    let first = submit_at(county, "福龙村五组房子后面的排洪沟被垃圾和树枝堵了一大半，汛期马上就来了", 102.15, 29.05).await;
    let elsewhere = submit_at(county, "方元村的排洪沟被垃圾和树枝堵了一大半，汛期马上就来了", 102.05, 29.15).await;
    let second = submit_at(county, "福龙村五组群众说，那条排洪沟里全是杂草和淤泥，今年汛期前一定要清出来", 102.16, 29.06).await;
    let dispatcher = county.staff("dispatcher").await;
    let found = understanding::duplicate_suggestions(hub, &second, &dispatcher).await.unwrap();
    let numbers: Vec<&str> = found.iter().map(|suggestion| suggestion.number.as_str()).collect();
    assert!(numbers.contains(&first.as_str()), "{label}: {found:?}");
    assert!(!numbers.contains(&elsewhere.as_str()), "{label}: another village is another problem");
    let reasons = &found.iter().find(|suggestion| suggestion.number == first).unwrap().reasons;
    assert!(
        reasons.iter().any(|reason| reason.contains("网格")) && reasons.iter().any(|reason| reason.contains("相似度")),
        "{label}: {reasons:?}"
    );
    // Out of scope is not found, as everywhere else.
    let other_township = county.staff("meiluo").await;
    assert!(understanding::duplicate_suggestions(hub, &second, &other_township).await.is_err(), "{label}");
}

async fn search_is_scoped(county: &County, label: &str) {
    let hub = &county.hub;
    let yanru_only = submit_at(county, "晏如村文化广场的篮球架倒了", 102.05, 29.05).await;
    let fangyuan_only = submit_at(county, "方元村文化广场的篮球架坏了", 102.05, 29.15).await;
    let centre = county.staff("dispatcher").await;
    let found: Vec<String> =
        understanding::search(hub, &centre, "篮球架", 20).await.unwrap().into_iter().map(|appeal| appeal.number).collect();
    assert!(found.contains(&yanru_only) && found.contains(&fangyuan_only), "{label}: {found:?}");
    let huilong = county.staff("huilong").await;
    let found: Vec<String> =
        understanding::search(hub, &huilong, "篮球架", 20).await.unwrap().into_iter().map(|appeal| appeal.number).collect();
    assert_eq!(found, vec![yanru_only.clone()], "{label}: 回隆镇 sees only its own township");
    let by_number: Vec<String> =
        understanding::search(hub, &centre, &yanru_only, 20).await.unwrap().into_iter().map(|appeal| appeal.number).collect();
    assert_eq!(by_number, vec![yanru_only.clone()], "{label}");
    // An action appends an event; the index catches up from the event log without a restart.
    let water = county.staff("water").await;
    assert!(understanding::search(hub, &water, "篮球架", 20).await.unwrap().is_empty(), "{label}: a department sees only what it handles");
    let accept = act(hub, &yanru_only, &Actor::Staff(county.staff("yanru").await), Command::Accept { note: None }).await;
    if accept.is_ok() {
        let dispatched = act(
            hub,
            &yanru_only,
            &Actor::Staff(county.staff("yanru").await),
            Command::Dispatch { lead_unit_id: county.water, co_unit_ids: Vec::new(), note: None },
        )
        .await;
        if dispatched.is_ok() {
            let found: Vec<String> =
                understanding::search(hub, &water, "篮球架", 20).await.unwrap().into_iter().map(|appeal| appeal.number).collect();
            assert_eq!(found, vec![yanru_only.clone()], "{label}: once dispatched, the department finds it");
        }
    }
    assert!(understanding::search(hub, &centre, "   ", 20).await.is_err(), "{label}: an empty query is refused");
}

async fn hot_spots_and_monthly_topics(county: &County, label: &str) {
    let hub = &county.hub;
    for text in [
        "方元村二组楼下烧烤摊晚上噪音太大",
        "方元村三组的歌厅噪音扰民到半夜",
        "方元村广场舞音响太吵，噪音很大",
        "方元村半夜有人装修噪音扰民",
    ] {
        let number = submit_at(county, text, 102.05, 29.15).await;
        let appeal = hub.db.appeal_by_number(&number).await.unwrap().unwrap();
        assert_eq!(appeal.category_code.as_deref(), Some("0301"), "{label}: {text}: {:?}", appeal.triage_reasons);
    }
    let warnings = understanding::scan_hotspots(hub).await.unwrap();
    let noise = warnings.iter().find(|warning| warning.category_code == "0301").unwrap_or_else(|| panic!("{label}: {warnings:?}"));
    assert_eq!(noise.place_kind, "grid", "{label}");
    assert_eq!(noise.appeal_count, 4, "{label}");
    assert_eq!(noise.unit_id, Some(county.fangyuan), "{label}: raised to the village organisation");
    assert!(noise.reasons[0].contains("4 件"), "{label}: {:?}", noise.reasons);
    assert_eq!(noise.appeal_numbers.len(), 4, "{label}");
    assert!(
        understanding::scan_hotspots(hub).await.unwrap().iter().all(|warning| warning.category_code != "0301"),
        "{label}: warned once per window"
    );
    let fangyuan = county.staff("fangyuan").await;
    let seen = understanding::warnings_for(hub, &fangyuan, Some("open"), 50).await.unwrap();
    assert!(seen.iter().any(|warning| warning.id == noise.id), "{label}");
    let huilong = county.staff("huilong").await;
    assert!(understanding::warnings_for(hub, &huilong, None, 50).await.unwrap().iter().all(|warning| warning.id != noise.id), "{label}");
    assert!(understanding::acknowledge_warning(hub, &huilong, noise.id).await.is_err(), "{label}");
    assert_eq!(understanding::acknowledge_warning(hub, &fangyuan, noise.id).await.unwrap().status, "acknowledged", "{label}");

    let now = hub.clock.now_ms();
    let leader = county.staff("leader").await;
    let topics = understanding::monthly_topics(hub, &leader, now - 86_400_000, now + 1, 3).await.unwrap();
    let meiluo = topics.iter().find(|township| township.region_code == "511824102").unwrap_or_else(|| panic!("{label}: {topics:?}"));
    assert_eq!(meiluo.candidates[0].candidate.category_code, "0301", "{label}: {topics:?}");
    assert_eq!(meiluo.candidates[0].candidate.appeals, 4, "{label}");
    assert_eq!(meiluo.region_name.as_deref(), Some("美罗镇"), "{label}");
}

async fn training_from_confirmed_appeals(county: &County, label: &str) {
    let hub = &county.hub;
    // Only dispatched appeals count as confirmed; in this story one or none were.
    let examples = hub.db.confirmed_examples().await.unwrap();
    assert!(examples.iter().all(|example| !example.category_code.is_empty()), "{label}");
    let corpus = minqing::domain::classify::corpus::parse_jsonl(minqing::domain::classify::corpus::SHIPPED_CORPUS).unwrap();
    let mut training: Vec<_> = corpus.iter().map(|appeal| appeal.to_example()).collect();
    training.extend(examples);
    let id = understanding::train_and_store(hub, &training, "test").await.unwrap();
    assert!(hub.understanding.model_source().contains(&format!("database model {id}")), "{label}");
    let stored = hub.db.latest_classifier_model().await.unwrap().unwrap();
    assert_eq!(stored.id, id, "{label}");
    // A new hub on the same database loads the stored model.
    let reloaded = minqing::service::Hub::new(hub.db.clone(), hub.config.clone(), hub.clock.clone()).await.unwrap();
    assert!(reloaded.understanding.model_source().contains(&format!("database model {id}")), "{label}");
    assert!(understanding::train_and_store(hub, &[], "nothing").await.is_err(), "{label}");
}
