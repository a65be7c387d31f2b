//! The demo county's programmes: what 石棉县 runs around the appeal core, written after the
//! appeals by `seed::load_demo` over the same 60 days.
//!
//! Everything goes through the service layer the product uses (`service::programmes`,
//! `service::work`, `service::points`, `service::intake`, `service::actions`), on a manual
//! clock that walks forward through one time-ordered plan, so that every number, deadline,
//! history chain, late mark and points journal is the one the hub computed:
//! - ten challenge lists (揭榜挂帅) published by the county committee, their problems
//!   claimed by 23 departments and 8 township committees (some jointly), leaders named,
//!   milestones with evidence, some submitted, assessed and scored, some late;
//! - a service catalogue and a 10-minute service circle in 广元堡社区 and 老街社区, with
//!   about 40 orders in every status (rated orders pay the team member points);
//! - points rules per community, volunteers earning for volunteering, patrols, mediation
//!   and environmental work, spending on the catalogue, and one correction;
//! - meetings (板凳会, 圆桌会议, 主题党日, 演练, 培训, 宣传活动) with attendance, minutes and
//!   the appeals they raised, and recurring schedules with periods held and missed;
//! - two task ledgers checked off item by item, with a reminder notice to the lagging unit;
//! - disputes in mediation, some from appeals, one agreement resolving its appeal.
//!
//! The scheduler is imitated: before each step, items whose deadline passed are escalated
//! (`work::escalate`, as the `work_escalate` job does), so late items are late for real.

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};

use super::seed::{DEMO_PASSWORD, DemoUser, SERVICE_CENTRE};
use crate::domain::access::{Role, Staff, UnitKind};
use crate::domain::appeal::{AppealStatus, Channel, Tier, Triage};
use crate::domain::contact::Contact;
use crate::domain::points::RuleDirection;
use crate::domain::programme::WorkInput;
use crate::domain::workflow::{Actor, Command};
use crate::service::intake::{NewAppeal, StaffJudgement};
use crate::service::points::Holder;
use crate::service::programmes::{NewAttendee, NewOrder, NewProblem, NewTask, Party};
use crate::service::{Clock, Hub, ServiceError, actions, intake, points, programmes, work};
use crate::storage::StorageError;
use crate::storage::people::NewUser;
use crate::storage::programmes::{CatalogueItem, ScheduleRow};

/// The community of the 10-minute service circle with the named demo accounts.
pub const GUANGYUANBAO: &str = "511824002006";
/// The second community with a service circle.
pub const LAOJIE: &str = "511824002001";
/// 猛种村, whose points and meetings the demo also keeps.
pub const MENGZHONG: &str = "511824202205";
/// How many challenge lists the demo publishes.
pub const CHALLENGE_LISTS: usize = 10;

// ---------------------------------------------------------------------------------------
// The data: challenge lists.

#[derive(Debug, Clone, Copy)]
enum Fate {
    Open,
    Withdrawn,
    Claimed,
    /// Claimed, with this many milestones reported.
    Progress(usize),
    Submitted,
    /// Submitted, returned for more work, and reported on again.
    Returned,
    Assessed(f64),
}

struct ProblemSpec {
    title: &'static str,
    goal: &'static str,
    criteria: &'static str,
    lead: &'static str,
    co: &'static [&'static str],
    leader: &'static str,
    fate: Fate,
}

struct ListSpec {
    title: &'static str,
    description: &'static str,
    published_day: i64,
    due_day: i64,
    problems: &'static [ProblemSpec],
}

const fn problem(
    title: &'static str,
    goal: &'static str,
    criteria: &'static str,
    lead: &'static str,
    co: &'static [&'static str],
    leader: &'static str,
    fate: Fate,
) -> ProblemSpec {
    ProblemSpec { title, goal, criteria, lead, co, leader, fate }
}

const fn unclaimed(title: &'static str, goal: &'static str, criteria: &'static str, fate: Fate) -> ProblemSpec {
    ProblemSpec { title, goal, criteria, lead: "", co: &[], leader: "", fate }
}

const ZHUJIAN: &str = "县住房和城乡建设局";
const ZHIFA: &str = "县综合行政执法局";
const JIAOTONG: &str = "县交通运输局";
const ZILAISHUI: &str = "县自来水公司";
const GONGDIAN: &str = "县供电公司";
const SHENGTAI: &str = "县生态环境局";
const GONGAN: &str = "县公安局";
const SIFA: &str = "县司法局";
const ZIRAN: &str = "县自然资源局";
const RENSHE: &str = "县人力资源和社会保障局";
const NONGYE: &str = "县农业农村局";
const SHUILI: &str = "县水利局";
const YIBAO: &str = "县医疗保障局";
const MINZHENG: &str = "县民政局";
const CANLIAN: &str = "县残疾人联合会";
const TUIYI: &str = "县退役军人事务局";
const WEIJIAN: &str = "县卫生健康局";
const JIAOYU: &str = "县教育局";
const WENLV: &str = "县文化广播电视和旅游局";
const YINGJI: &str = "县应急管理局";
const LINYE: &str = "县林业局";
const XIAOFANG: &str = "县消防救援大队";
const SHIJIAN: &str = "县市场监督管理局";
const XINMIAN: &str = "新棉街道党工委";
const HUILONG: &str = "回隆镇党委";
const MEILUO: &str = "美罗镇党委";
const ANSHUNCHANG: &str = "安顺场镇党委";
const XIELUO: &str = "蟹螺藏族乡党委";
const YONGHE: &str = "永和乡党委";
const LIZIPING: &str = "栗子坪彝族乡党委";
const WANGGANGPING: &str = "王岗坪彝族藏族乡党委";

