// A resident follows a service order (点单) by its number and secret, and rates it once it
// was delivered. The secret never goes into the address; the number may (after a '#').
'use strict';
(function () {
  var current = null;

  function when(ms) { return ms ? MQ.time(new Date(ms).toISOString()) : MQ.t('common.dash'); }

  function show(view) {
    current = view;
    MQ.$('o-result').hidden = false;
    MQ.$('o-shown-number').textContent = view.number;
    var status = MQ.$('o-status');
    status.textContent = MQ.t('wk.status.' + view.status);
    status.className = 'badge wk-' + view.status;
    MQ.$('o-service').textContent = view.title;
    MQ.$('o-body').textContent = view.body;
    MQ.$('o-created').textContent = when(view.created_ms);
    MQ.$('o-due').textContent = when(view.finish_due_ms);
    MQ.$('o-taken').textContent = when(view.responded_ms);
    MQ.$('o-done').textContent = when(view.finished_ms);
    var rating = MQ.$('o-rating');
    rating.hidden = !view.rating;
    if (view.rating) rating.textContent = MQ.t('order.rated').replace('{n}', view.rating);
    MQ.$('o-rate-form').hidden = !view.may_rate;
  }

  function look() {
    var number = MQ.$('o-number').value.trim().toUpperCase();
    var secret = MQ.$('o-secret').value.trim();
    if (!number || !secret) return;
    MQ.say(MQ.t('common.loading'));
    MQ.api('GET', '/public/work-items/' + encodeURIComponent(number) + '?secret=' + encodeURIComponent(secret), null, { anonymous: true }).then(function (view) {
      MQ.say('');
      show(view);
      MQ.$('o-result').focus();
    }, function (error) {
      MQ.$('o-result').hidden = true;
      MQ.say(error.status === 404 ? MQ.t('order.not_found') : MQ.t('err.generic') + error.message, 'error');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    if (location.hash.length > 1) MQ.$('o-number').value = decodeURIComponent(location.hash.slice(1));
    MQ.$('order-form').addEventListener('submit', function (event) { event.preventDefault(); look(); });
    MQ.$('o-rate-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var stars = document.querySelector('#o-rate-form input[name=stars]:checked');
      if (!current || !stars) return;
      var body = { secret: MQ.$('o-secret').value.trim(), rating: Number(stars.value) };
      if (MQ.$('o-comment').value.trim()) body.comment = MQ.$('o-comment').value.trim();
      MQ.api('POST', '/public/work-items/' + encodeURIComponent(current.number) + '/rate', body, { anonymous: true }).then(function () {
        MQ.say(MQ.t('order.thanks'), 'ok');
        look();
      }, function (error) { MQ.say(MQ.t('err.generic') + error.message, 'error'); });
    });
  });
})();
