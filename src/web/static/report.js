// The printable monthly report of one unit: its rates, its place in the ranking and its
// open appeals (those I may see). Print styles hide everything else; the same report
// downloads as an Excel workbook.
'use strict';
(function () {
  var RATES = ['response_rate', 'resolution_rate', 'satisfaction_rate', 'on_time_rate', 'return_rate', 'reopen_rate'];

  function show(unitId, month) {
    MQ.say(MQ.t('common.loading'));
    MQ.api('GET', '/dashboard/units?month=' + month).then(function (ranking) {
      var select = MQ.$('r-unit');
      var name = select.options[select.selectedIndex] ? select.options[select.selectedIndex].text : String(unitId);
      var line = ranking.units.filter(function (u) { return u.unit_id === unitId; })[0];
      MQ.$('report-body').hidden = false;
      MQ.$('rep-title').textContent = name + ' · ' + MQ.t('report.title');
      MQ.$('rep-sub').textContent = MQ.t('dash.month') + ' ' + month;
      var rates = MQ.clear(MQ.$('rep-rates'));
      rates.appendChild(MQ.el('thead', {}, [MQ.el('tr', {}, [MQ.el('th', { scope: 'col', text: MQ.t('report.metric') }), MQ.el('th', { scope: 'col', text: MQ.t('report.value') })])]));
      var body = MQ.el('tbody');
      var rows = [['dash.received', line ? line.received : 0], ['dash.resolved', line ? line.resolved : 0], ['dash.rated', line ? line.rated : 0]];
      RATES.forEach(function (r) { rows.push(['dash.' + r, MQ.percent(line ? line[r] : null)]); });
      rows.push(['dash.mean_handling_hours', line && line.mean_handling_hours !== null ? line.mean_handling_hours.toFixed(1) : MQ.t('common.dash')]);
      rows.push(['dash.score', line && line.score !== null ? line.score.toFixed(1) : MQ.t('common.dash')]);
      rows.forEach(function (row) { body.appendChild(MQ.el('tr', {}, [MQ.el('th', { scope: 'row', text: MQ.t(row[0]) }), MQ.el('td', { text: String(row[1]) })])); });
      rates.appendChild(body);
      MQ.$('rep-rank').textContent = line ? MQ.t('report.rank_of').replace('{r}', line.rank).replace('{n}', ranking.units.length) : MQ.t('report.not_ranked');
      MQ.$('rep-at').textContent = MQ.time(new Date().toISOString());
      var open = MQ.clear(MQ.$('rep-open'));
      MQ.api('GET', '/appeals?unit_id=' + unitId + '&status=open&limit=200').then(function (page) {
        open.appendChild(MQ.el('thead', {}, [MQ.el('tr', {}, [MQ.t('queue.col_number'), MQ.t('queue.status'), MQ.t('queue.tier'), MQ.t('queue.col_deadline'), MQ.t('queue.col_text')].map(function (h) { return MQ.el('th', { scope: 'col', text: h }); }))]));
        var tbody = MQ.el('tbody');
        page.items.forEach(function (item) {
          tbody.appendChild(MQ.el('tr', {}, [
            MQ.el('td', { class: 'mono', text: item.number }), MQ.el('td', { text: MQ.t('status.' + item.status) }),
            MQ.el('td', { text: MQ.t('tier.' + item.tier) }), MQ.el('td', { text: MQ.time(item.next_deadline_at) + (item.overdue ? ' ' + MQ.t('queue.overdue') : '') }),
            MQ.el('td', { text: item.text.slice(0, 40) })
          ]));
        });
        open.appendChild(tbody);
        if (!page.items.length) open.appendChild(MQ.el('caption', { class: 'hint', text: MQ.t('report.no_open') }));
        MQ.say('');
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    var me = MQ.me() || {};
    var params = new URLSearchParams(location.search);
    MQ.$('r-month').value = params.get('month') || MQ.thisMonth();
    MQ.api('GET', '/units').then(function (units) {
      var select = MQ.$('r-unit');
      units.forEach(function (unit) { select.appendChild(MQ.el('option', { value: unit.id, text: unit.name })); });
      select.value = params.get('unit') || me.unit_id;
      show(Number(select.value), MQ.$('r-month').value);
    });
    MQ.$('report-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var unit = MQ.$('r-unit').value, month = MQ.$('r-month').value;
      history.replaceState(null, '', '/staff/report?unit=' + unit + '&month=' + month);
      show(Number(unit), month);
    });
    MQ.$('print').addEventListener('click', function () { window.print(); });
    MQ.$('xlsx').addEventListener('click', function () {
      var unit = MQ.$('r-unit').value, month = MQ.$('r-month').value;
      MQ.downloadCsv('/reports/unit-month.xlsx?unit_id=' + unit + '&month=' + month, 'minqing-report-' + unit + '-' + month + '.xlsx');
    });
  });
})();