static LISTS: [ListSpec; CHALLENGE_LISTS] = [
    ListSpec {
        title: "2026年第一批民生实事“揭榜挂帅”榜单",
        description: "县委聚焦城区群众反映集中的急难愁盼问题张榜，各单位自愿揭榜、主要负责同志挂帅，按期交账。",
        published_day: 1,
        due_day: 44,
        problems: &[
            problem(
                "城区老旧小区雨污分流改造",
                "完成4个老旧小区雨污分流改造，消除雨季污水外溢",
                "完成小区数量、汛期复查无外溢、群众满意度",
                ZHUJIAN,
                &[XINMIAN],
                "县住建局局长 杨志强",
                Fate::Assessed(93.0),
            ),
            problem(
                "背街小巷占道经营整治",
                "城区12条背街小巷占道经营清零并建立长效巡查",
                "整治条数、复发率、群众投诉量下降幅度",
                ZHIFA,
                &[XINMIAN, SHIJIAN],
                "县综合执法局局长 周宏",
                Fate::Assessed(88.0),
            ),
            problem(
                "城区公交线路优化与站台改造",
                "优化3条公交线路，改造候车亭10处",
                "线路调整落地、候车亭改造数量",
                JIAOTONG,
                &[],
                "县交通运输局局长 何平",
                Fate::Progress(2),
            ),
            problem(
                "城区供水管网漏损治理",
                "更换老旧供水管网3公里，漏损率降到12%以下",
                "更换长度、漏损率、停水投诉量",
                ZILAISHUI,
                &[ZHUJIAN],
                "县自来水公司经理 罗斌",
                Fate::Submitted,
            ),
            problem(
                "电动自行车集中充电设施建设",
                "新建集中充电点20处，杜绝飞线充电",
                "建成数量、飞线充电排查整改率",
                YINGJI,
                &[GONGDIAN, XIAOFANG],
                "县应急管理局局长 陈刚",
                Fate::Assessed(90.0),
            ),
        ],
    },
    ListSpec {
        title: "乡村振兴产业发展“揭榜挂帅”榜单",
        description: "围绕黄果柑、高山蔬菜、林下经济和红色旅游，破解产业发展瓶颈。",
        published_day: 3,
        due_day: 50,
        problems: &[
            problem(
                "黄果柑标准化种植基地提质",
                "建成标准化示范基地2000亩，优果率提高10个百分点",
                "基地面积、优果率、带动农户增收",
                NONGYE,
                &[MEILUO, ANSHUNCHANG],
                "县农业农村局局长 高峰",
                Fate::Assessed(95.0),
            ),
            problem(
                "高山蔬菜冷链物流短板",
                "建成产地冷库2座，蔬菜损耗率下降",
                "冷库建成投用、损耗率",
                MEILUO,
                &[JIAOTONG],
                "美罗镇党委书记 刘涛",
                Fate::Progress(2),
            ),
            problem(
                "林下经济示范点建设",
                "培育林下种养示范点5个",
                "示范点数量、参与农户数",
                LINYE,
                &[WANGGANGPING],
                "县林业局局长 马骏",
                Fate::Returned,
            ),
            problem(
                "农村饮水安全巩固提升",
                "解决2个村季节性缺水问题",
                "供水保证率、水质达标率",
                SHUILI,
                &[LIZIPING],
                "县水利局局长 李向东",
                Fate::Assessed(86.0),
            ),
            problem(
                "安顺场红色旅游线路串联",
                "串联红军渡、纪念馆等点位形成精品线路",
                "线路开通、游客接待量",
                WENLV,
                &[ANSHUNCHANG],
                "县文广旅局局长 宋雪梅",
                Fate::Progress(1),
            ),
        ],
    },
    ListSpec {
        title: "基层治理难题“揭榜挂帅”榜单",
        description: "针对基层治理中的堵点难点，鼓励部门与乡镇联合揭榜、攻坚破题。",
        published_day: 6,
        due_day: 55,
        problems: &[
            problem(
                "矛盾纠纷多元化解机制",
                "建成县乡村三级调解网络，纠纷化解率达到95%",
                "调解成功率、进京赴省访数量",
                SIFA,
                &[GONGAN],
                "县司法局局长 邓丽",
                Fate::Assessed(91.0),
            ),
            problem(
                "网格化管理信息共享",
                "打通网格员走访与部门数据，减少重复填报",
                "共享数据项数量、网格员填报时长",
                XINMIAN,
                &[],
                "新棉街道党工委书记 黄磊",
                Fate::Submitted,
            ),
            problem(
                "流动人口服务管理",
                "流动人口登记率达到98%",
                "登记率、服务事项办理时长",
                GONGAN,
                &[HUILONG],
                "县公安局副局长 赵勇",
                Fate::Claimed,
            ),
            problem(
                "农村宅基地审批提速",
                "宅基地审批时限压缩到15个工作日",
                "平均审批时长、群众评价",
                ZIRAN,
                &[NONGYE],
                "县自然资源局局长 唐军",
                Fate::Assessed(84.0),
            ),
            unclaimed("物业管理纠纷化解", "无物业小区纳入兜底管理", "兜底覆盖率、投诉量", Fate::Open),
        ],
    },
    ListSpec {
        title: "“一老一小”服务“揭榜挂帅”榜单",
        description: "聚焦养老托育、留守儿童和残疾人照护，补齐民生服务短板。",
        published_day: 9,
        due_day: 80,
        problems: &[
            problem(
                "社区嵌入式养老服务站建设",
                "城区建成嵌入式养老服务站3个",
                "建成数量、服务人次",
                MINZHENG,
                &[XINMIAN],
                "县民政局局长 王芳",
                Fate::Progress(2),
            ),
            problem(
                "普惠托育服务扩容",
                "新增普惠托位120个",
                "新增托位数、入托率",
                WEIJIAN,
                &[JIAOYU],
                "县卫健局局长 张丽华",
                Fate::Progress(1),
            ),
            problem(
                "农村留守儿童关爱",
                "建立留守儿童“一人一档”，每月走访一次",
                "建档率、走访记录",
                JIAOYU,
                &[XIELUO, MINZHENG],
                "县教育局局长 吴斌",
                Fate::Submitted,
            ),
            problem(
                "重度残疾人托养照护",
                "重度残疾人托养服务覆盖率达到80%",
                "覆盖率、家属满意度",
                CANLIAN,
                &[MINZHENG],
                "县残联理事长 刘敏",
                Fate::Assessed(89.0),
            ),
            unclaimed("老年助餐点全覆盖", "城区社区助餐点全覆盖", "覆盖社区数、日均就餐人次", Fate::Open),
        ],
    },
    ListSpec {
        title: "就业增收“揭榜挂帅”榜单",
        description: "稳就业、保收入，破解返乡创业、欠薪和异地就医等难题。",
        published_day: 12,
        due_day: 90,
        problems: &[
            problem(
                "返乡创业孵化",
                "孵化返乡创业项目30个",
                "孵化项目数、带动就业人数",
                RENSHE,
                &[HUILONG],
                "县人社局局长 杨春",
                Fate::Progress(2),
            ),
            problem(
                "农民工欠薪动态清零",
                "在建项目欠薪案件动态清零",
                "欠薪案件办结率、实名制工资代发率",
                RENSHE,
                &[ZHUJIAN],
                "县人社局副局长 孙涛",
                Fate::Assessed(92.0),
            ),
            problem(
                "退役军人就业创业服务",
                "帮助退役军人就业创业100人",
                "就业人数、创业扶持资金到位",
                TUIYI,
                &[],
                "县退役军人事务局局长 钟华",
                Fate::Progress(1),
            ),
            problem(
                "异地就医直接结算",
                "异地就医直接结算率达到90%",
                "直接结算率、群众跑腿次数",
                YIBAO,
                &[WEIJIAN],
                "县医保局局长 曾丽",
                Fate::Claimed,
            ),
            unclaimed("山区就业技能培训进村", "技能培训进村20场", "培训场次、培训后就业率", Fate::Open),
        ],
    },
    ListSpec {
        title: "生态环境保护“揭榜挂帅”榜单",
        description: "守护大渡河一江清水，推进垃圾分类、森林防火和矿山修复。",
        published_day: 15,
        due_day: 100,
        problems: &[
            problem(
                "大渡河石棉段岸线整治",
                "清理岸线“四乱”问题，建成滨河步道2公里",
                "问题清零率、步道建成长度",
                SHENGTAI,
                &[SHUILI, XINMIAN],
                "县生态环境局局长 冯伟",
                Fate::Progress(2),
            ),
            problem(
                "农村生活垃圾分类",
                "试点村生活垃圾分类覆盖率达到90%",
                "覆盖率、清运及时率",
                ZHIFA,
                &[YONGHE],
                "县综合执法局副局长 徐亮",
                Fate::Progress(1),
            ),
            problem(
                "森林防火网格化巡护",
                "重点林区巡护网格全覆盖",
                "网格覆盖率、火情发现时长",
                LINYE,
                &[YINGJI, LIZIPING],
                "县林业局副局长 覃勇",
                Fate::Claimed,
            ),
            problem(
                "废弃矿山生态修复",
                "完成废弃矿山修复300亩",
                "修复面积、复绿成活率",
                ZIRAN,
                &[SHENGTAI],
                "县自然资源局副局长 蒋涛",
                Fate::Progress(1),
            ),
            unclaimed("畜禽养殖污染治理", "规模养殖场粪污处理设施配套率100%", "配套率、资源化利用率", Fate::Withdrawn),
        ],
    },
    ListSpec {
        title: "安全生产与防灾减灾“揭榜挂帅”榜单",
        description: "汛期将至，聚焦地灾、消防、电网、燃气和山洪预警。",
        published_day: 20,
        due_day: 120,
        problems: &[
            problem(
                "地质灾害隐患点群测群防",
                "全县地灾隐患点监测员全覆盖并开展培训",
                "监测员到岗率、预警响应时长",
                ZIRAN,
                &[XIELUO, WANGGANGPING],
                "县自然资源局副局长 龚明",
                Fate::Progress(1),
            ),
            problem(
                "高层建筑消防通道畅通",
                "城区高层建筑消防通道占堵清零",
                "排查整改率、复查合格率",
                XIAOFANG,
                &[ZHUJIAN],
                "县消防救援大队大队长 彭浩",
                Fate::Progress(1),
            ),
            problem(
                "农村电网防汛改造",
                "改造易涝台区变压器20台",
                "改造数量、汛期停电时长",
                GONGDIAN,
                &[],
                "县供电公司总经理 唐亮",
                Fate::Claimed,
            ),
            problem(
                "燃气安全入户排查",
                "城区燃气用户入户安检全覆盖",
                "入户率、隐患整改率",
                SHIJIAN,
                &[YINGJI],
                "县市场监管局局长 何静",
                Fate::Claimed,
            ),
            problem(
                "山洪预警“最后一公里”",
                "山洪危险区预警广播村村通",
                "广播覆盖率、演练次数",
                SHUILI,
                &[YONGHE],
                "县水利局副局长 彭飞",
                Fate::Progress(1),
            ),
        ],
    },
    ListSpec {
        title: "营商环境优化“揭榜挂帅”榜单",
        description: "对标一流营商环境，压时限、减环节、优服务。",
        published_day: 26,
        due_day: 150,
        problems: &[
            problem(
                "企业开办“一件事”办理",
                "企业开办全程网办、1个工作日办结",
                "办结时长、网办率",
                SHIJIAN,
                &[],
                "县市场监管局副局长 罗静",
                Fate::Progress(1),
            ),
            problem("工程建设项目审批提速", "审批时限压缩30%", "平均审批时长", ZHUJIAN, &[ZIRAN], "县住建局副局长 谢军", Fate::Claimed),
            problem(
                "涉企执法“综合查一次”",
                "同一企业年度检查次数减少一半",
                "检查次数、企业评价",
                ZHIFA,
                &[SHIJIAN],
                "县综合执法局局长 周宏",
                Fate::Claimed,
            ),
            problem(
                "用电报装“三零”服务",
                "小微企业用电报装零上门、零审批、零投资",
                "报装时长、企业满意度",
                GONGDIAN,
                &[],
                "县供电公司副总经理 许亮",
                Fate::Progress(1),
            ),
            unclaimed("中小企业融资对接", "每季度举办银企对接会", "对接会场次、授信金额", Fate::Open),
        ],
    },
    ListSpec {
        title: "文化惠民“揭榜挂帅”榜单",
        description: "保护红色文化资源，丰富群众精神文化生活。",
        published_day: 33,
        due_day: 180,
        problems: &[
            problem(
                "安顺场红军渡遗址保护利用",
                "完成遗址本体保护和展陈提升",
                "保护工程验收、参观人次",
                WENLV,
                &[ANSHUNCHANG],
                "县文广旅局局长 宋雪梅",
                Fate::Claimed,
            ),
            problem(
                "村(社区)文化活动室提档",
                "提档升级文化活动室15个",
                "升级数量、活动开展场次",
                WENLV,
                &[MEILUO],
                "县文广旅局副局长 岳琳",
                Fate::Claimed,
            ),
            problem("全民健身设施补短板", "新建更新健身路径30处", "建成数量、使用率", JIAOYU, &[], "县教育局副局长 任峰", Fate::Claimed),
            unclaimed("非遗传承人才培养", "培养非遗传承人20名", "培养人数、展演场次", Fate::Open),
            unclaimed("农家书屋数字化", "农家书屋数字阅读全覆盖", "覆盖率、借阅量", Fate::Open),
        ],
    },
    ListSpec {
        title: "城市更新“揭榜挂帅”榜单",
        description: "着眼城区停车、管网、照明和充电设施，推进城市有机更新。",
        published_day: 40,
        due_day: 200,
        problems: &[
            problem(
                "城区停车难治理",
                "新增公共停车位500个，规范路内停车",
                "新增车位数、乱停车投诉量",
                GONGAN,
                &[JIAOTONG, XINMIAN],
                "县公安局局长 文斌",
                Fate::Claimed,
            ),
            unclaimed("老旧燃气管网更新", "更新老旧燃气管网5公里", "更新长度、燃气事故为零", Fate::Open),
            unclaimed("城区夜间照明提升", "主次干道照明亮化全覆盖", "亮灯率、群众评价", Fate::Open),
            unclaimed("小区充电桩进小区", "新增小区充电桩200个", "新增数量、使用率", Fate::Open),
            unclaimed("背街小巷品质提升", "改造背街小巷10条", "改造条数、群众满意度", Fate::Open),
        ],
    },
];

