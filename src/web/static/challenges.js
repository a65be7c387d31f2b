// The public view of the challenge lists (揭榜挂帅): each list with its problems, who
// claimed them, how far they got and the committee's score. Units only: no person's name,
// phone or report text is shown here.
'use strict';
(function () {
  function day(ms) { return ms ? MQ.time(new Date(ms).toISOString()).slice(0, 10) : MQ.t('common.dash'); }

  function problemRow(problem) {
    var units = [problem.lead_unit].concat(problem.co_units || []).filter(Boolean).join('、');
    return MQ.el('tr', {}, [
      MQ.el('td', { 'data-label': MQ.t('prog.col_number') }, [MQ.el('span', { class: 'mono', text: problem.number })]),
      MQ.el('td', { 'data-label': MQ.t('prog.col_problem') }, [MQ.el('strong', { text: problem.title }), MQ.el('p', { class: 'hint', text: problem.goal }), problem.criteria ? MQ.el('p', { class: 'hint', text: MQ.t('prog.criteria') + '：' + problem.criteria }) : null]),
      MQ.el('td', { 'data-label': MQ.t('prog.col_status') }, [MQ.el('span', { class: 'badge wk-' + problem.status, text: MQ.t('wk.status.' + problem.status) }), problem.late ? MQ.el('span', { class: 'flag', text: MQ.t('prog.late') }) : null]),
      MQ.el('td', { 'data-label': MQ.t('prog.col_units'), text: units || MQ.t('pub.unclaimed') }),
      MQ.el('td', { 'data-label': MQ.t('prog.col_milestones'), text: String(problem.milestones) }),
      MQ.el('td', { 'data-label': MQ.t('prog.col_score'), text: problem.score === null || problem.score === undefined ? MQ.t('common.dash') : problem.score.toFixed(1) })
    ]);
  }

  function listCard(list, index) {
    var titleId = 'pub-list-' + index;
    var head = [MQ.t('prog.col_number'), MQ.t('prog.col_problem'), MQ.t('prog.col_status'), MQ.t('prog.col_units'), MQ.t('prog.col_milestones'), MQ.t('prog.col_score')];
    return MQ.el('section', { class: 'card', 'aria-labelledby': titleId }, [
      MQ.el('h2', { id: titleId, text: list.title }),
      list.description ? MQ.el('p', { text: list.description }) : null,
      MQ.el('p', { class: 'hint', text: MQ.t('prog.due') + '：' + day(list.due_ms) + ' · ' + MQ.t('pub.progress').replace('{claimed}', list.claimed).replace('{assessed}', list.assessed).replace('{total}', list.problems.length).replace('{late}', list.late) }),
      MQ.el('div', { class: 'table-wrap' }, [MQ.el('table', { class: 'list' }, [
        MQ.el('caption', { class: 'sr-only', text: list.title }),
        MQ.el('thead', {}, [MQ.el('tr', {}, head.map(function (h) { return MQ.el('th', { scope: 'col', text: h }); }))]),
        MQ.el('tbody', {}, list.problems.map(problemRow))
      ])])
    ]);
  }

  document.addEventListener('DOMContentLoaded', function () {
    MQ.say(MQ.t('common.loading'));
    MQ.api('GET', '/public/challenge-lists', null, { anonymous: true }).then(function (lists) {
      var box = MQ.clear(MQ.$('pub-lists'));
      lists.slice().reverse().forEach(function (list, index) { box.appendChild(listCard(list, index)); });
      MQ.$('pub-empty').hidden = lists.length > 0;
      MQ.say('');
    }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
  });
})();
