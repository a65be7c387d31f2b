//! First-pass triage of a new appeal from its text: urgency, category, triage class, tier.
//!
//! These are transparent keyword rules, so that every suggestion can say which words
//! decided it. A statistical classifier can sit behind the same `TriageSuggestion`.

use super::appeal::{Tier, Triage};
use super::taxonomy::Category;

/// Words that mean danger to life or property now. Any of them starts the appeal red.
pub const URGENT_WORDS: &[&str] = &[
    "泄漏",
    "泄露",
    "漏气",
    "着火",
    "起火",
    "失火",
    "火灾",
    "冒烟",
    "爆炸",
    "塌方",
    "滑坡",
    "泥石流",
    "垮塌",
    "倒塌",
    "洪水",
    "被淹",
    "决堤",
    "溃坝",
    "触电",
    "被困",
    "昏倒",
    "晕倒",
    "拿着刀",
    "持刀",
    "打人",
    "落水",
    "救命",
];

/// Keywords per category code. The category with the most matched keywords wins.
pub const CATEGORY_WORDS: &[(&str, &[&str])] = &[
    ("0101", &["漏雨", "屋顶", "房屋", "危房", "裂缝", "渗水"]),
    ("0102", &["电梯", "老旧小区", "改造"]),
    ("0103", &["违建", "违法建设", "乱搭", "私搭"]),
    ("0104", &["物业", "物业费", "业委会"]),
    ("0201", &["路灯", "照明"]),
    ("0202", &["井盖", "坑洼", "路面", "破损"]),
    ("0203", &["自来水", "停水", "水压", "水质", "供水"]),
    ("0204", &["下水道", "排水", "污水", "堵塞"]),
    ("0205", &["停电", "电线", "供电", "电压", "线路"]),
    ("0206", &["燃气", "天然气", "煤气"]),
    ("0301", &["噪音", "噪声", "吵"]),
    ("0302", &["垃圾", "卫生", "清运"]),
    ("0303", &["油烟", "烧秸秆", "粉尘", "空气"]),
    ("0304", &["河水", "污染", "排污"]),
    ("0401", &["公交", "班车", "客运"]),
    ("0402", &["停车", "占道"]),
    ("0403", &["护栏", "挡墙", "减速带", "红绿灯", "标志"]),
    ("0501", &["可疑", "巡逻", "陌生人"]),
    ("0502", &["诈骗", "骗"]),
    ("0503", &["户口", "户籍", "身份证"]),
    ("0601", &["邻居", "邻里"]),
    ("0602", &["草场", "地界", "宅基地"]),
    ("0603", &["工资", "欠薪", "工钱"]),
    ("0604", &["离婚", "家暴", "婚姻"]),
    ("0701", &["灌溉", "水渠", "堰塘", "山坪塘", "水塘"]),
    ("0702", &["牲畜", "庄稼", "野猪"]),
    ("0703", &["饮水", "水池", "人饮"]),
    ("0704", &["承包", "流转"]),
    ("0801", &["社保", "养老保险"]),
    ("0802", &["就业", "创业", "招聘"]),
    ("0803", &["医保", "报销"]),
    ("0901", &["低保", "救助", "困难"]),
    ("0902", &["养老", "老人", "敬老院"]),
    ("0903", &["残疾", "轮椅", "坡道"]),
    ("0904", &["退役", "军人"]),
    ("1001", &["看病", "医院", "卫生院", "医生"]),
    ("1002", &["疫苗", "传染", "防疫"]),
    ("1101", &["上学", "学校", "入学"]),
    ("1102", &["校门", "学生"]),
    ("1103", &["活动室", "篮球场", "健身", "广场"]),
    ("1201", &["滑坡", "塌方", "落石", "隐患", "泥石流"]),
    ("1202", &["洪水", "防汛", "涨水", "被淹"]),
    ("1203", &["山火", "冒烟", "林子", "森林"]),
    ("1204", &["消防", "着火", "起火", "火灾"]),
    ("1301", &["食品", "过期", "变质"]),
    ("1302", &["价格", "退款", "维权", "商家"]),
    ("1303", &["景区", "导游", "游客"]),
    ("1401", &["政策", "咨询", "怎么办理"]),
    ("1402", &["建议"]),
];