const MILESTONES: [&str; 3] = [
    "成立工作专班，完成实地调研和问题清单，形成实施方案",
    "项目全面推进，阶段任务完成过半，现场照片和台账附后",
    "主体任务基本完成，正在组织群众满意度测评",
];

// ---------------------------------------------------------------------------------------
// The data: people.

/// (name, phone, address) of residents who order services.
const GUANGYUANBAO_RESIDENTS: [(&str, &str, &str); 6] = [
    ("陈秀英", "13981620101", "广元堡社区2栋1单元302"),
    ("李淑芬", "13981620102", "广元堡社区5栋2单元101"),
    ("王德明", "13981620103", "广元堡社区7栋1单元501"),
    ("张桂兰", "13981620104", "广元堡社区3栋3单元202"),
    ("刘正华", "13981620105", "广元堡社区9栋1单元401"),
    ("杨玉珍", "13981620106", "广元堡社区1栋2单元601"),
];
const LAOJIE_RESIDENTS: [(&str, &str, &str); 5] = [
    ("周国强", "13981620201", "老街社区8号院"),
    ("赵兰英", "13981620202", "老街社区滨河路12号"),
    ("吴明清", "13981620203", "老街社区解放路35号"),
    ("孙秀华", "13981620204", "老街社区老街巷6号"),
    ("郑德才", "13981620205", "老街社区3号院"),
];

/// Volunteers who earn points, per community: (name, phone).
const VOLUNTEERS: [(&str, [(&str, &str); 4]); 3] = [
    (GUANGYUANBAO, [("罗志勇", "13981630101"), ("何丽", "13981630102"), ("冯建华", "13981630103"), ("邓春梅", "13981630104")]),
    (LAOJIE, [("谢永康", "13981630201"), ("唐秀兰", "13981630202"), ("韩立新", "13981630203"), ("曹玉梅", "13981630204")]),
    (MENGZHONG, [("王阿呷", "13981630301"), ("杨木呷", "13981630302"), ("李尔古", "13981630303"), ("罗拉姆", "13981630304")]),
];
/// The trusted local elder who helps mediate in 广元堡社区.
const ELDER: (&str, &str) = ("曾德富", "13981630105");

/// (code, label, direction, points): the same rules in every community of the demo.
const RULES: [(&str, &str, RuleDirection, i64); 10] = [
    ("volunteer", "参加志愿服务一次", RuleDirection::Earn, 10),
    ("patrol", "治安巡逻一次", RuleDirection::Earn, 5),
    ("mediation", "参与矛盾纠纷调解一次", RuleDirection::Earn, 8),
    ("environment", "参加环境卫生整治一次", RuleDirection::Earn, 5),
    ("meeting", "参加板凳会、议事会", RuleDirection::Earn, 2),
    ("service_order", "完成服务订单并获群众评价", RuleDirection::Earn, 3),
    ("soap", "兑换洗衣皂一块", RuleDirection::Spend, 10),
    ("haircut", "兑换理发服务一次", RuleDirection::Spend, 15),
    ("rice", "兑换大米五斤", RuleDirection::Spend, 30),
    ("oil", "兑换食用油一桶", RuleDirection::Spend, 50),
];

/// (code, name, finish hours, what residents usually write).
const SERVICES: [(&str, &str, i64, &str); 5] = [
    ("meal", "助餐送餐", 2, "午餐一份，少油少盐，送到家门口"),
    ("daycare", "日间照料", 8, "子女白天上班，老人需要日间照料"),
    ("visit", "上门探访", 2, "独居老人，请志愿者上门看看、聊聊天"),
    ("escort", "陪同就医", 6, "到县人民医院复查，需要有人陪同挂号取药"),
    ("repair", "家电水电维修", 24, "厨房水龙头漏水，插座松动"),
];

/// The new demo accounts of the programmes: (username, display name, unit, roles).
fn programme_accounts() -> Vec<(&'static str, &'static str, &'static str, Vec<Role>)> {
    vec![
        ("xianwei", "县委揭榜挂帅专班 刘洋", SERVICE_CENTRE, vec![Role::Leader]),
        ("fuwu", "广元堡社区志愿服务队 队长何敏", "广元堡社区志愿服务队", vec![Role::Handler]),
        ("fuwu2", "广元堡社区志愿服务队 队员罗强", "广元堡社区志愿服务队", vec![Role::Handler]),
        ("laojiefuwu", "老街社区为老服务队 队员唐静", "老街社区为老服务队", vec![Role::Handler]),
        ("tiaojie", "新棉街道人民调解员 杨大姐", XINMIAN, vec![Role::Handler]),
    ]
}

// ---------------------------------------------------------------------------------------
// The plan: steps in time order.

/// A work item of the demo, before its number is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ItemRef {
    Problem(usize, usize),
    Order(usize),
    Task(usize, usize),
    Dispute(usize),
}

#[derive(Debug, Clone)]
enum Who {
    User(String),
    Resident,
}

