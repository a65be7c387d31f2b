// What the hub read in the appeals, shown with its reasons: on the appeal page, why it
// was classified as it was and which open appeals look like the same problem; on the
// dashboard, hot-spot warnings and the month's 每月一题 candidates.
'use strict';
(function () {
  function section(titleKey) {
    var box = MQ.el('section', { class: 'card insights' }, [MQ.el('h2', { text: MQ.t(titleKey) })]);
    var main = document.querySelector('main') || document.body;
    main.appendChild(box);
    return box;
  }

  function reasonList(reasons) {
    return MQ.el('ul', { class: 'reasons' }, (reasons || []).map(function (reason) { return MQ.el('li', { text: reason }); }));
  }

  function appealPage(number) {
    var box = section('insights.why');
    MQ.api('GET', '/appeals/' + encodeURIComponent(number)).then(function (view) {
      box.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('insights.confidence') + ' ' + MQ.percent(view.triage_confidence) }));
      box.appendChild(reasonList(view.triage_reasons));
    }, function () {});
    var duplicates = section('insights.duplicates');
    MQ.api('GET', '/appeals/' + encodeURIComponent(number) + '/duplicates').then(function (list) {
      var items = (list && list.items) || [];
      if (!items.length) { duplicates.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('insights.no_duplicates') })); return; }
      items.forEach(function (item) {
        duplicates.appendChild(MQ.el('div', { class: 'duplicate' }, [
          MQ.el('a', { href: '/staff/appeals/' + encodeURIComponent(item.number), class: 'mono', text: item.number }), ' ',
          MQ.statusBadge(item.status), ' ',
          MQ.el('span', { class: 'hint', text: MQ.t('insights.similarity') + ' ' + MQ.percent(item.similarity) }),
          MQ.el('p', { text: item.text }),
          reasonList(item.reasons)
        ]));
      });
      duplicates.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('insights.merge_hint') }));
    }, function (error) { duplicates.appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  function dashboardPage() {
    var warnings = section('insights.hotspots');
    MQ.api('GET', '/hotspots/warnings?status=open').then(function (list) {
      var items = (list && list.items) || [];
      if (!items.length) { warnings.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('insights.no_hotspots') })); return; }
      items.forEach(function (item) {
        warnings.appendChild(MQ.el('div', { class: 'hotspot' }, [
          MQ.el('strong', { text: item.place_code + ' · ' + item.category_code }), ' ',
          MQ.el('span', { class: 'hint', text: MQ.t('insights.count') + ' ' + item.appeal_count + ' / ' + MQ.t('insights.usual') + ' ' + Number(item.usual_count).toFixed(1) }),
          reasonList(item.reasons),
          MQ.el('p', {}, (item.appeal_numbers || []).map(function (number) {
            return MQ.el('a', { href: '/staff/appeals/' + encodeURIComponent(number), class: 'mono', text: number + ' ' });
          }))
        ]));
      });
    }, function (error) { warnings.appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
    var topics = section('insights.topics');
    MQ.api('GET', '/hotspots/monthly-topics?month=' + MQ.thisMonth() + '&top=3').then(function (answer) {
      var townships = (answer && answer.townships) || [];
      if (!townships.length) { topics.appendChild(MQ.el('p', { class: 'hint', text: MQ.t('insights.no_topics') })); return; }
      var table = MQ.el('table', {}, [MQ.el('thead', {}, [MQ.el('tr', {}, [
        MQ.el('th', { text: MQ.t('insights.township') }), MQ.el('th', { text: MQ.t('insights.candidates') })
      ])])]);
      var body = MQ.el('tbody');
      townships.forEach(function (township) {
        var names = (township.candidates || []).map(function (candidate) {
          return (candidate.category_name || candidate.category_code) + ' (' + candidate.appeals + ')';
        }).join('、');
        body.appendChild(MQ.el('tr', {}, [MQ.el('td', { text: township.region_name || township.region_code }), MQ.el('td', { text: names })]));
      });
      table.appendChild(body);
      topics.appendChild(table);
    }, function (error) { topics.appendChild(MQ.el('p', { class: 'warn', text: error.message })); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (!MQ.token()) return;
    var page = document.body.getAttribute('data-page');
    var number = document.body.getAttribute('data-number');
    if (page === 'appeal' && number) appealPage(number);
    else if (page === 'dashboard') dashboardPage();
  });
})();
