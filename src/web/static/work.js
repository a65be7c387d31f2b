// One programme work item (a challenge problem, a service order, a ledger task, a
// dispute): its facts, the full history, and a form for each action the engine allows
// this reader now (`available_actions` of GET /api/v1/work-items/{number}).
'use strict';
(function () {
  var number = document.body.getAttribute('data-number');
  var units = [];
  var me = null;
  var view = null;
  // Actions whose record carries evidence (photo links or file names).
  var WITH_EVIDENCE = ['report_milestone', 'submit', 'deliver', 'check_off', 'record_progress', 'hold_session', 'reach_agreement', 'follow_up'];
  // Actions that name a team: the lead unit, and for these also joint units.
  var WITH_CO_UNITS = ['claim', 'assign'];

  function unitName(id) {
    var unit = units.filter(function (candidate) { return candidate.id === id; })[0];
    return unit ? unit.name : (id === null || id === undefined ? MQ.t('common.dash') : '#' + id);
  }
  function when(ms) { return ms ? MQ.time(new Date(ms).toISOString()) : null; }

  function fact(list, label, value) {
    if (value === null || value === undefined || value === '') return;
    list.appendChild(MQ.el('dt', { text: label }));
    list.appendChild(MQ.el('dd', {}, [value]));
  }

  function unitSelect(id, name, multiple, required) {
    var select = MQ.el('select', { id: id, name: name, multiple: multiple, size: multiple ? 6 : null, required: required });
    if (!multiple) select.appendChild(MQ.el('option', { value: '', text: MQ.t('portal.choose') }));
    units.forEach(function (unit) {
      select.appendChild(MQ.el('option', { value: unit.id, text: unit.name, selected: !multiple && me && unit.id === me.unit_id }));
    });
    return select;
  }

  function field(label, input, required) {
    return MQ.el('div', {}, [MQ.el('label', { for: input.id, text: MQ.t(label) + (required ? ' *' : '') }), input]);
  }

  function openAction(action) {
    var fields = MQ.clear(MQ.$('w-action-fields'));
    var needs = action.needs;
    var has = function (name) { return needs.indexOf(name) >= 0; };
    MQ.$('w-action-title').textContent = MQ.t('wk.action.' + action.action);
    if (has('lead_unit_id') || WITH_CO_UNITS.indexOf(action.action) >= 0) {
      fields.appendChild(field('prog.field.lead_unit', unitSelect('wf-lead', 'lead_unit_id', false, has('lead_unit_id')), has('lead_unit_id')));
    }
    if (WITH_CO_UNITS.indexOf(action.action) >= 0) {
      fields.appendChild(field('prog.field.co_units', unitSelect('wf-co', 'co_unit_ids', true, false), false));
    }
    if (has('person_name')) {
      var label = view.item.kind === 'mediation' ? 'prog.field.mediators' : 'prog.field.leader';
      fields.appendChild(field(label, MQ.el('input', { id: 'wf-person', maxlength: 100, required: true }), true));
    }
    if (has('score')) fields.appendChild(field('prog.field.score', MQ.el('input', { id: 'wf-score', type: 'number', min: 0, max: 100, step: '0.1', required: true }), true));
    if (has('rating')) {
      var rating = MQ.el('select', { id: 'wf-rating', required: true }, [MQ.el('option', { value: '', text: MQ.t('portal.choose') })]);
      [5, 4, 3, 2, 1].forEach(function (value) { rating.appendChild(MQ.el('option', { value: value, text: MQ.t('prog.rating.' + value) })); });
      fields.appendChild(field('prog.field.rating', rating, true));
    }
    fields.appendChild(field('prog.field.reason', MQ.el('textarea', { id: 'wf-reason', rows: 3, maxlength: 4000, required: has('reason') }), has('reason')));
    if (WITH_EVIDENCE.indexOf(action.action) >= 0) {
      fields.appendChild(field('prog.field.evidence', MQ.el('textarea', { id: 'wf-evidence', rows: 2, maxlength: 4000, 'aria-describedby': 'wf-evidence-hint' }), false));
      fields.appendChild(MQ.el('p', { id: 'wf-evidence-hint', class: 'hint', text: MQ.t('prog.evidence_hint') }));
    }
    var form = MQ.$('w-action-form');
    form.setAttribute('data-action', action.action);
    form.hidden = false;
    (form.querySelector('input, textarea, select') || form.querySelector('button')).focus();
  }

  function readBody() {
    var body = {};
    var value = function (id) { var input = MQ.$(id); return input ? input.value.trim() : ''; };
    if (value('wf-lead')) body.lead_unit_id = Number(value('wf-lead'));
    var co = MQ.$('wf-co');
    if (co) body.co_unit_ids = Array.prototype.filter.call(co.options, function (o) { return o.selected; }).map(function (o) { return Number(o.value); });
    if (value('wf-person')) body.person_name = value('wf-person');
    if (value('wf-score')) body.score = Number(value('wf-score'));
    if (value('wf-rating')) body.rating = Number(value('wf-rating'));
    if (value('wf-reason')) body.reason = value('wf-reason');
    if (value('wf-evidence')) body.evidence = value('wf-evidence').split(/\n+/).map(function (line) { return line.trim(); }).filter(Boolean);
    return body;
  }

  function attributeFacts(facts, item) {
    var a = item.attributes || {};
    fact(facts, MQ.t('prog.goal'), a.goal);
    fact(facts, MQ.t('prog.criteria'), a.criteria);
    fact(facts, MQ.t('prog.address'), a.address);
    if (a.window_start_ms || a.window_end_ms) fact(facts, MQ.t('prog.window'), (when(a.window_start_ms) || '…') + ' – ' + (when(a.window_end_ms) || '…'));
    if (a.respond_minutes) fact(facts, MQ.t('prog.respond_target'), MQ.t('prog.minutes').replace('{n}', a.respond_minutes));
    if (a.parties && a.parties.length) {
      fact(facts, MQ.t('prog.parties'), a.parties.map(function (p) { return p.role + '：' + p.name; }).join('；'));
    }
  }

  function render(detail) {
    view = detail;
    var item = detail.item;
    MQ.$('w-kind').textContent = MQ.t('wk.kind.' + item.kind);
    var status = MQ.$('w-status');
    status.textContent = MQ.t('wk.status.' + item.status);
    status.className = 'badge wk-' + item.status;
    MQ.$('w-heading').textContent = item.title;
    // A problem's body is its goal, shown below with the criteria.
    var bodyShown = item.body && item.body !== (item.attributes || {}).goal;
    MQ.$('w-body').textContent = bodyShown ? item.body : '';
    MQ.$('w-body').hidden = !bodyShown;
    var facts = MQ.clear(MQ.$('w-facts'));
    attributeFacts(facts, item);
    fact(facts, MQ.t('appeal.region'), item.region_code);
    fact(facts, MQ.t('appeal.owner'), unitName(item.owner_unit_id));
    fact(facts, MQ.t('appeal.lead'), item.lead_unit_id ? unitName(item.lead_unit_id) : null);
    fact(facts, MQ.t('appeal.co'), item.co_unit_ids.length ? item.co_unit_ids.map(unitName).join('、') : null);
    fact(facts, item.kind === 'mediation' ? MQ.t('prog.field.mediators') : MQ.t('prog.field.leader'), item.person_name);
    if (item.requester_name || item.requester_phone) fact(facts, MQ.t('prog.requester'), [item.requester_name, item.requester_phone].filter(Boolean).join(' '));
    fact(facts, MQ.t('appeal.received'), when(item.created_ms));
    fact(facts, MQ.t('prog.due'), item.finish_due_ms ? when(item.finish_due_ms) : null);
    fact(facts, MQ.t('appeal.deadline'), item.next_deadline_ms && item.next_deadline_ms !== item.finish_due_ms ? when(item.next_deadline_ms) : null);
    if (item.late) fact(facts, MQ.t('prog.late'), MQ.el('span', { class: 'late', text: MQ.t('prog.late_yes') }));
    fact(facts, MQ.t('prog.col_score'), item.score === null ? null : item.score.toFixed(1));
    fact(facts, MQ.t('prog.field.rating'), item.rating ? MQ.t('prog.rating.' + item.rating) : null);
    fact(facts, MQ.t('prog.pressed'), item.press_count ? String(item.press_count) : null);
    fact(facts, MQ.t('prog.from_appeal'), item.appeal_id ? '#' + item.appeal_id : null);

    var buttons = MQ.clear(MQ.$('w-action-buttons'));
    detail.available_actions.forEach(function (action) {
      buttons.appendChild(MQ.el('button', { type: 'button', class: 'secondary', 'data-action': action.action, text: MQ.t('wk.action.' + action.action), onclick: function () { openAction(action); } }));
    });
    MQ.$('w-no-actions').hidden = detail.available_actions.length > 0;
    MQ.$('w-action-form').hidden = true;

    var list = MQ.clear(MQ.$('w-events'));
    detail.events.slice().reverse().forEach(function (event) {
      var payload = event.payload || {};
      var details = [];
      if (payload.lead_unit_id && ['claim', 'place', 'assign', 'decline'].indexOf(event.kind) >= 0) details.push(MQ.t('appeal.lead') + '：' + unitName(payload.lead_unit_id));
      if (payload.person_name) details.push(payload.person_name);
      if (payload.score !== undefined && payload.score !== null) details.push(MQ.t('prog.col_score') + '：' + payload.score);
      if (payload.rating) details.push(MQ.t('prog.rating.' + payload.rating));
      var evidence = payload.evidence || [];
      list.appendChild(MQ.el('li', {}, [
        MQ.el('time', { text: MQ.time(new Date(event.at_ms).toISOString()) }), ' ',
        MQ.el('strong', { text: event.kind === 'created' ? MQ.t('prog.created') : MQ.t('wk.action.' + event.kind) }), ' ',
        MQ.el('span', { class: 'hint', text: event.actor }),
        event.reason ? MQ.el('p', { text: event.reason }) : null,
        details.length ? MQ.el('p', { class: 'hint', text: details.join('；') }) : null,
        evidence.length ? MQ.el('p', { class: 'hint', text: MQ.t('prog.field.evidence') + '：' + evidence.join('；') }) : null
      ]));
    });
  }

  function load() {
    return MQ.api('GET', '/work-items/' + encodeURIComponent(number)).then(function (detail) { render(detail); MQ.say(''); }, function (error) {
      MQ.say(MQ.t('err.generic') + error.message, 'error');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    me = MQ.me();
    MQ.say(MQ.t('common.loading'));
    MQ.api('GET', '/units').then(function (list) { units = list; }, function () { units = []; }).then(load);
    MQ.$('w-action-cancel').addEventListener('click', function () { MQ.$('w-action-form').hidden = true; });
    MQ.$('w-action-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var action = MQ.$('w-action-form').getAttribute('data-action');
      MQ.api('POST', '/work-items/' + encodeURIComponent(number) + '/actions/' + action, readBody()).then(function () {
        return load().then(function () { MQ.say(MQ.t('appeal.done') + MQ.t('wk.action.' + action), 'ok'); });
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    });
  });
})();
