//! The public board of resolved appeals: by village and category, newest first, paged,
//! and without personal data (no resident text, no contact, the reply cleaned).

mod common;

use common::{County, TestDb, county};
use minqing::domain::appeal::{Channel, Triage};
use minqing::domain::contact::Contact;
use minqing::domain::workflow::{Actor, Command};
use minqing::service::actions::act;
use minqing::service::board::page;
use minqing::service::intake::{NewAppeal, submit};

fn appeal(text: &str, lng: f64, lat: f64, category: &str) -> NewAppeal {
    NewAppeal {
        text: text.to_string(),
        point: Some((lng, lat)),
        region_code: None,
        address: None,
        channel: Channel::Web,
        contact: Contact::parse(Some("王秀英"), Some("13812345678")).expect("contact"),
        category_code: Some(category.to_string()),
        meeting_id: None,
        // A village matter whatever the classifier would say, so the village owns it.
        judgement: Some(minqing::service::intake::StaffJudgement {
            urgent: Some(false),
            triage: Some(minqing::domain::appeal::Triage::Small),
            tier: Some(minqing::domain::appeal::Tier::Blue),
        }),
    }
}

async fn run(county: &County, number: &str, who: &str, command: Command) {
    let actor = Actor::Staff(county.staff(who).await);
    act(&county.hub, number, &actor, command.clone()).await.unwrap_or_else(|error| panic!("{who} {}: {error}", command.name()));
}

/// Takes an appeal in a village through to resolution by the village organisation.
async fn resolve(
    county: &County,
    village_user: &str,
    village_unit: i64,
    text: &str,
    lng: f64,
    lat: f64,
    category: &str,
    reply: &str,
) -> String {
    let number = submit(&county.hub, appeal(text, lng, lat, category), None).await.expect("submit").appeal.number;
    run(county, &number, village_user, Command::Accept { note: None }).await;
    run(county, &number, village_user, Command::Dispatch { lead_unit_id: village_unit, co_unit_ids: vec![], note: None }).await;
    run(county, &number, village_user, Command::SignFor).await;
    county.hub.clock.advance(jiff::SignedDuration::from_hours(30));
    run(county, &number, village_user, Command::Resolve { reply: reply.into() }).await;
    number
}

#[tokio::test]
async fn the_board_shows_resolved_appeals_without_personal_data() {
    for test_db in TestDb::all().await {
        let county = county(test_db.db.clone()).await;
        let hub = &county.hub;
        // 晏如村 (回隆镇): a road lamp, resolved; a reply that names and numbers the resident.
        resolve(
            &county,
            "yanru",
            county.yanru,
            "晏如村三组王秀英家门口路灯坏了，我电话13812345678",
            102.05,
            29.05,
            "0201",
            "王女士您好，路灯已更换，如再有问题请拨13812345678。",
        )
        .await;
        // 方元村 (美罗镇): water, resolved.
        resolve(&county, "fangyuan", county.fangyuan, "方元村自来水浑浊", 102.05, 29.15, "0203", "已清洗蓄水池，水质已恢复。").await;
        // A private matter, resolved: not on the board.
        let private = submit(hub, appeal("邻居欠我钱不还", 102.05, 29.05, "1001"), None).await.expect("submit").appeal.number;
        run(
            &county,
            &private,
            "yanru",
            Command::Reclassify { category_code: None, triage: Some(Triage::Private), tier: None, reason: "私事".into() },
        )
        .await;
        // An open appeal: not on the board.
        submit(hub, appeal("晏如村的桥有裂缝", 102.05, 29.05, "0202"), None).await.expect("submit");

        let all = page(hub, None, None, None, 20).await.expect("board");
        assert_eq!(all.items.len(), 2, "{:?}", all.items);
        let water = &all.items[0];
        assert_eq!(water.village_name, "方元村");
        assert_eq!(water.township_name.as_deref(), Some("美罗镇"));
        assert_eq!(water.days_to_resolve, 2);
        let lamp = &all.items[1];
        assert_eq!(lamp.village_name, "晏如村");
        assert_eq!(lamp.reply.as_deref(), Some("***女士您好，路灯已更换，如再有问题请拨***。"));
        let published = serde_json::to_string(&all).expect("json");
        for secret in ["王秀英", "13812345678", "三组", "门口", "欠我钱"] {
            assert!(!published.contains(secret), "the board shows `{secret}`: {published}");
        }

        // By township, by village, by category (a parent code takes its children).
        assert_eq!(page(hub, Some("511824102".into()), None, None, 20).await.expect("board").items.len(), 1);
        assert_eq!(page(hub, Some("511824101203".into()), None, None, 20).await.expect("board").items[0].village_name, "晏如村");
        let utilities = page(hub, None, Some("02".into()), None, 20).await.expect("board");
        assert_eq!(utilities.items.len(), 2, "a parent code takes its children");
        let water = page(hub, None, Some("0203".into()), None, 20).await.expect("board");
        assert_eq!(water.items.len(), 1);
        assert_eq!(water.items[0].category_name.as_deref(), Some("供水"));

        // Paging by cursor visits each once.
        let first = page(hub, None, None, None, 1).await.expect("board");
        let cursor = first.next_cursor.as_deref().expect("more").split_once('.').map(|(a, b)| (a.parse().unwrap(), b.parse().unwrap()));
        let second = page(hub, None, None, cursor, 1).await.expect("board");
        assert_eq!(second.items[0].village_name, "晏如村");
        assert!(second.next_cursor.is_none());
        test_db.cleanup().await;
    }
}
