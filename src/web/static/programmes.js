// The programmes for staff, one tab each: challenge lists (揭榜挂帅), service orders and the
// 10-minute service circle, points (积分), meetings and schedules, task ledgers (台账) and
// mediation. Lists come from the JSON API in the reader's scope; each item opens on its
// own page (/staff/work/{number}), which offers only the actions the engine allows.
'use strict';
(function () {
  var me = null;
  var units = [];
  var loaded = {};
  var current = 'challenges';
  var EVERY = { 1: 'prog.mt.every_1', 3: 'prog.mt.every_3', 6: 'prog.mt.every_6', 12: 'prog.mt.every_12' };
  var TABS = ['challenges', 'orders', 'points', 'meetings', 'ledgers', 'disputes'];

  // ------------------------------------------------------------ small helpers

  function unitName(id) {
    var unit = units.filter(function (candidate) { return candidate.id === id; })[0];
    return unit ? unit.name : (id === null || id === undefined ? MQ.t('common.dash') : '#' + id);
  }
  function when(ms) { return ms ? MQ.time(new Date(ms).toISOString()) : MQ.t('common.dash'); }
  function day(ms) { return ms ? when(ms).slice(0, 10) : MQ.t('common.dash'); }
  function failed(error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); }
  function done(key) { MQ.say(MQ.t(key), 'ok'); }
  function value(id) { return MQ.$(id).value.trim(); }
  // A date input's day as the end of that working day in China time.
  function endOfDay(date) { return date + 'T18:00:00+08:00'; }
  function localTime(text) { return text ? text + ':00+08:00' : null; }

  function table(id, head, rows, emptyKey) {
    var node = MQ.clear(MQ.$(id));
    node.appendChild(MQ.el('thead', {}, [MQ.el('tr', {}, head.map(function (h) { return MQ.el('th', { scope: 'col', text: h }); }))]));
    var body = rows.map(function (row) {
      return MQ.el('tr', {}, row.map(function (cell, index) {
        // The column's name goes with each cell: on a phone the rows stack and the header hides.
        return MQ.el('td', { 'data-label': head[index] || null }, [cell === null || cell === undefined ? MQ.t('common.dash') : (typeof cell === 'object' ? cell : String(cell))]);
      }));
    });
    if (!body.length) body.push(MQ.el('tr', {}, [MQ.el('td', { colspan: head.length, class: 'hint', text: MQ.t(emptyKey || 'prog.none') })]));
    node.appendChild(MQ.el('tbody', {}, body));
  }

  function itemLink(number) { return MQ.el('a', { href: '/staff/work/' + number, class: 'mono', text: number }); }
  function statusBadge(status, late) {
    return MQ.el('span', {}, [MQ.el('span', { class: 'badge wk-' + status, text: MQ.t('wk.status.' + status) }), late ? MQ.el('span', { class: 'flag', text: MQ.t('prog.late') }) : null]);
  }
  function option(select, value, label, selected) { select.appendChild(MQ.el('option', { value: value, text: label, selected: selected })); }
  function fillSelect(id, items, blankKey) {
    var select = MQ.clear(MQ.$(id));
    if (blankKey) option(select, '', MQ.t(blankKey));
    items.forEach(function (item) { option(select, item[0], item[1]); });
    return select;
  }

  // ------------------------------------------------------------ the place picker

  // The region the lists are for: the chosen community, else the township, else the reader's.
  function region() { return MQ.$('p-village').value || MQ.$('p-township').value || (me && me.unit_region_code) || MQ.county(); }
  // A community (village or neighbourhood, 12 digits), needed by orders and points.
  function community() { return MQ.$('p-village').value; }

  function loadVillages(township, selected) {
    var village = MQ.clear(MQ.$('p-village'));
    option(village, '', MQ.t('prog.any_community'));
    village.disabled = true;
    if (!township) return Promise.resolve();
    return MQ.api('GET', '/regions/' + township).then(function (place) {
      place.children.forEach(function (child) { option(village, child.code, child.name, child.code === selected); });
      village.disabled = false;
    });
  }

  function setUpPlace() {
    var own = (me && me.unit_region_code) || '';
    return MQ.api('GET', '/regions/' + MQ.county()).then(function (county) {
      var township = MQ.$('p-township');
      county.children.forEach(function (child) { option(township, child.code, child.name, own.length >= 9 && child.code === own.slice(0, 9)); });
      township.addEventListener('change', function () { loadVillages(township.value, ''); });
      return loadVillages(township.value, own.length >= 12 ? own.slice(0, 12) : '');
    });
  }

  // ------------------------------------------------------------ challenge lists

  function addProblem() {
    var box = MQ.$('ch-problems');
    var n = box.children.length + 1;
    var id = function (name) { return 'ch-p' + n + '-' + name; };
    box.appendChild(MQ.el('fieldset', { class: 'problem' }, [
      MQ.el('legend', { text: MQ.t('prog.ch.problem') + ' ' + n }),
      MQ.el('label', { for: id('title'), text: MQ.t('prog.field.title') + ' *' }), MQ.el('input', { id: id('title'), class: 'p-title', maxlength: 200, required: true }),
      MQ.el('label', { for: id('goal'), text: MQ.t('prog.goal') + ' *' }), MQ.el('textarea', { id: id('goal'), class: 'p-goal', rows: 2, maxlength: 4000, required: true }),
      MQ.el('label', { for: id('criteria'), text: MQ.t('prog.criteria') + ' *' }), MQ.el('textarea', { id: id('criteria'), class: 'p-criteria', rows: 2, maxlength: 4000, required: true })
    ]));
  }

  function loadChallenges() {
    var lists = MQ.api('GET', '/public/challenge-lists').then(function (answer) {
      var box = MQ.clear(MQ.$('ch-lists'));
      if (!answer.length) box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('prog.none') }));
      answer.slice().reverse().forEach(function (list, index) {
        var id = 'ch-list-' + index;
        box.appendChild(MQ.el('h3', { id: id, text: list.title }));
        box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('prog.due') + '：' + day(list.due_ms) + ' · ' + MQ.t('pub.progress').replace('{claimed}', list.claimed).replace('{assessed}', list.assessed).replace('{total}', list.problems.length).replace('{late}', list.late) }));
        var tableNode = MQ.el('table', { class: 'list', id: id + '-table', 'aria-labelledby': id });
        box.appendChild(MQ.el('div', { class: 'table-wrap' }, [tableNode]));
        table(id + '-table', [MQ.t('prog.col_number'), MQ.t('prog.col_problem'), MQ.t('prog.col_status'), MQ.t('prog.col_units'), MQ.t('prog.field.leader'), MQ.t('prog.col_milestones'), MQ.t('prog.col_score')],
          list.problems.map(function (p) {
            return [itemLink(p.number), p.title, statusBadge(p.status, p.late), [p.lead_unit].concat(p.co_units).filter(Boolean).join('、') || null, p.leader, p.milestones, p.score === null ? null : p.score.toFixed(1)];
          }));
      });
    });
    var claimants = MQ.api('GET', '/challenge-lists/claimants').then(function (rows) {
      MQ.$('ch-claimants-card').hidden = false;
      table('ch-claimants', [MQ.t('dash.unit'), MQ.t('prog.ch.led'), MQ.t('prog.ch.joint'), MQ.t('prog.late'), MQ.t('prog.ch.assessed'), MQ.t('prog.ch.mean_score')],
        rows.map(function (r) { return [r.unit, r.lead, r.joint, r.late, r.assessed, r.mean_score === null ? null : r.mean_score.toFixed(1)]; }));
    }, function () { MQ.$('ch-claimants-card').hidden = true; });
    return Promise.all([lists, claimants]);
  }

  function publishChallenges(event) {
    event.preventDefault();
    var problems = Array.prototype.map.call(MQ.$('ch-problems').children, function (set) {
      return { title: set.querySelector('.p-title').value.trim(), goal: set.querySelector('.p-goal').value.trim(), criteria: set.querySelector('.p-criteria').value.trim() };
    });
    var body = { title: value('ch-title'), description: value('ch-description'), region_code: (me && me.unit_region_code) || MQ.county(), due_at: endOfDay(value('ch-due')), problems: problems };
    MQ.api('POST', '/challenge-lists', body).then(function (answer) {
      MQ.$('ch-form').reset();
      MQ.clear(MQ.$('ch-problems'));
      addProblem();
      return loadChallenges().then(function () { MQ.say(MQ.t('prog.ch.published').replace('{n}', answer.problems.length), 'ok'); });
    }, failed);
  }

  // ------------------------------------------------------------ service orders

  function needCommunity(pane) {
    var missing = !community();
    Array.prototype.forEach.call(MQ.$('tab-' + pane).querySelectorAll('.need-community'), function (node) { node.hidden = !missing; });
    return missing;
  }

  function inRegion(item) { return item.region_code.indexOf(region()) === 0; }

  function loadOrders() {
    needCommunity('orders');
    var place = community() || region();
    var jobs = [];
    jobs.push(MQ.api('GET', '/service-circle?region_code=' + place).then(function (record) {
      var tiles = MQ.clear(MQ.$('or-circle'));
      [
        ['prog.or.target_minutes', record.response_minutes],
        ['prog.or.orders_total', record.orders],
        ['prog.or.taken', record.taken],
        ['prog.or.within_target', record.taken_within_target],
        ['prog.or.within_rate', MQ.percent(record.within_target_rate)],
        ['prog.or.median', record.median_response_minutes === null ? MQ.t('common.dash') : record.median_response_minutes.toFixed(1)],
        ['prog.or.delivered', record.delivered],
        ['prog.late', record.late],
        ['prog.or.mean_rating', record.mean_rating === null ? MQ.t('common.dash') : record.mean_rating.toFixed(1)]
      ].forEach(function (pair) {
        tiles.appendChild(MQ.el('div', { class: 'tile' }, [MQ.el('span', { class: 'tile-value', text: String(pair[1]) }), MQ.el('span', { class: 'tile-label', text: MQ.t(pair[0]) })]));
      });
      MQ.$('target-minutes').value = record.response_minutes;
    }));
    jobs.push(MQ.api('GET', '/work-items?kind=service_order&limit=500').then(function (items) {
      table('or-list', [MQ.t('prog.col_number'), MQ.t('prog.or.service'), MQ.t('prog.col_status'), MQ.t('prog.or.resident'), MQ.t('appeal.received'), MQ.t('appeal.deadline'), MQ.t('appeal.lead')],
        items.filter(inRegion).reverse().map(function (item) {
          return [itemLink(item.number), item.title, statusBadge(item.status, item.late), item.requester_name, when(item.created_ms), item.next_deadline_ms ? when(item.next_deadline_ms) : null, item.lead_unit_id ? unitName(item.lead_unit_id) : null];
        }));
    }));
    if (community()) {
      jobs.push(MQ.api('GET', '/service-catalogue?region_code=' + community()).then(function (services) {
        fillSelect('or-service', services.filter(function (s) { return s.active; }).map(function (s) { return [s.code, s.name]; }), 'portal.choose');
        table('cat-list', [MQ.t('prog.field.code'), MQ.t('prog.field.name'), MQ.t('prog.or.finish_hours'), MQ.t('prog.active')],
          services.map(function (s) { return [s.code, s.name, s.finish_hours, s.active ? MQ.t('prog.yes') : MQ.t('prog.no')]; }));
      }));
    } else {
      fillSelect('or-service', [], 'portal.choose');
      table('cat-list', [MQ.t('prog.field.code'), MQ.t('prog.field.name')], [], 'prog.need_community');
    }
    return Promise.all(jobs);
  }

  function orderService(event) {
    event.preventDefault();
    if (!community()) { MQ.say(MQ.t('prog.need_community'), 'error'); return; }
    var body = { region_code: community(), service_code: value('or-service'), requester_name: value('or-name'), requester_phone: value('or-phone') };
    if (value('or-address')) body.address = value('or-address');
    if (value('or-note')) body.note = value('or-note');
    if (value('or-start')) body.window_start = localTime(value('or-start'));
    if (value('or-end')) body.window_end = localTime(value('or-end'));
    MQ.api('POST', '/service-orders', body, { idempotencyKey: MQ.randomKey() }).then(function (receipt) {
      MQ.$('or-form').reset();
      var box = MQ.clear(MQ.$('or-receipt'));
      box.appendChild(document.createTextNode(MQ.t('prog.or.receipt') + ' '));
      box.appendChild(itemLink(receipt.order.number));
      box.appendChild(document.createTextNode(' · ' + MQ.t('portal.receipt_secret') + ' '));
      box.appendChild(MQ.el('strong', { class: 'mono', id: 'or-secret', text: receipt.secret }));
      box.hidden = false;
      return loadOrders().then(function () { done('prog.or.ordered'); });
    }, failed);
  }

  function saveCatalogue(event) {
    event.preventDefault();
    if (!community()) { MQ.say(MQ.t('prog.need_community'), 'error'); return; }
    var body = { region_code: community(), code: value('cat-code'), name: value('cat-name'), finish_hours: Number(value('cat-hours')) };
    MQ.api('PUT', '/service-catalogue', body).then(function () {
      MQ.$('cat-code').value = ''; MQ.$('cat-name').value = '';
      return loadOrders().then(function () { done('prog.saved'); });
    }, failed);
  }

  function saveTarget(event) {
    event.preventDefault();
    if (!community()) { MQ.say(MQ.t('prog.need_community'), 'error'); return; }
    MQ.api('PUT', '/service-circle', { region_code: community(), response_minutes: Number(value('target-minutes')) }).then(function () {
      return loadOrders().then(function () { done('prog.saved'); });
    }, failed);
  }

  // ------------------------------------------------------------ points

  var rules = [];
  var accounts = [];

  function loadRules(place) {
    return MQ.api('GET', '/points/rules?region_code=' + place).then(function (list) { rules = list; return list; });
  }

  function loadPoints() {
    if (needCommunity('points')) {
      rules = []; accounts = [];
      table('pt-rules', [MQ.t('prog.field.code'), MQ.t('prog.field.name')], [], 'prog.need_community');
      table('pt-accounts', [MQ.t('prog.pt.holder'), MQ.t('prog.pt.balance')], [], 'prog.need_community');
      ['earn-rule', 'spend-rule', 'spend-account', 'stmt-account'].forEach(function (id) { MQ.clear(MQ.$(id)); });
      return Promise.resolve();
    }
    var place = community();
    var ruleJob = loadRules(place).then(function (list) {
      table('pt-rules', [MQ.t('prog.field.code'), MQ.t('prog.field.name'), MQ.t('prog.pt.direction'), MQ.t('prog.pt.points'), MQ.t('prog.active')],
        list.map(function (r) { return [r.code, r.label, MQ.t(r.direction === 'earn' ? 'prog.pt.earn_rule' : 'prog.pt.spend_rule'), r.points, r.active ? MQ.t('prog.yes') : MQ.t('prog.no')]; }));
      var active = list.filter(function (r) { return r.active; });
      fillSelect('earn-rule', active.filter(function (r) { return r.direction === 'earn'; }).map(function (r) { return [r.code, r.label + '（+' + r.points + '）']; }), 'portal.choose');
      fillSelect('spend-rule', active.filter(function (r) { return r.direction === 'spend'; }).map(function (r) { return [r.code, r.label + '（−' + r.points + '）']; }), 'portal.choose');
    });
    var accountJob = MQ.api('GET', '/points/accounts?region_code=' + place).then(function (list) {
      accounts = list.filter(function (a) { return a.kind === 'person'; });
      table('pt-accounts', [MQ.t('prog.pt.holder'), MQ.t('portal.phone'), MQ.t('prog.pt.balance'), ''],
        accounts.map(function (a) {
          return [a.holder_name, a.holder_phone, a.balance, MQ.el('button', { type: 'button', class: 'link', text: MQ.t('prog.pt.statement'), onclick: function () { showStatement(a.id); } })];
        }));
      var choices = accounts.map(function (a) { return [a.id, a.holder_name + ' ' + (a.holder_phone || '') + '（' + a.balance + '）']; });
      var keep = MQ.$('stmt-account').value;
      fillSelect('spend-account', choices, 'portal.choose');
      fillSelect('stmt-account', choices, 'portal.choose');
      if (keep) MQ.$('stmt-account').value = keep;
    });
    return Promise.all([ruleJob, accountJob]);
  }

  function saveRule(event) {
    event.preventDefault();
    if (!community()) { MQ.say(MQ.t('prog.need_community'), 'error'); return; }
    var body = { region_code: community(), code: value('rule-code'), label: value('rule-label'), direction: value('rule-direction'), points: Number(value('rule-points')) };
    MQ.api('PUT', '/points/rules', body).then(function () {
      MQ.$('rule-code').value = ''; MQ.$('rule-label').value = '';
      return loadPoints().then(function () { done('prog.saved'); });
    }, failed);
  }

  function earn(event) {
    event.preventDefault();
    if (!community()) { MQ.say(MQ.t('prog.need_community'), 'error'); return; }
    var body = { region_code: community(), holder_name: value('earn-name'), holder_phone: value('earn-phone'), rule_code: value('earn-rule'), quantity: Number(value('earn-quantity') || 1) };
    if (value('earn-reason')) body.reason = value('earn-reason');
    MQ.api('POST', '/points/earn', body).then(function (journal) {
      MQ.$('earn-form').reset();
      return loadPoints().then(function () { MQ.say(MQ.t('prog.pt.earned').replace('{id}', journal.id), 'ok'); });
    }, failed);
  }

  function spend(event) {
    event.preventDefault();
    var body = { account_id: Number(value('spend-account')), rule_code: value('spend-rule'), quantity: Number(value('spend-quantity') || 1) };
    MQ.api('POST', '/points/spend', body).then(function () {
      return loadPoints().then(function () { done('prog.pt.spent'); });
    }, failed);
  }

  var correcting = null;
  function showStatement(accountId) {
    if (accountId) MQ.$('stmt-account').value = String(accountId);
    var id = value('stmt-account');
    var month = value('stmt-month') || MQ.thisMonth();
    MQ.$('stmt-month').value = month;
    if (!id) return;
    MQ.api('GET', '/points/accounts/' + id + '/statement?month=' + month).then(function (answer) {
      var s = answer.statement;
      var out = MQ.clear(MQ.$('stmt-out'));
      out.appendChild(MQ.el('p', { id: 'stmt-summary', text: answer.account.holder_name + ' · ' + s.month + ' · ' + MQ.t('prog.pt.summary').replace('{open}', s.opening_balance).replace('{earned}', s.earned).replace('{spent}', s.spent).replace('{close}', s.closing_balance) }));
      var tableNode = MQ.el('table', { id: 'stmt-lines', class: 'list' });
      out.appendChild(MQ.el('div', { class: 'table-wrap' }, [tableNode]));
      table('stmt-lines', [MQ.t('prog.pt.when'), MQ.t('prog.pt.entry'), MQ.t('prog.field.reason'), MQ.t('prog.pt.granted_by'), MQ.t('prog.pt.amount'), MQ.t('prog.pt.balance'), ''],
        s.lines.map(function (line) {
          var correct = line.kind === 'correction' ? null : MQ.el('button', { type: 'button', class: 'link', text: MQ.t('prog.pt.correct'), onclick: function () {
            correcting = line.journal_id;
            MQ.$('corr-journal').textContent = '#' + line.journal_id;
            MQ.$('corr-form').hidden = false;
            MQ.$('corr-reason').focus();
          } });
          return [when(line.at_ms), (line.rule_code || line.kind) + ' #' + line.journal_id, line.reason, line.granted_by, (line.amount > 0 ? '+' : '') + line.amount, line.balance_after, correct];
        }), 'prog.pt.no_lines');
      MQ.say('');
    }, failed);
  }

  function correct(event) {
    event.preventDefault();
    MQ.api('POST', '/points/journals/' + correcting + '/correct', { reason: value('corr-reason') }).then(function () {
      MQ.$('corr-form').hidden = true; MQ.$('corr-reason').value = '';
      return loadPoints().then(function () { showStatement(); done('prog.pt.corrected'); });
    }, failed);
  }

  // ------------------------------------------------------------ meetings and schedules

  var schedules = [];
  var openMeeting = null;

  function scheduleChoices(id) {
    fillSelect(id, schedules.map(function (b) { return [b.schedule.id, b.schedule.kind + '：' + b.schedule.title]; }), 'prog.none_chosen');
  }

  function loadMeetings() {
    var meetings = MQ.api('GET', '/meetings?region_code=' + region()).then(function (list) {
      table('mt-list', [MQ.t('prog.mt.held'), MQ.t('prog.mt.kind'), MQ.t('prog.field.title'), MQ.t('prog.mt.place'), ''],
        list.map(function (m) {
          return [when(m.held_ms), m.kind, m.title, m.place, MQ.el('button', { type: 'button', class: 'link', 'data-meeting': m.id, text: MQ.t('prog.open'), onclick: function () { showMeeting(m.id); } })];
        }));
    });
    var plans = MQ.api('GET', '/meeting-schedules?region_code=' + region()).then(function (list) {
      schedules = list;
      var box = MQ.clear(MQ.$('sc-list'));
      if (!list.length) box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('prog.none') }));
      list.forEach(function (b) {
        var held = b.periods.filter(function (p) { return p.held; }).length;
        box.appendChild(MQ.el('div', { class: 'schedule' }, [
          MQ.el('h3', { text: b.schedule.kind + '：' + b.schedule.title }),
          MQ.el('p', { class: 'hint', text: MQ.t(EVERY[b.schedule.every_months] || 'prog.mt.every') + ' · ' + MQ.t('prog.mt.held_of').replace('{held}', held).replace('{total}', b.periods.length) }),
          MQ.el('ul', { class: 'periods' }, b.periods.map(function (p) {
            return MQ.el('li', { class: p.held ? 'held' : 'unheld', text: p.period + ' ' + MQ.t(p.held ? 'prog.mt.period_held' : 'prog.mt.period_unheld') });
          }))
        ]));
      });
      scheduleChoices('act-schedule');
      scheduleChoices('att-schedule');
    });
    return Promise.all([meetings, plans]);
  }

  function showMeeting(id) {
    MQ.api('GET', '/meetings/' + id).then(function (body) {
      openMeeting = body.meeting;
      var m = body.meeting;
      MQ.$('mt-detail').hidden = false;
      MQ.$('mt-detail-title').textContent = m.kind + '：' + m.title;
      var facts = MQ.clear(MQ.$('mt-facts'));
      var add = function (label, text) { if (text === null || text === undefined || text === '') return; facts.appendChild(MQ.el('dt', { text: MQ.t(label) })); facts.appendChild(MQ.el('dd', {}, [text])); };
      add('prog.mt.held', when(m.held_ms));
      add('prog.mt.place', m.place);
      add('appeal.region', m.region_code);
      add('prog.mt.files', m.attachments.join('；'));
      if (body.appeal_numbers.length) {
        var links = MQ.el('span');
        body.appeal_numbers.forEach(function (n, i) { if (i) links.appendChild(document.createTextNode('、')); links.appendChild(MQ.el('a', { href: '/staff/appeals/' + n, class: 'mono', text: n })); });
        add('prog.mt.appeals', links);
      }
      MQ.$('mt-minutes').textContent = m.minutes || '';
      MQ.$('mt-minutes').hidden = !m.minutes;
      table('mt-attendees', [MQ.t('portal.name'), MQ.t('portal.phone'), MQ.t('prog.mt.role'), MQ.t('prog.mt.points_entry')],
        body.attendees.map(function (a) { return [a.name, a.phone, a.role, a.points_journal_id ? '#' + a.points_journal_id : null]; }));
      var ruleSelect = fillSelect('att-rule', [], 'prog.none_chosen');
      if (m.region_code.length >= 12) {
        loadRules(m.region_code).then(function (list) {
          list.filter(function (r) { return r.active && r.direction === 'earn'; }).forEach(function (r) { option(ruleSelect, r.code, r.label + '（+' + r.points + '）'); });
        });
      }
      if (m.schedule_id) MQ.$('att-schedule').value = String(m.schedule_id);
      MQ.$('mt-detail').scrollIntoView();
    }, failed);
  }

  function recordAttendance(event) {
    event.preventDefault();
    var attendees = value('att-people').split(/\n+/).map(function (line) {
      var parts = line.trim().split(/[\s,，]+/).filter(Boolean);
      if (!parts.length) return null;
      var person = { name: parts[0] };
      if (parts[1]) person.phone = parts[1];
      if (parts[2]) person.role = parts[2];
      return person;
    }).filter(Boolean);
    var body = { attendees: attendees, attachments: value('att-files') ? value('att-files').split(/[；;\n]+/).map(function (s) { return s.trim(); }).filter(Boolean) : [] };
    if (value('att-rule')) body.points_rule = value('att-rule');
    if (value('att-schedule')) body.schedule_id = Number(value('att-schedule'));
    MQ.api('POST', '/meetings/' + openMeeting.id + '/attendance', body).then(function () {
      MQ.$('att-people').value = '';
      showMeeting(openMeeting.id);
      return loadMeetings().then(function () { done('prog.mt.attendance_saved'); });
    }, failed);
  }

  function recordActivity(event) {
    event.preventDefault();
    var body = { kind: value('act-kind'), title: value('act-title'), region_code: region(), held_at: localTime(value('act-held')) };
    if (value('act-place')) body.place = value('act-place');
    if (value('act-minutes')) body.minutes = value('act-minutes');
    if (value('act-schedule')) body.schedule_id = Number(value('act-schedule'));
    MQ.api('POST', '/activities', body).then(function (answer) {
      MQ.$('act-form').reset();
      return loadMeetings().then(function () { showMeeting(answer.meeting.id); done('prog.saved'); });
    }, failed);
  }

  function createSchedule(event) {
    event.preventDefault();
    var body = { kind: value('sc-kind'), title: value('sc-title-input'), region_code: region(), every_months: Number(value('sc-every')), starts_month: value('sc-start'), remind_days: Number(value('sc-remind') || 7) };
    MQ.api('POST', '/meeting-schedules', body).then(function () {
      MQ.$('sc-form').reset();
      return loadMeetings().then(function () { done('prog.saved'); });
    }, failed);
  }

  // ------------------------------------------------------------ task ledgers

  var openLedger = null;

  function unitOptions(select) {
    option(select, '', MQ.t('portal.choose'));
    units.forEach(function (unit) { option(select, unit.id, unit.name); });
    return select;
  }

  function addTask() {
    var box = MQ.$('lg-tasks-input');
    var n = box.children.length + 1;
    var id = function (name) { return 'lg-t' + n + '-' + name; };
    box.appendChild(MQ.el('fieldset', { class: 'task' }, [
      MQ.el('legend', { text: MQ.t('prog.lg.task') + ' ' + n }),
      MQ.el('div', { class: 'filters' }, [
        MQ.el('div', {}, [MQ.el('label', { for: id('title'), text: MQ.t('prog.field.title') + ' *' }), MQ.el('input', { id: id('title'), class: 't-title', maxlength: 200, required: true })]),
        MQ.el('div', {}, [MQ.el('label', { for: id('unit'), text: MQ.t('dash.unit') + ' *' }), unitOptions(MQ.el('select', { id: id('unit'), class: 't-unit', required: true }))]),
        MQ.el('div', {}, [MQ.el('label', { for: id('due'), text: MQ.t('prog.due') + ' *' }), MQ.el('input', { id: id('due'), class: 't-due', type: 'date', required: true })]),
        MQ.el('div', {}, [MQ.el('label', { for: id('detail'), text: MQ.t('prog.lg.detail') }), MQ.el('input', { id: id('detail'), class: 't-detail', maxlength: 2000 })])
      ])
    ]));
  }

  function loadLedgers() {
    return MQ.api('GET', '/task-ledgers').then(function (list) {
      table('lg-list', [MQ.t('prog.field.title'), MQ.t('appeal.owner'), MQ.t('prog.lg.tasks'), MQ.t('prog.lg.done'), MQ.t('prog.lg.overdue'), MQ.t('prog.due'), ''],
        list.map(function (l) {
          return [l.title, unitName(l.owner_unit_id), l.tasks, l.done, l.overdue, day(l.due_ms), MQ.el('button', { type: 'button', class: 'link', 'data-ledger': l.id, text: MQ.t('prog.open'), onclick: function () { showLedger(l.id); } })];
        }));
      if (openLedger) return showLedger(openLedger.id, true);
    });
  }

  // The monthly comparison as bars: per unit, the share checked off at each month's end.
  function ledgerChart(progress) {
    var box = MQ.clear(MQ.$('lg-chart'));
    var NS = 'http://www.w3.org/2000/svg';
    var svg = function (tag, attrs, text) {
      var node = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
      if (text !== undefined) node.textContent = text;
      return node;
    };
    var months = progress.map(function (p) { return p.month; }).filter(function (m, i, all) { return all.indexOf(m) === i; });
    var unitIds = progress.map(function (p) { return p.unit_id; }).filter(function (u, i, all) { return all.indexOf(u) === i; });
    if (!progress.length) { box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('prog.none') })); return; }
    var row = 22, labelWidth = 220, width = 720, barWidth = width - labelWidth - 80;
    var height = unitIds.length * months.length * row + months.length * 10 + 10;
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': MQ.t('prog.lg.monthly'), class: 'chart-svg' });
    var y = 5;
    months.forEach(function (month) {
      progress.filter(function (p) { return p.month === month; }).forEach(function (p) {
        var share = p.tasks ? p.done / p.tasks : 0;
        var label = month + ' ' + p.unit;
        chart.appendChild(svg('text', { x: labelWidth - 6, y: y + 15, class: 'label', 'text-anchor': 'end' }, label.length > 22 ? label.slice(0, 22) + '…' : label));
        chart.appendChild(svg('rect', { x: labelWidth, y: y + 3, width: barWidth, height: row - 8, class: 'bar-track' }));
        var bar = svg('rect', { x: labelWidth, y: y + 3, width: Math.max(share * barWidth, 1), height: row - 8, class: p.overdue ? 'bar-in' : 'bar-out' });
        bar.appendChild(svg('title', {}, label + '：' + p.done + '/' + p.tasks));
        chart.appendChild(bar);
        chart.appendChild(svg('text', { x: labelWidth + barWidth + 6, y: y + 15, class: 'label' }, p.done + '/' + p.tasks));
        y += row;
      });
      y += 10;
    });
    box.appendChild(chart);
    box.appendChild(MQ.el('p', { class: 'legend' }, [MQ.el('span', { class: 'swatch bar-out-swatch' }), MQ.t('prog.lg.on_track'), ' ', MQ.el('span', { class: 'swatch bar-in-swatch' }), MQ.t('prog.lg.lagging')]));
  }

  function showLedger(id, quiet) {
    return MQ.api('GET', '/task-ledgers/' + id).then(function (body) {
      openLedger = body.ledger;
      MQ.$('lg-detail').hidden = false;
      MQ.$('lg-detail-title').textContent = body.ledger.title;
      table('lg-tasks', [MQ.t('prog.col_number'), MQ.t('prog.field.title'), MQ.t('dash.unit'), MQ.t('prog.due'), MQ.t('prog.col_status')],
        body.tasks.map(function (task) { return [itemLink(task.number), task.title, unitName(task.lead_unit_id), task.finish_due_ms ? day(task.finish_due_ms) : null, statusBadge(task.status, task.late)]; }));
      ledgerChart(body.progress);
      table('lg-progress', [MQ.t('dash.month'), MQ.t('dash.unit'), MQ.t('prog.lg.tasks'), MQ.t('prog.lg.due_by'), MQ.t('prog.lg.done'), MQ.t('prog.lg.on_time'), MQ.t('prog.lg.overdue')],
        body.progress.map(function (p) { return [p.month, p.unit, p.tasks, p.due, p.done, p.done_on_time, p.overdue]; }));
      MQ.$('lg-remind').hidden = !(me && body.ledger.owner_unit_id === me.unit_id);
      if (!quiet) MQ.$('lg-detail').scrollIntoView();
    }, failed);
  }

  function createLedger(event) {
    event.preventDefault();
    var tasks = Array.prototype.map.call(MQ.$('lg-tasks-input').children, function (set) {
      var task = { title: set.querySelector('.t-title').value.trim(), unit_id: Number(set.querySelector('.t-unit').value), due_at: endOfDay(set.querySelector('.t-due').value) };
      var detail = set.querySelector('.t-detail').value.trim();
      if (detail) task.detail = detail;
      return task;
    });
    MQ.api('POST', '/task-ledgers', { title: value('lg-title'), region_code: (me && me.unit_region_code) || MQ.county(), tasks: tasks }).then(function (body) {
      MQ.$('lg-form').reset();
      MQ.clear(MQ.$('lg-tasks-input'));
      addTask();
      openLedger = body.ledger;
      return loadLedgers().then(function () { done('prog.lg.created'); });
    }, failed);
  }

  function remind() {
    MQ.api('POST', '/task-ledgers/' + openLedger.id + '/reminders', {}).then(function (reminded) {
      return loadLedgers().then(function () { MQ.say(MQ.t('prog.lg.reminded').replace('{n}', reminded.length), 'ok'); });
    }, failed);
  }

  // ------------------------------------------------------------ mediation

  function addParty(role) {
    var box = MQ.$('dp-parties');
    var n = box.children.length + 1;
    var id = function (name) { return 'dp-p' + n + '-' + name; };
    box.appendChild(MQ.el('fieldset', { class: 'party' }, [
      MQ.el('legend', { text: MQ.t('prog.dp.party') + ' ' + n }),
      MQ.el('div', { class: 'filters' }, [
        MQ.el('div', {}, [MQ.el('label', { for: id('role'), text: MQ.t('prog.mt.role') + ' *' }), MQ.el('input', { id: id('role'), class: 'd-role', maxlength: 20, required: true, value: role || '' })]),
        MQ.el('div', {}, [MQ.el('label', { for: id('name'), text: MQ.t('portal.name') + ' *' }), MQ.el('input', { id: id('name'), class: 'd-name', maxlength: 40, required: true, autocomplete: 'off' })]),
        MQ.el('div', {}, [MQ.el('label', { for: id('phone'), text: MQ.t('portal.phone') }), MQ.el('input', { id: id('phone'), class: 'd-phone', type: 'tel', maxlength: 20, autocomplete: 'off' })])
      ])
    ]));
  }

  function loadDisputes() {
    return MQ.api('GET', '/work-items?kind=mediation&limit=500').then(function (items) {
      table('dp-list', [MQ.t('prog.col_number'), MQ.t('prog.field.title'), MQ.t('prog.col_status'), MQ.t('prog.field.mediators'), MQ.t('appeal.received'), MQ.t('appeal.deadline')],
        items.filter(inRegion).reverse().map(function (item) {
          return [itemLink(item.number), item.title, statusBadge(item.status, item.late), item.person_name, when(item.created_ms), item.next_deadline_ms ? when(item.next_deadline_ms) : null];
        }));
    });
  }

  function registerDispute(event) {
    event.preventDefault();
    var parties = Array.prototype.map.call(MQ.$('dp-parties').children, function (set) {
      var party = { role: set.querySelector('.d-role').value.trim(), name: set.querySelector('.d-name').value.trim() };
      var phone = set.querySelector('.d-phone').value.trim();
      if (phone) party.phone = phone;
      return party;
    });
    var appeal = value('dp-appeal').toUpperCase();
    var where = appeal ? MQ.api('GET', '/appeals/' + encodeURIComponent(appeal)).then(function (view) { return view.region_code; }) : Promise.resolve(region());
    where.then(function (regionCode) {
      var body = { title: value('dp-title'), summary: value('dp-summary'), region_code: regionCode, parties: parties };
      if (appeal) body.appeal_number = appeal;
      return MQ.api('POST', '/disputes', body);
    }).then(function (item) {
      MQ.$('dp-form').reset();
      MQ.clear(MQ.$('dp-parties'));
      addParty(MQ.t('prog.dp.applicant')); addParty(MQ.t('prog.dp.respondent'));
      return loadDisputes().then(function () {
        var box = MQ.$('status');
        MQ.say(MQ.t('prog.dp.registered') + ' ', 'ok');
        box.appendChild(itemLink(item.number));
      });
    }, failed);
  }

  // ------------------------------------------------------------ tabs

  var LOADERS = { challenges: loadChallenges, orders: loadOrders, points: loadPoints, meetings: loadMeetings, ledgers: loadLedgers, disputes: loadDisputes };

  function show(tab, reload) {
    if (TABS.indexOf(tab) < 0) tab = 'challenges';
    current = tab;
    TABS.forEach(function (name) {
      MQ.$('tab-' + name).hidden = name !== tab;
      var button = document.querySelector('[data-tab="' + name + '"]');
      if (button) button.setAttribute('aria-pressed', name === tab ? 'true' : 'false');
    });
    if (location.hash !== '#' + tab) history.replaceState(null, '', location.pathname + location.search + '#' + tab);
    if (loaded[tab] && !reload) return;
    loaded[tab] = true;
    MQ.say(MQ.t('common.loading'));
    LOADERS[tab]().then(function () { if (MQ.$('status').className === 'status') MQ.say(''); }, failed);
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    me = MQ.me();
    if (me) MQ.$('whoami').textContent = MQ.t('queue.signed_in_as') + me.username;
    addProblem();
    addTask();
    addParty(MQ.t('prog.dp.applicant'));
    addParty(MQ.t('prog.dp.respondent'));
    var params = new URLSearchParams(location.search);
    if (params.get('appeal')) MQ.$('dp-appeal').value = params.get('appeal');
    MQ.$('stmt-month').value = MQ.thisMonth();
    MQ.$('sc-start').value = MQ.thisMonth();
    MQ.pressTabs(document.querySelector('.tabs'), 'data-tab', function (tab) { show(tab, false); });
    // A link to another tab of this page changes only the address's #fragment.
    window.addEventListener('hashchange', function () { show(location.hash.slice(1), false); });
    MQ.$('place-form').addEventListener('submit', function (event) { event.preventDefault(); loaded = {}; show(current, true); });
    MQ.$('ch-add').addEventListener('click', addProblem);
    MQ.$('ch-form').addEventListener('submit', publishChallenges);
    MQ.$('or-form').addEventListener('submit', orderService);
    MQ.$('cat-form').addEventListener('submit', saveCatalogue);
    MQ.$('target-form').addEventListener('submit', saveTarget);
    MQ.$('rule-form').addEventListener('submit', saveRule);
    MQ.$('earn-form').addEventListener('submit', earn);
    MQ.$('spend-form').addEventListener('submit', spend);
    MQ.$('stmt-form').addEventListener('submit', function (event) { event.preventDefault(); showStatement(); });
    MQ.$('corr-form').addEventListener('submit', correct);
    MQ.$('corr-cancel').addEventListener('click', function () { MQ.$('corr-form').hidden = true; });
    MQ.$('att-form').addEventListener('submit', recordAttendance);
    MQ.$('act-form').addEventListener('submit', recordActivity);
    MQ.$('sc-form').addEventListener('submit', createSchedule);
    MQ.$('lg-add').addEventListener('click', addTask);
    MQ.$('lg-form').addEventListener('submit', createLedger);
    MQ.$('lg-remind').addEventListener('click', remind);
    MQ.$('dp-add').addEventListener('click', function () { addParty(''); });
    MQ.$('dp-form').addEventListener('submit', registerDispute);
    MQ.say(MQ.t('common.loading'));
    Promise.all([
      MQ.api('GET', '/units').then(function (list) { units = list; }, function () { units = []; }),
      setUpPlace().catch(function () { /* the picker is optional: the reader's region is used */ })
    ]).then(function () {
      // The task rows were drawn before the units arrived.
      Array.prototype.forEach.call(document.querySelectorAll('#lg-tasks-input .t-unit'), function (select) { MQ.clear(select); unitOptions(select); });
      show((location.hash || '#challenges').slice(1), true);
    });
  });
})();
