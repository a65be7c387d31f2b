//! The interface texts in Simplified Chinese (the default) and English.
//!
//! One table serves the page templates (`Texts::s`) and the scripts (`/i18n/zh.js`,
//! `/i18n/en.js`, which set `window.MQ_TEXTS`). A key that is missing shows as itself,
//! and a test checks that every key the templates and scripts use is in the table.

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
}

/// The texts of one language, for templates.
#[derive(Debug, Clone, Copy)]
pub struct Texts(pub Lang);

impl Texts {
    /// The text for `key`, or the key itself when the table lacks it.
    pub fn s<'a>(&self, key: &'a str) -> &'a str {
        match TEXTS.iter().find(|(candidate, _, _)| *candidate == key) {
            Some((_, zh, en)) => match self.0 {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => key,
        }
    }
}

/// The table as a script that sets `window.MQ_TEXTS`.
pub fn dictionary_js(lang: Lang) -> String {
    let map: serde_json::Map<String, serde_json::Value> = TEXTS
        .iter()
        .map(|(key, zh, en)| (key.to_string(), serde_json::Value::String(if lang == Lang::Zh { zh } else { en }.to_string())))
        .collect();
    format!("window.MQ_TEXTS={};\n", serde_json::Value::Object(map))
}

/// (key, 中文, English).
pub const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "民情枢纽", "Minqing"),
    ("app.noscript", "本页需要启用 JavaScript。", "This page needs JavaScript."),
    ("app.footer", "民情枢纽 · 接诉即办 · 开源软件", "Minqing · the appeal hub · open source"),
    ("nav.skip", "跳到正文", "Skip to content"),
    ("nav.label", "主导航", "Main navigation"),
    ("nav.sign_out", "退出登录", "Sign out"),
    ("nav.other_lang", "English", "中文"),
    // Pages.
    ("portal", "我要反映", "Raise an appeal"),
    ("follow", "查询进度", "Follow an appeal"),
    ("login", "工作人员登录", "Staff sign-in"),
    ("queue", "我的待办", "My queue"),
    ("appeal", "诉求详情", "Appeal"),
    ("intake", "来电与会议录入", "Calls and meeting minutes"),
    ("map", "网格地图", "Grid map"),
    ("dashboard", "数据看板", "Dashboard"),
    ("report", "月度报表", "Monthly report"),
    // Portal.
    (
        "portal.lead",
        "有什么困难或建议？写下来，我们会转给负责的网格和单位，并在规定时限内答复。",
        "Tell us the problem or suggestion. We pass it to the grid and unit in charge and reply within the time limit.",
    ),
    ("portal.text", "反映内容", "What is the problem?"),
    ("portal.text_hint", "说清楚什么事、在哪里、从什么时候开始。", "Say what, where and since when."),
    ("portal.place", "地点", "Place"),
    ("portal.by_village", "选择村(社区)", "Choose a village"),
    ("portal.by_map", "在地图上点选", "Pick on the map"),
    ("portal.township", "乡镇(街道)", "Township"),
    ("portal.village", "村(社区)", "Village or community"),
    ("portal.choose", "请选择", "Choose"),
    ("portal.map_hint", "点击地图上的位置；可用 + − 缩放。", "Tap the place on the map; zoom with + and −."),
    ("portal.picked", "已选位置：", "Picked: "),
    ("portal.picked_grid", "所属网格：", "Grid: "),
    ("portal.address", "详细地址(选填)", "Address (optional)"),
    ("portal.contact", "联系方式(选填)", "Contact (optional)"),
    (
        "portal.contact_hint",
        "仅办理人员可见，用于回访；不会公开。",
        "Only the people handling it see this, to call you back. Never published.",
    ),
    ("portal.name", "姓名", "Name"),
    ("portal.phone", "电话", "Phone"),
    ("portal.photo", "照片(选填)", "Photo (optional)"),
    (
        "portal.photo_hint",
        "照片会先在手机上压缩再发送，节省流量；只有办理人员和您本人能看到。",
        "The photo is shrunk on your phone before it is sent, to save data; only the people handling it and you can see it.",
    ),
    ("portal.photo_preview", "待发送的照片", "The photo to send"),
    ("portal.photo_remove", "不要这张照片", "Remove the photo"),
    ("portal.photo_pending", "照片待发送", "photo waiting to send"),
    ("portal.photo_sending", "正在发送照片…", "Sending the photo…"),
    ("portal.photo_sent", "照片已发送。", "The photo was sent."),
    (
        "portal.photo_waiting",
        "诉求已收到；照片已保存在本机，联网后自动发送。",
        "The appeal was received; the photo is kept on this device and sent when the connection returns.",
    ),
    ("portal.photo_failed", "照片未能发送：", "The photo was not sent: "),
    (
        "portal.photo_no_room",
        "本机存储空间不足，照片未能保存；诉求会照常发送。",
        "This device has no room to keep the photo; the appeal is sent without it.",
    ),
    ("photo.title", "照片", "Photos"),
    ("photo.add", "添加照片", "Add a photo"),
    ("photo.added", "照片已添加。", "The photo was added."),
    ("photo.none", "没有照片。", "No photos."),
    ("photo.caption", "照片", "Photo"),
    ("photo.alt", "诉求照片", "Photo of the appeal"),
    ("photo.wrong_type", "请选择一张照片(JPEG、PNG 或 WebP)。", "Choose a photo (JPEG, PNG or WebP)."),
    ("photo.unreadable", "这张照片无法读取。", "This photo cannot be read."),
    ("portal.submit", "提交", "Submit"),
    ("portal.receipt_title", "已收到您的诉求", "Your appeal was received"),
    ("portal.receipt_number", "诉求编号：", "Number:"),
    ("portal.receipt_secret", "查询码：", "Secret:"),
    (
        "portal.receipt_keep",
        "请记下编号和查询码，凭它们查询进度和评价。本机也已保存。",
        "Write down the number and the secret: you need both to follow and rate it. This device keeps them too.",
    ),
    ("portal.receipt_follow", "查看进度", "See its progress"),
    ("portal.another", "再反映一件", "Raise another"),
    ("portal.mine", "本机提交的诉求", "Appeals sent from this device"),
    ("portal.mine_hint", "只保存在这台手机或电脑上。", "Kept only on this phone or computer."),
    ("portal.mine_empty", "还没有。", "None yet."),
    (
        "portal.queued",
        "网络不通，已保存在本机，联网后自动发送。",
        "No connection: saved on this device and sent automatically when the connection returns.",
    ),
    ("portal.outbox", "待发送：", "Waiting to send: "),
    ("portal.outbox_sent", "已自动发送保存在本机的诉求。", "The appeal saved on this device was sent."),
    ("portal.sending", "正在提交…", "Sending…"),
    ("portal.need_text", "请填写反映内容。", "Please describe the problem."),
    (
        "portal.need_place",
        "请选择村(社区)、在地图上点选位置，或填写地址。",
        "Choose a village, pick a point on the map, or type an address.",
    ),
    ("portal.failed", "提交未成功：", "Not sent: "),
    ("portal.pending", "待发送", "waiting to send"),
    // Follow.
    ("follow.number", "诉求编号", "Appeal number"),
    ("follow.secret", "查询码", "Secret"),
    ("follow.look", "查询", "Look up"),
    ("follow.received", "受理时间：", "Received:"),
    ("follow.reply", "答复", "Reply"),
    ("follow.history", "办理经过", "What happened"),
    ("follow.rate", "请评价办理结果", "Rate the outcome"),
    ("follow.resolution", "问题解决了吗？", "Was it resolved?"),
    ("follow.satisfaction", "您满意吗？", "Are you satisfied?"),
    ("follow.comment", "意见(选填)", "Comment (optional)"),
    ("follow.send_rating", "提交评价", "Send rating"),
    ("follow.rated", "您的评价：", "Your rating:"),
    ("follow.thanks", "谢谢您的评价。", "Thank you for rating."),
    ("follow.not_found", "没有找到：请核对编号和查询码。", "Not found: check the number and the secret."),
    ("follow.merged", "此诉求已与同类诉求合并办理：", "Handled together with the same appeal:"),
    ("resolution.resolved", "已解决", "Resolved"),
    ("resolution.partly", "部分解决", "Partly"),
    ("resolution.not_resolved", "未解决", "Not resolved"),
    ("satisfaction.satisfied", "满意", "Satisfied"),
    ("satisfaction.basically_satisfied", "基本满意", "Basically satisfied"),
    ("satisfaction.dissatisfied", "不满意", "Dissatisfied"),
    // Sign-in.
    ("login.username", "用户名", "User name"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("login.hint", "登录状态只保存在本标签页，关闭即退出。", "You stay signed in only in this tab; closing it signs you out."),
    ("login.failed", "登录失败：", "Sign-in failed: "),
    // Queue.
    ("queue.which", "范围", "Which"),
    ("queue.mine", "本单位待办", "My unit's queue"),
    ("queue.all", "辖区全部", "All in my area"),
    ("queue.status", "状态", "Status"),
    ("queue.open", "未办结", "Open"),
    ("queue.any", "全部", "Any"),
    ("queue.tier", "等级", "Tier"),
    ("queue.category", "类别", "Category"),
    ("queue.channel", "渠道", "Channel"),
    ("queue.grid", "网格", "Grid"),
    ("queue.from", "受理起", "Received from"),
    ("queue.before", "受理止(不含)", "Received before"),
    ("queue.sort", "排序", "Sort"),
    ("queue.sort_deadline", "按时限(最急在前)", "By deadline (soonest first)"),
    ("queue.sort_newest", "按受理时间(最新在前)", "Newest first"),
    ("queue.overdue_only", "只看已超时", "Overdue only"),
    ("queue.apply", "查询", "Apply"),
    ("queue.col_deadline", "时限", "Due"),
    ("queue.col_number", "编号", "Number"),
    ("queue.col_text", "内容", "Text"),
    ("queue.empty", "没有符合条件的诉求。", "Nothing matches."),
    ("queue.more", "加载更多", "Load more"),
    ("queue.overdue", "已超时", "overdue"),
    ("queue.no_deadline", "无", "none"),
    ("queue.signed_in_as", "当前用户：", "Signed in as "),
    // Appeal page.
    ("appeal.where", "位置", "Where"),
    ("appeal.actions", "可办理操作", "What you can do"),
    ("appeal.no_actions", "您当前不能对此诉求进行操作。", "There is nothing you can do on this appeal now."),
    ("appeal.timeline", "全程记录", "Full history"),
    ("insights.why", "研判依据", "Why it was classified so"),
    ("insights.confidence", "置信度", "Confidence"),
    ("insights.duplicates", "疑似重复诉求", "Possible duplicates"),
    ("insights.no_duplicates", "未发现同一地点的相似诉求。", "No similar open appeal at the same place."),
    ("insights.similarity", "文本相似度", "Text similarity"),
    (
        "insights.merge_hint",
        "如确属同一问题，可用“合并”操作并入主诉求，所有反映人都会收到办理结果。",
        "If it is the same problem, use Merge: every reporter will hear the outcome.",
    ),
    ("insights.hotspots", "热点预警", "Hot-spot warnings"),
    ("insights.no_hotspots", "当前没有未处理的热点预警。", "No open hot-spot warning."),
    ("insights.count", "近期", "Recent"),
    ("insights.usual", "通常", "Usual"),
    ("insights.topics", "每月一题候选", "One topic a month: candidates"),
    ("insights.no_topics", "本月尚无可统计的诉求。", "No categorised appeals this month yet."),
    ("insights.township", "乡镇（街道）", "Township"),
    ("insights.candidates", "高频问题（件数）", "Most frequent problems (count)"),
    ("appeal.do", "确定", "Confirm"),
    ("appeal.cancel", "取消", "Cancel"),
    ("appeal.done", "已办理：", "Done: "),
    ("appeal.no_point", "没有坐标；按地址或村(社区)定位。", "No point; placed by address or village."),
    ("appeal.contact", "联系人", "Contact"),
    ("appeal.masked", "(已脱敏)", "(masked)"),
    ("appeal.channel", "渠道", "Channel"),
    ("appeal.category", "类别", "Category"),
    ("appeal.triage", "三事分流", "Triage"),
    ("appeal.region", "地区", "Region"),
    ("appeal.grid", "网格", "Grid"),
    ("appeal.address", "地址", "Address"),
    ("appeal.received", "受理时间", "Received"),
    ("appeal.deadline", "当前时限", "Next deadline"),
    ("appeal.owner", "责任单位", "Owner"),
    ("appeal.lead", "主办单位", "Lead unit"),
    ("appeal.co", "协办单位", "Co-handlers"),
    ("appeal.counts", "退单/重办/催办", "Returns/reopens/urges"),
    ("appeal.rating", "评价", "Rating"),
    ("appeal.urgent", "紧急", "urgent"),
    ("appeal.needs_triage", "待人工研判", "needs triage"),
    ("appeal.merged_into", "已并入", "Merged into"),
    ("appeal.field.note", "说明", "Note"),
    ("appeal.field.reason", "理由", "Reason"),
    ("appeal.field.reply", "答复群众", "Reply to the resident"),
    ("appeal.field.lead_unit_id", "主办单位", "Lead unit"),
    ("appeal.field.co_unit_ids", "协办单位(可多选)", "Co-handlers (several allowed)"),
    ("appeal.field.working_days", "延期工作日", "Extra working days"),
    ("appeal.field.reached", "已联系上群众", "Resident reached"),
    ("appeal.field.resolution", "解决情况", "Resolution"),
    ("appeal.field.satisfaction", "满意度", "Satisfaction"),
    ("appeal.field.comment", "意见", "Comment"),
    ("appeal.field.primary_number", "合并到(主诉求编号)", "Merge into (primary number)"),
    ("appeal.field.category_code", "类别", "Category"),
    ("appeal.field.tier", "等级", "Tier"),
    ("appeal.field.triage", "三事分流", "Triage"),
    ("appeal.keep", "不变", "unchanged"),
    // Intake.
    ("intake.call", "来电登记", "Hotline call"),
    ("intake.meeting", "会议纪要", "Meeting minutes"),
    ("intake.suggest", "自动判断", "Suggest from the text"),
    ("intake.save_call", "登记", "Record the call"),
    ("intake.kind", "会议类型", "Kind of meeting"),
    ("intake.title", "会议主题", "Title"),
    ("intake.place", "会议地点", "Where it was held"),
    ("intake.held", "召开时间", "When"),
    ("intake.minutes", "纪要", "Minutes"),
    ("intake.appeals", "会上收集的诉求", "Appeals raised at the meeting"),
    ("intake.add_appeal", "增加一条诉求", "Add an appeal"),
    ("intake.remove", "删除", "Remove"),
    ("intake.save_meeting", "保存纪要与诉求", "Save minutes and appeals"),
    ("intake.saved", "已登记", "Recorded"),
    ("intake.appeal_n", "诉求", "Appeal"),
    // Map.
    ("map.area", "范围", "Area"),
    ("map.colour_by", "着色", "Colour by"),
    ("map.by_open", "未办结数量", "Open appeals"),
    ("map.by_overdue", "超时占比", "Overdue share"),
    ("map.click_grid", "点击网格查看网格人员和诉求。", "Click a grid to see its people and appeals."),
    ("map.as_table", "以表格查看", "Show as a table"),
    ("map.open", "未办结", "Open"),
    ("map.overdue", "已超时", "Overdue"),
    ("map.members", "网格人员", "People"),
    ("map.appeals", "未办结诉求", "Open appeals"),
    ("map.none", "无", "none"),
    ("map.zoom_in", "放大", "Zoom in"),
    ("map.zoom_out", "缩小", "Zoom out"),
    ("map.reset", "复位", "Reset"),
    ("map.label", "网格地图", "Map of grids"),
    ("map.legend_low", "少", "few"),
    ("map.legend_high", "多", "many"),
    // Dashboard.
    ("dash.month", "月份", "Month"),
    ("dash.rates", "本月指标", "This month's rates"),
    (
        "dash.rates_hint",
        "口径：按当月受理的诉求统计；响应率=按时签收占比；满意率含基本满意；无数据显示“—”。",
        "Counted over appeals received in the month; response = signed for in time; satisfaction counts basically satisfied; — means no data.",
    ),
    ("dash.days", "每日受理与办结", "Received and resolved per day"),
    ("dash.ranking", "单位月度排名", "Monthly ranking of units"),
    ("dash.weights", "综合得分 = 响应率×{r} + 解决率×{s} + 满意率×{t}", "Score = response × {r} + resolution × {s} + satisfaction × {t}"),
    ("dash.categories", "本月高频问题(每月一题候选)", "Top categories this month (topic-of-the-month candidates)"),
    ("dash.as_table", "以表格查看", "Show as a table"),
    ("dash.csv", "下载 CSV", "Download CSV"),
    ("dash.received", "受理", "Received"),
    ("dash.resolved", "办结", "Resolved"),
    ("dash.rated", "已评价", "Rated"),
    ("dash.response_rate", "响应率", "Response rate"),
    ("dash.resolution_rate", "解决率", "Resolution rate"),
    ("dash.satisfaction_rate", "满意率", "Satisfaction rate"),
    ("dash.on_time_rate", "按时办结率", "On-time rate"),
    ("dash.return_rate", "退单率", "Return rate"),
    ("dash.reopen_rate", "重办率", "Reopen rate"),
    ("dash.mean_handling_hours", "平均办理时长(小时)", "Mean handling time (hours)"),
    ("dash.day", "日期", "Day"),
    ("dash.rank", "名次", "Rank"),
    ("dash.unit", "单位", "Unit"),
    ("dash.score", "综合得分", "Score"),
    ("dash.category", "类别", "Category"),
    ("dash.count", "件数", "Count"),
    ("dash.uncategorised", "未分类", "Uncategorised"),
    // Report.
    ("report.unit", "单位", "Unit"),
    ("report.show", "生成", "Show"),
    ("report.print", "打印 / 存为 PDF", "Print / save as PDF"),
    ("report.title", "月度工作报表", "Monthly report"),
    ("report.position", "排名", "Position"),
    ("report.rank_of", "在 {n} 个单位中排第 {r} 名", "Rank {r} of {n} units"),
    ("report.not_ranked", "本月没有该单位的诉求。", "No appeals for this unit this month."),
    ("report.open_list", "本单位未办结诉求", "The unit's open appeals"),
    ("report.generated", "生成时间：", "Generated:"),
    ("report.metric", "指标", "Metric"),
    ("report.value", "数值", "Value"),
    // Errors and common words.
    ("err.network", "网络不通，请稍后再试。", "No connection; try again later."),
    ("err.session", "登录已过期，请重新登录。", "Your session ended; please sign in again."),
    ("err.generic", "出错了：", "Something went wrong: "),
    ("common.loading", "加载中…", "Loading…"),
    ("common.yes", "是", "yes"),
    ("common.no", "否", "no"),
    ("common.dash", "—", "—"),
    // Statuses.
    ("status.received", "待受理", "Received"),
    ("status.accepted", "已受理", "Accepted"),
    ("status.rejected", "不予受理", "Rejected"),
    ("status.dispatched", "已派单", "Dispatched"),
    ("status.signed_for", "已签收", "Signed for"),
    ("status.in_progress", "办理中", "In progress"),
    ("status.returned", "已退单", "Returned"),
    ("status.resolved", "已办结", "Resolved"),
    ("status.followed_up", "已回访", "Followed up"),
    ("status.rated", "已评价", "Rated"),
    ("status.closed", "已归档", "Closed"),
    ("status.merged", "已合并", "Merged"),
    // Tiers.
    ("tier.green", "绿色", "Green"),
    ("tier.blue", "蓝色", "Blue"),
    ("tier.yellow", "黄色", "Yellow"),
    ("tier.red", "红色", "Red"),
    // Triage.
    ("triage.private", "私事", "Private"),
    ("triage.small", "小事", "Small"),
    ("triage.big", "大事", "Big"),
    // Channels.
    ("channel.hotline", "热线", "Hotline"),
    ("channel.web", "网站", "Web"),
    ("channel.mini_program", "小程序", "Mini-program"),
    ("channel.grid_visit", "民情家访", "Grid visit"),
    ("channel.meeting", "会议", "Meeting"),
    ("channel.party_rep", "党代表", "Party representative"),
    ("channel.open311", "Open311", "Open311"),
    // Actions.
    ("action.accept", "受理", "Accept"),
    ("action.reject", "不予受理", "Reject"),
    ("action.dispatch", "派单", "Dispatch"),
    ("action.sign_for", "签收", "Sign for"),
    ("action.record_progress", "记录进展", "Record progress"),
    ("action.return", "退单", "Return"),
    ("action.request_extension", "申请延期", "Ask for extension"),
    ("action.grant_extension", "同意延期", "Grant extension"),
    ("action.refuse_extension", "不同意延期", "Refuse extension"),
    ("action.pause", "暂停计时", "Pause"),
    ("action.resume", "恢复计时", "Resume"),
    ("action.resolve", "办结并答复", "Resolve with reply"),
    ("action.follow_up", "回访", "Follow up"),
    ("action.rate", "记录评价", "Record rating"),
    ("action.reopen", "重办", "Reopen"),
    ("action.merge", "合并重复", "Merge duplicate"),
    ("action.close", "归档", "Close"),
    ("action.reclassify", "改类/调级", "Reclassify"),
    ("action.urge", "催办", "Urge"),
    ("action.escalate", "升级", "Escalate"),
    // Events.
    ("event.received", "登记", "Received"),
    ("event.accepted", "受理", "Accepted"),
    ("event.rejected", "不予受理", "Rejected"),
    ("event.dispatched", "派单", "Dispatched"),
    ("event.signed_for", "签收", "Signed for"),
    ("event.progress", "办理进展", "Progress"),
    ("event.returned", "退单", "Returned"),
    ("event.extension_requested", "申请延期", "Extension requested"),
    ("event.extension_granted", "同意延期", "Extension granted"),
    ("event.extension_refused", "不同意延期", "Extension refused"),
    ("event.paused", "暂停计时", "Paused"),
    ("event.resumed", "恢复计时", "Resumed"),
    ("event.resolved", "办结", "Resolved"),
    ("event.followed_up", "回访", "Followed up"),
    ("event.rated", "评价", "Rated"),
    ("event.reopened", "重办", "Reopened"),
    ("event.merged", "合并", "Merged"),
    ("event.duplicate_attached", "并入重复诉求", "Duplicate attached"),
    ("event.primary_resolved", "主诉求已办结", "Primary resolved"),
    ("event.supplemented", "群众补充", "Resident added"),
    ("event.imported", "历史导入", "Imported"),
    ("event.closed", "归档", "Closed"),
    ("event.reclassified", "改类/调级", "Reclassified"),
    ("event.urged", "催办", "Urged"),
    ("event.escalated", "升级", "Escalated"),
    ("report.xlsx", "导出 Excel", "Download as Excel"),
    ("report.no_open", "没有在办诉求。", "No open appeals."),
    // The public board.
    ("board", "办结公示", "Resolved appeals"),
    ("board.lead", "近期已办结的群众诉求，按村(社区)和类别查看。", "Appeals resolved recently, by village and category."),
    (
        "board.privacy",
        "为保护个人信息，这里不公开群众反映的原文和联系方式；答复中的电话、证件号和姓名已隐去；私人事项不公示。",
        "To protect people, the residents' own words and contacts are not published; phone and ID numbers and names are removed from replies; private matters are not listed.",
    ),
    ("board.empty", "没有符合条件的已办结诉求。", "No resolved appeals match."),
    ("board.received", "受理 ", "Received "),
    ("board.resolved", "办结 ", "resolved "),
    ("board.days", "用时 {n} 天", "{n} days"),
    ("board.uncategorised", "未分类", "Uncategorised"),
    // Administration.
    ("admin", "系统管理", "Administration"),
    ("admin.only", "只有系统管理员可以使用本页。", "Only administrators can use this page."),
    ("admin.grids", "区域与网格", "Regions and grids"),
    ("admin.people", "单位与人员", "Units and users"),
    ("admin.categories", "诉求分类", "Categories"),
    ("admin.policies", "办理时限", "Deadline policies"),
    ("admin.calendar", "节假日", "Holidays"),
    ("admin.templates", "消息模板", "Message templates"),
    ("admin.grid_file", "导入网格(GeoJSON 文件)", "Import grids (a GeoJSON file)"),
    (
        "admin.grid_file_hint",
        "FeatureCollection；每个要素的属性含 id、region_code(12 位村/社区代码)，可选 name、parent_id。全部校验通过才写入；同 id 的网格被替换。",
        "A FeatureCollection; each feature's properties carry id and region_code (a 12-digit village or community), optionally name and parent_id. Nothing is written unless every feature is valid; a grid with the same id is replaced.",
    ),
    ("intake.judgement", "受理人研判(可选)", "Your judgement (optional)"),
    (
        "intake.judgement_hint",
        "不选则由系统按内容建议；能当场解决的小事选绿色，危及生命财产安全的勾选紧急(直接列为红色)。",
        "Left empty, the system suggests from the text; choose green for a small matter solved on the spot, tick urgent for danger to life or property now (it starts red).",
    ),
    ("intake.urgent", "紧急：危及生命财产安全", "Urgent: danger to life or property now"),
    ("admin.draw_grid", "在地图上绘制网格", "Draw a grid on the map"),
    ("admin.edit_shape", "在地图上修改边界", "Edit the outline on the map"),
    (
        "admin.draw_hint",
        "在地图上依次点击网格的各个拐点；拖动拐点可调整位置，双击拐点可删除；修改已有边界时，点击边线附近可插入拐点。边线不能交叉。",
        "Click the grid's corners on the map in turn; drag a corner to move it, double-click it to remove it; on an existing outline, a click near a side inserts a corner. Sides must not cross.",
    ),
    ("admin.corners", "个拐点", "corners"),
    ("admin.grid_id", "网格编号", "Grid id"),
    ("admin.corner", "拐点", "Corner"),
    ("admin.undo_corner", "撤销上一个拐点", "Undo the last corner"),
    ("admin.parent_grid", "上级网格(可选)", "Parent grid (optional)"),
    (
        "admin.grid_id_hint",
        "编号用字母、数字、- 或 _，如 511824202205-03；同编号的网格会被替换。",
        "The id uses letters, digits, - or _, e.g. 511824202205-03; a grid with the same id is replaced.",
    ),
    ("admin.need_corners", "至少需要 3 个拐点。", "At least 3 corners are needed."),
    ("admin.need_village", "请选择网格所属的村(社区)。", "Choose the grid's village or community."),
    ("admin.need_id", "请填写网格编号。", "Fill in the grid id."),
    ("admin.import", "导入", "Import"),
    ("admin.imported", "已导入：", "Imported: "),
    ("admin.choose_file", "请先选择文件。", "Choose a file first."),
    ("admin.assign", "指派人员", "Assign a person"),
    ("admin.assigned", "已指派。", "Assigned."),
    ("admin.person", "人员", "Person"),
    ("admin.grid_role", "职责", "Role on the grid"),
    ("admin.remove", "移除", "Remove"),
    ("admin.units", "单位", "Units"),
    ("admin.filter", "筛选", "Filter"),
    ("admin.users", "人员", "Users"),
    ("admin.name", "名称", "Name"),
    ("admin.kind", "类型", "Kind"),
    ("admin.region_code", "所在区划代码", "Region code"),
    ("admin.head", "负责人", "Head"),
    ("admin.edit", "修改", "Edit"),
    ("admin.new_unit", "新建单位", "New unit"),
    ("admin.create", "新建", "Create"),
    ("admin.username", "用户名", "User name"),
    ("admin.display_name", "姓名", "Display name"),
    ("admin.password", "密码", "Password"),
    (
        "admin.password_hint",
        "新建时必填，至少 8 位；修改时留空表示不改。",
        "Required for a new user, at least 8 characters; leave empty when editing to keep it.",
    ),
    ("admin.roles", "角色", "Roles"),
    ("admin.active", "启用", "Active"),
    ("admin.new_user", "新建人员", "New user"),
    ("admin.edit_user", "修改人员", "Edit user"),
    ("admin.save", "保存", "Save"),
    ("admin.cancel", "取消", "Cancel"),
    ("admin.saved", "已保存。", "Saved."),
    ("admin.yes", "是", "yes"),
    ("admin.no", "否", "no"),
    ("admin.code", "分类代码", "Code"),
    (
        "admin.code_hint",
        "一级分类 2 位数字；二级分类为上级代码加 2 位。代码一经使用不能修改，可停用。",
        "Two digits for a top-level category; a child is its parent's code and two more digits. Codes cannot change once used; deactivate instead.",
    ),
    ("admin.parent", "上级分类", "Parent"),
    ("admin.top_level", "(一级分类)", "(top level)"),
    ("admin.department", "默认承办部门", "Default department"),
    ("admin.days", "默认时限(工作日)", "Default limit (working days)"),
    ("admin.new_category", "新建分类", "New category"),
    ("admin.versions", "历史版本", "Versions"),
    ("admin.version", "版本", "Version"),
    ("admin.when", "时间", "When"),
    ("admin.note", "修改说明", "Why it changed"),
    ("admin.view", "查看", "View"),
    ("admin.current", "当前", "current"),
    ("admin.old_version", "历史版本(只读)", "old version (read only)"),
    (
        "admin.policy_hint",
        "保存后生成新版本，只用于此后受理的诉求；已受理的诉求沿用原版本。",
        "Saving makes a new version for appeals received from now on; appeals already received keep theirs.",
    ),
    ("admin.policy_json", "时限规则(JSON)", "The policy (JSON)"),
    ("admin.save_version", "保存为新版本", "Save as a new version"),
    ("admin.bad_json", "JSON 格式有误：", "The JSON is not valid: "),
    ("admin.ics_file", "导入节假日(iCalendar .ics 文件)", "Import holidays (an iCalendar .ics file)"),
    (
        "admin.ics_hint",
        "标题以(休)结尾的日子为放假，以(班)结尾的为调休上班。各服务器重启后，新日期计入办理时限。",
        "Days whose summary ends in (休) are days off, (班) make-up working days. Deadlines count new days once each server restarts.",
    ),
    ("admin.restart_needed", "重启服务后生效", "takes effect when the server restarts"),
    ("admin.pending_restart", "待重启生效", "after restart"),
    ("admin.year", "年份", "Year"),
    ("admin.date", "日期", "Date"),
    ("admin.day_kind", "安排", "Kind"),
    ("admin.source", "来源", "Source"),
    (
        "admin.templates_hint",
        "花括号中的占位符会被替换，如 {number}、{deadline}。",
        "Placeholders in braces are filled in, e.g. {number}, {deadline}.",
    ),
    ("admin.title", "标题", "Title"),
    ("admin.body", "正文", "Text"),
    ("admin.edited", "修改于 ", "Edited "),
    ("admin.shipped_text", "使用系统默认文字", "Using the shipped text"),
    ("day.off", "放假(休)", "Day off (休)"),
    ("day.working", "调休上班(班)", "Make-up working day (班)"),
    ("source.shipped", "内置", "built in"),
    ("source.imported", "导入", "imported"),
    ("weekday.0", "周日", "Sun"),
    ("weekday.1", "周一", "Mon"),
    ("weekday.2", "周二", "Tue"),
    ("weekday.3", "周三", "Wed"),
    ("weekday.4", "周四", "Thu"),
    ("weekday.5", "周五", "Fri"),
    ("weekday.6", "周六", "Sat"),
    ("role.admin", "系统管理员", "Administrator"),
    ("role.operator", "话务员", "Operator"),
    ("role.dispatcher", "研判交办员", "Dispatcher"),
    ("role.handler", "承办人", "Handler"),
    ("role.grid_worker", "网格员", "Grid worker"),
    ("role.party_rep", "党代表", "Party representative"),
    ("role.supervisor", "监督员", "Supervisor"),
    ("role.leader", "领导", "Leader"),
    ("unit_kind.service_centre", "县群众急难愁盼事项服务中心", "County service centre"),
    ("unit_kind.department", "县级部门", "County department"),
    ("unit_kind.township_committee", "乡镇街道党(工)委", "Township committee"),
    ("unit_kind.village_organisation", "村(社区)党组织", "Village party organisation"),
    ("unit_kind.service_team", "服务队", "Service team"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the templates and scripts use is in the table, once.
    #[test]
    fn every_used_key_is_translated_once() {
        let mut seen = std::collections::HashSet::new();
        for (key, zh, en) in TEXTS {
            assert!(seen.insert(*key), "duplicate key {key}");
            assert!(!zh.is_empty() && !en.is_empty(), "empty text for {key}");
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for folder in ["templates", "src/web/static"] {
            for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                sources.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
        let mut missing = Vec::new();
        for (file, text) in &sources {
            for marker in ["t.s(\"", "MQ.t('"] {
                for (index, _) in text.match_indices(marker) {
                    let rest = &text[index + marker.len()..];
                    let key: String = rest.chars().take_while(|c| *c != '"' && *c != '\'').collect();
                    // A key ending in '.' is a prefix completed at run time (`'status.' + status`);
                    // the enum test below checks those.
                    let known = if key.ends_with('.') {
                        seen.iter().any(|candidate| candidate.starts_with(key.as_str()))
                    } else {
                        seen.contains(key.as_str())
                    };
                    if !known && !key.is_empty() {
                        missing.push(format!("{file}: {key}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys without texts: {missing:?}");
    }

    /// Every value the API sends that the scripts translate has a text.
    #[test]
    fn every_enum_value_has_a_text() {
        use crate::domain::appeal::{AppealStatus, Channel, Resolution, Satisfaction, Tier, Triage};
        use crate::domain::history::EventKind;
        let mut keys: Vec<String> = Vec::new();
        keys.extend(AppealStatus::ALL.iter().map(|value| format!("status.{}", value.as_str())));
        keys.extend(Tier::ALL.iter().map(|value| format!("tier.{}", value.as_str())));
        keys.extend(Triage::ALL.iter().map(|value| format!("triage.{}", value.as_str())));
        keys.extend(Channel::ALL.iter().map(|value| format!("channel.{}", value.as_str())));
        keys.extend(Resolution::ALL.iter().map(|value| format!("resolution.{}", value.as_str())));
        keys.extend(Satisfaction::ALL.iter().map(|value| format!("satisfaction.{}", value.as_str())));
        keys.extend(EventKind::ALL.iter().map(|value| format!("event.{}", value.as_str())));
        keys.extend(crate::http::appeals::act::ACTION_NAMES.iter().map(|name| format!("action.{name}")));
        keys.extend(crate::domain::access::Role::ALL.iter().map(|value| format!("role.{}", value.as_str())));
        keys.extend(crate::domain::access::UnitKind::ALL.iter().map(|value| format!("unit_kind.{}", value.as_str())));
        let missing: Vec<&String> = keys.iter().filter(|key| !TEXTS.iter().any(|(candidate, _, _)| candidate == key)).collect();
        assert!(missing.is_empty(), "values without texts: {missing:?}");
    }
}
