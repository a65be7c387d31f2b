// The public board of resolved appeals (办结公示), by village and category: the category,
// the place, the dates, the rating and the unit's reply. Residents' own words and
// contacts are never published; the server removes numbers and names from replies.
'use strict';
(function () {
  var cursor = null;

  function query() {
    var params = new URLSearchParams();
    var region = MQ.$('b-village').value || MQ.$('b-township').value;
    if (region) params.set('region_code', region);
    if (MQ.$('b-category').value) params.set('category_code', MQ.$('b-category').value);
    return params;
  }

  function card(item) {
    var place = item.village_name + (item.township_name ? ' · ' + item.township_name : '');
    var rating = item.satisfaction ? MQ.el('span', { class: 'badge status-rated', text: MQ.t('satisfaction.' + item.satisfaction) }) : null;
    return MQ.el('li', { class: 'card board-item' }, [
      MQ.el('h2', {}, [MQ.el('span', { text: item.category_name || MQ.t('board.uncategorised') }), ' ', rating]),
      MQ.el('p', { class: 'hint', text: place }),
      MQ.el('p', { class: 'hint', text: MQ.t('board.received') + item.received_on + ' · ' + MQ.t('board.resolved') + item.resolved_on + ' · ' + MQ.t('board.days').replace('{n}', item.days_to_resolve) }),
      item.reply ? MQ.el('p', { class: 'quote', text: item.reply }) : null
    ]);
  }

  function load(append) {
    var params = query();
    if (append && cursor) params.set('cursor', cursor);
    MQ.say(MQ.t('common.loading'));
    MQ.api('GET', '/public/board?' + params.toString(), null, { anonymous: true }).then(function (page) {
      var list = MQ.$('board-list');
      if (!append) MQ.clear(list);
      page.items.forEach(function (item) { list.appendChild(card(item)); });
      cursor = page.next_cursor || null;
      MQ.$('board-more').hidden = !cursor;
      MQ.$('board-empty').hidden = list.children.length > 0;
      MQ.say('');
    }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    MQ.regionPickers(MQ.county(), MQ.$('b-township'), MQ.$('b-village')).catch(function () { /* filters are optional */ });
    MQ.$('b-village').options[0].textContent = MQ.t('queue.any');
    MQ.$('b-township').addEventListener('change', function () {
      // The shared picker offers "choose"; on the board an empty village means "any".
      setTimeout(function () { if (MQ.$('b-village').options[0]) MQ.$('b-village').options[0].textContent = MQ.t('queue.any'); }, 0);
    });
    MQ.api('GET', '/categories', null, { anonymous: true }).then(function (categories) {
      var select = MQ.$('b-category');
      categories.forEach(function (category) {
        select.appendChild(MQ.el('option', { value: category.code, text: (category.parent_code ? '　' : '') + category.name }));
      });
    });
    MQ.$('board-form').addEventListener('submit', function (event) { event.preventDefault(); cursor = null; load(false); });
    MQ.$('board-more').addEventListener('click', function () { load(true); });
    load(false);
  });
})();