/// The keywords that point at a category (empty when it has none); Open311 publishes
/// them as the service's `keywords`.
pub fn category_keywords(code: &str) -> &'static [&'static str] {
    CATEGORY_WORDS.iter().find(|(category, _)| *category == code).map(|(_, words)| *words).unwrap_or(&[])
}

/// A suggestion with its confidence and the words that decided it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct TriageSuggestion {
    pub category_code: Option<String>,
    pub triage: Triage,
    pub tier: Tier,
    pub urgent: bool,
    /// Between 0 and 1. Below the routing threshold a person triages the appeal.
    pub confidence: f64,
    pub reasons: Vec<String>,
}

/// Suggests urgency, category, triage class and tier from the appeal text.
///
/// A category given by a person (`given_category`) is kept; the rules still decide urgency.
pub fn suggest(text: &str, given_category: Option<&Category>, categories: &[Category]) -> TriageSuggestion {
    let mut reasons = Vec::new();
    let urgent_hits: Vec<&str> = URGENT_WORDS.iter().copied().filter(|word| text.contains(word)).collect();
    let urgent = !urgent_hits.is_empty();
    if urgent {
        reasons.push(format!("紧急词: {}", urgent_hits.join("、")));
    }

    let (category_code, confidence) = match given_category {
        Some(category) => {
            reasons.push(format!("人工指定分类 {} {}", category.code, category.name));
            (Some(category.code.clone()), 1.0)
        }
        None => {
            let mut best: Option<(&str, Vec<&str>)> = None;
            for (code, words) in CATEGORY_WORDS {
                let hits: Vec<&str> = words.iter().copied().filter(|word| text.contains(word)).collect();
                let better = match &best {
                    None => !hits.is_empty(),
                    Some((_, best_hits)) => hits.len() > best_hits.len(),
                };
                if better && categories.iter().any(|c| c.code == *code) {
                    best = Some((code, hits));
                }
            }
            match best {
                Some((code, hits)) => {
                    reasons.push(format!("分类关键词: {}", hits.join("、")));
                    let confidence = (0.5 + 0.15 * hits.len() as f64).min(0.9);
                    (Some(code.to_string()), confidence)
                }
                None => {
                    reasons.push("未匹配到分类关键词，需人工研判".into());
                    (None, 0.0)
                }
            }
        }
    };

    let category = category_code.as_deref().and_then(|code| categories.iter().find(|c| c.code == code));
    let triage = if urgent || category.is_some_and(|c| c.default_working_days >= 15) {
        Triage::Big
    } else if category_code.as_deref().is_some_and(|code| code.starts_with("14")) {
        Triage::Private
    } else {
        Triage::Small
    };
    let tier = if urgent { Tier::Red } else { default_tier(triage) };
    TriageSuggestion { category_code, triage, tier, urgent, confidence, reasons }
}

/// The tier a triage class starts at when nothing is urgent.
pub fn default_tier(triage: Triage) -> Tier {
    match triage {
        Triage::Private => Tier::Green,
        Triage::Small => Tier::Blue,
        Triage::Big => Tier::Yellow,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::taxonomy::{DEFAULT_CATEGORIES_CSV, parse_categories_csv};

    #[test]
    fn suggestions_follow_the_rules_and_explain_themselves() {
        let categories = parse_categories_csv(DEFAULT_CATEGORIES_CSV).unwrap();
        let cases: &[(&str, Option<&str>, Tier, bool)] = &[
            ("单元楼里燃气泄漏，味道很大", Some("0206"), Tier::Red, true),
            ("海耳村那边山上冒烟了，火在往林子里走", Some("1203"), Tier::Red, true),
            ("小区路灯坏了一个月没人修", Some("0201"), Tier::Blue, false),
            ("村里的山坪塘漏水，灌溉用水不够", Some("0701"), Tier::Yellow, false),
            ("今天天气不错", None, Tier::Blue, false),
        ];
        for (text, category, tier, urgent) in cases {
            let suggestion = suggest(text, None, &categories);
            assert_eq!(suggestion.category_code.as_deref(), *category, "{text}");
            assert_eq!(suggestion.tier, *tier, "{text}");
            assert_eq!(suggestion.urgent, *urgent, "{text}");
            assert!(!suggestion.reasons.is_empty());
        }
    }
}
