// The appeal page: details, map, the full timeline, and a form for each action the
// state machine allows this reader now (`available_actions`).
'use strict';
(function () {
  var number = document.body.getAttribute('data-number');
  var units = [];
  var categories = [];
  // Which fields each action takes: [name, kind, required].
  var FIELDS = {
    accept: [['note', 'text', false]],
    reject: [['reason', 'text', true]],
    dispatch: [['lead_unit_id', 'unit', true], ['co_unit_ids', 'units', false], ['note', 'text', false]],
    sign_for: [],
    record_progress: [['note', 'text', true]],
    'return': [['reason', 'text', true]],
    request_extension: [['working_days', 'number', true], ['reason', 'text', true]],
    grant_extension: [['note', 'text', false]],
    refuse_extension: [['reason', 'text', true]],
    pause: [['reason', 'text', true]],
    resume: [['note', 'text', false]],
    resolve: [['reply', 'text', true]],
    follow_up: [['note', 'text', true], ['reached', 'check', false]],
    rate: [['resolution', 'resolution', true], ['satisfaction', 'satisfaction', true], ['comment', 'text', false]],
    reopen: [['reason', 'text', true]],
    merge: [['primary_number', 'line', true], ['reason', 'text', false]],
    close: [['note', 'text', false]],
    reclassify: [['category_code', 'category', false], ['tier', 'tier', false], ['triage', 'triage', false], ['reason', 'text', true]],
    urge: [['note', 'text', true]],
    escalate: [['reason', 'text', true]]
  };
  var CHOICES = {
    resolution: ['resolved', 'partly', 'not_resolved'],
    satisfaction: ['satisfied', 'basically_satisfied', 'dissatisfied'],
    tier: ['green', 'blue', 'yellow', 'red'],
    triage: ['private', 'small', 'big']
  };

  function unitName(id) {
    var unit = units.filter(function (candidate) { return candidate.id === id; })[0];
    return unit ? unit.name : (id === null || id === undefined ? MQ.t('common.dash') : '#' + id);
  }

  function fact(list, label, value) {
    if (value === null || value === undefined || value === '') return;
    list.appendChild(MQ.el('dt', { text: label }));
    list.appendChild(MQ.el('dd', {}, [typeof value === 'string' ? value : value]));
  }

  function fieldInput(name, kind, required) {
    var id = 'act-' + name;
    var label = MQ.el('label', { for: id, text: MQ.t('appeal.field.' + name) + (required ? ' *' : '') });
    var input;
    if (kind === 'text') input = MQ.el('textarea', { id: id, name: name, rows: 3, maxlength: 2000, required: required });
    else if (kind === 'line') input = MQ.el('input', { id: id, name: name, class: 'mono', required: required });
    else if (kind === 'number') input = MQ.el('input', { id: id, name: name, type: 'number', min: 1, max: 60, value: 3, required: required });
    else if (kind === 'check') {
      input = MQ.el('input', { id: id, name: name, type: 'checkbox', checked: true });
      return MQ.el('div', { class: 'check' }, [MQ.el('label', {}, [input, ' ' + MQ.t('appeal.field.' + name)])]);
    } else if (kind === 'unit' || kind === 'units') {
      input = MQ.el('select', { id: id, name: name, multiple: kind === 'units', size: kind === 'units' ? 6 : null, required: required });
      if (kind === 'unit') input.appendChild(MQ.el('option', { value: '', text: MQ.t('portal.choose') }));
      units.forEach(function (unit) { input.appendChild(MQ.el('option', { value: unit.id, text: unit.name })); });
    } else if (kind === 'category') {
      input = MQ.el('select', { id: id, name: name });
      input.appendChild(MQ.el('option', { value: '', text: MQ.t('appeal.keep') }));
      categories.forEach(function (category) { input.appendChild(MQ.el('option', { value: category.code, text: category.code + ' ' + category.name })); });
    } else {
      input = MQ.el('select', { id: id, name: name, required: required });
      input.appendChild(MQ.el('option', { value: '', text: required ? MQ.t('portal.choose') : MQ.t('appeal.keep') }));
      CHOICES[kind].forEach(function (value) {
        var key = kind === 'resolution' || kind === 'satisfaction' ? kind + '.' + value : kind + '.' + value;
        input.appendChild(MQ.el('option', { value: value, text: MQ.t(key) }));
      });
    }
    return MQ.el('div', {}, [label, input]);
  }

  var chosen = null;
  function openAction(action) {
    chosen = action;
    var form = MQ.$('action-form');
    MQ.$('action-title').textContent = MQ.t('action.' + action);
    var fields = MQ.clear(MQ.$('action-fields'));
    (FIELDS[action] || []).forEach(function (field) { fields.appendChild(fieldInput(field[0], field[1], field[2])); });
    form.hidden = false;
    var first = form.querySelector('input, textarea, select');
    (first || form.querySelector('button')).focus();
  }

  function readBody() {
    var body = {};
    (FIELDS[chosen] || []).forEach(function (field) {
      var name = field[0], kind = field[1];
      var input = MQ.$('act-' + name);
      if (kind === 'check') { body[name] = input.checked; return; }
      if (kind === 'units') {
        var ids = Array.prototype.filter.call(input.options, function (o) { return o.selected; }).map(function (o) { return Number(o.value); });
        if (ids.length) body[name] = ids;
        return;
      }
      var value = input.value.trim();
      if (!value) return;
      body[name] = kind === 'unit' || kind === 'number' ? Number(value) : (kind === 'line' ? value.toUpperCase() : value);
    });
    return body;
  }

  function render(view) {
    var status = MQ.$('d-status');
    status.textContent = MQ.t('status.' + view.status);
    status.className = 'badge status-' + view.status;
    var tier = MQ.$('d-tier');
    tier.textContent = MQ.t('tier.' + view.tier);
    tier.className = 'tier tier-' + view.tier;
    MQ.$('d-text').textContent = view.text;
    var facts = MQ.clear(MQ.$('d-facts'));
    var category = categories.filter(function (c) { return c.code === view.category_code; })[0];
    fact(facts, MQ.t('appeal.received'), MQ.time(view.received_at));
    fact(facts, MQ.t('appeal.deadline'), view.next_deadline_at ? MQ.time(view.next_deadline_at) + (view.overdue ? ' · ' + MQ.t('queue.overdue') : '') : null);
    fact(facts, MQ.t('appeal.channel'), MQ.t('channel.' + view.channel));
    fact(facts, MQ.t('appeal.category'), view.category_code ? view.category_code + (category ? ' ' + category.name : '') : null);
    fact(facts, MQ.t('appeal.triage'), MQ.t('triage.' + view.triage) + (view.urgent ? ' · ' + MQ.t('appeal.urgent') : '') + (view.needs_triage ? ' · ' + MQ.t('appeal.needs_triage') : ''));
    fact(facts, MQ.t('appeal.region'), view.region_code);
    fact(facts, MQ.t('appeal.grid'), view.grid_id);
    fact(facts, MQ.t('appeal.address'), view.address);
    fact(facts, MQ.t('appeal.owner'), unitName(view.owner_unit_id));
    fact(facts, MQ.t('appeal.lead'), view.lead_unit_id ? unitName(view.lead_unit_id) : null);
    fact(facts, MQ.t('appeal.co'), view.co_unit_ids.length ? view.co_unit_ids.map(unitName).join('、') : null);
    if (view.contact_name || view.contact_phone) {
      fact(facts, MQ.t('appeal.contact'), [view.contact_name, view.contact_phone].filter(Boolean).join(' ') + (view.contact_masked ? ' ' + MQ.t('appeal.masked') : ''));
    }
    fact(facts, MQ.t('appeal.counts'), view.return_count + ' / ' + view.reopen_count + ' / ' + view.urge_count);
    if (view.rating) fact(facts, MQ.t('appeal.rating'), MQ.t('resolution.' + view.rating.resolution) + ' · ' + MQ.t('satisfaction.' + view.rating.satisfaction));
    fact(facts, MQ.t('appeal.merged_into'), view.merged_into ? MQ.el('a', { href: '/staff/appeals/' + view.merged_into, class: 'mono', text: view.merged_into }) : null);

    var buttons = MQ.clear(MQ.$('d-action-buttons'));
    var actions = view.available_actions || [];
    actions.forEach(function (action) {
      buttons.appendChild(MQ.el('button', { type: 'button', class: 'secondary', 'data-action': action, text: MQ.t('action.' + action), onclick: function () { openAction(action); } }));
    });
    MQ.$('d-no-actions').hidden = actions.length > 0;
    MQ.$('action-form').hidden = true;

    var list = MQ.clear(MQ.$('d-events'));
    (view.events || []).slice().reverse().forEach(function (event) {
      var details = [];
      if (event.payload && event.payload.lead_unit_id) details.push(MQ.t('appeal.lead') + ': ' + unitName(event.payload.lead_unit_id));
      if (event.payload && event.payload.working_days) details.push(MQ.t('appeal.field.working_days') + ': ' + event.payload.working_days);
      if (event.payload && event.payload.rating) details.push(MQ.t('resolution.' + event.payload.rating.resolution) + ' · ' + MQ.t('satisfaction.' + event.payload.rating.satisfaction));
      list.appendChild(MQ.el('li', {}, [
        MQ.el('time', { text: MQ.time(event.at) }), ' ',
        MQ.el('strong', { text: MQ.t('event.' + event.kind) }), ' ',
        MQ.el('span', { class: 'hint', text: event.actor + (event.actor_unit_id ? ' · ' + unitName(event.actor_unit_id) : '') }),
        event.reason ? MQ.el('p', { text: event.reason }) : null,
        details.length ? MQ.el('p', { class: 'hint', text: details.join('；') }) : null
      ]));
    });
  }

  var mapDrawn = false;
  function drawMap(view) {
    if (mapDrawn) return;
    mapDrawn = true;
    var container = MQ.$('d-map');
    var point = view.lng !== null && view.lat !== null ? [view.lng, view.lat] : null;
    var source = view.grid_id ? '/grids/' + encodeURIComponent(view.grid_id) : '/regions/' + view.region_code + '/grids';
    MQ.api('GET', source).then(function (data) {
      var collection = data.type === 'Feature' ? { type: 'FeatureCollection', features: [data] } : data;
      if (view.region_code.length < 12 && !view.grid_id) { container.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('appeal.no_point') })); return; }
      var map = MQ.map.draw(container, collection, { extraPoint: point });
      if (map && point) map.setMarker(point[0], point[1]);
      if (map && view.grid_id) map.select(view.grid_id);
      if (!point) container.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('appeal.no_point') }));
    }, function () { container.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('appeal.no_point') })); });
  }

  function photos() {
    var box = MQ.$('d-photos');
    MQ.showPhotos(box, number).then(function (list) {
      if (!list.length) box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('photo.none') }));
    }, function (error) { MQ.clear(box).appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  function load() {
    return MQ.api('GET', '/appeals/' + encodeURIComponent(number)).then(function (view) { render(view); drawMap(view); photos(); MQ.say(''); }, function (error) {
      MQ.say(MQ.t('err.generic') + error.message, 'error');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    MQ.say(MQ.t('common.loading'));
    Promise.all([
      MQ.api('GET', '/units').then(function (list) { units = list; }, function () { units = []; }),
      MQ.api('GET', '/categories').then(function (list) { categories = list; }, function () { categories = []; })
    ]).then(load);
    MQ.$('action-cancel').addEventListener('click', function () { MQ.$('action-form').hidden = true; });
    MQ.$('d-photo').addEventListener('change', function () {
      var file = MQ.$('d-photo').files[0];
      if (!file) return;
      MQ.say(MQ.t('portal.photo_sending'));
      MQ.resizePhoto(file).then(function (dataUrl) { return MQ.uploadPhoto(number, dataUrl); }).then(function () {
        MQ.$('d-photo').value = ''; MQ.say(MQ.t('photo.added'), 'ok'); photos();
      }, function (error) { MQ.say(MQ.t('portal.photo_failed') + error.message, 'error'); });
    });
    MQ.$('action-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var action = chosen;
      MQ.api('POST', '/appeals/' + encodeURIComponent(number) + '/actions/' + action, readBody()).then(function (view) {
        render(view);
        MQ.say(MQ.t('appeal.done') + MQ.t('action.' + action), 'ok');
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    });
  });
})();
