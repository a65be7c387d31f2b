// The grids of my area, coloured by open appeals or overdue share; click a grid for its
// people and open appeals. Drawn from our own GeoJSON by svgmap.js.
'use strict';
(function () {
  var load = {};
  var map = null;
  var collection = null;
  var PALETTE = ['#f1f8e9', '#fff59d', '#ffcc80', '#ff8a65', '#e53935'];

  function colourFor(id, mode) {
    var entry = load[id];
    if (!entry || !entry.open) return PALETTE[0];
    var value = mode === 'overdue' ? entry.overdue / entry.open : entry.open;
    var steps = mode === 'overdue' ? [0, 0.01, 0.25, 0.5, 0.75] : [0, 1, 3, 6, 10];
    var index = 0;
    steps.forEach(function (step, i) { if (value >= step) index = i; });
    return PALETTE[index];
  }

  function legend(mode) {
    var box = MQ.clear(MQ.$('legend'));
    var labels = mode === 'overdue' ? ['0', '>0', '25%', '50%', '75%'] : ['0', '1', '3', '6', '10+'];
    PALETTE.forEach(function (colour, index) {
      var swatch = MQ.el('span', { class: 'swatch' });
      swatch.style.background = colour;
      box.appendChild(MQ.el('span', { class: 'legend-item' }, [swatch, labels[index]]));
    });
  }

  function paint() {
    var mode = MQ.$('m-colour').value;
    if (map) map.setFill(function (id) { return colourFor(id, mode); });
    legend(mode);
    var body = MQ.clear(MQ.$('grid-table').tBodies[0]);
    Object.keys(load).sort(function (a, b) { return load[b].open - load[a].open; }).forEach(function (id) {
      body.appendChild(MQ.el('tr', {}, [
        MQ.el('td', {}, [MQ.el('button', { type: 'button', class: 'link mono', text: id, onclick: function () { showGrid(id); } })]),
        MQ.el('td', { text: String(load[id].open) }), MQ.el('td', { text: String(load[id].overdue) })
      ]));
    });
  }

  function showGrid(id) {
    if (map) map.select(id);
    var panel = MQ.clear(MQ.$('grid-panel'));
    panel.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('common.loading') }));
    Promise.all([
      MQ.api('GET', '/grids/' + encodeURIComponent(id)),
      MQ.api('GET', '/appeals?status=open&grid_id=' + encodeURIComponent(id) + '&limit=20')
    ]).then(function (answers) {
      var grid = answers[0], page = answers[1];
      MQ.clear(panel);
      panel.appendChild(MQ.el('h2', { text: (grid.properties.name || id) }));
      panel.appendChild(MQ.el('p', { class: 'hint mono', text: id }));
      panel.appendChild(MQ.el('h3', { text: MQ.t('map.members') }));
      var members = MQ.el('ul', { class: 'plain' });
      (grid.properties.members || []).forEach(function (member) { members.appendChild(MQ.el('li', { text: member.name + ' · ' + member.role })); });
      if (!members.children.length) members.appendChild(MQ.el('li', { class: 'hint', text: MQ.t('map.none') }));
      panel.appendChild(members);
      panel.appendChild(MQ.el('h3', { text: MQ.t('map.appeals') }));
      var list = MQ.el('ul', { class: 'plain' });
      page.items.forEach(function (item) {
        list.appendChild(MQ.el('li', {}, [MQ.tierBadge(item.tier), ' ', MQ.el('a', { href: '/staff/appeals/' + item.number, class: 'mono', text: item.number }), ' ', MQ.el('span', { class: 'hint', text: item.text.slice(0, 30) })]));
      });
      if (!page.items.length) list.appendChild(MQ.el('li', { class: 'hint', text: MQ.t('map.none') }));
      panel.appendChild(list);
    }, function (error) { MQ.clear(panel).appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  function draw(region) {
    MQ.say(MQ.t('common.loading'));
    Promise.all([MQ.api('GET', '/regions/' + region + '/grids'), MQ.api('GET', '/dashboard/grids?region_code=' + region)]).then(function (answers) {
      collection = answers[0];
      load = {};
      answers[1].forEach(function (entry) { load[entry.grid_id] = entry; });
      map = MQ.map.draw(MQ.$('grid-map'), collection, { onGrid: showGrid });
      paint();
      MQ.say('');
    }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    var me = MQ.me() || {};
    var home = me.unit_region_code && me.unit_region_code.indexOf(MQ.county()) === 0 ? me.unit_region_code : MQ.county();
    var select = MQ.$('m-region');
    MQ.api('GET', '/regions/' + MQ.county()).then(function (county) {
      select.appendChild(MQ.el('option', { value: county.code, text: county.name }));
      county.children.forEach(function (child) { select.appendChild(MQ.el('option', { value: child.code, text: child.name })); });
      if (home !== county.code && !county.children.some(function (c) { return c.code === home; })) {
        select.appendChild(MQ.el('option', { value: home, text: home }));
      }
      select.value = home;
      draw(home);
    });
    select.addEventListener('change', function () { draw(select.value); });
    MQ.$('m-colour').addEventListener('change', paint);
  });
})();
