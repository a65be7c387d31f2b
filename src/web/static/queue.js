// My queue: appeals sorted by deadline with tier colours, filters kept in the address
// (they hold no personal data) and keyset paging with the API's cursor.
'use strict';
(function () {
  var TIERS = ['green', 'blue', 'yellow', 'red'];
  var CHANNELS = ['hotline', 'web', 'mini_program', 'grid_visit', 'meeting', 'party_rep', 'open311'];
  var STATUSES = ['received', 'accepted', 'dispatched', 'signed_for', 'in_progress', 'returned', 'resolved', 'followed_up', 'rated', 'closed', 'rejected', 'merged'];
  var cursor = null;

  function option(select, value, label) { select.appendChild(MQ.el('option', { value: value, text: label })); }

  function remaining(item) {
    if (!item.next_deadline_at) return MQ.t('queue.no_deadline');
    var ms = new Date(item.next_deadline_at).getTime() - Date.now();
    var abs = Math.abs(ms), hours = Math.round(abs / 3600000);
    var span = hours >= 48 ? Math.round(hours / 24) + (document.body.dataset.lang === 'en' ? ' d' : ' 天') : hours + (document.body.dataset.lang === 'en' ? ' h' : ' 小时');
    return (ms < 0 ? MQ.t('queue.overdue') + ' ' : '') + span;
  }

  function query() {
    var form = MQ.$('filters');
    var params = new URLSearchParams();
    ['queue', 'status', 'tier', 'category_code', 'channel', 'grid_id', 'sort'].forEach(function (name) {
      var value = form.elements[name].value;
      if (value) params.set(name, value);
    });
    if (form.elements.received_from.value) params.set('received_from', form.elements.received_from.value + 'T00:00:00+08:00');
    if (form.elements.received_before.value) params.set('received_before', form.elements.received_before.value + 'T00:00:00+08:00');
    if (form.elements.overdue.checked) params.set('overdue', 'true');
    return params;
  }

  function restore() {
    var params = new URLSearchParams(location.search);
    var form = MQ.$('filters');
    ['queue', 'status', 'tier', 'category_code', 'channel', 'grid_id', 'sort'].forEach(function (name) {
      if (params.has(name)) form.elements[name].value = params.get(name);
    });
    if (params.get('received_from')) form.elements.received_from.value = params.get('received_from').slice(0, 10);
    if (params.get('received_before')) form.elements.received_before.value = params.get('received_before').slice(0, 10);
    form.elements.overdue.checked = params.get('overdue') === 'true';
  }

  function row(item) {
    var link = MQ.el('a', { href: '/staff/appeals/' + item.number, class: 'mono', text: item.number });
    return MQ.el('tr', { class: 'tier-row tier-' + item.tier + (item.overdue ? ' overdue' : '') }, [
      MQ.el('td', { class: item.overdue ? 'late' : '', text: remaining(item) }),
      MQ.el('td', {}, [link, item.urgent ? MQ.el('span', { class: 'flag', text: MQ.t('appeal.urgent') }) : null]),
      MQ.el('td', { class: 'excerpt', text: item.text.length > 60 ? item.text.slice(0, 60) + '…' : item.text }),
      MQ.el('td', {}, [MQ.statusBadge(item.status)]),
      MQ.el('td', {}, [MQ.tierBadge(item.tier)])
    ]);
  }

  function load(append) {
    var params = query();
    params.set('limit', '50');
    if (append && cursor) params.set('cursor', cursor);
    if (!append) history.replaceState(null, '', '/staff?' + query().toString());
    MQ.say(MQ.t('common.loading'));
    return MQ.api('GET', '/appeals?' + params.toString()).then(function (page) {
      MQ.say('');
      var body = MQ.$('list').tBodies[0];
      if (!append) MQ.clear(body);
      page.items.forEach(function (item) { body.appendChild(row(item)); });
      cursor = page.next_cursor || null;
      MQ.$('more').hidden = !cursor;
      MQ.$('empty').hidden = body.rows.length > 0;
    }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    var me = MQ.me();
    if (me) MQ.$('whoami').textContent = MQ.t('queue.signed_in_as') + me.username;
    var status = MQ.$('f-status');
    STATUSES.forEach(function (name) { option(status, name, MQ.t('status.' + name)); });
    TIERS.forEach(function (name) { option(MQ.$('f-tier'), name, MQ.t('tier.' + name)); });
    CHANNELS.forEach(function (name) { option(MQ.$('f-channel'), name, MQ.t('channel.' + name)); });
    MQ.api('GET', '/categories').then(function (categories) {
      categories.forEach(function (category) { option(MQ.$('f-category'), category.code, category.code + ' ' + category.name); });
      restore();
      load(false);
    }, function () { restore(); load(false); });
    MQ.$('filters').addEventListener('submit', function (event) { event.preventDefault(); cursor = null; load(false); });
    MQ.$('more').addEventListener('click', function () { load(true); });
  });
})();
