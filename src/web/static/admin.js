// Administration (role admin): grids (import GeoJSON, view on the map, assign people),
// units and users, categories, deadline policies (versioned), the holiday calendar and
// message templates. Every change goes through the JSON API, which checks the role again.
'use strict';
(function () {
  var UNIT_KINDS = ['service_centre', 'department', 'township_committee', 'village_organisation', 'service_team'];
  var ROLES = ['admin', 'operator', 'dispatcher', 'handler', 'grid_worker', 'party_rep', 'supervisor', 'leader'];
  var GRID_ROLES = ['grid_worker', 'party_rep'];
  var state = { units: [], users: [], categories: [], policy: null, loaded: {} };
  var map = null;

  function ok(message) { MQ.say(message, 'ok'); }
  function fail(error) { MQ.say(MQ.t('err.generic') + (error.message || error), 'error'); }
  function cell(text, attrs) { return MQ.el('td', Object.assign({ text: text === null || text === undefined ? MQ.t('common.dash') : String(text) }, attrs || {})); }
  function option(select, value, label) { select.appendChild(MQ.el('option', { value: value, text: label })); }
  function unitName(id) { var unit = state.units.filter(function (u) { return u.id === id; })[0]; return unit ? unit.name : String(id); }

  function readFile(input) {
    return new Promise(function (done, failed) {
      var file = input.files && input.files[0];
      if (!file) { failed({ message: MQ.t('admin.choose_file') }); return; }
      var reader = new FileReader();
      reader.onload = function () { done(reader.result); };
      reader.onerror = function () { failed({ message: MQ.t('admin.choose_file') }); };
      reader.readAsText(file);
    });
  }

  // ---- Grids -------------------------------------------------------------------------

  function loadGrids(region) {
    if (editing) closeEditor();
    return MQ.api('GET', '/regions/' + region + '/grids').then(function (collection) {
      map = MQ.map.draw(MQ.$('admin-map'), collection, { onGrid: showGrid, label: MQ.t('admin.grids') });
      var body = MQ.clear(MQ.$('g-table').tBodies[0]);
      collection.features.forEach(function (feature) {
        var props = feature.properties;
        body.appendChild(MQ.el('tr', {}, [
          MQ.el('td', {}, [MQ.el('button', { type: 'button', class: 'link mono', text: props.id, onclick: function () { showGrid(props.id); } })]),
          cell(props.name), cell(props.region_code, { class: 'mono' })
        ]));
      });
    }, fail);
  }

  function showGrid(id) {
    if (map) map.select(id);
    var panel = MQ.clear(MQ.$('g-panel'));
    panel.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('common.loading') }));
    Promise.all([MQ.api('GET', '/grids/' + encodeURIComponent(id)), MQ.api('GET', '/admin/grids/' + encodeURIComponent(id) + '/members')]).then(function (answers) {
      var grid = answers[0], members = answers[1];
      MQ.clear(panel);
      panel.appendChild(MQ.el('h3', { text: grid.properties.name || id }));
      panel.appendChild(MQ.el('p', { class: 'hint mono', text: id + ' · ' + grid.properties.region_code }));
      panel.appendChild(MQ.el('p', {}, [MQ.el('button', { type: 'button', id: 'g-edit-shape', class: 'secondary', text: MQ.t('admin.edit_shape'), onclick: function () { editShape(grid); } })]));
      panel.appendChild(MQ.el('h4', { text: MQ.t('map.members') }));
      var list = MQ.el('ul', { class: 'plain', id: 'g-members' });
      members.forEach(function (member) {
        list.appendChild(MQ.el('li', {}, [
          member.display_name + ' (' + member.username + ') · ' + MQ.t('role.' + member.role) + ' ',
          MQ.el('button', { type: 'button', class: 'link', text: MQ.t('admin.remove'), 'aria-label': MQ.t('admin.remove') + ' ' + member.display_name, onclick: function () {
            MQ.api('DELETE', '/admin/grids/' + encodeURIComponent(id) + '/members/' + member.user_id + '?role=' + member.role).then(function () { ok(MQ.t('admin.saved')); showGrid(id); }, fail);
          } })
        ]));
      });
      if (!members.length) list.appendChild(MQ.el('li', { class: 'hint', text: MQ.t('map.none') }));
      panel.appendChild(list);
      var who = MQ.el('select', { id: 'gm-user' });
      state.users.filter(function (u) { return u.active; }).forEach(function (u) { option(who, u.username, u.display_name + ' (' + u.username + ') · ' + u.unit_name); });
      var role = MQ.el('select', { id: 'gm-role' });
      GRID_ROLES.forEach(function (r) { option(role, r, MQ.t('role.' + r)); });
      var form = MQ.el('form', { id: 'gm-form' }, [
        MQ.el('h4', { text: MQ.t('admin.assign') }),
        MQ.el('label', { for: 'gm-user', text: MQ.t('admin.person') }), who,
        MQ.el('label', { for: 'gm-role', text: MQ.t('admin.grid_role') }), role,
        MQ.el('button', { type: 'submit', class: 'primary', text: MQ.t('admin.assign') })
      ]);
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        MQ.api('POST', '/admin/grids/' + encodeURIComponent(id) + '/members', { username: who.value, role: role.value }).then(function () {
          ok(MQ.t('admin.assigned')); showGrid(id);
        }, fail);
      });
      panel.appendChild(form);
    }, function (error) { MQ.clear(panel).appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  // Drawing a new grid or reshaping an existing one on the map. The outline is saved as a
  // one-feature GeoJSON import, so it goes through exactly the checks of a file import
  // (a simple shape, a known village, a known parent) and replaces the grid of that id.
  var editing = null;

  function villagesOf(township, selected) {
    var select = MQ.clear(MQ.$('ge-village'));
    option(select, '', MQ.t('common.dash'));
    if (!township) return Promise.resolve();
    return MQ.api('GET', '/regions/' + township).then(function (region) {
      region.children.forEach(function (child) { option(select, child.code, child.name); });
      if (selected) select.value = selected;
    }, fail);
  }

  function openEditor(properties, ring) {
    var form = MQ.$('g-editor');
    form.hidden = false;
    MQ.$('g-draw').hidden = true;
    MQ.$('g-editor-title').textContent = ring.length ? MQ.t('admin.edit_shape') : MQ.t('admin.draw_grid');
    MQ.$('ge-id').value = properties.id || '';
    MQ.$('ge-id').readOnly = !!ring.length;
    MQ.$('ge-name').value = properties.name || '';
    var parent = MQ.clear(MQ.$('ge-parent'));
    option(parent, '', MQ.t('common.dash'));
    MQ.$('g-table').tBodies[0].querySelectorAll('button').forEach(function (button) {
      if (button.textContent !== properties.id) option(parent, button.textContent, button.textContent);
    });
    parent.value = properties.parent_id || '';
    var region = properties.region_code || '';
    var township = region ? region.slice(0, 9) : (MQ.$('g-region').value.length === 9 ? MQ.$('g-region').value : '');
    MQ.$('ge-township').value = township;
    villagesOf(township, region);
    editing = { properties: properties };
    MQ.$('g-corners').textContent = String(ring.length);
    map.edit(ring, function (corners) { MQ.$('g-corners').textContent = String(corners.length); });
    MQ.$('ge-id').focus();
  }

  function closeEditor() {
    editing = null;
    if (map) map.stopEditing();
    MQ.$('g-editor').hidden = true;
    MQ.$('g-draw').hidden = false;
  }

  function editShape(grid) {
    var geometry = grid.geometry;
    var polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
    // The map edits one outer ring; a grid of several pieces or with holes is edited by file.
    if (polygons.length !== 1 || polygons[0].length !== 1) { MQ.say(MQ.t('admin.grid_file_hint'), 'error'); return; }
    var ring = polygons[0][0].slice(0, -1);
    openEditor(grid.properties, ring);
  }

  function saveShape(event) {
    event.preventDefault();
    var corners = map ? map.corners() : [];
    var id = MQ.$('ge-id').value.trim();
    var village = MQ.$('ge-village').value;
    if (!id) { MQ.say(MQ.t('admin.need_id'), 'error'); MQ.$('ge-id').focus(); return; }
    if (!village) { MQ.say(MQ.t('admin.need_village'), 'error'); MQ.$('ge-village').focus(); return; }
    if (corners.length < 3) { MQ.say(MQ.t('admin.need_corners'), 'error'); return; }
    var round = function (n) { return Math.round(n * 1e7) / 1e7; };
    var ring = corners.map(function (c) { return [round(c[0]), round(c[1])]; });
    ring.push(ring[0]);
    var properties = { id: id, name: MQ.$('ge-name').value.trim() || id, region_code: village };
    if (MQ.$('ge-parent').value) properties.parent_id = MQ.$('ge-parent').value;
    var collection = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: properties, geometry: { type: 'Polygon', coordinates: [ring] } }] };
    MQ.api('POST', '/admin/grids', JSON.stringify(collection), { contentType: 'application/geo+json' }).then(function () {
      ok(MQ.t('admin.saved'));
      closeEditor();
      return loadGrids(MQ.$('g-region').value).then(function () { showGrid(id); });
    }, fail);
  }

  function initGridEditor() {
    var townships = MQ.$('ge-township');
    option(townships, '', MQ.t('common.dash'));
    MQ.api('GET', '/regions/' + MQ.county()).then(function (county) {
      county.children.forEach(function (child) { option(townships, child.code, child.name); });
    }, fail);
    townships.addEventListener('change', function () { villagesOf(townships.value); });
    // A new grid's id is suggested from its village: the village code and the next free number.
    MQ.$('ge-village').addEventListener('change', function () {
      var village = MQ.$('ge-village').value, id = MQ.$('ge-id');
      if (!village || id.readOnly || (id.value && id.dataset.suggested !== id.value)) return;
      var taken = {};
      MQ.$('g-table').tBodies[0].querySelectorAll('button').forEach(function (button) { taken[button.textContent] = true; });
      for (var n = 1; n < 1000; n++) {
        var candidate = village + '-' + (n < 10 ? '0' + n : String(n));
        if (!taken[candidate]) { id.value = candidate; id.dataset.suggested = candidate; break; }
      }
    });
    MQ.$('g-draw').addEventListener('click', function () { if (map) openEditor({}, []); });
    MQ.$('ge-undo').addEventListener('click', function () { if (map) map.undoCorner(); });
    MQ.$('ge-cancel').addEventListener('click', closeEditor);
    MQ.$('g-editor').addEventListener('submit', saveShape);
  }

  function initGrids() {
    initGridEditor();
    var select = MQ.$('g-region');
    MQ.api('GET', '/regions/' + MQ.county()).then(function (county) {
      option(select, county.code, county.name);
      county.children.forEach(function (child) { option(select, child.code, child.name); });
      loadGrids(county.code);
    }, fail);
    select.addEventListener('change', function () { loadGrids(select.value); });
    MQ.$('grid-import').addEventListener('submit', function (event) {
      event.preventDefault();
      MQ.say(MQ.t('common.loading'));
      readFile(MQ.$('g-file')).then(function (text) {
        return MQ.api('POST', '/admin/grids', text, { contentType: 'application/geo+json' });
      }).then(function (answer) {
        ok(MQ.t('admin.imported') + answer.imported);
        loadGrids(select.value);
      }, fail);
    });
  }

  // ---- Units and users ---------------------------------------------------------------

  function renderUnits() {
    var body = MQ.clear(MQ.$('units-list').tBodies[0]);
    state.units.forEach(function (unit) {
      var head = state.users.filter(function (u) { return u.id === unit.head_user_id; })[0];
      var row = MQ.el('tr', {}, [
        cell(unit.name), cell(MQ.t('unit_kind.' + unit.kind)), cell(unit.region_code, { class: 'mono' }), cell(head ? head.display_name : null),
        MQ.el('td', {}, [MQ.el('button', { type: 'button', class: 'link', text: MQ.t('admin.edit'), 'aria-label': MQ.t('admin.edit') + ' ' + unit.name, onclick: function () { editUnit(unit, row); } })])
      ]);
      body.appendChild(row);
    });
    var select = MQ.clear(MQ.$('us-unit'));
    state.units.forEach(function (unit) { option(select, unit.id, unit.name); });
  }

  // Opens an inline form under the unit's row: its name and its head (who receives its
  // supervision notices), chosen among its active members.
  function editUnit(unit, row) {
    var old = MQ.$('unit-edit-row');
    if (old) old.remove();
    var name = MQ.el('input', { id: 'ue-name', maxlength: 100, value: unit.name });
    var head = MQ.el('select', { id: 'ue-head' });
    option(head, '', MQ.t('common.dash'));
    state.users.filter(function (u) { return u.unit_id === unit.id && u.active; }).forEach(function (u) { option(head, u.id, u.display_name + ' (' + u.username + ')'); });
    head.value = unit.head_user_id ? String(unit.head_user_id) : '';
    var form = MQ.el('form', { class: 'filters' }, [
      MQ.el('div', {}, [MQ.el('label', { for: 'ue-name', text: MQ.t('admin.name') }), name]),
      MQ.el('div', {}, [MQ.el('label', { for: 'ue-head', text: MQ.t('admin.head') }), head]),
      MQ.el('div', { class: 'actions' }, [
        MQ.el('button', { type: 'submit', class: 'secondary', text: MQ.t('admin.save') }),
        MQ.el('button', { type: 'button', class: 'secondary', text: MQ.t('admin.cancel'), onclick: function () { MQ.$('unit-edit-row').remove(); } })
      ])
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      MQ.api('PATCH', '/admin/units/' + unit.id, { name: name.value.trim(), head_user_id: head.value ? Number(head.value) : null }).then(function () { ok(MQ.t('admin.saved')); loadPeople(); }, fail);
    });
    row.parentNode.insertBefore(MQ.el('tr', { id: 'unit-edit-row' }, [MQ.el('td', { colspan: 5 }, [form])]), row.nextSibling);
    name.focus();
  }

  function renderUsers() {
    var body = MQ.clear(MQ.$('users-list').tBodies[0]);
    state.users.forEach(function (user) {
      body.appendChild(MQ.el('tr', { class: user.active ? '' : 'inactive' }, [
        cell(user.username, { class: 'mono' }), cell(user.display_name), cell(user.unit_name),
        cell(user.roles.map(function (r) { return MQ.t('role.' + r); }).join('、')),
        cell(user.active ? MQ.t('admin.yes') : MQ.t('admin.no')),
        MQ.el('td', {}, [MQ.el('button', { type: 'button', class: 'link', text: MQ.t('admin.edit'), 'aria-label': MQ.t('admin.edit') + ' ' + user.username, onclick: function () { editUser(user); } })])
      ]));
    });
  }

  var editingUser = null;
  function editUser(user) {
    editingUser = user;
    MQ.$('user-form-title').textContent = MQ.t('admin.edit_user') + ' ' + user.username;
    MQ.$('us-username').value = user.username;
    MQ.$('us-username').disabled = true;
    MQ.$('us-display').value = user.display_name;
    MQ.$('us-unit').value = String(user.unit_id);
    MQ.$('us-password').value = '';
    MQ.$('us-active').checked = user.active;
    Array.prototype.forEach.call(document.querySelectorAll('#us-roles input'), function (box) { box.checked = user.roles.indexOf(box.value) >= 0; });
    MQ.$('us-cancel').hidden = false;
    MQ.$('us-display').focus();
  }
  function resetUserForm() {
    editingUser = null;
    MQ.$('user-form').reset();
    MQ.$('us-username').disabled = false;
    MQ.$('user-form-title').textContent = MQ.t('admin.new_user');
    MQ.$('us-cancel').hidden = true;
  }

  function loadPeople() {
    return Promise.all([MQ.api('GET', '/units'), MQ.api('GET', '/admin/users')]).then(function (answers) {
      state.units = answers[0]; state.users = answers[1];
      renderUnits(); renderUsers();
    }, fail);
  }

  function initPeople() {
    UNIT_KINDS.forEach(function (kind) { option(MQ.$('u-kind'), kind, MQ.t('unit_kind.' + kind)); });
    var roles = MQ.$('us-roles');
    ROLES.forEach(function (role) {
      roles.appendChild(MQ.el('label', {}, [MQ.el('input', { type: 'checkbox', value: role, name: 'roles' }), ' ' + MQ.t('role.' + role)]));
    });
    MQ.$('unit-form').addEventListener('submit', function (event) {
      event.preventDefault();
      MQ.api('POST', '/admin/units', { name: MQ.$('u-name').value.trim(), kind: MQ.$('u-kind').value, region_code: MQ.$('u-region').value.trim() }).then(function () {
        ok(MQ.t('admin.saved')); MQ.$('unit-form').reset(); loadPeople();
      }, fail);
    });
    MQ.$('user-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var roles = Array.prototype.filter.call(document.querySelectorAll('#us-roles input'), function (box) { return box.checked; }).map(function (box) { return box.value; });
      var password = MQ.$('us-password').value;
      var request;
      if (editingUser) {
        var body = { display_name: MQ.$('us-display').value.trim(), unit_id: Number(MQ.$('us-unit').value), roles: roles, active: MQ.$('us-active').checked };
        if (password) body.password = password;
        request = MQ.api('PATCH', '/admin/users/' + editingUser.id, body);
      } else {
        request = MQ.api('POST', '/admin/users', { username: MQ.$('us-username').value.trim(), display_name: MQ.$('us-display').value.trim() || null, unit_id: Number(MQ.$('us-unit').value), roles: roles, password: password });
      }
      request.then(function () { ok(MQ.t('admin.saved')); resetUserForm(); loadPeople(); }, fail);
    });
    MQ.$('us-cancel').addEventListener('click', resetUserForm);
    // A filter box hides the rows that do not contain its text.
    Array.prototype.forEach.call(document.querySelectorAll('.filter-box'), function (box) {
      box.addEventListener('input', function () {
        var needle = box.value.trim().toLowerCase();
        Array.prototype.forEach.call(MQ.$(box.getAttribute('data-table')).tBodies[0].rows, function (row) {
          row.hidden = needle !== '' && row.textContent.toLowerCase().indexOf(needle) < 0;
        });
      });
    });
  }

  // ---- Categories --------------------------------------------------------------------

  var editingCategory = null;
  function loadCategories() {
    MQ.api('GET', '/admin/categories').then(function (list) {
      state.categories = list;
      var body = MQ.clear(MQ.$('cat-list').tBodies[0]);
      var parent = MQ.clear(MQ.$('c-parent'));
      option(parent, '', MQ.t('admin.top_level'));
      list.forEach(function (category) {
        if (!category.parent_code) option(parent, category.code, category.code + ' ' + category.name);
        body.appendChild(MQ.el('tr', { class: category.active ? '' : 'inactive' }, [
          cell(category.code, { class: 'mono' }), cell((category.parent_code ? '　' : '') + category.name), cell(category.department), cell(category.default_working_days),
          cell(category.active ? MQ.t('admin.yes') : MQ.t('admin.no')),
          MQ.el('td', {}, [MQ.el('button', { type: 'button', class: 'link', text: MQ.t('admin.edit'), 'aria-label': MQ.t('admin.edit') + ' ' + category.name, onclick: function () { editCategory(category); } })])
        ]));
      });
    }, fail);
  }
  function editCategory(category) {
    editingCategory = category;
    MQ.$('cat-form-title').textContent = MQ.t('admin.edit') + ' ' + category.code;
    MQ.$('c-code').value = category.code; MQ.$('c-code').disabled = true;
    MQ.$('c-parent').value = category.parent_code || ''; MQ.$('c-parent').disabled = true;
    MQ.$('c-name').value = category.name; MQ.$('c-dept').value = category.department;
    MQ.$('c-days').value = category.default_working_days; MQ.$('c-active').checked = category.active;
    MQ.$('c-cancel').hidden = false;
    MQ.$('c-name').focus();
  }
  function resetCategoryForm() {
    editingCategory = null;
    MQ.$('cat-form').reset();
    MQ.$('c-code').disabled = false; MQ.$('c-parent').disabled = false;
    MQ.$('cat-form-title').textContent = MQ.t('admin.new_category');
    MQ.$('c-cancel').hidden = true;
  }
  function initCategories() {
    MQ.$('cat-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var fields = { name: MQ.$('c-name').value.trim(), department: MQ.$('c-dept').value.trim(), default_working_days: Number(MQ.$('c-days').value) };
      var request;
      if (editingCategory) {
        fields.active = MQ.$('c-active').checked;
        request = MQ.api('PUT', '/admin/categories/' + editingCategory.code, fields);
      } else {
        fields.code = MQ.$('c-code').value.trim();
        fields.parent_code = MQ.$('c-parent').value || null;
        request = MQ.api('POST', '/admin/categories', fields);
      }
      request.then(function () { ok(MQ.t('admin.saved')); resetCategoryForm(); loadCategories(); }, fail);
    });
    MQ.$('c-cancel').addEventListener('click', resetCategoryForm);
  }

  // ---- Deadline policies -------------------------------------------------------------

  function loadPolicies() {
    MQ.api('GET', '/policies').then(function (versions) {
      var body = MQ.clear(MQ.$('pol-list').tBodies[0]);
      versions.forEach(function (version, index) {
        body.appendChild(MQ.el('tr', {}, [
          cell('v' + version.version + (index === 0 ? ' · ' + MQ.t('admin.current') : '')), cell(MQ.time(version.created_at)), cell(version.note),
          MQ.el('td', {}, [MQ.el('button', { type: 'button', class: 'link', text: MQ.t('admin.view'), 'aria-label': MQ.t('admin.view') + ' v' + version.version, onclick: function () { showPolicy(version, index === 0); } })])
        ]));
      });
      if (versions.length) { state.policy = versions[0]; showPolicy(versions[0], true); }
    }, fail);
  }
  function showPolicy(version, current) {
    MQ.$('pol-form-title').textContent = 'v' + version.version + (current ? ' · ' + MQ.t('admin.current') : ' · ' + MQ.t('admin.old_version'));
    MQ.$('p-body').value = JSON.stringify(version.policy, null, 2);
    MQ.$('p-body').readOnly = !current;
    MQ.$('pol-form').querySelector('button[type=submit]').hidden = !current;
    MQ.$('p-note').disabled = !current;
  }
  function initPolicies() {
    MQ.$('pol-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var policy;
      try { policy = JSON.parse(MQ.$('p-body').value); } catch (error) { MQ.say(MQ.t('admin.bad_json') + error.message, 'error'); return; }
      MQ.api('PUT', '/policies', { based_on: state.policy.version, note: MQ.$('p-note').value.trim(), policy: policy }).then(function (saved) {
        ok(MQ.t('admin.saved') + ' v' + saved.version); MQ.$('p-note').value = ''; loadPolicies();
      }, fail);
    });
  }

  // ---- Calendar ----------------------------------------------------------------------

  function loadCalendar(year) {
    MQ.api('GET', '/calendar?year=' + year).then(function (answer) {
      var body = MQ.clear(MQ.$('cal-list').tBodies[0]);
      answer.days.forEach(function (day) {
        var weekday = MQ.t('weekday.' + new Date(day.date + 'T00:00:00Z').getUTCDay());
        body.appendChild(MQ.el('tr', { class: 'day-' + day.kind }, [
          cell(day.date + ' ' + weekday, { class: 'mono' }), cell(MQ.t('day.' + day.kind)), cell(day.name),
          cell(MQ.t('source.' + day.source) + (day.pending_restart ? ' · ' + MQ.t('admin.pending_restart') : ''))
        ]));
      });
      if (!answer.days.length) body.appendChild(MQ.el('tr', {}, [MQ.el('td', { colspan: 4, class: 'hint', text: MQ.t('map.none') })]));
    }, fail);
  }
  function initCalendar() {
    var select = MQ.$('cal-year');
    var year = Number(MQ.thisMonth().slice(0, 4));
    for (var y = year - 2; y <= year + 1; y++) option(select, y, String(y));
    select.value = String(year);
    select.addEventListener('change', function () { loadCalendar(select.value); });
    MQ.$('cal-import').addEventListener('submit', function (event) {
      event.preventDefault();
      readFile(MQ.$('cal-file')).then(function (text) {
        return MQ.api('POST', '/admin/calendar', text, { contentType: 'text/calendar' });
      }).then(function (answer) {
        ok(MQ.t('admin.imported') + answer.imported + (answer.restart_needed ? ' · ' + MQ.t('admin.restart_needed') : ''));
        loadCalendar(select.value);
      }, fail);
    });
  }

  // ---- Templates ---------------------------------------------------------------------

  function loadTemplates() {
    MQ.api('GET', '/notification-templates').then(function (templates) {
      var box = MQ.clear(MQ.$('tpl-list'));
      templates.forEach(function (template) {
        var id = 'tpl-' + template.kind;
        var title = MQ.el('input', { id: id + '-title', maxlength: 200, value: template.title });
        var text = MQ.el('textarea', { id: id + '-body', rows: 3 });
        text.value = template.body;
        var form = MQ.el('form', { class: 'card', 'data-kind': template.kind }, [
          MQ.el('h3', { class: 'mono', text: template.kind }),
          MQ.el('p', { class: 'hint', text: template.updated_at ? MQ.t('admin.edited') + MQ.time(template.updated_at) : MQ.t('admin.shipped_text') }),
          MQ.el('label', { for: id + '-title', text: MQ.t('admin.title') }), title,
          MQ.el('label', { for: id + '-body', text: MQ.t('admin.body') }), text,
          MQ.el('button', { type: 'submit', class: 'secondary', text: MQ.t('admin.save') })
        ]);
        form.addEventListener('submit', function (event) {
          event.preventDefault();
          MQ.api('PUT', '/notification-templates/' + encodeURIComponent(template.kind), { title: title.value, body: text.value }).then(function () { ok(MQ.t('admin.saved')); }, fail);
        });
        box.appendChild(form);
      });
    }, fail);
  }

  // ---- Sections ----------------------------------------------------------------------

  var loaders = {
    grids: function () {}, people: loadPeople, categories: loadCategories, policies: loadPolicies,
    calendar: function () { loadCalendar(MQ.$('cal-year').value); }, templates: loadTemplates
  };
  function open(section) {
    if (!loaders[section]) section = 'grids';
    MQ.say('');
    Array.prototype.forEach.call(document.querySelectorAll('.admin-section'), function (node) { node.hidden = node.id !== 'sec-' + section; });
    Array.prototype.forEach.call(document.querySelectorAll('[data-section]'), function (tab) { tab.setAttribute('aria-pressed', tab.getAttribute('data-section') === section ? 'true' : 'false'); });
    if (location.hash !== '#' + section) history.replaceState(null, '', '#' + section);
    if (!state.loaded[section]) { state.loaded[section] = true; loaders[section](); }
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.requireStaff()) return;
    var me = MQ.me() || {};
    if (!me.roles || me.roles.indexOf('admin') < 0) { MQ.say(MQ.t('admin.only'), 'error'); document.querySelector('.tabs').hidden = true; MQ.$('sec-grids').hidden = true; return; }
    initGrids(); initPeople(); initCategories(); initPolicies(); initCalendar();
    // The grid panel offers the users as people to assign.
    MQ.api('GET', '/admin/users').then(function (users) { state.users = users; }, fail);
    MQ.pressTabs(document.querySelector('.tabs'), 'data-section', open);
    open(location.hash.slice(1) || 'grids');
  });
})();