#[derive(Debug, Clone)]
struct OrderSpec {
    region: &'static str,
    service: usize,
    resident: (&'static str, &'static str, &'static str),
    /// The grid worker or operator who ordered for the resident, if any.
    entered_by: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct MeetingSpec {
    kind: &'static str,
    title: &'static str,
    place: &'static str,
    region: &'static str,
    organiser: &'static str,
    minutes: &'static str,
    /// (text, category, resident name, phone) of each appeal raised.
    appeals: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    attendees: Vec<(&'static str, Option<&'static str>, &'static str)>,
    attachments: Vec<&'static str>,
    /// The schedule (index) the meeting fulfils.
    schedule: Option<usize>,
    points_rule: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct DisputeSpec {
    title: String,
    summary: String,
    region: String,
    registered_by: String,
    parties: Vec<Party>,
    /// The appeal it comes from: a meeting's appeal, or an existing appeal's number.
    appeal: Option<AppealRef>,
}

#[derive(Debug, Clone)]
enum AppealRef {
    Meeting(usize, usize),
    Number(String),
}

#[derive(Debug, Clone)]
enum Op {
    Publish(usize),
    Act {
        item: ItemRef,
        who: Who,
        action: &'static str,
        input: WorkInput,
    },
    Order(usize),
    Earn {
        region: &'static str,
        keeper: &'static str,
        holder: (&'static str, &'static str),
        rule: &'static str,
        quantity: i64,
        reason: String,
    },
    Spend {
        keeper: &'static str,
        holder: &'static str,
        rule: &'static str,
        reason: String,
    },
    /// Corrects the last journal earned by a holder.
    Correct {
        keeper: &'static str,
        holder: &'static str,
        reason: &'static str,
    },
    Meeting(usize),
    /// A step on an appeal a meeting raised, taken only when the appeal is in `when`.
    AppealStep {
        meeting: usize,
        appeal: usize,
        who: String,
        when: AppealStatus,
        command: Command,
    },
    Ledger(usize),
    Remind {
        ledger: usize,
        note: &'static str,
    },
    Dispute(usize),
}

struct Plan {
    base: Timestamp,
    steps: Vec<(Timestamp, usize, Op)>,
}

impl Plan {
    /// A moment of the demo: `day` days after the local midnight that starts the demo's
    /// history, at `hour:minute`. Days 1 to 59 all lie between its start and now.
    fn at(&self, day: i64, hour: i64, minute: i64) -> Timestamp {
        self.base + SignedDuration::from_mins((day * 24 + hour) * 60 + minute)
    }

    /// Adds a step at a moment; steps after day 59 (in the future) are left out.
    fn push(&mut self, at: Timestamp, op: Op) {
        if at < self.at(60, 0, 0) {
            let order = self.steps.len();
            self.steps.push((at, order, op));
        }
    }

    fn act(&mut self, at: Timestamp, item: ItemRef, who: &str, action: &'static str, input: WorkInput) {
        self.push(at, Op::Act { item, who: Who::User(who.to_string()), action, input });
    }
}

fn note(text: impl Into<String>) -> WorkInput {
    WorkInput { reason: text.into(), ..WorkInput::default() }
}

fn with_evidence(text: impl Into<String>, evidence: &[String]) -> WorkInput {
    WorkInput { reason: text.into(), evidence: evidence.to_vec(), ..WorkInput::default() }
}

/// A tiny deterministic generator (xorshift64*), so the demo is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low { low } else { low + (self.next() % (high - low + 1) as u64) as i64 }
    }
}

// ---------------------------------------------------------------------------------------
// The world the steps act in.

struct World {
    staff: HashMap<String, Staff>,
    unit_ids: HashMap<String, i64>,
    /// The account that acts for each unit.
    unit_actor: HashMap<i64, String>,
    numbers: HashMap<ItemRef, String>,
    list_items: Vec<Vec<String>>,
    ledgers: Vec<i64>,
    /// Each meeting's id and the numbers of the appeals it raised.
    meetings: Vec<(i64, Vec<String>)>,
    schedules: Vec<i64>,
    orders: Vec<OrderSpec>,
    meeting_specs: Vec<MeetingSpec>,
    ledger_specs: Vec<LedgerSpec>,
    dispute_specs: Vec<DisputeSpec>,
    /// Each points holder's account (by phone) and the last journal earned.
    accounts: HashMap<&'static str, (i64, i64)>,
}

impl World {
    fn staff(&self, username: &str) -> Result<Staff, ServiceError> {
        self.staff.get(username).cloned().ok_or_else(|| ServiceError::Internal(format!("demo user {username} is missing")))
    }

    fn unit(&self, name: &str) -> Result<i64, ServiceError> {
        self.unit_ids.get(name).copied().ok_or_else(|| ServiceError::Internal(format!("demo unit {name} is missing")))
    }

    /// The account that acts for a unit, by the unit's name.
    fn actor_of(&self, unit_name: &str) -> Result<String, ServiceError> {
        let unit = self.unit(unit_name)?;
        self.unit_actor.get(&unit).cloned().ok_or_else(|| ServiceError::Internal(format!("demo unit {unit_name} has no account")))
    }

    fn number(&self, item: ItemRef) -> Result<String, ServiceError> {
        self.numbers.get(&item).cloned().ok_or_else(|| ServiceError::Internal(format!("demo work item {item:?} was not created")))
    }
}

struct LedgerSpec {
    title: &'static str,
    region: &'static str,
    keeper: &'static str,
    /// The day of the plan it is opened on.
    opened_day: i64,
    /// (title, unit, due day, detail).
    tasks: Vec<(&'static str, String, i64, &'static str)>,
}

// ---------------------------------------------------------------------------------------
// Loading.

/// Writes the programmes of the demo county. `now` is the moment the demo is loaded; the
/// history reaches back `days` days. Returns the new named accounts.
pub async fn load_programmes(hub: &Hub, now: Timestamp, days: i64) -> Result<Vec<DemoUser>, ServiceError> {
    let start = now - SignedDuration::from_hours(24 * days);
    let tz = hub.calendar.time_zone().clone();
    let base = hub
        .calendar
        .local_date(start)
        .to_zoned(tz)
        .map_err(|error| ServiceError::Internal(format!("the demo's first day: {error}")))?
        .timestamp();
    let demo = Hub { clock: Clock::manual(start), ..hub.clone() };
    let (mut world, users) = set_up(&demo).await?;
    let mut plan = Plan { base, steps: Vec::new() };
    plan_challenges(&mut plan, &world)?;
    plan_orders(&mut plan, &mut world);
    plan_points(&mut plan);
    create_schedules(&demo, &mut world, start).await?;
    plan_meetings(&mut plan, &mut world)?;
    plan_ledgers(&mut plan, &mut world)?;
    plan_disputes(&mut plan, &mut world, &demo).await?;
    plan.steps.sort_by_key(|(at, order, _)| (*at, *order));
    let steps = std::mem::take(&mut plan.steps);
    for (at, _, op) in steps {
        let wait = at.as_millisecond() - demo.clock.now_ms();
        if wait > 0 {
            demo.clock.advance(SignedDuration::from_millis(wait));
        }
        escalate_overdue(&demo).await?;
        let label = format!("{op:?}");
        run(&demo, &mut world, op).await.map_err(|error| {
            ServiceError::Internal(format!("demo programme step at {at} ({}): {error}", label.chars().take(160).collect::<String>()))
        })?;
    }
    // The scheduler's first tick at `now` would mark what is overdue by then.
    let wait = now.as_millisecond() - demo.clock.now_ms();
    if wait > 0 {
        demo.clock.advance(SignedDuration::from_millis(wait));
    }
    escalate_overdue(&demo).await?;
    Ok(users)
}

/// Imitates the overdue sweep and its `work_escalate` jobs at the current moment.
async fn escalate_overdue(hub: &Hub) -> Result<(), ServiceError> {
    for (item_id, due_ms) in hub.db.work_items_past_deadline(hub.clock.now_ms(), 500).await? {
        work::escalate(hub, item_id, due_ms).await?;
    }
    Ok(())
}

/// Units, accounts, the service catalogue, response targets, points rules and schedules.
async fn set_up(hub: &Hub) -> Result<(World, Vec<DemoUser>), ServiceError> {
    let guangyuanbao_team = hub.db.ensure_unit("广元堡社区志愿服务队", UnitKind::ServiceTeam, GUANGYUANBAO).await?;
    let laojie_team = hub.db.ensure_unit("老街社区为老服务队", UnitKind::ServiceTeam, LAOJIE).await?;
    let admin = hub.db.user_by_name("admin").await?.ok_or_else(|| ServiceError::Internal("the demo admin is missing".into()))?;
    let mut users = Vec::new();
    let mut heads = Vec::new();
    for (username, display, unit_name, roles) in programme_accounts() {
        let unit = hub.db.unit_by_name(unit_name).await?.ok_or_else(|| ServiceError::Internal(format!("demo unit {unit_name}")))?;
        let user = NewUser { username, display_name: display, unit_id: unit.id, roles: &roles, password_hash: &admin.password_hash };
        let user_id = hub.db.create_user(user, hub.clock.now_ms()).await?;
        if unit.head_user_id.is_none() {
            heads.push((unit.id, user_id));
        }
        users.push(DemoUser {
            username: username.to_string(),
            password: DEMO_PASSWORD.to_string(),
            role_zh: roles.iter().map(|role| role.label_zh()).collect::<Vec<_>>().join("、"),
            unit: unit_name.to_string(),
        });
    }
    for (unit, user) in heads {
        hub.db.set_unit_head(unit, user).await?;
    }
    let mut world = World {
        staff: HashMap::new(),
        unit_ids: HashMap::new(),
        unit_actor: HashMap::new(),
        numbers: HashMap::new(),
        list_items: Vec::new(),
        ledgers: Vec::new(),
        meetings: Vec::new(),
        schedules: Vec::new(),
        orders: Vec::new(),
        meeting_specs: Vec::new(),
        ledger_specs: Vec::new(),
        dispute_specs: Vec::new(),
        accounts: HashMap::new(),
    };
    let units = hub.db.units().await?;
    for unit in &units {
        world.unit_ids.insert(unit.name.clone(), unit.id);
    }
    // The unit's head acts for it; otherwise its first account.
    let listing = hub.db.user_listing().await?;
    for unit in &units {
        let head = listing.iter().find(|user| Some(user.id) == unit.head_user_id && user.unit_id == unit.id);
        let any = listing.iter().find(|user| user.unit_id == unit.id);
        if let Some(user) = head.or(any) {
            world.unit_actor.insert(unit.id, user.username.clone());
        }
    }
    for user in &listing {
        if let Some(record) = hub.db.user_by_name(&user.username).await? {
            world.staff.insert(user.username.clone(), record.staff);
        }
    }

    // The catalogue and the 10-minute circle of both communities, and the points rules.
    for region in [GUANGYUANBAO, LAOJIE] {
        for (code, name, finish_hours, _) in SERVICES {
            let item = CatalogueItem {
                id: 0,
                region_code: region.to_string(),
                code: code.to_string(),
                name: name.to_string(),
                finish_hours,
                points: 3,
                active: true,
            };
            hub.db.upsert_catalogue_item(&item).await?;
        }
        let keeper = world.staff(&world.actor_of(&community_unit_name(region))?)?;
        hub.db.set_service_target(region, programmes::DEFAULT_RESPONSE_MINUTES, keeper.user_id, hub.clock.now_ms()).await?;
    }
    for region in [GUANGYUANBAO, LAOJIE, MENGZHONG] {
        let keeper = world.staff(&world.actor_of(&community_unit_name(region))?)?;
        for (code, label, direction, amount) in RULES {
            points::set_rule(hub, &keeper, region, code, label, direction, amount, true).await?;
        }
    }
    let _ = (guangyuanbao_team, laojie_team);
    Ok((world, users))
}

fn community_unit_name(region: &str) -> String {
    match region {
        GUANGYUANBAO => "广元堡社区党委".into(),
        LAOJIE => "老街社区党委".into(),
        MENGZHONG => "猛种村党支部".into(),
        other => format!("unit of {other}"),
    }
}

// ---------------------------------------------------------------------------------------
// Planning each programme.

fn plan_challenges(plan: &mut Plan, world: &World) -> Result<(), ServiceError> {
    for (list_index, list) in LISTS.iter().enumerate() {
        plan.push(plan.at(list.published_day, 9, 30), Op::Publish(list_index));
        for (index, spec) in list.problems.iter().enumerate() {
            let item = ItemRef::Problem(list_index, index);
            let claim_day = list.published_day + 1 + index as i64;
            if let Fate::Open = spec.fate {
                continue;
            }
            if let Fate::Withdrawn = spec.fate {
                let reason = "该事项已纳入县生态环境局年度专项整治统筹推进，经县委研究撤榜";
                plan.act(plan.at(list.published_day + 10, 16, 0), item, "xianwei", "withdraw", note(reason));
                continue;
            }
            let lead = world.actor_of(spec.lead)?;
            let mut co_ids = Vec::new();
            for co in spec.co {
                co_ids.push(world.unit(co)?);
            }
            let claim = WorkInput {
                reason: format!("{}揭榜，{}挂帅", spec.lead, spec.leader),
                lead_unit_id: Some(world.unit(spec.lead)?),
                co_unit_ids: co_ids,
                person_name: Some(spec.leader.to_string()),
                ..WorkInput::default()
            };
            plan.act(plan.at(claim_day, 10, 0), item, &lead, "claim", claim);
            let milestones = match spec.fate {
                Fate::Progress(count) => count,
                Fate::Submitted | Fate::Returned | Fate::Assessed(_) => 2,
                _ => 0,
            };
            for milestone in 0..milestones {
                // Joint claimants report too.
                let reporter = match (milestone % 2, spec.co.first()) {
                    (1, Some(co)) => world.actor_of(co)?,
                    _ => lead.clone(),
                };
                let evidence = vec![format!("{}-进展{}-现场照片.jpg", spec.title, milestone + 1), format!("{}-工作台账.xlsx", spec.title)];
                let text = format!("{}：{}", spec.title, MILESTONES[milestone]);
                plan.act(
                    plan.at(claim_day + 8 + 10 * milestone as i64, 15, 0),
                    item,
                    &reporter,
                    "report_milestone",
                    with_evidence(text, &evidence),
                );
            }
            if matches!(spec.fate, Fate::Submitted | Fate::Returned | Fate::Assessed(_)) {
                let evidence = vec![format!("{}-成果报告.pdf", spec.title)];
                plan.act(
                    plan.at(claim_day + 24, 11, 0),
                    item,
                    &lead,
                    "submit",
                    with_evidence(format!("已完成：{}，提交成果材料", spec.goal), &evidence),
                );
            }
            match spec.fate {
                Fate::Assessed(score) => {
                    let input = WorkInput {
                        reason: format!(
                            "县委揭榜挂帅专班评估：{}，评分{score}",
                            if score >= 90.0 { "成效明显，群众认可" } else { "基本达到目标，部分指标待巩固" }
                        ),
                        score: Some(score),
                        ..WorkInput::default()
                    };
                    plan.act(plan.at(claim_day + 29, 16, 30), item, "xianwei", "assess", input);
                }
                Fate::Returned => {
                    plan.act(
                        plan.at(claim_day + 28, 16, 0),
                        item,
                        "xianwei",
                        "return",
                        note("成果材料缺少示范点农户增收数据和群众评价，请补充完善后再提交"),
                    );
                    let text = format!("{}：补充示范点农户增收数据，组织群众评价", spec.title);
                    plan.act(
                        plan.at(claim_day + 34, 10, 0),
                        item,
                        &lead,
                        "report_milestone",
                        with_evidence(text, &[format!("{}-补充材料.pdf", spec.title)]),
                    );
                }
                Fate::Progress(_) | Fate::Claimed if list.due_day < 60 => {
                    // The committee urges a claim that is running out of time.
                    plan.act(
                        plan.at(list.due_day - 5, 9, 0),
                        item,
                        "xianwei",
                        "urge",
                        note("距榜单交账期限不足一周，请加快进度，按期提交成果"),
                    );
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// What happens to each order; about forty in all.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OrderFate {
    Rated(i64),
    RatedLate(i64),
    Declined,
    Closed,
    Cancelled,
    Urged,
    Delivered,
    Taken,
    Placed,
    Ordered,
}

fn plan_orders(plan: &mut Plan, world: &mut World) {
    use OrderFate as F;
    let finished: Vec<OrderFate> = vec![
        F::Rated(5),
        F::Rated(5),
        F::Rated(4),
        F::Closed,
        F::Rated(5),
        F::RatedLate(4),
        F::Cancelled,
        F::Rated(5),
        F::Rated(3),
        F::Rated(5),
        F::Declined,
        F::Rated(4),
        F::Closed,
        F::Rated(5),
        F::RatedLate(3),
        F::Rated(5),
        F::Cancelled,
        F::Rated(4),
        F::Urged,
        F::Rated(5),
        F::Closed,
        F::Rated(5),
        F::Rated(4),
        F::RatedLate(4),
        F::Rated(5),
        F::Closed,
        F::Cancelled,
        F::Rated(5),
        F::Rated(4),
        F::Closed,
        F::Rated(5),
        F::Rated(5),
    ];
    let open = [F::Delivered, F::Delivered, F::Taken, F::Taken, F::Placed, F::Ordered, F::Delivered, F::Ordered];
    let mut rng = Rng(0x5eed_0f0d_e125_2026);
    let count = finished.len() + open.len();
    for index in 0..count {
        let (fate, day) = if index < finished.len() {
            (finished[index], 4 + (index as i64 * 52) / finished.len() as i64)
        } else {
            (open[index - finished.len()], if open[index - finished.len()] == F::Delivered { 58 } else { 59 })
        };
        let laojie = index % 3 == 2;
        let region = if laojie { LAOJIE } else { GUANGYUANBAO };
        let resident = if laojie {
            LAOJIE_RESIDENTS[index % LAOJIE_RESIDENTS.len()]
        } else {
            GUANGYUANBAO_RESIDENTS[index % GUANGYUANBAO_RESIDENTS.len()]
        };
        let service = (index * 7 + 3) % SERVICES.len();
        let entered_by = (!laojie && index % 4 == 1).then_some("wanggeyuan");
        world.orders.push(OrderSpec { region, service, resident, entered_by });
        let item = ItemRef::Order(index);
        let (community, team, members): (&str, &str, &[&str]) = if laojie {
            ("v002001", "老街社区为老服务队", &["laojiefuwu"])
        } else {
            ("guangyuanbao", "广元堡社区志愿服务队", &["fuwu", "fuwu2"])
        };
        let member = members[index % members.len()];
        let hour = rng.between(8, 16);
        let t0 = plan.at(day, hour, rng.between(0, 50));
        let minutes = |m: i64| t0 + SignedDuration::from_mins(m);
        plan.push(t0, Op::Order(index));
        let team_id = world.unit_ids.get(team).copied();
        let place = WorkInput { reason: format!("派{team}接单"), lead_unit_id: team_id, ..WorkInput::default() };
        if fate == F::Cancelled {
            if index % 4 == 2 {
                plan.push(minutes(2), Op::Act { item, who: Who::Resident, action: "cancel", input: note("家里人已经安排好了，取消订单") });
            } else {
                plan.act(minutes(3), item, community, "place", place);
                plan.act(minutes(6), item, community, "cancel", note("经电话核实，老人已由子女接走，取消订单"));
            }
            continue;
        }
        if fate == F::Ordered {
            continue;
        }
        plan.act(minutes(rng.between(1, 4)), item, community, "place", place.clone());
        if fate == F::Placed {
            continue;
        }
        let mut taken_at = rng.between(5, 9);
        let mut taker = member;
        match fate {
            F::RatedLate(_) => taken_at = rng.between(18, 35),
            F::Urged => {
                plan.act(minutes(12), item, community, "urge", note("督单：订单已超过10分钟未接，请服务队立即响应"));
                taken_at = 16;
            }
            F::Declined if members.len() > 1 => {
                plan.act(minutes(5), item, member, "decline", note("该时段队员均在外服务，无法按时上门"));
                plan.act(minutes(7), item, community, "place", place.clone());
                taker = members[(index + 1) % members.len()];
                taken_at = 9;
            }
            _ => {}
        }
        plan.act(minutes(taken_at), item, taker, "take", WorkInput::default());
        if fate == F::Taken {
            continue;
        }
        let (_, name, finish_hours, _) = SERVICES[service];
        let delivered_at = taken_at + rng.between(20, finish_hours * 30);
        let evidence = vec![format!("{name}服务记录-{}.jpg", index + 1)];
        plan.act(minutes(delivered_at), item, taker, "deliver", with_evidence(format!("{name}已完成，老人情况良好"), &evidence));
        match fate {
            F::Rated(_) | F::RatedLate(_) | F::Urged | F::Declined => {
                let rating = if let F::Rated(rating) | F::RatedLate(rating) = fate { rating } else { 4 };
                let comment = match rating {
                    5 => "服务很周到，谢谢志愿者",
                    4 => "挺好的，就是来得稍晚了一点",
                    _ => "服务还行，希望下次更准时",
                };
                let input = WorkInput { rating: Some(rating), reason: comment.into(), ..WorkInput::default() };
                plan.push(minutes(delivered_at + rng.between(30, 300)), Op::Act { item, who: Who::Resident, action: "rate", input });
            }
            F::Closed => plan.act(minutes(delivered_at + 24 * 60), item, community, "close", WorkInput::default()),
            _ => {}
        }
    }
}

fn plan_points(plan: &mut Plan) {
    let mut rng = Rng(0x9011_7500_2026_0511);
    let earn_rules: [(&str, &str); 4] = [
        ("volunteer", "参加社区志愿服务"),
        ("patrol", "参加夜间治安巡逻"),
        ("environment", "参加院落环境卫生整治"),
        ("volunteer", "参加“敬老爱老”志愿服务"),
    ];
    let prices: HashMap<&str, i64> = RULES.iter().map(|(code, _, _, points)| (*code, *points)).collect();
    for (community, (region, volunteers)) in VOLUNTEERS.iter().enumerate() {
        let keeper: &'static str = match *region {
            GUANGYUANBAO => "guangyuanbao",
            LAOJIE => "v002001",
            _ => "mengzhong",
        };
        for (person, holder) in volunteers.iter().enumerate() {
            let mut balance = 0;
            let earnings = rng.between(4, 7);
            for earning in 0..earnings {
                let day = 3 + earning * 6 + rng.between(0, 4) + person as i64;
                let (rule, reason) = earn_rules[rng.between(0, 3) as usize];
                let quantity = rng.between(1, 3);
                // Patrols are logged by the grid worker where the community has one.
                let by = if rule == "patrol" && *region == GUANGYUANBAO { "wanggeyuan" } else { keeper };
                balance += prices[rule] * quantity;
                plan.push(
                    plan.at(day, 18, 10 * person as i64),
                    Op::Earn { region, keeper: by, holder: *holder, rule, quantity, reason: reason.to_string() },
                );
            }
            // One entry was recorded twice and is corrected the next day.
            if community == 0 && person == 0 {
                plan.push(
                    plan.at(30, 18, 45),
                    Op::Earn {
                        region, keeper, holder: *holder, rule: "environment", quantity: 2, reason: "参加院落环境卫生整治".into()
                    },
                );
                plan.push(plan.at(31, 9, 15), Op::Correct { keeper, holder: holder.1, reason: "同一次环境整治重复登记，予以冲正" });
            }
            // Spend on the catalogue, never more than was earned.
            for (item, label) in [("oil", "兑换食用油一桶"), ("rice", "兑换大米五斤"), ("haircut", "兑换理发服务"), ("soap", "兑换洗衣皂")]
            {
                if balance >= prices[item] && (person + community) % 4 != 3 {
                    plan.push(
                        plan.at(50 + person as i64 * 2 + community as i64, 10, 0),
                        Op::Spend { keeper, holder: holder.1, rule: item, reason: format!("积分超市{label}") },
                    );
                    break;
                }
            }
        }
    }
}

fn plan_meetings(plan: &mut Plan, world: &mut World) -> Result<(), ServiceError> {
    let meetings = vec![
        MeetingSpec {
            kind: "板凳会",
            title: "广元堡社区院坝板凳会：听民声、解民忧",
            place: "广元堡社区党群服务中心院坝",
            region: GUANGYUANBAO,
            organiser: "guangyuanbao",
            minutes: "社区书记主持，居民代表23人参加。议定：更换5栋至7栋之间损坏路灯；研究在社区增设老年助餐点；通报上月诉求办理情况。",
            appeals: vec![
                ("5栋到7栋之间的路灯坏了好几盏，晚上老人出门很不方便，希望尽快修好。", "0201", "王德明", "13981620103"),
                ("社区独居老人多，希望在社区增设老年助餐点，解决吃饭难。", "0902", "陈秀英", "13981620101"),
            ],
            attendees: vec![
                ("罗志勇", Some("13981630101"), "志愿者"),
                ("何丽", Some("13981630102"), "志愿者"),
                ("冯建华", Some("13981630103"), "群众"),
                ("王德明", None, "群众"),
                ("陈秀英", None, "群众"),
                ("广元堡社区书记", None, "党员"),
            ],
            attachments: vec!["板凳会现场照片-1.jpg", "板凳会签到表.pdf"],
            schedule: Some(2),
            points_rule: Some("meeting"),
        },
        MeetingSpec {
            kind: "宣传活动",
            title: "法治宣传进社区暨防范电信诈骗宣讲",
            place: "新棉街道文化广场",
            region: "511824002",
            organiser: "xinmian",
            minutes: "街道司法所、派出所联合开展法治宣传，发放资料600余份，现场解答法律咨询32人次。",
            appeals: vec![],
            attendees: vec![("新棉街道司法所所长", None, "党员"), ("新棉派出所民警", None, "党员"), ("老街社区居民代表", None, "群众")],
            attachments: vec!["法治宣传活动照片.jpg"],
            schedule: Some(1),
            points_rule: None,
        },
        MeetingSpec {
            kind: "板凳会",
            title: "猛种村院坝会：春灌用水和道路安全",
            place: "猛种村村委会院坝",
            region: MENGZHONG,
            organiser: "mengzhong",
            minutes: "村支书主持，村民代表31人参加。议定：组织投工投劳修复二组灌溉水渠；对村道急弯处增设警示标志。",
            appeals: vec![("二组灌溉水渠有一段垮塌，春灌放不下水，村民自己修不了。", "0701", "杨木呷", "13981630302")],
            attendees: vec![
                ("王阿呷", Some("13981630301"), "群众"),
                ("杨木呷", Some("13981630302"), "群众"),
                ("李尔古", Some("13981630303"), "党员"),
                ("罗拉姆", Some("13981630304"), "群众"),
            ],
            attachments: vec!["猛种村院坝会照片.jpg"],
            schedule: None,
            points_rule: Some("meeting"),
        },
        MeetingSpec {
            kind: "演练",
            title: "蟹螺藏族乡汛期地质灾害应急避险演练",
            place: "蟹螺藏族乡猛种村安置点",
            region: "511824202",
            organiser: "xieluo",
            minutes: "模拟强降雨引发滑坡险情，开展预警发布、人员转移、搜救和安置演练，转移群众120人，用时18分钟。",
            appeals: vec![],
            attendees: vec![("蟹螺藏族乡应急队员", None, "民兵"), ("猛种村群众代表", None, "群众"), ("县应急管理局指导组", None, "党员")],
            attachments: vec!["演练现场照片-1.jpg", "演练方案.pdf"],
            schedule: Some(0),
            points_rule: None,
        },
        MeetingSpec {
            kind: "圆桌会议",
            title: "广元堡社区楼栋长圆桌会议",
            place: "广元堡社区议事室",
            region: GUANGYUANBAO,
            organiser: "guangyuanbao",
            minutes: "楼栋长、物业、居民代表围坐议事。议定：3栋漏水纠纷交由街道调解员介入调解；物业公示维修基金使用情况。",
            appeals: vec![("3栋楼上住户装修后卫生间漏水到我家，找了几次都不管，希望社区出面协调。", "0601", "李淑芬", "13981620102")],
            attendees: vec![
                ("邓春梅", Some("13981630104"), "楼栋长"),
                ("罗志勇", Some("13981630101"), "楼栋长"),
                ("曾德富", Some("13981630105"), "老党员"),
                ("物业公司经理", None, "物业"),
            ],
            attachments: vec!["圆桌会议纪要.pdf"],
            schedule: None,
            points_rule: Some("meeting"),
        },
        MeetingSpec {
            kind: "主题党日",
            title: "新棉街道“我为群众办实事”主题党日",
            place: "新棉街道党群服务中心",
            region: "511824002",
            organiser: "xinmian",
            minutes: "重温入党誓词，学习接诉即办工作要求，党员认领社区微心愿12个。",
            appeals: vec![],
            attendees: vec![("新棉街道党工委书记", None, "党员"), ("老街社区党委书记", None, "党员"), ("广元堡社区党委书记", None, "党员")],
            attachments: vec!["主题党日照片.jpg"],
            schedule: None,
            points_rule: None,
        },
        MeetingSpec {
            kind: "培训",
            title: "全县网格员业务培训",
            place: "县群众急难愁盼事项服务中心会议室",
            region: "511824",
            organiser: "dispatcher",
            minutes: "讲解诉求分级分类、四色预警和办理时限，演示民情枢纽的走访登记和离线上报，参训网格员86人。",
            appeals: vec![],
            attendees: vec![("广元堡社区网格员", None, "网格员"), ("猛种村网格员", None, "网格员"), ("海耳村网格员", None, "网格员")],
            attachments: vec!["培训课件.pdf", "培训签到表.pdf"],
            schedule: None,
            points_rule: None,
        },
        MeetingSpec {
            kind: "板凳会",
            title: "广元堡社区院坝板凳会：助餐点选址",
            place: "广元堡社区党群服务中心院坝",
            region: GUANGYUANBAO,
            organiser: "guangyuanbao",
            minutes: "通报老年助餐点筹建进展，居民投票确定助餐点设在社区党群服务中心一楼。",
            appeals: vec![],
            attendees: vec![
                ("何丽", Some("13981630102"), "志愿者"),
                ("冯建华", Some("13981630103"), "群众"),
                ("邓春梅", Some("13981630104"), "楼栋长"),
            ],
            attachments: vec!["板凳会现场照片-2.jpg"],
            schedule: Some(2),
            points_rule: Some("meeting"),
        },
    ];
    let days = [10, 12, 18, 20, 24, 30, 35, 40];
    for (index, day) in days.iter().enumerate() {
        plan.push(plan.at(*day, 19, 30), Op::Meeting(index));
    }
    // The appeals the meetings raised are handled by the village: accepted, dispatched to
    // itself, signed for; two are resolved, the dispute one goes to mediation.
    let walks: [(usize, usize, &str, i64, Option<&str>); 4] = [
        (0, 0, "guangyuanbao", 13, Some("已联系县综合执法局更换5栋至7栋之间路灯4盏，现已全部恢复照明。")),
        (0, 1, "guangyuanbao", 21, Some("社区已将老年助餐纳入服务目录，党群服务中心助餐点本月起供餐，可通过“点单”预约送餐。")),
        (2, 0, "mengzhong", 26, Some("已组织村民投工投劳，县水利局补助材料，二组水渠垮塌段修复通水。")),
        (4, 0, "guangyuanbao", 0, None),
    ];
    for (meeting, appeal, who, resolve_day, reply) in walks {
        let day = days[meeting];
        let steps = [
            (plan.at(day + 1, 9, 0), AppealStatus::Received, Command::Accept { note: Some("板凳会上群众反映，社区受理".into()) }),
            (
                plan.at(day + 1, 9, 20),
                AppealStatus::Accepted,
                Command::Dispatch { lead_unit_id: 0, co_unit_ids: vec![], note: Some("本级自办".into()) },
            ),
            (plan.at(day + 1, 10, 0), AppealStatus::Dispatched, Command::SignFor),
            (plan.at(day + 2, 15, 0), AppealStatus::SignedFor, Command::RecordProgress { note: "已电话联系反映人，约定上门查看".into() }),
        ];
        for (at, when, command) in steps {
            plan.push(at, Op::AppealStep { meeting, appeal, who: who.to_string(), when, command });
        }
        if let Some(reply) = reply {
            plan.push(
                plan.at(resolve_day, 16, 0),
                Op::AppealStep {
                    meeting,
                    appeal,
                    who: who.to_string(),
                    when: AppealStatus::InProgress,
                    command: Command::Resolve { reply: reply.into() },
                },
            );
        }
    }
    world.meeting_specs = meetings;
    Ok(())
}

/// Schedules: a flood drill a quarter in 蟹螺藏族乡 and a legal publicity event every half
/// year in 新棉街道, both running since before the demo's history (so their first periods
/// were missed), and a monthly 板凳会 in 广元堡社区.
async fn create_schedules(hub: &Hub, world: &mut World, start: Timestamp) -> Result<(), ServiceError> {
    let first = hub.calendar.local_date(start).first_of_month();
    let month = |months: i64| -> Result<String, ServiceError> {
        let date = first.checked_add(jiff::Span::new().months(months)).map_err(|error| ServiceError::Internal(error.to_string()))?;
        Ok(date.strftime("%Y-%m").to_string())
    };
    let schedules = [
        ("演练", "汛期地质灾害应急避险演练（每季度一次）", "511824202", XIELUO, 3, month(-3)?),
        ("宣传活动", "法治宣传进社区（每半年一次）", "511824002", XINMIAN, 6, month(-6)?),
        ("板凳会", "广元堡社区院坝板凳会（每月一次）", GUANGYUANBAO, "广元堡社区党委", 1, month(0)?),
    ];
    for (kind, title, region, organiser, every_months, starts_month) in schedules {
        let schedule = ScheduleRow {
            id: 0,
            kind: kind.into(),
            title: title.into(),
            region_code: region.into(),
            organiser_unit_id: world.unit(organiser)?,
            every_months,
            starts_month,
            remind_days: 7,
            active: true,
        };
        world.schedules.push(hub.db.insert_schedule(&schedule, hub.clock.now_ms()).await?);
    }
    Ok(())
}

fn plan_ledgers(plan: &mut Plan, world: &mut World) -> Result<(), ServiceError> {
    let county: Vec<(&'static str, String, i64, &'static str)> = vec![
        ("城区主次干道占道经营清理", ZHIFA.into(), 25, "滨河路、解放路、新棉路沿线"),
        ("建筑垃圾消纳场规范管理", ZHUJIAN.into(), 30, "规范进场登记和覆盖防尘"),
        ("大渡河沿岸垃圾清理", SHENGTAI.into(), 30, "城区段两岸垃圾和漂浮物"),
        ("国省干道沿线环境整治", JIAOTONG.into(), 35, "G108沿线乱堆乱放、破损护栏"),
        ("农村公厕改造验收", NONGYE.into(), 40, "2026年改造的12座农村公厕"),
        ("河道“清四乱”专项整治", SHUILI.into(), 70, "松林河、田湾河重点河段"),
        ("城区绿化补植", LINYE.into(), 45, "滨河公园和主干道行道树"),
        ("背街小巷环境卫生", XINMIAN.into(), 50, "老街片区背街小巷"),
        ("农村公路边沟清淤", JIAOTONG.into(), 40, "县乡道边沟清淤约30公里"),
    ];
    let street: Vec<(&'static str, String, i64, &'static str)> = vec![
        ("老旧院落路面硬化", "老街社区党委".into(), 32, "老街8号院、3号院"),
        ("社区老年助餐点建设", "广元堡社区党委".into(), 40, "党群服务中心一楼"),
        ("小区消防通道划线", "新街社区党委".into(), 36, "辖区5个小区"),
        ("居民健身广场改造", "川棉社区党委".into(), 75, "川棉小区广场"),
        ("独居老人定期探访", "向阳社区党委".into(), 45, "辖区独居老人28人每周探访"),
        ("社区充电棚建设", "岩子社区党委".into(), 60, "因规划调整取消"),
    ];
    world.ledger_specs = vec![
        LedgerSpec {
            title: "2026年城乡环境综合整治重点任务台账", region: "511824", keeper: "supervisor", opened_day: 5, tasks: county
        },
        LedgerSpec {
            title: "新棉街道2026年民生实事任务台账", region: "511824002", keeper: "xinmian", opened_day: 8, tasks: street
        },
    ];
    for (index, ledger) in world.ledger_specs.iter().enumerate() {
        plan.push(plan.at(ledger.opened_day, 9, 0), Op::Ledger(index));
    }
    let check = |title: &str| with_evidence(format!("{title}已完成，附现场照片和验收记录，申请销号"), &[format!("{title}-销号材料.pdf")]);
    // The county ledger: (task, day, who acts for its unit, action).
    let county_steps: [(usize, i64, &str); 7] = [
        (0, 22, "check_off"),
        (1, 28, "check_off"),
        (5, 30, "record_progress"),
        (2, 35, "check_off"),
        (4, 38, "check_off"),
        (6, 44, "check_off"),
        (7, 47, "check_off"),
    ];
    for (task, day, action) in county_steps {
        let (title, unit, _, _) = &world.ledger_specs[0].tasks[task];
        let actor = world.actor_of(unit)?;
        let input = if action == "check_off" { check(title) } else { note(format!("{title}：已完成约四成河段整治")) };
        plan.act(plan.at(day, 17, 0), ItemRef::Task(0, task), &actor, action, input);
    }
    // The one lagging unit (县交通运输局, two overdue tasks) gets the reminder notice.
    plan.push(plan.at(45, 9, 0), Op::Remind { ledger: 0, note: "" });
    let (title, unit, _, _) = &world.ledger_specs[0].tasks[7];
    let actor = world.actor_of(unit)?;
    plan.act(plan.at(49, 10, 0), ItemRef::Task(0, 7), "supervisor", "reopen", note("复查发现老街片区背街小巷垃圾反弹，重新挂号整改"));
    plan.act(plan.at(53, 17, 0), ItemRef::Task(0, 7), &actor, "check_off", check(title));
    plan.act(
        plan.at(52, 16, 0),
        ItemRef::Task(0, 3),
        &world.actor_of(JIAOTONG)?,
        "record_progress",
        note("收到工作提示函，已完成G108沿线整治约六成，正加派人手"),
    );
    // The street's ledger.
    let street_steps: [(usize, i64, &str); 4] = [(0, 30, "check_off"), (1, 39, "check_off"), (2, 37, "check_off"), (4, 44, "check_off")];
    for (task, day, action) in street_steps {
        let (title, unit, _, _) = &world.ledger_specs[1].tasks[task];
        plan.act(plan.at(day, 16, 30), ItemRef::Task(1, task), &world.actor_of(unit)?, action, check(title));
    }
    plan.act(plan.at(20, 11, 0), ItemRef::Task(1, 5), "xinmian", "cancel", note("规划调整，充电棚并入县城市更新项目统一建设"));
    Ok(())
}

async fn plan_disputes(plan: &mut Plan, world: &mut World, hub: &Hub) -> Result<(), ServiceError> {
    let party =
        |name: &str, phone: Option<&str>, role: &str| Party { name: name.into(), phone: phone.map(str::to_string), role: role.into() };
    let mut disputes = vec![
        DisputeSpec {
            title: "广元堡社区3栋装修漏水纠纷".into(),
            summary: "楼上住户装修后卫生间漏水至楼下，双方多次协商未果，经楼栋长圆桌会议提交调解。".into(),
            region: GUANGYUANBAO.into(),
            registered_by: "guangyuanbao".into(),
            parties: vec![party("李淑芬", Some("13981620102"), "申请人"), party("黄先生", None, "被申请人")],
            appeal: Some(AppealRef::Meeting(4, 0)),
        },
        DisputeSpec {
            title: "猛种村二组土地边界纠纷".into(),
            summary: "两户村民因承包地边界界桩位置发生争执，影响春耕。".into(),
            region: MENGZHONG.into(),
            registered_by: "mengzhong".into(),
            parties: vec![party("王阿呷", Some("13981630301"), "申请人"), party("杨木呷", Some("13981630302"), "被申请人")],
            appeal: None,
        },
        DisputeSpec {
            title: "回隆村务工人员工资纠纷".into(),
            summary: "6名村民在本地砂石场务工，被拖欠工资约4万元。".into(),
            region: "511824101201".into(),
            registered_by: "huilong".into(),
            parties: vec![party("回隆村务工村民代表", None, "申请人"), party("某砂石场负责人", None, "被申请人")],
            appeal: None,
        },
        DisputeSpec {
            title: "老街社区赡养纠纷".into(),
            summary: "八旬老人反映子女互相推诿赡养责任，生活费和看病费用无人承担。".into(),
            region: LAOJIE.into(),
            registered_by: "tiaojie".into(),
            parties: vec![
                party("赵兰英", Some("13981620202"), "申请人"),
                party("老人长子", None, "被申请人"),
                party("老人次子", None, "被申请人"),
            ],
            appeal: None,
        },
    ];
    // Disputes from the demo's own appeals: neighbour disputes a village signed for and
    // is still working on, registered once the appeal's last step is behind it.
    let register_day = 38;
    let filter = crate::storage::appeals::AppealFilter::default();
    let appeals = hub.db.list_appeals(None, &filter, crate::storage::appeals::AppealOrder::Newest, None, 10_000).await?;
    let mut candidates: Vec<_> = appeals
        .into_iter()
        .filter(|appeal| {
            matches!(appeal.status, AppealStatus::SignedFor | AppealStatus::InProgress)
                && appeal.category_code.as_deref().is_some_and(|code| code.starts_with("06"))
                && appeal.region_code.len() == 12
                && appeal.updated_ms < plan.at(register_day, 0, 0).as_millisecond()
        })
        .collect();
    candidates.sort_by(|a, b| a.number.cmp(&b.number));
    for appeal in candidates.into_iter().take(2) {
        let village =
            world.unit_ids.iter().find(|(_, id)| Some(**id) == appeal.owner_unit_id.or(appeal.lead_unit_id)).map(|(name, _)| name.clone());
        let Some(registered_by) = village.and_then(|name| world.actor_of(&name).ok()) else { continue };
        let unit = world.staff(&registered_by)?.unit;
        if !unit.kind.is_territorial() || !appeal.region_code.starts_with(unit.region_code.as_str()) {
            continue;
        }
        let text: String = appeal.text.chars().take(60).collect();
        disputes.push(DisputeSpec {
            title: format!("{}诉求转调解", appeal.number),
            summary: format!("群众诉求经核实属矛盾纠纷，转入人民调解：{text}"),
            region: appeal.region_code.clone(),
            registered_by,
            parties: vec![party("反映人", None, "申请人"), party("相关当事人", None, "被申请人")],
            appeal: Some(AppealRef::Number(appeal.number.clone())),
        });
    }
    // (registered, assigned, sessions, the end: agreement or failure, follow-up, closed).
    let timelines: [(i64, Option<i64>, &[i64], Option<(i64, bool)>, Option<i64>, Option<i64>); 6] = [
        (25, Some(26), &[28, 31], Some((33, true)), Some(40), Some(45)),
        (28, Some(29), &[33, 40], Some((48, false)), None, Some(50)),
        (50, Some(51), &[55], None, None, None),
        (56, None, &[], None, None, None),
        (register_day, Some(register_day + 1), &[register_day + 4], Some((register_day + 8, true)), Some(register_day + 14), None),
        (register_day + 1, Some(register_day + 2), &[register_day + 6], Some((register_day + 10, true)), None, None),
    ];
    for (index, spec) in disputes.iter().enumerate() {
        let (registered, assigned, sessions, end, follow_up, closed) = timelines[index.min(timelines.len() - 1)];
        let item = ItemRef::Dispute(index);
        plan.push(plan.at(registered, 10, 0), Op::Dispute(index));
        let owner = spec.registered_by.clone();
        // In 新棉街道 the street's mediator takes the case; elsewhere the village's own
        // mediation committee with a trusted elder.
        let in_xinmian = spec.region.starts_with("511824002");
        let (mediator, unit, names) = if in_xinmian {
            ("tiaojie".to_string(), Some(world.unit(XINMIAN)?), "新棉街道人民调解员杨大姐、老党员曾德富")
        } else {
            (owner.clone(), None, "村人民调解委员会、德高望重的老支书")
        };
        if let Some(day) = assigned {
            let input =
                WorkInput { reason: "指派调解员".into(), person_name: Some(names.into()), lead_unit_id: unit, ..WorkInput::default() };
            plan.act(plan.at(day, 9, 30), item, &owner, "assign", input);
        }
        for (number, day) in sessions.iter().enumerate() {
            let text = if number == 0 {
                "双方到场，调解员分别听取陈述，实地查看现场"
            } else {
                "再次组织双方面对面协商，释法明理，分歧逐步缩小"
            };
            plan.act(plan.at(*day, 14, 30), item, &mediator, "hold_session", note(text));
        }
        if let Some((day, agreed)) = end {
            if agreed {
                let text = "双方自愿达成调解协议：责任方负责维修并赔偿损失，另一方不再追究，协议当场签字";
                plan.act(plan.at(day, 16, 0), item, &mediator, "reach_agreement", with_evidence(text, &["人民调解协议书.pdf".to_string()]));
                if in_xinmian {
                    plan.push(
                        plan.at(day, 18, 0),
                        Op::Earn {
                            region: GUANGYUANBAO,
                            keeper: "guangyuanbao",
                            holder: ELDER,
                            rule: "mediation",
                            quantity: 1,
                            reason: format!("参与调解《{}》", spec.title),
                        },
                    );
                }
            } else {
                plan.act(
                    plan.at(day, 16, 0),
                    item,
                    &mediator,
                    "fail",
                    note("双方分歧较大，经多次调解未能达成一致，已告知通过诉讼途径解决"),
                );
            }
        }
        if let Some(day) = follow_up {
            plan.act(plan.at(day, 10, 0), item, &owner, "follow_up", note("回访：协议已履行，双方关系缓和"));
        }
        if let Some(day) = closed {
            plan.act(plan.at(day, 11, 0), item, &owner, "close", WorkInput::default());
        }
        if index == 2 {
            plan.act(plan.at(54, 9, 0), item, "dispatcher", "urge", note("欠薪纠纷涉及群众切身利益，请加快调解进度"));
        }
    }
    world.dispute_specs = disputes;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running one step.

async fn run(hub: &Hub, world: &mut World, op: Op) -> Result<(), ServiceError> {
    match op {
        Op::Publish(index) => {
            let list = &LISTS[index];
            let staff = world.staff("xianwei")?;
            let problems: Vec<NewProblem> = list
                .problems
                .iter()
                .map(|problem| NewProblem { title: problem.title.into(), goal: problem.goal.into(), criteria: problem.criteria.into() })
                .collect();
            let due = hub
                .calendar
                .local_date(hub.clock.now() + SignedDuration::from_hours(24 * (list.due_day - list.published_day)))
                .to_zoned(hub.calendar.time_zone().clone())
                .map_err(|error| ServiceError::Internal(error.to_string()))?
                .timestamp()
                + SignedDuration::from_hours(18);
            let (_, items) =
                programmes::publish_challenge_list(hub, &staff, list.title, list.description, "511824", due, &problems).await?;
            for (problem, item) in items.iter().enumerate() {
                world.numbers.insert(ItemRef::Problem(index, problem), item.number.clone());
            }
            world.list_items.push(items.into_iter().map(|item| item.number).collect());
        }
        Op::Act { item, who, action, input } => {
            let number = world.number(item)?;
            let actor = match who {
                Who::User(username) => Actor::Staff(world.staff(&username)?),
                Who::Resident => Actor::Resident,
            };
            work::act(hub, &actor, &number, action, input).await?;
        }
        Op::Order(index) => {
            let spec = world.orders[index].clone();
            let (code, _, _, note) = SERVICES[spec.service];
            let order = NewOrder {
                region_code: spec.region.into(),
                service_code: code.into(),
                requester_name: spec.resident.0.into(),
                requester_phone: spec.resident.1.into(),
                address: Some(spec.resident.2.into()),
                note: Some(note.into()),
                window_start: None,
                window_end: None,
            };
            let staff = spec.entered_by.map(|username| world.staff(username)).transpose()?;
            let (item, _secret) = programmes::order_service(hub, staff.as_ref(), order).await?;
            world.numbers.insert(ItemRef::Order(index), item.number);
        }
        Op::Earn { region, keeper, holder, rule, quantity, reason } => {
            let staff = world.staff(keeper)?;
            let journal =
                points::earn(hub, &staff, region, &Holder { name: holder.0.into(), phone: holder.1.into() }, rule, quantity, &reason)
                    .await?;
            if let Some(credit) = journal.postings.iter().find(|posting| posting.amount > 0) {
                world.accounts.insert(holder.1, (credit.account_id, journal.id));
            }
        }
        Op::Spend { keeper, holder, rule, reason } => {
            let (account, _) =
                world.accounts.get(holder).copied().ok_or_else(|| ServiceError::Internal(format!("no points account for {holder}")))?;
            points::spend(hub, &world.staff(keeper)?, account, rule, 1, &reason).await?;
        }
        Op::Correct { keeper, holder, reason } => {
            let (_, journal) =
                world.accounts.get(holder).copied().ok_or_else(|| ServiceError::Internal(format!("no points account for {holder}")))?;
            points::correct(hub, &world.staff(keeper)?, journal, reason).await?;
        }
        Op::Meeting(index) => {
            let spec = world.meeting_specs[index].clone();
            let staff = world.staff(spec.organiser)?;
            let (meeting_id, numbers) = record_meeting(hub, &staff, &spec).await?;
            let attendees: Vec<NewAttendee> = spec
                .attendees
                .iter()
                .map(|(name, phone, role)| NewAttendee {
                    name: (*name).into(),
                    phone: phone.map(str::to_string),
                    role: Some((*role).into()),
                })
                .collect();
            let attachments: Vec<String> = spec.attachments.iter().map(|name| name.to_string()).collect();
            let schedule = spec.schedule.map(|index| world.schedules[index]);
            programmes::record_attendance(hub, &staff, meeting_id, schedule, &attachments, &attendees, spec.points_rule).await?;
            world.meetings.push((meeting_id, numbers));
        }
        Op::AppealStep { meeting, appeal, who, when, command } => {
            let number = world
                .meetings
                .get(meeting)
                .and_then(|(_, numbers)| numbers.get(appeal))
                .cloned()
                .ok_or_else(|| ServiceError::Internal(format!("meeting {meeting} raised no appeal {appeal}")))?;
            let current = hub.db.appeal_by_number(&number).await?.ok_or_else(|| ServiceError::NotFound(number.clone()))?;
            if current.status != when {
                return Ok(());
            }
            let staff = world.staff(&who)?;
            let command = match command {
                Command::Dispatch { co_unit_ids, note, .. } => Command::Dispatch { lead_unit_id: staff.unit.id, co_unit_ids, note },
                other => other,
            };
            actions::act(hub, &number, &Actor::Staff(staff), command).await?;
        }
        Op::Ledger(index) => {
            let spec = &world.ledger_specs[index];
            let staff = world.staff(spec.keeper)?;
            let mut tasks = Vec::new();
            for (title, unit, due_day, detail) in &spec.tasks {
                let days_ahead = due_day - spec.opened_day;
                let due = hub.clock.now() + SignedDuration::from_hours(24 * days_ahead);
                tasks.push(NewTask {
                    title: (*title).into(),
                    unit_id: world.unit(unit)?,
                    due_at: due.to_string(),
                    detail: Some((*detail).into()),
                });
            }
            let (list, items) = programmes::create_ledger(hub, &staff, spec.title, spec.region, &tasks).await?;
            for (task, item) in items.iter().enumerate() {
                world.numbers.insert(ItemRef::Task(index, task), item.number.clone());
            }
            world.ledgers.push(list.id);
        }
        Op::Remind { ledger, note } => {
            let staff = world.staff(world.ledger_specs[ledger].keeper)?;
            programmes::remind_lagging_units(hub, &staff, world.ledgers[ledger], note).await?;
        }
        Op::Dispute(index) => {
            let spec = world.dispute_specs[index].clone();
            let staff = world.staff(&spec.registered_by)?;
            let appeal = match &spec.appeal {
                Some(AppealRef::Meeting(meeting, appeal)) => {
                    world.meetings.get(*meeting).and_then(|(_, numbers)| numbers.get(*appeal)).cloned()
                }
                Some(AppealRef::Number(number)) => Some(number.clone()),
                None => None,
            };
            let item =
                programmes::register_dispute(hub, &staff, &spec.title, &spec.summary, &spec.region, &spec.parties, appeal.as_deref())
                    .await?;
            world.numbers.insert(ItemRef::Dispute(index), item.number);
        }
    }
    Ok(())
}

/// Records meeting minutes with the appeals raised there, as `POST /api/v1/meetings` does:
/// the meeting and its appeals in one transaction, each appeal through intake.
async fn record_meeting(hub: &Hub, staff: &Staff, spec: &MeetingSpec) -> Result<(i64, Vec<String>), ServiceError> {
    let mut prepared = Vec::new();
    for (text, category, name, phone) in &spec.appeals {
        let contact = Contact::parse(Some(name), Some(phone)).map_err(|error| ServiceError::invalid("contact", error.to_string()))?;
        let input = NewAppeal {
            text: (*text).into(),
            point: None,
            region_code: Some(spec.region.into()),
            address: Some(spec.place.into()),
            channel: Channel::Meeting,
            contact,
            category_code: Some((*category).into()),
            meeting_id: None,
            judgement: Some(StaffJudgement { urgent: Some(false), triage: Some(Triage::Small), tier: Some(Tier::Blue) }),
        };
        prepared.push(intake::prepare(hub, input, Some(staff)).await?);
    }
    let now = hub.clock.now_ms();
    let mut transaction = hub.db.begin_write().await?;
    let meeting = crate::storage::meetings::NewMeeting {
        kind: spec.kind,
        title: spec.title,
        place: Some(spec.place),
        region_code: spec.region,
        held_ms: now,
        minutes: Some(spec.minutes),
        recorded_by: staff.user_id,
        created_ms: now,
    };
    let meeting_id = crate::storage::meetings::insert_meeting(&mut transaction, &meeting).await?;
    let mut numbers = Vec::new();
    for mut appeal in prepared {
        appeal.set_meeting(meeting_id);
        numbers.push(intake::store(hub, &mut transaction, appeal).await?.appeal.number);
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok((meeting_id, numbers))
}
