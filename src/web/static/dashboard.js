// Dashboards for my scope: the month's rates, appeals in and resolved per day, the unit
// ranking and the top categories. Every chart is our own SVG, with a table and a CSV.
'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var RATES = ['response_rate', 'resolution_rate', 'satisfaction_rate', 'on_time_rate', 'return_rate', 'reopen_rate'];

  function svg(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function table(id, head, rows) {
    var node = MQ.clear(MQ.$(id));
    node.appendChild(MQ.el('thead', {}, [MQ.el('tr', {}, head.map(function (h) { return MQ.el('th', { scope: 'col', text: h }); }))]));
    node.appendChild(MQ.el('tbody', {}, rows.map(function (row) { return MQ.el('tr', {}, row.map(function (cell) { return MQ.el('td', { text: String(cell) }); })); })));
  }

  // Vertical paired bars per day.
  function daysChart(days) {
    var box = MQ.clear(MQ.$('days-chart'));
    var width = 720, height = 220, pad = 28;
    var max = Math.max(1, Math.max.apply(null, days.map(function (d) { return Math.max(d.received, d.resolved); })));
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': MQ.t('dash.days'), class: 'chart-svg' });
    var step = (width - pad * 2) / days.length;
    [0, 0.5, 1].forEach(function (f) {
      var y = height - pad - f * (height - pad * 2);
      chart.appendChild(svg('line', { x1: pad, x2: width - pad / 2, y1: y, y2: y, class: 'axis' }));
      chart.appendChild(svg('text', { x: 2, y: y + 4, class: 'tick' }, String(Math.round(max * f))));
    });
    days.forEach(function (day, i) {
      var x = pad + i * step;
      var bar = Math.max(step / 2 - 1, 1);
      var h1 = day.received / max * (height - pad * 2), h2 = day.resolved / max * (height - pad * 2);
      var r1 = svg('rect', { x: x, y: height - pad - h1, width: bar, height: h1, class: 'bar-in' });
      r1.appendChild(svg('title', {}, day.day + ' ' + MQ.t('dash.received') + ' ' + day.received));
      var r2 = svg('rect', { x: x + bar, y: height - pad - h2, width: bar, height: h2, class: 'bar-out' });
      r2.appendChild(svg('title', {}, day.day + ' ' + MQ.t('dash.resolved') + ' ' + day.resolved));
      chart.appendChild(r1); chart.appendChild(r2);
      if (i % 5 === 0) chart.appendChild(svg('text', { x: x, y: height - 8, class: 'tick' }, day.day.slice(5)));
    });
    box.appendChild(chart);
    box.appendChild(MQ.el('p', { class: 'legend' }, [MQ.el('span', { class: 'swatch bar-in-swatch' }), MQ.t('dash.received'), ' ', MQ.el('span', { class: 'swatch bar-out-swatch' }), MQ.t('dash.resolved')]));
  }

  // Horizontal bars: [label, value, text].
  function barsChart(id, label, items, max) {
    var box = MQ.clear(MQ.$(id));
    if (!items.length) { box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('map.none') })); return; }
    var row = 26, labelWidth = 260, width = 720, height = items.length * row + 10;
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': label, class: 'chart-svg' });
    items.forEach(function (item, i) {
      var y = 5 + i * row;
      var w = max > 0 ? item[1] / max * (width - labelWidth - 70) : 0;
      chart.appendChild(svg('text', { x: labelWidth - 6, y: y + 16, class: 'label', 'text-anchor': 'end' }, item[0].length > 18 ? item[0].slice(0, 18) + '…' : item[0]));
      chart.appendChild(svg('rect', { x: labelWidth, y: y + 3, width: Math.max(w, 1), height: row - 8, class: 'bar-in' }));
      chart.appendChild(svg('text', { x: labelWidth + w + 6, y: y + 16, class: 'label' }, item[2]));
    });
    box.appendChild(chart);
  }

  // The programmes counted for the month in the reader's region: [measure, value] rows.
  var PROGRAMME_MEASURES = [
    'challenges_total', 'challenges_claimed', 'challenges_assessed', 'challenges_late',
    'orders_total', 'orders_taken', 'orders_taken_within_target', 'orders_late',
    'points_issued', 'points_spent', 'meetings_held', 'scheduled_periods', 'scheduled_periods_held',
    'tasks_total', 'tasks_done', 'tasks_late', 'disputes_total', 'disputes_agreed'
  ];
  function programmeRegion() { var me = MQ.me(); return (me && me.unit_region_code) || MQ.county(); }
  function loadProgrammes(month) {
    return MQ.api('GET', '/dashboard/programmes?month=' + month + '&region_code=' + programmeRegion()).then(function (board) {
      var tiles = MQ.clear(MQ.$('programme-tiles'));
      [
        ['dash.prog.challenges_claimed', board.challenges_claimed + ' / ' + board.challenges_total],
        ['dash.prog.challenges_assessed', String(board.challenges_assessed)],
        ['dash.prog.orders_on_time', board.orders_taken_within_target + ' / ' + board.orders_taken],
        ['dash.prog.points_issued', String(board.points_issued)],
        ['dash.prog.points_spent', String(board.points_spent)],
        ['dash.prog.meetings_held', String(board.meetings_held)],
        ['dash.prog.schedule_held', board.scheduled_periods_held + ' / ' + board.scheduled_periods],
        ['dash.prog.tasks_done', board.tasks_done + ' / ' + board.tasks_total],
        ['dash.prog.disputes_agreed', board.disputes_agreed + ' / ' + board.disputes_total]
      ].forEach(function (pair) {
        tiles.appendChild(MQ.el('div', { class: 'tile' }, [MQ.el('span', { class: 'tile-value', text: pair[1] }), MQ.el('span', { class: 'tile-label', text: MQ.t(pair[0]) })]));
      });
      table('programmes-table', [MQ.t('dash.prog.measure'), MQ.t('dash.count')], PROGRAMME_MEASURES.map(function (name) { return [MQ.t('dash.prog.' + name), board[name]]; }));
    }, function (error) { MQ.clear(MQ.$('programme-tiles')).appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  function load(month) {
    loadProgrammes(month);
    MQ.say(MQ.t('common.loading'));
    Promise.all([MQ.api('GET', '/dashboard/summary?month=' + month), MQ.api('GET', '/dashboard/units?month=' + month)]).then(function (answers) {
      var summary = answers[0], ranking = answers[1];
      var tiles = MQ.clear(MQ.$('rate-tiles'));
      [['dash.received', summary.rates.received], ['dash.resolved', summary.rates.resolved], ['dash.rated', summary.rates.rated]].forEach(function (pair) {
        tiles.appendChild(MQ.el('div', { class: 'tile' }, [MQ.el('span', { class: 'tile-value', text: String(pair[1]) }), MQ.el('span', { class: 'tile-label', text: MQ.t(pair[0]) })]));
      });
      RATES.forEach(function (name) {
        tiles.appendChild(MQ.el('div', { class: 'tile' }, [MQ.el('span', { class: 'tile-value', text: MQ.percent(summary.rates[name]) }), MQ.el('span', { class: 'tile-label', text: MQ.t('dash.' + name) })]));
      });
      var hours = summary.rates.mean_handling_hours;
      tiles.appendChild(MQ.el('div', { class: 'tile' }, [MQ.el('span', { class: 'tile-value', text: hours === null ? MQ.t('common.dash') : hours.toFixed(1) }), MQ.el('span', { class: 'tile-label', text: MQ.t('dash.mean_handling_hours') })]));

      daysChart(summary.days);
      table('days-table', [MQ.t('dash.day'), MQ.t('dash.received'), MQ.t('dash.resolved')], summary.days.map(function (d) { return [d.day, d.received, d.resolved]; }));

      var w = ranking.weights;
      MQ.$('weights').textContent = MQ.t('dash.weights').replace('{r}', w.response).replace('{s}', w.resolution).replace('{t}', w.satisfaction);
      var scored = ranking.units.filter(function (u) { return u.score !== null; }).slice(0, 15);
      barsChart('units-chart', MQ.t('dash.ranking'), scored.map(function (u) { return [u.rank + '. ' + u.unit_name, u.score, u.score.toFixed(1)]; }), 100);
      table('units-table', [MQ.t('dash.rank'), MQ.t('dash.unit'), MQ.t('dash.score'), MQ.t('dash.received'), MQ.t('dash.resolved')].concat(RATES.map(function (r) { return MQ.t('dash.' + r); })).concat([MQ.t('dash.mean_handling_hours')]),
        ranking.units.map(function (u) {
          return [u.rank, u.unit_name, u.score === null ? MQ.t('common.dash') : u.score.toFixed(1), u.received, u.resolved]
            .concat(RATES.map(function (r) { return MQ.percent(u[r]); }))
            .concat([u.mean_handling_hours === null ? MQ.t('common.dash') : u.mean_handling_hours.toFixed(1)]);
        }));

      var cats = summary.top_categories;
      var top = cats.length ? cats[0].count : 0;
      barsChart('cats-chart', MQ.t('dash.categories'), cats.map(function (c) { return [c.name || c.code || MQ.t('dash.uncategorised'), c.count, String(c.count)]; }), top);
      table('cats-table', [MQ.t('dash.category'), MQ.t('dash.count')], cats.map(function (c) { return [(c.code ? c.code + ' ' : '') + (c.name || MQ.t('dash.uncategorised')), c.count]; }));
      MQ.say('');
    }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    var input = MQ.$('month');
    input.value = new URLSearchParams(location.search).get('month') || MQ.thisMonth();
    MQ.$('month-form').addEventListener('submit', function (event) {
      event.preventDefault();
      history.replaceState(null, '', '/staff/dashboard?month=' + input.value);
      load(input.value);
    });
    Array.prototype.forEach.call(document.querySelectorAll('button.csv'), function (button) {
      button.addEventListener('click', function () {
        var kind = button.getAttribute('data-csv');
        var table = button.getAttribute('data-table');
        var path = '/dashboard/' + kind + '?format=csv&month=' + input.value + (table ? '&table=' + table : '') + (kind === 'programmes' ? '&region_code=' + programmeRegion() : '');
        MQ.downloadCsv(path, 'minqing-' + (table || kind) + '-' + input.value + '.csv');
      });
    });
    load(input.value);
  });
})();
